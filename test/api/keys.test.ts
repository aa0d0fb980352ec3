import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestOms } from '../support/oms.js';
import { anyIso, expectError, expectNoServerErrors, startApi, type ApiClient } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';

/** /keys: admins create, list and revoke API keys while the service runs. */
let oms: TestOms;
let admin: ApiClient;

beforeAll(async () => {
  ({ oms, api: admin } = await startApi());
  await admin.createPortfolio('Alpha', '100000.00');
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

describe('API keys', () => {
  it('an admin creates a key, shown once; it works at once within its scopes and portfolios', async () => {
    const res = await admin.post('/keys', { name: 'alpha bot', scopes: ['read', 'trade'], portfolios: ['Alpha'] });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      name: 'alpha bot',
      prefix: res.body.key.slice(0, 10),
      scopes: ['read', 'trade'],
      portfolios: ['Alpha'],
      created_at: anyIso(),
      revoked_at: null,
      key: expect.stringMatching(/^pk_[\w-]{43}$/),
    });
    const bot = admin.as(res.body.key);
    expect((await bot.get('/portfolio/Alpha')).status).toBe(200);
    expect((await bot.post('/orders', { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', quantity: 1, limit_price: '1.00', portfolio_name: 'Alpha' })).status).toBe(201);
    expect((await bot.get('/keys')).status).toBe(403);

    const list = await admin.get('/keys');
    const listed = list.body.data.find((k: { id: number }) => k.id === res.body.id);
    const { key: _key, ...record } = res.body;
    expect(listed).toEqual(record);
    // Neither a key nor a hash is ever listed.
    expect(JSON.stringify(list.body)).not.toContain(res.body.key);
    expect(list.body.data.every((k: object) => !('hash' in k) && !('key' in k))).toBe(true);
  });

  it('defaults to read and trade on every portfolio', async () => {
    const res = await admin.post('/keys', { name: 'desk script' });
    expect(res.body).toMatchObject({ scopes: ['read', 'trade'], portfolios: [] });
  });

  it('a key limited to some portfolios creates keys within them only (403 otherwise): it cannot mint a key reaching further', async () => {
    await admin.createPortfolio('Bravo', '100000.00');
    const limitedKey = (await admin.post('/keys', { name: 'alpha admin', scopes: ['admin'], portfolios: ['Alpha'] })).body;
    const limited = admin.as(limitedKey.key);
    const message = 'this API key is limited to some portfolios: a key it creates must be limited to them too';
    expectError(await limited.post('/keys', { name: 'everything', scopes: ['admin'] }), 403, 'FORBIDDEN', message, [{ path: 'portfolios', message: 'allowed: Alpha' }]);
    expectError(await limited.post('/keys', { name: 'wider', scopes: ['read'], portfolios: ['Alpha', 'Bravo'] }), 403, 'FORBIDDEN', message, [{ path: 'portfolios', message: 'allowed: Alpha' }]);
    const made = await limited.post('/keys', { name: 'alpha reader', scopes: ['read'], portfolios: ['Alpha'] });
    expect({ status: made.status, portfolios: made.body.portfolios }).toEqual({ status: 201, portfolios: ['Alpha'] });
    expect((await admin.delete(`/keys/${limitedKey.id}`)).status).toBe(200);
  });

  it("a key limited to some portfolios lists and revokes only keys within them, and may not set the desk's fees (403)", async () => {
    await admin.createPortfolio('Charlie', '100000.00');
    const limitedKey = (await admin.post('/keys', { name: 'charlie admin', scopes: ['admin'], portfolios: ['Charlie'] })).body;
    const limited = admin.as(limitedKey.key);
    const everywhere = (await admin.post('/keys', { name: 'everywhere', scopes: ['read'] })).body;
    const elsewhere = (await admin.post('/keys', { name: 'alpha only', scopes: ['read'], portfolios: ['Alpha'] })).body;
    const within = (await limited.post('/keys', { name: 'charlie reader', scopes: ['read'], portfolios: ['Charlie'] })).body;
    const listed = (await limited.get('/keys')).body.data.map((k: { name: string }) => k.name);
    expect(listed).toEqual(expect.arrayContaining(['charlie admin', 'charlie reader']));
    expect(listed).not.toContain('everywhere');
    expect(listed).not.toContain('alpha only');
    expect(listed).not.toContain('bootstrap admin (OMS_API_KEY)');
    // Keys it may not see answer as unknown ones, and keep working.
    for (const other of [everywhere, elsewhere]) {
      expectError(await limited.delete(`/keys/${other.id}`), 404, 'KEY_NOT_FOUND', `no API key ${other.id}`);
      expect((await admin.as(other.key).get('/instruments')).status).toBe(200);
    }
    expect((await limited.delete(`/keys/${within.id}`)).status).toBe(200);
    expectError(await limited.put('/fees', { per_share: '0.01', bps: '0', min_per_order: '0' }), 403, 'FORBIDDEN', "this API key is limited to some portfolios: it may not change the desk's fees");
    expect((await admin.get('/fees')).body).toMatchObject({ per_share: '0.00' });
    expect((await admin.delete(`/keys/${limitedKey.id}`)).status).toBe(200);
  });

  it('refuses bad input, naming the field', async () => {
    expectError(await admin.post('/keys', { name: '' }), 400, 'VALIDATION_ERROR', expect.any(String), [{ path: 'name', message: 'name is required' }]);
    const badScope = await admin.post('/keys', { name: 'x', scopes: ['root'] });
    expect([badScope.status, badScope.body.error.details[0].path]).toEqual([400, 'scopes.0']);
    expectError(await admin.post('/keys', { name: 'x', portfolios: ['Nope'] }), 422, 'UNKNOWN_PORTFOLIO', 'there is no portfolio Nope', [
      { path: 'portfolios.0', message: 'there is no portfolio Nope' },
    ]);
  });

  it('revoking stops the key at once; a second revoke or an unknown id is refused', async () => {
    const created = (await admin.post('/keys', { name: 'short lived', scopes: ['read'] })).body;
    const reader = admin.as(created.key);
    expect((await reader.get('/portfolios')).status).toBe(200); // now in the lookup cache
    const res = await admin.delete(`/keys/${created.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: created.id, revoked_at: anyIso() });
    expectError(await reader.get('/portfolios'), 401, 'UNAUTHENTICATED', 'the API key is not valid');
    expectError(await admin.delete(`/keys/${created.id}`), 409, 'KEY_REVOKED', `API key ${created.id} is already revoked`);
    expectError(await admin.delete('/keys/999999'), 404, 'KEY_NOT_FOUND', 'no API key 999999');
  });

  it('keeps the last active admin key', async () => {
    const keys = (await admin.get('/keys')).body.data as { id: number; scopes: string[]; revoked_at: string | null }[];
    const admins = keys.filter((k) => k.revoked_at === null && k.scopes.includes('admin'));
    expect(admins).toHaveLength(1);
    expectError(await admin.delete(`/keys/${admins[0].id}`), 409, 'LAST_ADMIN_KEY', expect.stringContaining('last active admin key'));
    // With a second admin key, the first may go.
    const second = (await admin.post('/keys', { name: 'second admin', scopes: ['admin'] })).body;
    expect((await admin.as(second.key).delete(`/keys/${admins[0].id}`)).status).toBe(200);
    expectError(await admin.get('/keys'), 401, 'UNAUTHENTICATED', 'the API key is not valid');
  });

  it('audits creation and revocation, without the key', async () => {
    await oms.service.oms.drain();
    const rows = await oms.service.prisma.auditEvent.findMany({ where: { action: { startsWith: 'key.' } }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => [r.action, r.outcome])).toEqual(
      expect.arrayContaining([
        ['key.create', 'ok'],
        ['key.revoke', 'ok'],
      ]),
    );
    expect(rows.find((r) => r.action === 'key.create')!.details).toEqual({ name: 'alpha bot', scopes: ['read', 'trade'], portfolios: ['Alpha'] });
    expect(JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toMatch(/pk_/);
  });
});

describe('hygiene', () => {
  it('no response was a 500 or carried a stack trace, and every answer has its documented shape', () => {
    expectNoServerErrors(admin.seen);
    expectDocumentedAnswers(admin.seen);
  });
});
