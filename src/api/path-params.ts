import type { ErrorRequestHandler, Router } from 'express';
import { validationError } from '../oms/errors.js';
import { decodes, NOT_UTF8 } from './validate.js';

/**
 * Express decodes a path parameter before any handler runs, and one that is not percent-encoded
 * UTF-8 (`%ED%A0%80` is a lone surrogate, `%E0%A4%A` a cut sequence) fails there with a bare 400.
 * Mounted last on a routes router, this names the parameter instead, from that router's own route
 * templates, as every other bad parameter is named.
 */
export function undecodableParams(router: Router): ErrorRequestHandler {
  return (err, req, _res, next) => {
    if (!(err instanceof URIError)) {
      next(err);
      return;
    }
    const name = paramAt(router, req.path) ?? '(path)';
    next(validationError(`${name}: ${NOT_UTF8}`, [{ path: name, message: NOT_UTF8 }]));
  };
}

function paramAt(router: Router, path: string): string | undefined {
  const segments = path.split('/');
  for (const layer of router.stack) {
    const template = layer.route?.path;
    if (typeof template !== 'string') continue;
    const parts = template.split('/');
    if (parts.length !== segments.length || !parts.every((p, i) => p.startsWith(':') || p === segments[i])) continue;
    const bad = parts.find((p, i) => p.startsWith(':') && !decodes(segments[i]));
    if (bad) return bad.slice(1);
  }
  return undefined;
}
