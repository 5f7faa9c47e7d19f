// `cairnctl metadata get|put|patch`: the metadata store's documents, read and written as JSON.
import { wholeNumber } from '../../args';
import { argument, defineCommand, defineGroup, flag, spec, value } from '../../registry';

const key = value('-k, --key <key>', 'nodes_config, bifrost_config, partition_table or pp_epoch_<partition>', { required: true, parse: (given: string) => given });
// restatectl spells it --version; here that is the program's -V/--version.
const expectedVersion = value('--expected-version <n>', 'write only if the stored version is still n (default: the version read)', { parse: wholeNumber('a version', 1) });
const writeOptions = {
  key,
  expectedVersion,
  dryRun: flag('--dry-run', 'check the new document against the schema and show the diff; write nothing'),
  force: flag('--force', "[dangerous] write a document that does not match the key's schema"),
};

export const metadataGetSpec = spec({
  path: ['metadata', 'get'],
  description: 'Print a metadata document and its version',
  examples: ['cairnctl metadata get -k nodes_config', "cairnctl metadata get -k pp_epoch_1 -o json | jq .value"],
  args: {},
  options: { key },
});

export const metadataPutSpec = spec({
  path: ['metadata', 'put'],
  description: 'Replace a metadata document with the JSON in FILE (- for stdin), compare-and-set on its version',
  examples: ['cairnctl metadata put -k partition_table table.json --dry-run', 'cairnctl metadata get -k pp_epoch_1 -o json | jq .value | cairnctl metadata put -k pp_epoch_1 - --expected-version 4'],
  args: { file: argument('<file>', 'the new document, a JSON file or - for stdin', (raw) => String(raw)) },
  options: writeOptions,
});

export const metadataPatchSpec = spec({
  path: ['metadata', 'patch'],
  description: 'Change a metadata document with a JSON Patch (RFC 6902), compare-and-set on its version',
  examples: [`cairnctl metadata patch -k pp_epoch_1 -p '[{"op":"replace","path":"/leader","value":3}]' --dry-run`],
  args: {},
  options: { ...writeOptions, patch: value('-p, --patch <json>', 'the JSON Patch: an array of {op, path, value|from}', { required: true, parse: (given: string) => given }) },
});

export const metadataCommands = [
  defineGroup(['metadata'], "[dangerous] Read and write the metadata store's documents"),
  defineCommand(metadataGetSpec, () => import('./get')),
  defineCommand(metadataPutSpec, () => import('./put')),
  defineCommand(metadataPatchSpec, () => import('./patch')),
];
