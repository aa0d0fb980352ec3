import { ERROR_CATALOGUE, isOmsErrorCode, type CodeOfKind, type ErrorKind, type OmsErrorCode } from './error-catalogue.js';

export type { ErrorKind, OmsErrorCode } from './error-catalogue.js';

export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

/**
 * An error the OMS answers with: a code of the catalogue (error-catalogue.ts), whose kind comes from
 * the catalogue too, so a code cannot be sent under the wrong kind. Never an HTTP status: each edge
 * maps the kind.
 */
export class OmsError extends Error {
  readonly kind: ErrorKind;

  constructor(
    readonly code: OmsErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    // Typed callers cannot get here; an untyped one (a code from data) must not make a kindless error.
    if (!isOmsErrorCode(code)) throw new TypeError(`${code} is not a code of the error catalogue`);
    this.name = 'OmsError';
    this.kind = ERROR_CATALOGUE[code].kind;
  }
}

const onField = (message: string, path?: string): ErrorDetail[] => (path ? [{ path, message }] : []);

export const validationError = (message: string, details: ErrorDetail[] = []): OmsError => new OmsError('VALIDATION_ERROR', message, details);

/** A business rule said no (unknown symbol, insufficient cash, ...). */
export const rejected = (code: CodeOfKind<'rejected'>, message: string, path?: string): OmsError => new OmsError(code, message, onField(message, path));

export const notFound = (code: CodeOfKind<'not_found'>, message: string): OmsError => new OmsError(code, message);

export const conflict = (code: CodeOfKind<'conflict'>, message: string, path?: string): OmsError => new OmsError(code, message, onField(message, path));

export const unavailable = (message: string): OmsError => new OmsError('UNAVAILABLE', message);

/** A desk member lacks the role or grant (members.ts). */
export const forbidden = (code: CodeOfKind<'forbidden'>, message: string, path?: string): OmsError => new OmsError(code, message, onField(message, path));
