import { z } from 'zod';
import { validationError } from '../oms/errors.js';
import { zodDetails } from './error-mapper.js';

/** Parses with a schema; a failure becomes a 400 naming each field and its problem. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const details = zodDetails(result.error);
  throw validationError(details.map((d) => `${d.path}: ${d.message}`).join('; '), details);
}
