import type { ErrorRequestHandler, Response } from 'express';
import { z } from 'zod';
import { OmsError, type ErrorDetail, type ErrorKind } from '../oms/errors.js';
import type { Logger } from 'pino';
import { isDatabaseUnreachable } from '../db/database-errors.js';

/** The one place where error kinds become HTTP statuses. */
const STATUS: Record<ErrorKind, number> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  rate_limited: 429,
  unsupported_media_type: 415,
  unavailable: 503,
};

export function sendError(res: Response, status: number, code: string, message: string, details: ErrorDetail[] = []): void {
  res.status(status).json({ error: { code, message, details } });
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
    if (err instanceof OmsError) {
      sendError(res, STATUS[err.kind], err.code, err.message, err.details);
      return;
    }
    if (err instanceof z.ZodError) {
      const details = zodDetails(err);
      sendError(res, 400, 'VALIDATION_ERROR', details.map((d) => `${d.path}: ${d.message}`).join('; '), details);
      return;
    }
    // body-parser errors carry a status and a type; they are the client's fault, never a 500.
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed') {
      if (isJsonScalar((err as { body?: unknown }).body)) {
        sendError(res, 400, 'VALIDATION_ERROR', 'the body must be a JSON object', [{ path: '(body)', message: 'must be a JSON object' }]);
      } else {
        sendError(res, 400, 'MALFORMED_JSON', 'the body is not valid JSON', [{ path: '(body)', message: 'malformed JSON' }]);
      }
      return;
    }
    if (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported') {
      sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', e.message ?? 'unsupported body encoding', [{ path: '(content-type)', message: 'unsupported' }]);
      return;
    }
    if (e.type === 'entity.too.large') {
      sendError(res, 413, 'PAYLOAD_TOO_LARGE', 'the body is larger than the limit');
      return;
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      sendError(res, e.status, 'BAD_REQUEST', e.message ?? 'bad request');
      return;
    }
    if (isDatabaseUnreachable(err)) {
      logger.warn({ err }, 'database unreachable');
      sendError(res, 503, 'UNAVAILABLE', 'the database is not reachable; nothing was done: retry in a moment');
      return;
    }
    logger.error({ err }, 'unhandled error');
    sendError(res, 500, 'INTERNAL', 'internal error');
  };
}
