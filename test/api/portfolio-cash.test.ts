import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestOms } from '../support/oms.js';
import { reconcile } from '../../src/db/reconciliation.js';
import { parseUnits } from '../../src/oms/units.js';
import { FeedTestClient, isUpdate } from '../feed/feed-client.js';
import { expectError, flatSummary, expectNoServerErrors, startApi, type ApiClient, type ApiResponse } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';

/**
 * POST /portfolios/{name}/cash and /reset on the real app: deposits, withdrawals within the cash
 * no open BUY holds, fresh starts that cancel open orders through their books and keep the history,
 * all durable through the group commit and folded by the reconciliation with the trades, in order.
 */
let oms: TestOms;
let api: ApiClient;
const seen: ApiResponse[] = [];
let S: string;

beforeAll(async () => {
  ({ oms, api } = await startApi({}, seen));
  S = await api.newSymbol('100.00');
  await api.createPortfolio('Cash', '10000.00');
  await api.createPortfolio('Counter', '1000000.00', true);
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

const cash = (name: string, body: unknown) => api.post(`/portfolios/${encodeURIComponent(name)}/cash`, body);
const reset = (name: string, body?: unknown) => api.post(`/portfolios/${encodeURIComponent(name)}/reset`, body);

const summary = flatSummary;

async function expectReconciled(): Promise<void> {
  await oms.service.oms.drain();
  expect(await reconcile(oms.service.prisma)).toMatchObject({ ok: true, problems: [] });
}

async function audited(action: string, target: string) {
  const rows = await oms.service.prisma.auditEvent.findMany({ where: { action, target }, orderBy: { id: 'asc' } });
  return rows.map((r) => ({ outcome: r.outcome, details: r.details }));
}

describe('POST /portfolios/{name}/cash', () => {
  it('a deposit adds to the cash (not the starting cash), audited with its reason', async () => {
    const res = await cash('Cash', { amount: '2500.50', reason: 'quarterly top-up' });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: summary({ name: 'Cash', cash: '12500.50', starting_cash: '10000.00', equity: '12500.50' }),
    });
    expect(await audited('portfolio.cash', 'Cash')).toEqual([{ outcome: 'ok', details: { amount: '2500.50', reason: 'quarterly top-up' } }]);
    await expectReconciled();
  });

  it('a withdrawal takes only the cash no open BUY order holds: beyond it, 422 INSUFFICIENT_CASH with the figures', async () => {
    // Holds 10 x 100.00 = 1,000.00 of the 12,500.50.
    const held = await api.place({ symbol: S, side: 'BUY', type: 'LIMIT', quantity: 10, limit_price: '100.00', time_in_force: 'GTC', portfolio_name: 'Cash' });
    const message = 'portfolio Cash lacks the cash for this withdrawal (needs 11500.51, 11500.50 available)';
    expectError(await cash('Cash', { amount: '-11500.51', reason: 'too much' }), 422, 'INSUFFICIENT_CASH', message, [{ path: 'amount', message }]);
    const res = await cash('Cash', { amount: -11500.5, reason: 'payout' });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: summary({ name: 'Cash', cash: '1000.00', starting_cash: '10000.00', equity: '1000.00', open_orders: 1 }),
    });
    // Nothing left beyond what the order holds.
    expect((await cash('Cash', { amount: '-0.01', reason: 'one cent' })).status).toBe(422);
    expect((await api.delete(`/orders/${held.id}`)).status).toBe(200);
    expect(await audited('portfolio.cash', 'Cash')).toEqual([
      { outcome: 'ok', details: { amount: '2500.50', reason: 'quarterly top-up' } },
      { outcome: 'rejected', details: { amount: '-11500.51', error: 'INSUFFICIENT_CASH' } },
      { outcome: 'ok', details: { amount: '-11500.50', reason: 'payout' } },
      { outcome: 'rejected', details: { amount: '-0.01', error: 'INSUFFICIENT_CASH' } },
    ]);
    await expectReconciled();
  });

  it('refuses a zero, missing or malformed amount and a missing or over-long reason (400 naming each)', async () => {
    expectError(await cash('Cash', { amount: 0, reason: 'nothing' }), 400, 'VALIDATION_ERROR', 'amount: amount must not be zero', [
      { path: 'amount', message: 'amount must not be zero' },
    ]);
    expectError(await cash('Cash', { amount: '1.00001', reason: 'x' }), 400, 'VALIDATION_ERROR', 'amount: amount must be a decimal with at most 4 places', [
      { path: 'amount', message: 'amount must be a decimal with at most 4 places' },
    ]);
    const noReason = await cash('Cash', { amount: '1.00' });
    expect({ status: noReason.status, code: noReason.body.error.code, paths: noReason.body.error.details.map((d: { path: string }) => d.path) }).toEqual({
      status: 400,
      code: 'VALIDATION_ERROR',
      paths: ['reason'],
    });
    expectError(await cash('Cash', { amount: '1.00', reason: 'r'.repeat(201) }), 400, 'VALIDATION_ERROR', 'reason: is 201 characters long; at most 200 are allowed', [
      { path: 'reason', message: 'is 201 characters long; at most 200 are allowed' },
    ]);
    const extra = await cash('Cash', { amount: '1.00', reason: 'x', extra: 1 });
    expect({ status: extra.status, paths: extra.body.error.details.map((d: { path: string }) => d.path) }).toEqual({ status: 400, paths: ['extra'] });
  });

  it('refuses a deposit that would take the cash past the largest amount', async () => {
    await api.createPortfolio('Rich', '999999999999999.00');
    const message = 'would take the cash past 999999999999999.9999';
    expectError(await cash('Rich', { amount: '1.00', reason: 'more' }), 400, 'VALIDATION_ERROR', `amount ${message}`, [{ path: 'amount', message }]);
    expect((await cash('Rich', { amount: '0.9999', reason: 'to the brim' })).body.cash).toBe('999999999999999.9999');
    await expectReconciled();
  });
});

describe('POST /portfolios/{name}/reset', () => {
  let feed: FeedTestClient;

  beforeAll(async () => {
    await api.createPortfolio('Fresh', '50000.00');
    feed = await FeedTestClient.connect(oms.baseUrl);
    expect((await feed.auth(oms.adminKey)).type).toBe('authenticated');
  });

  afterAll(async () => {
    await feed?.close();
  });

  it('cancels the open orders through their books, clears every position and sets the cash back; trades and orders stay as history', async () => {
    // Fresh buys 10 at 100.00, sells 4 at 110.00 (realized 40.00), then leaves a BUY and a SELL resting
    // and a stop waiting.
    await api.place({ symbol: S, side: 'SELL', type: 'LIMIT', quantity: 10, limit_price: '100.00', portfolio_name: 'Counter' });
    await api.place({ symbol: S, side: 'BUY', type: 'LIMIT', quantity: 10, limit_price: '100.00', portfolio_name: 'Fresh' });
    await api.place({ symbol: S, side: 'BUY', type: 'LIMIT', quantity: 4, limit_price: '110.00', portfolio_name: 'Counter' });
    await api.place({ symbol: S, side: 'SELL', type: 'LIMIT', quantity: 4, limit_price: '110.00', portfolio_name: 'Fresh' });
    const bid = await api.place({ symbol: S, side: 'BUY', type: 'LIMIT', quantity: 5, limit_price: '90.00', time_in_force: 'GTC', portfolio_name: 'Fresh' });
    const ask = await api.place({ symbol: S, side: 'SELL', type: 'LIMIT', quantity: 3, limit_price: '130.00', time_in_force: 'GTC', portfolio_name: 'Fresh' });
    const stop = await api.place({ symbol: S, side: 'BUY', type: 'STOP', quantity: 1, stop_price: '150.00', time_in_force: 'GTC', portfolio_name: 'Fresh' });
    const before = await api.get('/portfolio/Fresh');
    expect(before.body).toMatchObject({ cash: '49440.00', realized_pnl: '40.00', open_orders: 3, positions: [{ symbol: S, quantity: 6 }] });
    await feed.subscribe('orders:Fresh');
    await feed.subscribe('portfolio:Fresh');
    await feed.subscribe(`book:${S}`);

    const res = await reset('Fresh', {});
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: summary({ name: 'Fresh', cash: '50000.00', starting_cash: '50000.00', equity: '50000.00' }),
    });

    // The feed saw the orders go, the book lose them and the portfolio start again, after the commit.
    const orders = await feed.next(isUpdate('orders:Fresh'));
    expect(orders.data.orders.map((o: { id: string; status: string; reason: string }) => [o.id, o.status, o.reason]).sort()).toEqual(
      [[bid.id, 'CANCELED', 'USER'], [ask.id, 'CANCELED', 'USER'], [stop.id, 'CANCELED', 'USER']].sort(),
    );
    const portfolio = await feed.next((f) => isUpdate('portfolio:Fresh')(f) && f.data.open_orders === 0 && f.data.cash === '50000.00');
    expect(portfolio.data).toEqual(summary({ name: 'Fresh', cash: '50000.00', starting_cash: '50000.00', equity: '50000.00' }));
    await feed.next((f) => isUpdate(`book:${S}`)(f) && f.data.bids.every((l: { price: string }) => l.price !== '90.00'));

    const book = await api.get(`/book/${S}`);
    expect({ bids: book.body.bids, asks: book.body.asks }).toEqual({ bids: [], asks: [] });
    expect((await api.get('/orders?portfolio=Fresh&status=open')).body.data).toEqual([]);
    const all = await api.all<{ id: string; status: string }>('/orders?portfolio=Fresh');
    expect(all.map((o) => o.status).sort()).toEqual(['CANCELED', 'CANCELED', 'CANCELED', 'FILLED', 'FILLED']);
    const trades = await api.all<{ quantity: number; price: string; buy_portfolio: string; sell_portfolio: string }>('/trades?portfolio=Fresh');
    expect(trades.map((t) => [t.buy_portfolio, t.sell_portfolio, t.quantity, t.price])).toEqual([
      ['Counter', 'Fresh', 4, '110.00'],
      ['Fresh', 'Counter', 10, '100.00'],
    ]);
    expect(await audited('portfolio.reset', 'Fresh')).toEqual([{ outcome: 'ok', details: { starting_cash: '50000.00', canceled: 3 } }]);
    await expectReconciled();
  });

  it('with starting_cash: the portfolio starts again with it, and it becomes its starting cash', async () => {
    await api.post('/trade', { symbol: S, side: 'BUY', quantity: 5, gmv: '500.00', portfolio_name: 'Fresh' });
    const res = await reset('Fresh', { starting_cash: '7500.25' });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: summary({ name: 'Fresh', cash: '7500.25', starting_cash: '7500.25', equity: '7500.25' }),
    });
    const listed = (await api.get('/portfolios')).body.data.find((p: { name: string }) => p.name === 'Fresh');
    expect(listed).toMatchObject({ cash: '7500.25', starting_cash: '7500.25' });
    await expectReconciled();
    // It trades again from zero.
    await api.post('/trade', { symbol: S, side: 'BUY', quantity: 2, gmv: '200.00', portfolio_name: 'Fresh' });
    expect((await api.get('/portfolio/Fresh')).body).toMatchObject({ cash: '7300.25', positions: [{ symbol: S, quantity: 2, cost_basis: '200.00', realized_pnl: '0.00' }] });
    await expectReconciled();
  });

  it('takes an empty body, and refuses a starting_cash that is not positive', async () => {
    const res = await api.request('POST', '/portfolios/Cash/reset', { headers: { 'content-type': 'application/json' } });
    expect({ status: res.status, cash: res.body.cash, starting_cash: res.body.starting_cash }).toEqual({ status: 200, cash: '10000.00', starting_cash: '10000.00' });
    expectError(await reset('Cash', { starting_cash: '0' }), 400, 'VALIDATION_ERROR', 'starting_cash: starting_cash must be positive', [
      { path: 'starting_cash', message: 'starting_cash must be positive' },
    ]);
    await expectReconciled();
  });
});

describe('who may', () => {
  it('the house refuses both (422 HOUSE_PORTFOLIO); an unknown portfolio is 404', async () => {
    const message = "HOUSE is the market maker's portfolio: its cash is never deposited, withdrawn or reset";
    expectError(await cash('HOUSE', { amount: '1.00', reason: 'x' }), 422, 'HOUSE_PORTFOLIO', message, [{ path: 'name', message }]);
    expectError(await reset('HOUSE', {}), 422, 'HOUSE_PORTFOLIO', message, [{ path: 'name', message }]);
    expectError(await cash('cash', { amount: '1.00', reason: 'x' }), 404, 'PORTFOLIO_NOT_FOUND', 'no portfolio cash (names are case-sensitive: did you mean "Cash"?)');
    expectError(await reset('Nope', {}), 404, 'PORTFOLIO_NOT_FOUND', 'no portfolio Nope');
  });

  it('a key without admin is refused (403); an admin key limited to other portfolios finds none of these', async () => {
    const trader = api.as((await api.post('/keys', { name: 'trader', scopes: ['read', 'trade'] })).body.key);
    expectError(await trader.post('/portfolios/Cash/cash', { amount: '1.00', reason: 'x' }), 403, 'FORBIDDEN', 'this API key lacks the admin scope');
    expectError(await trader.post('/portfolios/Cash/reset', {}), 403, 'FORBIDDEN', 'this API key lacks the admin scope');
    const limited = api.as((await api.post('/keys', { name: 'counter admin', scopes: ['admin'], portfolios: ['Counter'] })).body.key);
    expectError(await limited.post('/portfolios/Cash/cash', { amount: '1.00', reason: 'x' }), 404, 'PORTFOLIO_NOT_FOUND', 'no portfolio Cash');
    expectError(await limited.post('/portfolios/Cash/reset', {}), 404, 'PORTFOLIO_NOT_FOUND', 'no portfolio Cash');
    expect((await api.get('/portfolio/Cash')).body.cash).toBe('10000.00');
  });
});

describe('one batch', () => {
  it('a trade, a reset and a trade of the same portfolio in one commit fold on the right sides of the reset', async () => {
    await api.createPortfolio('Mix', '20000.00');
    const desk = oms.service.oms;
    const actor = { keyId: null, name: 'batch test' };
    const book = (quantity: number, gmv: string) =>
      desk.bookTrade({ symbol: S, side: 'BUY', quantity, gmv: parseUnits(gmv)!, portfolioName: 'Mix', clientOrderId: null, userId: null }, actor);
    // A booking and a reset apply before their first await, so all three are in memory before the
    // batch closes (at the earliest on the next turn of the event loop): one commit writes them.
    const [first, , second] = await Promise.all([book(10, '1000.00'), desk.resetPortfolio('Mix', { startingCash: parseUnits('30000.00')! }, actor), book(5, '505.00')]);
    expect(second.trade.id).toBe(first.trade.id + 1n);
    const events = await oms.service.prisma.portfolioEvent.findMany({ where: { portfolio: { name: 'Mix' } } });
    expect(events.map((e) => ({ kind: e.kind, amount: e.amount.toString(), afterTradeId: e.afterTradeId }))).toEqual([
      { kind: 'RESET', amount: '30000', afterTradeId: first.trade.id },
    ]);
    expect((await api.get('/portfolio/Mix')).body).toMatchObject({
      cash: '29495.00',
      starting_cash: '30000.00',
      positions: [{ symbol: S, quantity: 5, cost_basis: '505.00', realized_pnl: '0.00' }],
    });
    await expectReconciled();
  });
});

describe('a restart', () => {
  it('keeps every deposit, withdrawal and reset: summaries as they were, reconciliation clean', async () => {
    const names = ['Cash', 'Fresh', 'Mix', 'Rich'];
    const summaries = async () => {
      const out: Record<string, unknown> = {};
      for (const name of names) out[name] = { ...(await api.get(`/portfolio/${name}`)).body, as_of: null };
      return out;
    };
    const before = await summaries();
    const listBefore = (await api.get('/portfolios')).body;
    const { port, databaseUrl } = oms;
    await oms.stop();
    ({ oms, api } = await startApi({ port, databaseUrl }, seen));
    expect(await summaries()).toEqual(before);
    expect((await api.get('/portfolios')).body).toEqual(listBefore);
    expect(await reconcile(oms.service.prisma)).toMatchObject({ ok: true, problems: [] });
    // And the portfolios take more after it.
    expect((await cash('Mix', { amount: '5.00', reason: 'after the restart' })).body.cash).toBe('29500.00');
    await expectReconciled();
  });
});

describe('every answer', () => {
  it('was documented, and none was a 5xx', () => {
    expectNoServerErrors(seen);
    expectDocumentedAnswers(seen);
  });
});
