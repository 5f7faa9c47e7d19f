import { examples, type Register } from '../../program';

export const registerStatus: Register = (program, action) => {
  program
    .command('status')
    .description('Print cluster status overview: every node, its uptime, metadata role, nodeset and sequencer load')
    .addHelpText('after', examples('cairnctl status', 'cairnctl status -o json | jq \'.nodes[] | select(.alive | not)\''))
    .action(action(() => import('./status'), () => ({})));
};
