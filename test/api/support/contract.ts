import { expect } from '@jest/globals';
import type { z } from 'zod';
import { ANSWERS } from '../../../src/api/openapi.js';
import { errorOut, healthNotReadyOut } from '../../../src/wire/response-schemas.js';
import type { ApiResponse } from './client.js';

/** ANSWERS keyed by method, each path template ("/orders/{id}") as a pattern of the paths tests call. */
const ROUTES = Object.entries(ANSWERS).map(([route, schema]) => {
  const [method, template] = route.split(' ');
  // The client calls /health as "~/health" (outside /api/v1).
  const path = template === '/health' ? '~/health' : template;
  const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
  return { method, pattern, schema: schema as z.ZodType };
});

/**
 * Every answer a test saw matches what /openapi.json documents: a 2xx its route's schema (strict: no
 * field the document does not list), any 4xx/5xx the error format (or /health's not-ready shape). Routes outside the API (the
 * dashboard, /docs, /openapi.json) are not checked here.
 */
export function expectDocumentedAnswers(seen: readonly ApiResponse[]): void {
  const wrong: string[] = [];
  let checked = 0;
  for (const r of seen) {
    const path = r.path.split('?')[0];
    let schema: z.ZodType | undefined;
    // /health says why it cannot serve yet (starting, degraded) in its own shape; anything else is an error.
    if (r.status === 503 && path === '~/health' && typeof r.body === 'object' && r.body && 'status' in r.body) schema = healthNotReadyOut;
    else if (r.status >= 400) schema = typeof r.body === 'object' ? errorOut : undefined;
    else if (r.status >= 200 && r.status < 300) schema = ROUTES.find((route) => route.method === r.method && route.pattern.test(path))?.schema;
    if (schema === undefined) continue;
    checked++;
    const result = schema.safeParse(r.body);
    if (!result.success) {
      wrong.push(`${r.method} ${r.path} -> ${r.status}: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
  }
  expect(wrong).toEqual([]);
  // The check ran on something: not every answer of a test file fell outside the table.
  expect(checked).toBeGreaterThan(0);
}
