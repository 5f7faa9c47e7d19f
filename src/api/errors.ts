// Error codes of the admin API and their HTTP statuses. The body of every error response is
// `{code, message, hint?}` (schema `ErrorBody` in schemas.ts).

export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  /** The node requires a client certificate signed by its tls.ca-file (mutual TLS), and got none or another. */
  CLIENT_CERTIFICATE_REFUSED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  VERSION_CONFLICT: 409,
  ALREADY_PROVISIONED: 409,
  UNSAFE: 409,
  SEALED: 409,
  PAYLOAD_TOO_LARGE: 413,
  RECORD_TOO_LARGE: 413,
  NOT_PROVISIONED: 503,
  NOT_READY: 503,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = ERROR_STATUS[code];
  }

  toBody(): { code: ErrorCode; message: string; hint?: string } & Record<string, unknown> {
    return { ...this.details, code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && code in ERROR_STATUS;
