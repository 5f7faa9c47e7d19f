// `cairnctl doctor`: the failure states this tool knows, each with its evidence and the runbook's commands.
import { defineCommand, spec } from '../../registry';

export const doctorSpec = spec({
  path: ['doctor'],
  description: 'Check the cluster for known failure states; for each finding, the evidence and the commands of the runbook that fixes it (exit 1 if something is broken; warnings leave 0)',
  examples: ['cairnctl doctor', "cairnctl doctor -o json | jq '.findings[].code'"],
  args: {},
  options: {},
});

export const doctorCommands = [defineCommand(doctorSpec, () => import('./doctor'))];
