import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { TestOms } from '../support/oms.js';
import { reconcile } from '../../src/db/reconciliation.js';
import { expectError, expectNoServerErrors, startApi, type ApiClient, type ApiResponse } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';

/**
 * Durability over REST: stop the OMS and start it again on the same database and port. Books,
 * priorities (modified orders and waiting stops included), reservations and portfolios come back
 * exactly as they were.
 */
let oms: TestOms;
let api: ApiClient;
const seen: ApiResponse[] = [];

const PORTFOLIOS = ['Maker', 'P1', 'P2', 'P3', 'Q'];
let S1: string;
let S2: string;
/** Order ids by the names used below. */
const ids: Record<string, string> = {};

/** Everything a client can see of the desk, minus the clock. */
async function snapshot() {
  const get = async (path: string) => {
    const res = await api.get(path);
    expect(res.status).toBe(200);
    return res.body;
  };
  const portfolios: Record<string, unknown> = {};
  for (const name of PORTFOLIOS) portfolios[name] = { ...(await get(`/portfolio/${name}`)), as_of: null };
  return {
    books: { [S1]: await get(`/book/${S1}?depth=100`), [S2]: await get(`/book/${S2}?depth=100`) },
    open: await api.all('/orders?status=open'),
    orders: await api.all('/orders'),
    trades: await api.all('/trades'),
    portfolios,
    list: await get('/portfolios'),
    instruments: await get('/instruments'),
  };
}

const limit = (name: string, portfolio: string, symbol: string, side: 'BUY' | 'SELL', quantity: number, price: string, extra: Record<string, unknown> = {}) =>
  api.place({ symbol, side, type: 'LIMIT', quantity, limit_price: price, portfolio_name: portfolio, ...extra }).then((o) => {
    ids[name] = o.id;
    return o;
  });

/** The two refusals whose numbers depend on restored reservations (cash held, shares held). */
async function expectReservationsHeld(): Promise<void> {
  // 6 at 50.00 needs 300.00; q1 holds 1,000.00 of Q's 1,297.00.
  const noCash = 'portfolio Q lacks buying power for this order (needs 300.00, 297.00 available)';
  expectError(await api.post('/orders', { symbol: S2, side: 'BUY', type: 'LIMIT', quantity: 6, limit_price: '50.00', portfolio_name: 'Q' }), 422, 'INSUFFICIENT_CASH', noCash, [
    { path: 'quantity', message: noCash },
  ]);
  const short = `portfolio Q may not sell more ${S1} than it holds (9 available)`;
  expectError(await api.post('/orders', { symbol: S1, side: 'SELL', type: 'LIMIT', quantity: 10, limit_price: '120.00', portfolio_name: 'Q' }), 422, 'SHORT_NOT_ALLOWED', short, [
    { path: 'quantity', message: short },
  ]);
}

beforeAll(async () => {
  ({ oms, api } = await startApi({}, seen));
  for (const name of ['Maker', 'P1', 'P2', 'P3']) await api.createPortfolio(name, '1000000.00', true);
  await api.createPortfolio('Q', '3000.00');
  S1 = await api.newSymbol('100.00');
  S2 = await api.newSymbol('50.00');

  // S1 bids: 99.00 holds b1, b2, b3 in time order; 98.50 holds b4, b5.
  await limit('b1', 'P1', S1, 'BUY', 10, '99.00');
  await limit('b2', 'P2', S1, 'BUY', 10, '99.00', { time_in_force: 'GTC' });
  await limit('b3', 'P3', S1, 'BUY', 10, '99.00');
  await limit('b4', 'P1', S1, 'BUY', 5, '98.50', { time_in_force: 'GTC' });
  await limit('b5', 'P2', S1, 'BUY', 5, '98.50');
  // b1 grows: to the back of its level. b2 shrinks: keeps its place.
  expect((await api.patch(`/orders/${ids.b1}`, { quantity: 12 })).status).toBe(200);
  expect((await api.patch(`/orders/${ids.b2}`, { quantity: 8 })).status).toBe(200);
  // Q gets 20 shares booked, then sells 3 into b2 (a partial fill of a resting order).
  expect((await api.post('/trade', { symbol: S1, side: 'BUY', quantity: 20, portfolio_name: 'Q', user_id: 'q', gmv: '2000.00' })).status).toBe(201);
  const sold = await api.place({ symbol: S1, side: 'SELL', type: 'LIMIT', quantity: 3, limit_price: '99.00', portfolio_name: 'Q' });
  expect(sold.fills.map((f: { buy_order_id: string }) => f.buy_order_id)).toEqual([ids.b2]);
  // S1 asks: 103.00 holds a1, a2; 104.00 holds Q's a3 (8 of Q's 17 shares held, 9 free). At or
  // above the stops' price, so each triggered stop's trade keeps the next one crossed.
  await limit('a1', 'Maker', S1, 'SELL', 4, '103.00');
  await limit('a2', 'Maker', S1, 'SELL', 6, '103.00', { time_in_force: 'GTC' });
  await limit('a3', 'Q', S1, 'SELL', 8, '104.00');
  // Waiting stops at one stop price: s1, s2; s1 then grows (loses priority); s4 comes last.
  ids.s1 = (await api.place({ symbol: S1, side: 'BUY', type: 'STOP', quantity: 2, stop_price: '103.00', portfolio_name: 'P1' })).id;
  ids.s2 = (await api.place({ symbol: S1, side: 'BUY', type: 'STOP', quantity: 2, stop_price: '103.00', portfolio_name: 'P2', time_in_force: 'GTC' })).id;
  expect((await api.patch(`/orders/${ids.s1}`, { quantity: 3 })).status).toBe(200);
  ids.s4 = (await api.place({ symbol: S1, side: 'BUY', type: 'STOP', quantity: 2, stop_price: '103.00', portfolio_name: 'P3' })).id;
  ids.s3 = (await api.place({ symbol: S1, side: 'SELL', type: 'STOP_LIMIT', quantity: 3, stop_price: '97.00', limit_price: '96.00', portfolio_name: 'P3' })).id;
  // S2: Q holds 1,000.00 of its 1,297.00 for a bid (297.00 free).
  await limit('q1', 'Q', S2, 'BUY', 20, '50.00', { time_in_force: 'GTC' });
  await limit('c1', 'P1', S2, 'SELL', 5, '51.00');
  await limit('c2', 'P2', S2, 'BUY', 3, '49.50');
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

describe('restart on the same database', () => {
  let before: Awaited<ReturnType<typeof snapshot>>;

  it('before: the books as built', async () => {
    before = await snapshot();
    expect({ bids: before.books[S1].bids, asks: before.books[S1].asks }).toEqual({
      bids: [
        { price: '99.00', quantity: 27, orders: 3 },
        { price: '98.50', quantity: 10, orders: 2 },
      ],
      asks: [
        { price: '103.00', quantity: 10, orders: 2 },
        { price: '104.00', quantity: 8, orders: 1 },
      ],
    });
    expect(before.portfolios.Q).toMatchObject({ cash: '1297.00', open_orders: 2 });
    await expectReservationsHeld();
  });

  it('after: books, orders, trades, portfolios and instruments are identical', async () => {
    const { port, databaseUrl } = oms;
    await oms.stop();
    ({ oms, api } = await startApi({ port, databaseUrl }, seen));
    expect(oms.port).toBe(port);
    const after = await snapshot();
    expect(after).toEqual(before);
  }, 60_000);

  it('after: the cash and shares held by open orders are held again', async () => {
    await expectReservationsHeld();
  });

  it('after: waiting stops trigger in their original order', async () => {
    await api.setPrice(S1, '103.00');
    const firstTrade = async (id: string) => {
      const o = await api.get(`/orders/${id}`);
      expect(o.body).toMatchObject({ status: 'FILLED', triggered: true });
      return Math.min(...o.body.fills.map((f: { trade_id: string }) => Number(f.trade_id)));
    };
    const order = [ids.s2, ids.s1, ids.s4];
    const firsts = await Promise.all(order.map(firstTrade));
    expect([...firsts].sort((a, b) => a - b)).toEqual(firsts);
    // The stop-limit sell still waits.
    expect((await api.get(`/orders/${ids.s3}`)).body).toMatchObject({ status: 'NEW', triggered: false });
    // 2 + 3 + 2 came out of a1 (4) and a2 (6), in that order.
    const book = await api.get(`/book/${S1}`);
    expect(book.body.asks).toEqual([
      { price: '103.00', quantity: 3, orders: 1 },
      { price: '104.00', quantity: 8, orders: 1 },
    ]);
  });

  it('after: resting orders fill in their original priority', async () => {
    const sweep = await api.place({ symbol: S1, side: 'SELL', type: 'MARKET', quantity: 37, portfolio_name: 'Maker' });
    expect(sweep.fills.map((f: { buy_order_id: string; quantity: number; price: string }) => [f.buy_order_id, f.quantity, f.price])).toEqual([
      [ids.b2, 5, '99.00'],
      [ids.b3, 10, '99.00'],
      [ids.b1, 12, '99.00'],
      [ids.b4, 5, '98.50'],
      [ids.b5, 5, '98.50'],
    ]);
    expect(sweep.status).toBe('FILLED');
  });

  it('after: new ids do not collide and positions still equal the fold of trades', async () => {
    const trades = await api.all<{ trade_id: string }>('/trades');
    expect(new Set(trades.map((t) => t.trade_id)).size).toBe(trades.length);
    const orders = await api.all<{ id: string }>('/orders');
    expect(new Set(orders.map((o) => o.id)).size).toBe(orders.length);
    const report = await reconcile(oms.service.prisma);
    expect(report).toEqual({ ok: true, problems: [], portfolios: 6, trades: trades.length });
  });
});

describe('a start after an end of day the OMS missed', () => {
  it('expires the DAY orders placed before it, and only those', async () => {
    // The end of day twelve hours from now: the latest one was twelve hours ago.
    const at = new Date(Date.now() + 12 * 3600_000);
    const env = { DAY_END_UTC: `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')}` };
    let service = await startApi({ env }, seen);
    try {
      const a = service.api;
      await a.createPortfolio('Overnight', '100000.00');
      const symbol = await a.newSymbol('50.00');
      const place = async (tif: string, price: string) =>
        (await a.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 1, limit_price: price, time_in_force: tif, portfolio_name: 'Overnight' })).id as string;
      const stale = await place('DAY', '49.00');
      const fresh = await place('DAY', '48.00');
      const gtc = await place('GTC', '47.00');
      const { port, databaseUrl } = service.oms;
      await service.oms.service.stop();
      // Placed two days ago, as if the OMS had been down over the end of day since.
      const db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      await db.query(`UPDATE orders SET created_at = created_at - interval '2 days' WHERE id = ANY($1::bigint[])`, [[stale, gtc]]);
      await db.end();
      await service.oms.stop();
      service = await startApi({ port, databaseUrl, env }, seen);

      expect((await service.api.get(`/orders/${stale}`)).body).toMatchObject({ status: 'EXPIRED', reason: 'END_OF_DAY', filled_quantity: 0 });
      expect((await service.api.get(`/orders/${fresh}`)).body).toMatchObject({ status: 'NEW' });
      expect((await service.api.get(`/orders/${gtc}`)).body).toMatchObject({ status: 'NEW' });
      const book = (await service.api.get(`/book/${symbol}`)).body;
      expect(book.bids.map((l: { price: string }) => l.price)).toEqual(['48.00', '47.00']);
      expect((await service.api.get('/portfolio/Overnight')).body).toMatchObject({ open_orders: 2 });
    } finally {
      await service.oms.stop();
    }
  });
});

describe('hygiene', () => {
  it('no response was a 500 or carried a stack trace, and every answer has its documented shape', () => {
    expectNoServerErrors(seen);
    expectDocumentedAnswers(seen);
  });
});
