/**
 * The one error catalogue of the OMS. Each error has a stable string code and a kind; the kind,
 * not the code, decides the HTTP status (api/error-mapper.ts) or the Slack/WebSocket wording.
 */
export type ErrorKind =
  | 'validation'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'rate_limited'
  | 'unsupported_media_type'
  | 'unavailable';

export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

export class OmsError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'OmsError';
  }
}

export const validationError = (message: string, details: ErrorDetail[] = []): OmsError =>
  new OmsError('validation', 'VALIDATION_ERROR', message, details);

/** A business rule said no (unknown symbol, insufficient cash, ...): HTTP 422. */
export const rejected = (code: string, message: string, path?: string): OmsError =>
  new OmsError('unprocessable', code, message, path ? [{ path, message }] : []);

export const notFound = (code: string, message: string): OmsError => new OmsError('not_found', code, message);

export const conflict = (code: string, message: string, path?: string): OmsError =>
  new OmsError('conflict', code, message, path ? [{ path, message }] : []);

export const unavailable = (message: string): OmsError => new OmsError('unavailable', 'UNAVAILABLE', message);
