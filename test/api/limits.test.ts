import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestOms } from '../support/oms.js';
import { ApiKeyRepository } from '../../src/db/api-key.repository.js';
import { expectError, expectNoServerErrors, startApi, type ApiClient } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';
import { waitFor } from '../feed/feed-client.js';

/** Per-key rate limits and the body size limit, configured through the environment. */
let oms: TestOms;
let api: ApiClient;
let keys: ApiKeyRepository;

beforeAll(async () => {
  ({ oms, api } = await startApi({ env: { RATE_LIMIT_PER_MINUTE: '5', BODY_LIMIT: '1kb' } }));
  keys = new ApiKeyRepository(oms.service.prisma);
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

/** A client with a key of its own, so each test starts with a fresh allowance. */
const freshKey = async (name: string) => api.as((await keys.create({ name, scopes: ['admin'], portfolios: [] })).key);

describe('rate limit (RATE_LIMIT_PER_MINUTE=5)', () => {
  it('the sixth request a minute of one key is a 429 with Retry-After; other keys go on', async () => {
    const busy = await freshKey('busy');
    for (let i = 0; i < 5; i++) {
      const res = await busy.get('/instruments');
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit')).toMatch(new RegExp(`^limit=5, remaining=${4 - i}, reset=\\d+$`));
    }
    const limited = await busy.get('/instruments');
    expectError(limited, 429, 'RATE_LIMITED', 'more than 5 requests a minute for this key');
    // The window began with the first request, under a second ago: it resets in (just under) 60 s.
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // Writes count too, and are refused before they reach the OMS.
    expectError(await busy.post('/portfolios', { name: 'Never' }), 429, 'RATE_LIMITED', 'more than 5 requests a minute for this key');
    expect(await oms.service.prisma.portfolio.count({ where: { name: 'Never' } })).toBe(0);

    const calm = await freshKey('calm');
    expect((await calm.get('/instruments')).status).toBe(200);
    // /health is outside the API and never limited.
    expect((await busy.get('~/health')).status).toBe(200);
  });


  it("Retry-After is the whole seconds until the key's window resets, not the window's length", async () => {
    const key = await freshKey('waiting');
    const firstSent = Date.now();
    expect((await key.get('/instruments')).status).toBe(200);
    const firstAnswered = Date.now();
    for (let i = 0; i < 4; i++) expect((await key.get('/instruments')).status).toBe(200);
    // The window has to age for its remaining time to differ from its length: let 2 s pass.
    await waitFor(() => Date.now() >= firstAnswered + 2000, 5000, 'the window to age 2 s');
    const limitedSent = Date.now();
    const limited = await key.get('/instruments');
    const limitedAnswered = Date.now();
    expectError(limited, 429, 'RATE_LIMITED', 'more than 5 requests a minute for this key');
    // The window opened at the first request (between firstSent and firstAnswered) and lasts 60 s;
    // the 429 was decided between limitedSent and limitedAnswered.
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(Math.ceil((firstSent + 60_000 - limitedAnswered) / 1000));
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil((firstAnswered + 60_000 - limitedSent) / 1000));
    expect(retryAfter).toBeLessThanOrEqual(58);
    // It agrees with the RateLimit header of the same answer (computed a moment apart).
    const reset = Number(/reset=(\d+)$/.exec(limited.headers.get('ratelimit') ?? '')?.[1]);
    expect(Math.abs(retryAfter - reset)).toBeLessThanOrEqual(1);
  });
});

describe('body limit (BODY_LIMIT=1kb)', () => {
  it('a body over the limit is a 413 PAYLOAD_TOO_LARGE; one under it goes through', async () => {
    const key = await freshKey('bodies');
    const big = await key.post('/portfolios', { name: 'Big', padding: 'x'.repeat(2000) });
    expectError(big, 413, 'PAYLOAD_TOO_LARGE', 'the body is larger than the limit');
    const small = await key.post('/portfolios', { name: 'Small' });
    expect(small.status).toBe(201);
  });
});

describe('hygiene', () => {
  it('no response was a 500 or carried a stack trace, and every answer has its documented shape', () => {
    expectNoServerErrors(api.seen);
    expectDocumentedAnswers(api.seen);
  });
});
