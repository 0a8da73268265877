// The one table of OCI distribution error codes, with distribution's statuses.
// Handlers throw RegistryError; the server renders {"errors":[{code,message,detail}]}.

export const ERROR_CODES = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  TAG_INVALID: { status: 400, message: 'manifest tag did not match URI' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'The operation is unsupported.' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  RANGE_INVALID: { status: 416, message: 'invalid content range' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  UNKNOWN: { status: 500, message: 'unknown error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class RegistryError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail?: unknown,
    opts: { status?: number; message?: string; headers?: Record<string, string> } = {},
  ) {
    super(opts.message ?? ERROR_CODES[code].message);
    this.status = opts.status ?? ERROR_CODES[code].status;
    this.headers = opts.headers ?? {};
  }
  readonly headers: Record<string, string>;

  body(): { errors: Array<{ code: string; message: string; detail?: unknown }> } {
    return { errors: [{ code: this.code, message: this.message, detail: this.detail }] };
  }
}

export const regError = (code: ErrorCode, detail?: unknown, opts?: ConstructorParameters<typeof RegistryError>[2]) =>
  new RegistryError(code, detail, opts);
