import type { ErrorRequestHandler, Response } from 'express';
import { z } from 'zod';
import { OmsError, type ErrorDetail, type ErrorKind } from '../oms/errors.js';
import { ERROR_CATALOGUE, isOmsErrorCode, type OmsErrorCode } from '../oms/error-catalogue.js';
import { HTTP_ERRORS, HttpError, type HttpErrorCode } from './http-errors.js';
import type { Logger } from 'pino';
import { isDatabaseUnreachable } from '../db/database-errors.js';

/** The one place where the catalogue's kinds become HTTP statuses. */
const STATUS_OF_KIND: Record<ErrorKind, number> = {
  validation: 400,
  not_found: 404,
  conflict: 409,
  rejected: 422,
  unavailable: 503,
  forbidden: 403,
};

/** Every code the API answers with: the OMS's catalogue and the HTTP edge's own. */
export type ApiErrorCode = OmsErrorCode | HttpErrorCode;

// A code in both tables would have two statuses: make that a compile error.
type Shared = Extract<OmsErrorCode, HttpErrorCode>;
const noSharedCode: [Shared] extends [never] ? true : Shared = true;
void noSharedCode;

export function statusOf(code: ApiErrorCode): number {
  return isOmsErrorCode(code) ? STATUS_OF_KIND[ERROR_CATALOGUE[code].kind] : HTTP_ERRORS[code].status;
}

export function sendError(res: Response, code: ApiErrorCode, message: string, details: ErrorDetail[] = []): void {
  res.status(statusOf(code)).json({ error: { code, message, details } });
}

export function zodDetails(error: z.ZodError): ErrorDetail[] {
  return error.issues.flatMap((i) =>
    // One detail per unknown field, named by its path like any other.
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ path: [...i.path, k].join('.'), message: `Unrecognized key: "${k}"` }))
      : [{ path: i.path.join('.') || '(body)', message: i.message }],
  );
}

/** True when the text is JSON, but not an object or array (which strict body parsing refuses). */
function isJsonScalar(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    if (err instanceof OmsError || err instanceof HttpError) {
      sendError(res, err.code, err.message, err.details);
      return;
    }
    if (err instanceof z.ZodError) {
      const details = zodDetails(err);
      sendError(res, 'VALIDATION_ERROR', details.map((d) => `${d.path}: ${d.message}`).join('; '), details);
      return;
    }
    // body-parser errors carry a status and a type; they are the client's fault, never a 500.
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed') {
      if (isJsonScalar((err as { body?: unknown }).body)) {
        sendError(res, 'VALIDATION_ERROR', 'the body must be a JSON object', [{ path: '(body)', message: 'must be a JSON object' }]);
      } else {
        sendError(res, 'MALFORMED_JSON', 'the body is not valid JSON', [{ path: '(body)', message: 'malformed JSON' }]);
      }
      return;
    }
    if (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported') {
      sendError(res, 'UNSUPPORTED_MEDIA_TYPE', e.message ?? 'unsupported body encoding', [{ path: '(content-type)', message: 'unsupported' }]);
      return;
    }
    if (e.type === 'entity.too.large') {
      sendError(res, 'PAYLOAD_TOO_LARGE', 'the body is larger than the limit');
      return;
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      sendError(res, 'BAD_REQUEST', e.message ?? 'bad request');
      return;
    }
    if (isDatabaseUnreachable(err)) {
      logger.warn({ err }, 'database unreachable');
      sendError(res, 'UNAVAILABLE', 'the database is not reachable; nothing was done: retry in a moment');
      return;
    }
    logger.error({ err }, 'unhandled error');
    sendError(res, 'INTERNAL', 'internal error');
  };
}
