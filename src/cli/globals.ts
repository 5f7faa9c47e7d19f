// The options every command takes, anywhere on the line (`cairnctl -y logs seal 3` and
// `cairnctl logs seal 3 -y` alike), declared once like a command's own.
import { addressList, DEFAULT_ADDRESS } from './address';
import { wholeNumber } from './args';
import { flag, list, text, value, type OptionValues } from './registry';

const positiveMs = wholeNumber('milliseconds', 1);

export const GLOBAL_OPTIONS = {
  address: list('-s, --address <addresses>', `node addresses, comma-separated or repeated (default ${DEFAULT_ADDRESS}) [alias: --server]`, addressList, {
    aliases: ['--server', '--addresses'],
    env: 'CAIRN_ADDRESS',
    conflicts: ['singleAddress'],
  }),
  singleAddress: value('-S, --single-address <address>', 'talk to this one node only: no discovery of other nodes (for load balancers)', {
    parse: (text: string) => addressList(text)[0]!,
  }),
  yes: flag('-y, --yes', 'answer yes to confirmation prompts (needed for changes without a terminal; CI being set never implies it)'),
  output: value('-o, --output <format>', 'output format', { choices: ['table', 'json'] as const, default: 'table', env: 'CAIRN_OUTPUT' }),
  json: flag('--json', 'shorthand for --output json'),
  connectTimeout: value('--connect-timeout <ms>', 'TCP connect timeout', { parse: positiveMs, default: 3000, env: 'CAIRN_CONNECT_TIMEOUT' }),
  requestTimeout: value('--request-timeout <ms>', 'how long a node that answered may take, including waits such as --min-lsn', {
    parse: positiveMs,
    default: 13000,
    env: 'CAIRN_REQUEST_TIMEOUT',
  }),
  tableStyle: value('--table-style <style>', 'table layout', { choices: ['compact', 'borders'] as const, default: 'compact' }),
  timeFormat: value('--time-format <format>', 'how times are shown', {
    choices: ['human', 'iso8601', 'rfc2822'] as const,
    default: 'human',
  }),
  color: flag('--no-color', 'never colour output (NO_COLOR and CLICOLOR_FORCE are honoured too)'),
  token: text('--token <token>', 'admin bearer token (the nodes\' admin.token)', { env: 'CAIRN_TOKEN' }),
  tlsCa: text('--tls-ca <file>', 'CA certificate (PEM) that signed the nodes\' certificates, for https:// addresses', { env: 'CAIRN_TLS_CA' }),
  tlsCert: text('--tls-cert <file>', 'client certificate (PEM) for nodes that require one (mutual TLS); needs --tls-key and --tls-ca', { env: 'CAIRN_TLS_CERT' }),
  tlsKey: text('--tls-key <file>', 'private key (PEM, unencrypted) of --tls-cert', { env: 'CAIRN_TLS_KEY' }),
  insecureSkipTlsVerify: flag('--insecure-skip-tls-verify', "do not check the nodes' certificates: this makes HTTPS connections insecure", {
    env: 'CAIRN_INSECURE_SKIP_TLS_VERIFY',
  }),
  verbose: flag('-v, --verbose', 'print discovery and request details to stderr'),
};

export type GlobalOptions = OptionValues<typeof GLOBAL_OPTIONS>;
