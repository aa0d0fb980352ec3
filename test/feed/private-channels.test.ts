// Private channels orders:PORTFOLIO and portfolio:PORTFOLIO: refused without a key (UNAUTHENTICATED),
// with a key for another portfolio or without the read scope (FORBIDDEN), accepted with the right key
// (a snapshot, then updates on fills); a refusal never closes the connection.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKeyRepository } from '../../src/db/api-key.repository.js';
import { startTestOms, type TestOms } from '../support/oms.js';
import { FeedTestClient, isUpdate, restClient, sleep, type RestClient, FeedClientPool } from './feed-client.js';

let oms: TestOms;
let rest: RestClient;
let keyA: string;
let keyB: string;
let tradeOnlyKey: string;
let keyAny: string;
const pool = new FeedClientPool(() => oms.baseUrl);
const connect = (): Promise<FeedTestClient> => pool.connect();

beforeAll(async () => {
  // Key lookups trusted for 200 ms only, so that a revocation reaches open connections within the test.
  oms = await startTestOms({ env: { API_KEY_CACHE_MS: '200' } });
  rest = restClient(oms.baseUrl, oms.adminKey);
  await rest.portfolio('A', '1000000');
  await rest.portfolio('B', '1000000');
  const keys = new ApiKeyRepository(oms.service.prisma);
  keyA = (await keys.create({ name: 'reader A', scopes: ['read'], portfolios: ['A'] })).key;
  keyB = (await keys.create({ name: 'reader B', scopes: ['read'], portfolios: ['B'] })).key;
  tradeOnlyKey = (await keys.create({ name: 'trader A', scopes: ['trade'], portfolios: ['A'] })).key;
  keyAny = (await keys.create({ name: 'reader of all', scopes: ['read'], portfolios: [] })).key;
});

afterAll(async () => {
  await pool.closeAll();
  await oms?.stop();
});

/** The connection is still open and answering. */
async function expectUsable(c: FeedTestClient): Promise<void> {
  expect(c.open).toBe(true);
  expect(await c.request({ op: 'ping' })).toMatchObject({ type: 'pong' });
}

describe('private channels', () => {
  it('are refused without a key: UNAUTHENTICATED, and the connection stays open', async () => {
    const c = await connect();
    for (const channel of ['orders:A', 'portfolio:A']) {
      expect(await c.request({ op: 'subscribe', channel })).toMatchObject({ type: 'error', code: 'UNAUTHENTICATED', channel });
      await expectUsable(c);
    }
  });

  it('refuses an invalid key with INVALID_API_KEY and stays unauthenticated', async () => {
    const c = await connect();
    expect(await c.auth('pk_not_a_real_key_000000000000')).toMatchObject({ type: 'error', code: 'INVALID_API_KEY' });
    await expectUsable(c);
    expect(await c.request({ op: 'subscribe', channel: 'orders:A' })).toMatchObject({ type: 'error', code: 'UNAUTHENTICATED' });
  });

  it('are refused with a key for another portfolio, or without the read scope: FORBIDDEN', async () => {
    const c = await connect();
    expect(await c.auth(keyB)).toEqual({ type: 'authenticated', scopes: ['read'], portfolios: ['B'], id: expect.any(String) });
    for (const channel of ['orders:A', 'portfolio:A']) {
      expect(await c.request({ op: 'subscribe', channel })).toMatchObject({ type: 'error', code: 'FORBIDDEN', channel });
      await expectUsable(c);
    }
    const t = await connect();
    await t.auth(tradeOnlyKey);
    expect(await t.request({ op: 'subscribe', channel: 'orders:A' })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    await expectUsable(t);
  });

  it('answers UNKNOWN_PORTFOLIO for a portfolio that does not exist (to a key that may read any)', async () => {
    const c = await connect();
    await c.auth(keyAny);
    expect(await c.request({ op: 'subscribe', channel: 'portfolio:NOPE' })).toMatchObject({ type: 'error', code: 'UNKNOWN_PORTFOLIO' });
    expect(await c.request({ op: 'subscribe', channel: 'portfolio:a' })).toMatchObject({
      type: 'error',
      code: 'UNKNOWN_PORTFOLIO',
      message: 'unknown portfolio a (names are case-sensitive: did you mean "A"?)',
    });
    await expectUsable(c);
  });

  it('with the right key: snapshots, then updates on new orders and fills', async () => {
    const resting = await rest.order({ symbol: 'AAPL', side: 'BUY', quantity: 10, limit_price: '170.00', portfolio_name: 'A' });

    const c = await connect();
    await c.auth(keyA);
    const orders = await c.subscribe('orders:A');
    expect(orders).toMatchObject({ type: 'snapshot', channel: 'orders:A', data: { portfolio: 'A' } });
    const { fills: _fills, ...restingOrder } = resting;
    expect(orders.data.orders).toEqual([restingOrder]);
    const pf = await c.subscribe('portfolio:A');
    const summary = (await rest.call('GET', '/portfolio/A')).body;
    expect(pf.data).toEqual({ ...summary, as_of: expect.any(String) });
    expect(pf.data).toMatchObject({ name: 'A', cash: '1000000.00', open_orders: 1, positions: [] });

    // Someone else's order that does not touch A: nothing on A's channels.
    await rest.order({ symbol: 'MSFT', side: 'SELL', quantity: 1, limit_price: '420.00', portfolio_name: 'B' });
    await sleep(200);
    expect(c.untaken((f) => f.type === 'update')).toEqual([]);

    // B sells into A's bid: A's order fills partly.
    const taker = await rest.order({ symbol: 'AAPL', side: 'SELL', quantity: 4, limit_price: '170.00', portfolio_name: 'B' });
    expect(taker.fills).toHaveLength(1);
    const ou = await c.next(isUpdate('orders:A'));
    expect(ou.seq).toBe(orders.seq! + 1);
    expect(ou.data.orders).toHaveLength(1);
    expect(ou.data.orders[0]).toMatchObject({ id: resting.id, status: 'PARTIALLY_FILLED', filled_quantity: 4, remaining_quantity: 6, avg_fill_price: '170.00' });
    const pu = await c.next(isUpdate('portfolio:A'));
    expect(pu.seq).toBe(pf.seq! + 1);
    expect(pu.data).toMatchObject({ name: 'A', cash: '999320.00', open_orders: 1 });
    expect(pu.data.positions).toEqual([expect.objectContaining({ symbol: 'AAPL', quantity: 4, avg_cost: '170.00' })]);
    expect(pu.data).toEqual({ ...(await rest.call('GET', '/portfolio/A')).body, as_of: expect.any(String) });

    // A new order of A, then the rest of the fill, then a cancel: each is an orders update.
    const second = await rest.order({ symbol: 'AAPL', side: 'BUY', quantity: 1, limit_price: '160.00', portfolio_name: 'A' });
    let u = await c.next(isUpdate('orders:A'));
    expect(u.data.orders).toEqual([expect.objectContaining({ id: second.id, status: 'NEW' })]);
    // A's summary counts it at once, as GET /portfolio does: not only at its first fill.
    const placed = await c.next(isUpdate('portfolio:A'));
    expect(placed.data).toMatchObject({ open_orders: 2 });
    expect(placed.data).toEqual({ ...(await rest.call('GET', '/portfolio/A')).body, as_of: expect.any(String) });
    await rest.order({ symbol: 'AAPL', side: 'SELL', quantity: 6, limit_price: '170.00', portfolio_name: 'B' });
    u = await c.next(isUpdate('orders:A'));
    expect(u.data.orders).toEqual([expect.objectContaining({ id: resting.id, status: 'FILLED', remaining_quantity: 0 })]);
    expect((await rest.call('DELETE', `/orders/${second.id}`)).status).toBe(200);
    u = await c.next(isUpdate('orders:A'));
    expect(u.data.orders).toEqual([expect.objectContaining({ id: second.id, status: 'CANCELED', reason: 'USER' })]);

    const all = c.framesOf('orders:A');
    expect(all.map((f) => f.seq)).toEqual([orders.seq, orders.seq! + 1, orders.seq! + 2, orders.seq! + 3, orders.seq! + 4]);
    // B's channels never reached this client.
    expect(c.log.some((r) => r.frame.channel === 'orders:B' || r.frame.channel === 'portfolio:B')).toBe(false);
  });

  it('handles frames sent right after auth only once the auth is answered', async () => {
    const c = await connect();
    // No waiting in between: the subscribe arrives while the key is still being looked up.
    c.send({ op: 'auth', api_key: keyA, id: 'auth-1' });
    c.send({ op: 'subscribe', channel: 'orders:A', id: 'sub-1' });
    expect(await c.next((f) => f.id === 'auth-1')).toMatchObject({ type: 'authenticated' });
    expect(await c.next((f) => f.id === 'sub-1')).toMatchObject({ type: 'snapshot', channel: 'orders:A' });
  });

  it('an auth with a narrower key drops the channels it may not read, and their updates stop', async () => {
    const c = await connect();
    await c.auth(keyAny);
    await c.subscribe('orders:A');
    await c.subscribe('portfolio:A');
    await c.subscribe('book:AAPL');

    expect(await c.auth(keyB)).toMatchObject({ type: 'authenticated', portfolios: ['B'] });
    for (const channel of ['orders:A', 'portfolio:A']) {
      const dropped = await c.next((f) => f.type === 'error' && f.channel === channel, 5000, `the notice for ${channel}`);
      expect(dropped).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining(`${channel} was unsubscribed`) });
    }
    await rest.order({ symbol: 'AAPL', side: 'BUY', quantity: 1, limit_price: '151.00', portfolio_name: 'A' });
    await c.next(isUpdate('book:AAPL')); // public channels go on
    await sleep(200);
    expect(c.untaken((f) => f.channel === 'orders:A' || f.channel === 'portfolio:A')).toEqual([]);
    expect(await c.subscribe('portfolio:B')).toMatchObject({ type: 'snapshot', channel: 'portfolio:B' });
  });

  it('an auth with a key that is not valid leaves the connection with no key, not the old one', async () => {
    const c = await connect();
    await c.auth(keyA);
    await c.subscribe('orders:A');
    expect(await c.auth('pk_not_a_real_key_000000000000')).toMatchObject({ type: 'error', code: 'INVALID_API_KEY' });
    expect(await c.next((f) => f.type === 'error' && f.channel === 'orders:A')).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await c.request({ op: 'subscribe', channel: 'portfolio:A' })).toMatchObject({ type: 'error', code: 'UNAUTHENTICATED' });
    await rest.order({ symbol: 'AAPL', side: 'BUY', quantity: 1, limit_price: '152.00', portfolio_name: 'A' });
    await sleep(200);
    expect(c.untaken((f) => f.channel === 'orders:A')).toEqual([]);
  });

  it('audits a private channel refused for want of a key, or of the key\'s portfolio', async () => {
    const anonymous = await connect();
    await anonymous.request({ op: 'subscribe', channel: 'portfolio:B' });
    const reader = await connect();
    await reader.auth(keyA);
    await reader.request({ op: 'subscribe', channel: 'orders:B' });
    await oms.service.oms.drain();
    const rows = await oms.service.prisma.auditEvent.findMany({ where: { target: { in: ['ws portfolio:B', 'ws orders:B'] } } });
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'auth.failure', target: 'ws portfolio:B', outcome: 'denied' }),
        expect.objectContaining({ action: 'auth.forbidden', target: 'ws orders:B', outcome: 'denied', actor: 'reader A' }),
      ]),
    );
  });

  it('drops the private channels of a connection whose key is revoked, and stops its updates', async () => {
    const keys = new ApiKeyRepository(oms.service.prisma);
    const { key, record } = await keys.create({ name: 'soon revoked', scopes: ['read'], portfolios: ['A'] });
    const c = await connect();
    await c.auth(key);
    await c.subscribe('orders:A');

    expect(await keys.revoke(record.id)).toBe(true);
    const dropped = await c.next((f) => f.type === 'error' && f.channel === 'orders:A', 5000, 'the revocation notice');
    expect(dropped).toMatchObject({ code: 'UNAUTHENTICATED' });
    await expectUsable(c);

    // A's orders change; the revoked connection hears nothing of it, while a valid one does.
    const watcher = await connect();
    await watcher.auth(keyA);
    await watcher.subscribe('orders:A');
    await rest.order({ symbol: 'AAPL', side: 'BUY', quantity: 1, limit_price: '150.00', portfolio_name: 'A' });
    await watcher.next(isUpdate('orders:A'));
    await sleep(200);
    expect(c.untaken((f) => f.channel === 'orders:A')).toEqual([]);
    // Private channels are refused from now on, and so is the key on the REST API.
    expect(await c.request({ op: 'subscribe', channel: 'orders:A' })).toMatchObject({ type: 'error', code: 'UNAUTHENTICATED' });
    expect((await rest.call('GET', '/orders?portfolio=A', undefined, key)).status).toBe(401);
  });
});
