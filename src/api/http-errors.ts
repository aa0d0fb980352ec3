import type { ErrorDetail } from '../oms/errors.js';

/**
 * The codes only HTTP has: how a request arrived (its body, its key, its rate, its route), never what
 * it asked the OMS. Each has its status here; the OMS's own codes get theirs from their kind
 * (error-mapper.ts). A name in both tables does not compile (see the check below).
 */
export const HTTP_ERRORS = {
  MALFORMED_JSON: { status: 400, meaning: 'the body is not valid JSON' },
  BAD_REQUEST: { status: 400, meaning: 'a body that cannot be decoded (e.g. bad gzip)' },
  UNAUTHENTICATED: { status: 401, meaning: 'missing or invalid API key' },
  FORBIDDEN: { status: 403, meaning: 'scope or portfolio not allowed for the key' },
  NOT_FOUND: { status: 404, meaning: 'no such route' },
  REQUEST_TIMEOUT: { status: 408, meaning: 'the request did not arrive in time' },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'the body is larger than the limit' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'a body not sent as `application/json`, or in an unsupported charset' },
  RATE_LIMITED: { status: 429, meaning: 'too many requests a minute for this key (with `Retry-After`)' },
  HEADERS_TOO_LARGE: { status: 431, meaning: 'request line and headers over 16 KiB (e.g. a very long query string)' },
  INTERNAL: { status: 500, meaning: 'a fault of the server; nothing more is said' },
} as const satisfies Record<string, { readonly status: number; readonly meaning: string }>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export const HTTP_ERROR_CODES = Object.keys(HTTP_ERRORS) as HttpErrorCode[];

/** An error of the HTTP edge itself (auth, body, media type), thrown to the error mapper like an OmsError. */
export class HttpError extends Error {
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
