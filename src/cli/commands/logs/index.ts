import { examples, type Register } from '../../program';

export const registerLogs: Register = (program, action) => {
  const logs = program.command('logs').description('Log operations');
  logs
    .command('list')
    .alias('ls')
    .description("List the logs: each log's tail segment, its loglet, replication, sequencer and nodeset")
    .addHelpText('after', examples('cairnctl logs list', 'cairnctl logs list -o json | jq \'.logs[] | {log_id, sequencer}\''))
    .action(action(() => import('./list'), () => ({})));
};
