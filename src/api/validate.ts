import type { Request } from 'express';
import { z } from 'zod';
import { validationError, type ErrorDetail } from '../oms/errors.js';
import { zodDetails } from './error-mapper.js';

/** Parses with a schema; a failure becomes a 400 naming each field and its problem. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const details = zodDetails(result.error);
  throw validationError(details.map((d) => `${d.path}: ${d.message}`).join('; '), details);
}

/**
 * Parses the query string with its schema (strict: an unknown parameter is named). A parameter that
 * is not percent-encoded UTF-8 (`%ED%A0%80`, a lone surrogate; `%FF`) is refused by name first:
 * Node's decoder silently turns it into U+FFFD, so the checks would judge text the client never sent.
 */
export function parseQuery<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  // Most requests carry no query: nothing to decode, and Express's parser is not run for them.
  if (!req.originalUrl.includes('?')) return parse(schema, {});
  const details = undecodableQuery(req.originalUrl);
  if (details.length > 0) throw validationError(details.map((d) => `${d.path}: ${d.message}`).join('; '), details);
  return parse(schema, req.query);
}

export const NOT_UTF8 = 'is not valid percent-encoded UTF-8';

/** Whether a percent-encoded URL part decodes to text (a form's `+` is a space). */
export function decodes(part: string): boolean {
  try {
    decodeURIComponent(part.replaceAll('+', ' '));
    return true;
  } catch {
    return false;
  }
}

function undecodableQuery(url: string): ErrorDetail[] {
  const at = url.indexOf('?');
  if (at < 0) return [];
  const details: ErrorDetail[] = [];
  for (const pair of url.slice(at + 1).split('&')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    if (decodes(key) && decodes(value)) continue;
    // The name as Node reads it: an undecodable one shows as U+FFFD, never as the raw bytes.
    const name = decodes(key) ? decodeURIComponent(key.replaceAll('+', ' ')) : '(query)';
    details.push({ path: name, message: NOT_UTF8 });
  }
  return details;
}
