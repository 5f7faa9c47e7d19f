// Exit codes (documented in `cairnctl --help`) and the single place that maps failures to them.

export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  NOT_FOUND: 4,
  REFUSED: 5,
  UNAUTHORIZED: 6,
  INTERRUPTED: 130,
} as const;

/** When items of one command fail differently, the exit code is the first of these that occurred. */
const SEVERITY: readonly number[] = [EXIT.INTERRUPTED, EXIT.UNAUTHORIZED, EXIT.UNREACHABLE, EXIT.REFUSED, EXIT.NOT_FOUND, EXIT.USAGE, EXIT.FAILED];

export function mostSevere(codes: readonly number[]): number {
  return SEVERITY.find((code) => codes.includes(code)) ?? EXIT.OK;
}

export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    the command failed (including a partial failure)
  2    usage error: unknown flag, bad value, or --yes needed without a terminal
  3    unreachable: no node answered, or a request timed out
  4    not found: unknown node, log, loglet or partition, or not provisioned
  5    refused: unsafe or conflicting change (--force only if you know why)
  6    not authorized: missing or wrong admin token (--token or CAIRN_TOKEN),
       or a client certificate the nodes refused (--tls-cert and --tls-key)
  130  interrupted (Ctrl-C)
  When items fail differently, the first of 130, 6, 3, 5, 4, 2, 1 is used.`;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILED,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, EXIT.USAGE, hint);
}

export const TOKEN_HINT = "pass the cluster's admin token (the nodes' admin.token) with --token or CAIRN_TOKEN";
const CLIENT_CERTIFICATE_HINT = "the nodes require mutual TLS: pass a client certificate signed by the cluster's CA with --tls-cert and --tls-key (or CAIRN_TLS_CERT and CAIRN_TLS_KEY)";

/** What to do about a failed TLS connection (TransportError's tlsProblem). */
const TLS_HINTS: Record<string, string> = {
  untrusted: "pass the CA that signed the nodes' certificates with --tls-ca (or CAIRN_TLS_CA); --insecure-skip-tls-verify skips the check, insecurely",
  expired: "the node's certificate (its tls.cert-file) must be renewed; --insecure-skip-tls-verify skips the check, insecurely",
  hostname: "address the node by a name or IP its certificate lists (subjectAltName), or reissue the certificate with this address in it",
  'not-tls': 'the node serves plain HTTP: use an http:// address',
  'client-certificate': CLIENT_CERTIFICATE_HINT,
  other: 'check the TLS options: --tls-ca, --tls-cert, --tls-key (or CAIRN_TLS_CA, CAIRN_TLS_CERT, CAIRN_TLS_KEY)',
};

/** The error for an address whose port turned out to be a node's key/value ingress. */
export function notAnAdminAddress(url: string): CliError {
  const origin = /^https?:\/\/[^/]+/.exec(url)?.[0] ?? url;
  return new CliError(
    `${origin} is a node's key/value ingress, not its admin address`,
    EXIT.USAGE,
    "point --address at the node's bind-address (cairn-server local up prints it; it is `address` in cluster.json)",
  );
}

/** Turns any failure into a message, an optional hint and an exit code (by error name, so that this
 *  module stays free of the HTTP client on the cold-start path). */
export function mapError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  const e = err as {
    name?: string;
    message?: string;
    status?: number;
    url?: string;
    listener?: string;
    body?: { code?: string; message?: string; hint?: string };
    kind?: string;
    tlsProblem?: string;
  };
  switch (e?.name) {
    case 'TransportError':
      if (e.kind === 'tls') {
        const problem = e.tlsProblem ?? 'other';
        return new CliError(e.message ?? 'TLS failed', problem === 'client-certificate' ? EXIT.UNAUTHORIZED : EXIT.UNREACHABLE, TLS_HINTS[problem]);
      }
      return new CliError(
        e.message ?? 'request failed',
        EXIT.UNREACHABLE,
        e.kind === 'timeout' ? 'the node accepted the connection but did not answer; raise --request-timeout or check the node' : undefined,
      );
    case 'HttpStatusError': {
      const status = e.status ?? 500;
      const code = e.body?.code;
      const message = e.body?.message ?? e.message ?? `HTTP ${status}`;
      const hint = e.body?.hint;
      if (code === 'NOT_PROVISIONED') return new CliError(message, EXIT.NOT_FOUND, hint);
      if (code === 'CLIENT_CERTIFICATE_REFUSED') return new CliError(message, EXIT.UNAUTHORIZED, CLIENT_CERTIFICATE_HINT);
      if (status === 400 || status === 413) return new CliError(message, status === 400 ? EXIT.USAGE : EXIT.FAILED, hint);
      if (status === 401 || status === 403) return new CliError(message, EXIT.UNAUTHORIZED, TOKEN_HINT);
      if (e.listener === 'ingress') return notAnAdminAddress(e.url ?? '');
      if (status === 404) return new CliError(message, EXIT.NOT_FOUND, hint);
      if (status === 409) return new CliError(message, EXIT.REFUSED, hint);
      if (status === 503 || status === 504) return new CliError(message, EXIT.UNREACHABLE, hint);
      return new CliError(message, EXIT.FAILED, hint);
    }
    case 'ResponseShapeError':
      return new CliError(e.message ?? 'unexpected response', EXIT.FAILED, 'is cairnctl the same version as the cluster? run with -v for details');
    case 'AbortError':
      return new CliError('interrupted', EXIT.INTERRUPTED);
    default:
      return new CliError(e?.message ?? String(err), EXIT.FAILED);
  }
}
