import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestOms } from '../support/oms.js';
import { ApiKeyRepository, type ApiKeyRecord } from '../../src/db/api-key.repository.js';
import { expectError, expectNoServerErrors, startApi, type ApiClient } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';

/** API keys: 401 without a valid one, 403 outside its scopes or portfolios, and the audit trail. */
let oms: TestOms;
let admin: ApiClient;
let reader: ApiClient;
let trader: ApiClient;
/** read + trade, limited to portfolio A. */
let traderA: ApiClient;
let traderARecord: ApiKeyRecord;
let revoked: ApiClient;

beforeAll(async () => {
  ({ oms, api: admin } = await startApi());
  const keys = new ApiKeyRepository(oms.service.prisma);
  reader = admin.as((await keys.create({ name: 'reader', scopes: ['read'], portfolios: [] })).key);
  trader = admin.as((await keys.create({ name: 'trader', scopes: ['read', 'trade'], portfolios: [] })).key);
  const a = await keys.create({ name: 'trader-a', scopes: ['read', 'trade'], portfolios: ['A'] });
  traderA = admin.as(a.key);
  traderARecord = a.record;
  const r = await keys.create({ name: 'revoked', scopes: ['admin'], portfolios: [] });
  await keys.revoke(r.record.id);
  revoked = admin.as(r.key);
  await admin.createPortfolio('A', '1000000.00', true);
  await admin.createPortfolio('B', '1000000.00', true);
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

const order = (portfolio: string, fields: Record<string, unknown> = {}) => ({
  symbol: 'AAPL',
  side: 'BUY',
  type: 'LIMIT',
  quantity: 1,
  limit_price: '100.00',
  portfolio_name: portfolio,
  ...fields,
});

describe('401 UNAUTHENTICATED', () => {
  it('without a key', async () => {
    for (const res of [await admin.as(null).post('/orders', order('A')), await admin.as(null).get('/orders'), await admin.as(null).get('/book/AAPL')]) {
      expectError(res, 401, 'UNAUTHENTICATED', 'send an API key in the X-API-Key header');
    }
  });

  it('with a key that does not exist, or was revoked', async () => {
    expectError(await admin.as('pk_not-a-real-key').post('/orders', order('A')), 401, 'UNAUTHENTICATED', 'the API key is not valid');
    expectError(await revoked.get('/instruments'), 401, 'UNAUTHENTICATED', 'the API key is not valid');
  });

  it('the key is never echoed back', async () => {
    const res = await admin.as('pk_secret-value-123').get('/orders');
    expect(res.text).not.toContain('secret-value');
  });
});

describe('403 FORBIDDEN outside the scopes', () => {
  it('a read key may read but not place, change or cancel orders', async () => {
    expect((await reader.get('/instruments')).status).toBe(200);
    expect((await reader.get('/portfolio/A')).status).toBe(200);
    const placed = await trader.place(order('A'));
    expectError(await reader.post('/orders', order('A')), 403, 'FORBIDDEN', 'this API key lacks the trade scope');
    expectError(await reader.patch(`/orders/${placed.id}`, { quantity: 2 }), 403, 'FORBIDDEN', 'this API key lacks the trade scope');
    expectError(await reader.delete(`/orders/${placed.id}`), 403, 'FORBIDDEN', 'this API key lacks the trade scope');
    expectError(await reader.post('/trade', { symbol: 'AAPL', side: 'BUY', quantity: 1, portfolio_name: 'A', gmv: '100' }), 403, 'FORBIDDEN', 'this API key lacks the trade scope');
    expectError(await reader.post('/portfolios', { name: 'C' }), 403, 'FORBIDDEN', 'this API key lacks the trade scope');
    expect((await trader.get(`/orders/${placed.id}`)).body.status).toBe('NEW');
  });

  it("instruments are the deployment's: adding, pricing or scheduling one needs the operator scope, not a desk's admin", async () => {
    const operatorOnly = "Instruments are the deployment's, shared by every desk: only an operator key may change them";
    const { key } = (await admin.post('/keys', { name: 'desk admin', scopes: ['admin'] })).body;
    const deskAdmin = admin.as(key);
    for (const caller of [trader, deskAdmin]) {
      expectError(await caller.put('/instruments/AAPL/price', { price: '180.00' }), 403, 'FORBIDDEN', operatorOnly);
      expectError(await caller.post('/instruments', { symbol: 'NEW', reference_price: '1.00' }), 403, 'FORBIDDEN', operatorOnly);
      expectError(await caller.patch('/instruments/AAPL', { session: 'us-equities' }), 403, 'FORBIDDEN', operatorOnly);
    }
    expect((await admin.get('/instruments')).body.data.find((i: { symbol: string }) => i.symbol === 'AAPL')).toMatchObject({ session: '24/7' });
    expect((await admin.put('/instruments/AAPL/price', { price: '180.00' })).status).toBe(200);
  });
});

describe('a key limited to portfolio A', () => {
  let bOrder: string;
  let bFilledOrder: string;
  let bTrade: string;
  let aTrade: string;

  beforeAll(async () => {
    // Trades made by the admin: A with B on MSFT, B with C on NVDA.
    await admin.place(order('B', { symbol: 'MSFT', side: 'SELL', quantity: 5, limit_price: '400.00' }));
    aTrade = (await admin.place(order('A', { symbol: 'MSFT', quantity: 5, limit_price: '400.00' }))).fills[0].trade_id;
    bOrder = (await admin.place(order('B', { limit_price: '90.00' }))).id;
    await admin.createPortfolio('C', '1000000.00', true);
    await admin.place(order('C', { symbol: 'NVDA', side: 'SELL', quantity: 1, limit_price: '120.00' }));
    const bFilled = await admin.place(order('B', { symbol: 'NVDA', limit_price: '120.00' }));
    bFilledOrder = bFilled.id;
    bTrade = bFilled.fills[0].trade_id;
  });

  it('may trade in A', async () => {
    const res = await traderA.post('/orders', order('A', { limit_price: '95.00' }));
    expect(res.status).toBe(201);
    expect(res.body.portfolio_name).toBe('A');
  });

  it('may not place or list in B: 403 naming the field that named B', async () => {
    const denied = (field: string) => [{ path: field, message: 'not allowed for this key' }];
    expectError(await traderA.post('/orders', order('B')), 403, 'FORBIDDEN', 'this API key may not act on portfolio B', denied('portfolio_name'));
    expectError(await traderA.post('/trade', { symbol: 'AAPL', side: 'BUY', quantity: 1, portfolio_name: 'B', gmv: '100' }), 403, 'FORBIDDEN', 'this API key may not act on portfolio B', denied('portfolio_name'));
    expectError(await traderA.post('/portfolios', { name: 'D' }), 403, 'FORBIDDEN', 'this API key may not act on portfolio D', denied('name'));
    expectError(await traderA.get('/orders?portfolio=B'), 403, 'FORBIDDEN', 'this API key may not act on portfolio B', denied('portfolio'));
    // Its own portfolio in the wrong case: refused, with a pointer (to a name the key may use, only).
    expectError(await traderA.post('/orders', order('a')), 403, 'FORBIDDEN', 'this API key may not act on portfolio a (names are case-sensitive: did you mean "A"?)', denied('portfolio_name'));
    expectError(await traderA.post('/orders', order('b')), 403, 'FORBIDDEN', 'this API key may not act on portfolio b', denied('portfolio_name'));
  });

  it("may not change or cancel B's orders, which it is told do not exist (as GET tells it)", async () => {
    expectError(await traderA.patch(`/orders/${bOrder}`, { quantity: 3 }), 404, 'ORDER_NOT_FOUND', `no order ${bOrder}`);
    expectError(await traderA.delete(`/orders/${bOrder}`), 404, 'ORDER_NOT_FOUND', `no order ${bOrder}`);
    // A closed order of B too: "no longer open" would tell that it exists.
    expectError(await traderA.delete(`/orders/${bFilledOrder}`), 404, 'ORDER_NOT_FOUND', `no order ${bFilledOrder}`);
    expectError(await traderA.patch(`/orders/${bFilledOrder}`, { quantity: 3 }), 404, 'ORDER_NOT_FOUND', `no order ${bFilledOrder}`);
    expect((await admin.get(`/orders/${bOrder}`)).body).toMatchObject({ status: 'NEW', quantity: 1 });
    await oms.service.oms.drain();
    const denials = await oms.service.prisma.auditEvent.findMany({ where: { action: 'auth.forbidden', target: `DELETE /api/v1/orders/${bOrder}` } });
    expect(denials.map((d) => ({ actor: d.actor, outcome: d.outcome, details: d.details }))).toEqual([
      { actor: 'trader-a', outcome: 'denied', details: { reason: 'this API key may not act on portfolio B', ip: expect.any(String) } },
    ]);
  });

  it('sees only A: B is not found, lists hold only what touches A', async () => {
    expectError(await traderA.get('/portfolio/B'), 404, 'PORTFOLIO_NOT_FOUND', 'no portfolio B');
    expectError(await traderA.get(`/orders/${bOrder}`), 404, 'ORDER_NOT_FOUND', `no order ${bOrder}`);
    expectError(await traderA.get(`/trades/${bTrade}`), 404, 'TRADE_NOT_FOUND', `no trade ${bTrade}`);
    expect((await traderA.get(`/trades/${aTrade}`)).status).toBe(200);
    const portfolios = await traderA.get('/portfolios');
    expect(portfolios.body.data.map((p: { name: string }) => p.name)).toEqual(['A']);
    const orders = await traderA.all<{ portfolio_name: string }>('/orders');
    expect(orders.length).toBeGreaterThan(0);
    expect(new Set(orders.map((o) => o.portfolio_name))).toEqual(new Set(['A']));
    const trades = await traderA.all<{ trade_id: string; buy_portfolio: string; sell_portfolio: string }>('/trades');
    expect(trades.map((t) => t.trade_id)).toEqual([aTrade]);
  });
});

describe('audit trail', () => {
  it('auth failures, denials and commands leave rows in audit_events', async () => {
    await admin.as(null).post('/orders', order('A'));
    await admin.as('pk_wrong').get('/portfolios');
    await reader.post('/orders', order('A'));
    await traderA.post('/orders', order('B'));
    const placed = await traderA.place(order('A', { limit_price: '91.00' }));
    await traderA.post('/orders', order('A', { symbol: 'NOPE' }));
    expect((await traderA.patch(`/orders/${placed.id}`, { limit_price: '91.005' })).status).toBe(422);
    await traderA.delete(`/orders/${placed.id}`);
    expect((await traderA.delete(`/orders/${placed.id}`)).status).toBe(409);
    expect((await traderA.patch(`/orders/${placed.id}`, { quantity: 5 })).status).toBe(409);
    expect((await traderA.post('/trade', { symbol: 'AAPL', side: 'BUY', quantity: 1, gmv: '180.00', portfolio_name: 'A' })).status).toBe(201);
    expect((await traderA.post('/trade', { symbol: 'AAPL', side: 'BUY', quantity: 1, gmv: '1000000000.00', portfolio_name: 'A' })).status).toBe(422);
    await oms.service.oms.drain();

    const rows = await oms.service.prisma.auditEvent.findMany({ orderBy: { id: 'asc' } });
    const slim = rows.map((r) => ({ keyId: r.keyId, actor: r.actor, action: r.action, target: r.target, outcome: r.outcome, details: r.details }));
    expect(slim).toEqual(
      expect.arrayContaining([
        { keyId: null, actor: null, action: 'auth.failure', target: 'POST /api/v1/orders', outcome: 'denied', details: { reason: 'missing key', ip: expect.any(String) } },
        { keyId: null, actor: null, action: 'auth.failure', target: 'GET /api/v1/portfolios', outcome: 'denied', details: { reason: 'invalid key', ip: expect.any(String) } },
        { keyId: traderARecord.id, actor: 'trader-a', action: 'order.place', target: placed.id, outcome: 'ok', details: { symbol: 'AAPL', portfolio: 'A' } },
        { keyId: traderARecord.id, actor: 'trader-a', action: 'order.place', target: 'A', outcome: 'rejected', details: { symbol: 'NOPE', error: 'UNKNOWN_SYMBOL' } },
        { keyId: traderARecord.id, actor: 'trader-a', action: 'order.cancel', target: placed.id, outcome: 'ok', details: null },
        // Refused commands are audited too, with the reason.
        { keyId: traderARecord.id, actor: 'trader-a', action: 'order.modify', target: placed.id, outcome: 'rejected', details: { error: 'PRICE_OFF_TICK' } },
        { keyId: traderARecord.id, actor: 'trader-a', action: 'order.cancel', target: placed.id, outcome: 'rejected', details: { error: 'ORDER_NOT_OPEN' } },
        { keyId: traderARecord.id, actor: 'trader-a', action: 'order.modify', target: placed.id, outcome: 'rejected', details: { error: 'ORDER_NOT_OPEN' } },
        { keyId: traderARecord.id, actor: 'trader-a', action: 'trade.book', target: 'A', outcome: 'ok', details: { symbol: 'AAPL', user: null } },
        { keyId: traderARecord.id, actor: 'trader-a', action: 'trade.book', target: 'A', outcome: 'rejected', details: { symbol: 'AAPL', error: 'INSUFFICIENT_CASH' } },
        { keyId: expect.any(Number), actor: 'bootstrap admin (OMS_API_KEY)', action: 'instrument.price', target: 'AAPL', outcome: 'ok', details: { price: '180.00' } },
        { keyId: expect.any(Number), actor: 'bootstrap admin (OMS_API_KEY)', action: 'portfolio.create', target: 'A', outcome: 'ok', details: null },
      ]),
    );
    // A scope or portfolio denial is an auth failure too.
    expect(slim).toEqual(
      expect.arrayContaining([
        {
          keyId: expect.any(Number),
          actor: 'reader',
          action: 'auth.forbidden',
          target: 'POST /api/v1/orders',
          outcome: 'denied',
          details: { reason: 'this API key lacks the trade scope', ip: expect.any(String) },
        },
        {
          keyId: traderARecord.id,
          actor: 'trader-a',
          action: 'auth.forbidden',
          target: 'POST /api/v1/orders',
          outcome: 'denied',
          details: { reason: 'this API key may not act on portfolio B', ip: expect.any(String) },
        },
      ]),
    );
    // No key ever lands in the audit.
    expect(JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('pk_wrong');
  });
});

describe('hygiene', () => {
  it('no response was a 500 or carried a stack trace, and every answer has its documented shape', () => {
    expectNoServerErrors(admin.seen);
    expectDocumentedAnswers(admin.seen);
  });
});
