import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { ERROR_CATALOGUE, OMS_ERROR_CODES, codeOfEngineRefusal } from '../../src/oms/error-catalogue.js';
import { OmsError, conflict, notFound, rejected, unavailable, validationError } from '../../src/oms/errors.js';
import { HTTP_ERROR_CODES } from '../../src/api/http-errors.js';
import { statusOf, type ApiErrorCode } from '../../src/api/error-mapper.js';

/**
 * The OMS's error catalogue, the HTTP edge's own codes, and the two documents that list them: a
 * code added, renamed or dropped in one place and not in the others fails here.
 */
const API_CODES: ApiErrorCode[] = [...OMS_ERROR_CODES, ...HTTP_ERROR_CODES];

/** `| 404 | `A`, `B` (a note) | ...`: the codes of each row of the section's table, by status. */
function errorsTable(file: string, heading: string): { status: number; code: string }[] {
  const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const level = heading.split(' ')[0];
  const rest = text.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  const section = end < 0 ? rest : rest.slice(0, end);
  const rows: { status: number; code: string }[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (!/^\d{3}$/.test(cells[1] ?? '')) continue;
    for (const [, code] of cells[2].matchAll(/`([A-Z][A-Z0-9_]*)`/g)) rows.push({ status: Number(cells[1]), code });
  }
  return rows;
}

/** Every "409 `CODE`" said in running text, wherever it is in the file. */
function statusMentions(file: string): { status: number; code: string }[] {
  const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
  return [...text.matchAll(/\b(\d{3}) `([A-Z][A-Z0-9_]*)`/g)].map(([, status, code]) => ({ status: Number(status), code }));
}

const documented = API_CODES.map((code) => ({ status: statusOf(code), code }));
const byCode = (a: { code: string }, b: { code: string }) => a.code.localeCompare(b.code);

describe('the error catalogue', () => {
  it('gives every code one status: the OMS codes by their kind, the HTTP codes by their own', () => {
    expect(new Set(API_CODES).size).toBe(API_CODES.length);
    const byKind = Object.fromEntries(OMS_ERROR_CODES.map((c) => [c, [ERROR_CATALOGUE[c].kind, statusOf(c)]]));
    expect(byKind).toMatchObject({
      VALIDATION_ERROR: ['validation', 400],
      ORDER_NOT_FOUND: ['not_found', 404],
      ORDER_NOT_OPEN: ['conflict', 409],
      INSUFFICIENT_CASH: ['rejected', 422],
      UNAVAILABLE: ['unavailable', 503],
    });
    for (const code of OMS_ERROR_CODES) {
      const sameKind = OMS_ERROR_CODES.filter((c) => ERROR_CATALOGUE[c].kind === ERROR_CATALOGUE[code].kind);
      expect(sameKind.map(statusOf)).toEqual(sameKind.map(() => statusOf(code)));
    }
    expect(HTTP_ERROR_CODES.map((c) => [c, statusOf(c)])).toEqual([
      ['MALFORMED_JSON', 400],
      ['BAD_REQUEST', 400],
      ['UNAUTHENTICATED', 401],
      ['FORBIDDEN', 403],
      ['NOT_FOUND', 404],
      ['REQUEST_TIMEOUT', 408],
      ['PAYLOAD_TOO_LARGE', 413],
      ['UNSUPPORTED_MEDIA_TYPE', 415],
      ['RATE_LIMITED', 429],
      ['HEADERS_TOO_LARGE', 431],
      ['INTERNAL', 500],
    ]);
  });

  it('helpers take only catalogue codes of their own kind (npm run typecheck checks the directives)', () => {
    // @ts-expect-error: a typo is not a code of the catalogue
    expect(() => rejected('UNKNOWN_SYMBLO', 'unknown symbol ZZZ')).toThrow(new TypeError('UNKNOWN_SYMBLO is not a code of the error catalogue'));
    // @ts-expect-error: a not-found code is not a business refusal
    expect(rejected('ORDER_NOT_FOUND', 'no order 7').kind).toBe('not_found');
    // @ts-expect-error: a transport code is no OMS code
    expect(() => conflict('RATE_LIMITED', 'slow down')).toThrow(TypeError);

    expect({ ...rejected('PRICE_OFF_TICK', 'off tick', 'limit_price') }).toEqual({
      name: 'OmsError',
      kind: 'rejected',
      code: 'PRICE_OFF_TICK',
      details: [{ path: 'limit_price', message: 'off tick' }],
    });
    expect([notFound('KEY_NOT_FOUND', 'x'), conflict('KEY_REVOKED', 'x'), unavailable('x'), validationError('x')].map((e) => [e.code, e.kind])).toEqual([
      ['KEY_NOT_FOUND', 'not_found'],
      ['KEY_REVOKED', 'conflict'],
      ['UNAVAILABLE', 'unavailable'],
      ['VALIDATION_ERROR', 'validation'],
    ]);
    expect(new OmsError('HOUSE_PORTFOLIO', 'no').kind).toBe('rejected');
  });

  it("keeps the engine's refusals the OMS also checks, and names any other one ORDER_REJECTED", () => {
    expect(['PRICE_OFF_TICK', 'QUANTITY_OFF_LOT', 'INVALID_MODIFY'].map((r) => codeOfEngineRefusal(r as never))).toEqual([
      'PRICE_OFF_TICK',
      'QUANTITY_OFF_LOT',
      'INVALID_MODIFY',
    ]);
    for (const reason of ['DUPLICATE_ORDER_ID', 'UNKNOWN_ORDER', 'INVALID_QUANTITY', 'INVALID_PRICE', 'MISSING_PRICE', 'MISSING_STOP_PRICE', 'INVALID_STOP_PRICE'] as const) {
      expect(codeOfEngineRefusal(reason)).toBe('ORDER_REJECTED');
    }
  });
});

describe('the documents list exactly the codes the API sends, each under its status', () => {
  it.each([
    ['README.md', '### Errors'],
    ['docs/api.md', '## Errors'],
  ])('%s, its errors table', (file, heading) => {
    const rows = errorsTable(file, heading);
    const unknown = rows.filter((r) => !API_CODES.includes(r.code as ApiErrorCode)).map((r) => r.code);
    expect({ file, unknown }).toEqual({ file, unknown: [] });
    expect([...rows].sort(byCode)).toEqual([...documented].sort(byCode));
  });

  it.each(['README.md', 'docs/api.md'])('%s, wherever its text gives a code with a status', (file) => {
    const mentions = statusMentions(file);
    expect(mentions.length).toBeGreaterThan(0);
    const wrong = mentions.filter((m) => !API_CODES.includes(m.code as ApiErrorCode) || statusOf(m.code as ApiErrorCode) !== m.status);
    expect(wrong).toEqual([]);
  });
});
