// Exit codes (documented in `cairnctl --help`) and the single place that maps failures to them.

export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  NOT_FOUND: 4,
  REFUSED: 5,
  INTERRUPTED: 130,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    the command failed (including a partial failure)
  2    usage error: unknown flag, bad value, or --yes needed without a terminal
  3    unreachable: no node answered, or a request timed out
  4    not found: unknown node, log, loglet or partition, or the cluster is not provisioned
  5    refused: unsafe or conflicting change (use --force only if you know why)
  130  interrupted (Ctrl-C)`;

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

/** Turns any failure into a message, an optional hint and an exit code (by error name, so that this
 *  module stays free of the HTTP client on the cold-start path). */
export function mapError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  const e = err as { name?: string; message?: string; status?: number; body?: { code?: string; message?: string; hint?: string }; kind?: string; issues?: string };
  switch (e?.name) {
    case 'TransportError':
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
      if (status === 400 || status === 413) return new CliError(message, status === 400 ? EXIT.USAGE : EXIT.FAILED, hint);
      if (status === 401) return new CliError(message, EXIT.FAILED, hint ?? 'pass --token or set CAIRN_TOKEN');
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
