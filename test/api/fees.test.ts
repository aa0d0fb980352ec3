import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestOms } from '../support/oms.js';
import { reconcile } from '../../src/db/reconciliation.js';
import { FeedTestClient, isUpdate } from '../feed/feed-client.js';
import { expectError, expectNoServerErrors, startApi, type ApiClient, type ApiResponse } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';

/**
 * The desk's fee schedule on the real app: set by an admin over REST (stored, audited, kept across a
 * restart), charged exactly on each fill of a client order (the minimum once per order, per share and
 * basis points rounded up), out of the cash in the fill's own commit, on the trade rows and the
 * fills, never on public market data, and folded by the reconciliation.
 */
let oms: TestOms;
let api: ApiClient;
let trader: ApiClient;
const seen: ApiResponse[] = [];
let S: string;
const SCHEDULE = { per_share: '0.005', bps: '1.50', min_per_order: '1.00' };

beforeAll(async () => {
  // Desks without a schedule of their own charge these; desk main gets its own below.
  ({ oms, api } = await startApi({ env: { FEE_PER_SHARE: '0.01', FEE_BPS: '0', FEE_MIN_PER_ORDER: '0' } }, seen));
  S = await api.newSymbol('100.00');
  await api.createPortfolio('Taker', '10000.00');
  await api.createPortfolio('Maker', '1000000.00', true);
  const key = await api.post('/keys', { name: 'fee trader', scopes: ['read', 'trade'] });
  expect(key.status).toBe(201);
  trader = api.as(key.body.key);
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

async function expectReconciled(): Promise<void> {
  await oms.service.desks.drain();
  expect(await reconcile(oms.service.prisma)).toMatchObject({ ok: true, problems: [] });
}

async function tradeRows(symbol: string) {
  const rows = await oms.service.prisma.trade.findMany({ where: { symbol }, orderBy: { id: 'asc' } });
  return rows.map((t) => ({ quantity: Number(t.quantity), buy_fee: t.buyFee.toFixed(4), sell_fee: t.sellFee.toFixed(4) }));
}

describe('the fee schedule over REST', () => {
  it('starts at the environment defaults; an admin sets it, audited; any key of the desk reads it', async () => {
    expect((await trader.get('/fees')).body).toEqual({ per_share: '0.01', bps: '0.00', min_per_order: '0.00' });
    const res = await api.put('/fees', { per_share: '0.005', bps: 1.5, min_per_order: '1' });
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: SCHEDULE });
    expect({ status: 200, body: (await trader.get('/fees')).body }).toEqual({ status: 200, body: SCHEDULE });
    const audits = await oms.service.prisma.auditEvent.findMany({ where: { action: 'desk.fees' } });
    expect(audits.map((a) => [a.target, a.outcome, a.details])).toEqual([
      ['main', 'ok', { before: { per_share: '0.01', bps: '0.00', min_per_order: '0.00' }, after: SCHEDULE }],
    ]);
  });

  it('a key without the admin scope may not set it (403), and nothing changes', async () => {
    const res = await trader.put('/fees', { per_share: '0', bps: '0', min_per_order: '0' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    expect((await api.get('/fees')).body).toEqual(SCHEDULE);
  });

  it('a key limited to some portfolios may not set them (403), not even acting for a desk member: every portfolio pays them', async () => {
    const limited = api.as((await api.post('/keys', { name: 'taker bot', scopes: ['admin', 'act_as'], portfolios: ['Taker'] })).body.key);
    const message = "this API key is limited to some portfolios: it may not change the desk's fees";
    expectError(await limited.put('/fees', { per_share: '0', bps: '0', min_per_order: '0' }), 403, 'FORBIDDEN', message);
    expectError(await limited.put('/fees', { per_share: '0', bps: '0', min_per_order: '0' }, { headers: { 'On-Behalf-Of': 'slack:TFEES:UADMIN' } }), 403, 'FORBIDDEN', message);
    expect((await api.get('/fees')).body).toEqual(SCHEDULE);
  });

  it('refuses a negative, malformed, missing or unknown part with 400 naming it', async () => {
    expectError(await api.put('/fees', { per_share: '-0.01', bps: '0', min_per_order: '0' }), 400, 'VALIDATION_ERROR', expect.any(String), [
      { path: 'per_share', message: 'per_share must not be negative' },
    ]);
    expectError(await api.put('/fees', { per_share: '0', bps: '0.00001', min_per_order: '0' }), 400, 'VALIDATION_ERROR', expect.any(String), [
      { path: 'bps', message: 'bps must be a decimal with at most 4 places' },
    ]);
    expectError(await api.put('/fees', { per_share: '0', bps: '10000.01', min_per_order: '0' }), 400, 'VALIDATION_ERROR', expect.any(String), [
      { path: 'bps', message: 'bps must be at most 10000 (the whole notional)' },
    ]);
    const missing = await api.put('/fees', { per_share: '0', bps: '0' });
    expect({ status: missing.status, paths: missing.body.error.details.map((d: { path: string }) => d.path) }).toEqual({ status: 400, paths: ['min_per_order'] });
    const extra = await api.put('/fees', { ...SCHEDULE, maker_rebate: '1' });
    expect(extra.status).toBe(400);
    expect((await api.get('/fees')).body).toEqual(SCHEDULE);
  });
});

describe('charging', () => {
  let buyId: string;

  it('charges each side of a multi-fill order exactly: the minimum once per order, per share and bps rounded up', async () => {
    const feed = await FeedTestClient.connect(oms.baseUrl);
    const snap = await feed.subscribe(`trades:${S}`);
    // Two resting asks of Maker, each its own order.
    const ask1 = await api.place({ symbol: S, side: 'SELL', type: 'LIMIT', quantity: 30, limit_price: '100.00', time_in_force: 'GTC', portfolio_name: 'Maker' });
    const ask2 = await api.place({ symbol: S, side: 'SELL', type: 'LIMIT', quantity: 10, limit_price: '100.01', time_in_force: 'GTC', portfolio_name: 'Maker' });
    const res = await trader.post('/orders', { symbol: S, side: 'BUY', type: 'LIMIT', quantity: 40, limit_price: '100.01', portfolio_name: 'Taker' });
    expect(res.status).toBe(201);
    buyId = res.body.id;
    // Fill 1, 30 @ 100.00: 0.15 + 0.45 = 0.60, raised to the 1.00 minimum (the first fill of both orders).
    // Fill 2, 10 @ 100.01: 0.05 + 0.150015 = 0.200015, up to 0.2001; no minimum again for the buy,
    // which has had its first fill; ask2's first fill, so 1.00 for Maker.
    expect(res.body.fills.map((f: Record<string, unknown>) => [f.quantity, f.price, f.side, f.fee, f.buy_fee, f.sell_fee])).toEqual([
      [30, '100.00', 'BUY', '1.00', '1.00', '1.00'],
      [10, '100.01', 'BUY', '0.2001', '0.2001', '1.00'],
    ]);
    // The fills as each order reads them back: its own side's fee.
    const fillsOf = async (id: string) => ((await api.get(`/orders/${id}`)).body.fills as Record<string, unknown>[]).map((f) => [f.side, f.fee]);
    expect(await fillsOf(buyId)).toEqual([
      ['BUY', '0.2001'],
      ['BUY', '1.00'],
    ]);
    expect(await fillsOf(ask1.id)).toEqual([['SELL', '1.00']]);
    expect(await fillsOf(ask2.id)).toEqual([['SELL', '1.00']]);
    expect(await tradeRows(S)).toEqual([
      { quantity: 30, buy_fee: '1.0000', sell_fee: '1.0000' },
      { quantity: 10, buy_fee: '0.2001', sell_fee: '1.0000' },
    ]);
    // The public tape, over REST and the feed: what printed, no fee.
    const book = await trader.get(`/book/${S}`);
    expect(book.body.trades.map((t: Record<string, unknown>) => Object.keys(t).sort())).toEqual([
      ['aggressor_side', 'executed_at', 'price', 'quantity', 'trade_id'],
      ['aggressor_side', 'executed_at', 'price', 'quantity', 'trade_id'],
    ]);
    const update = await feed.next(isUpdate(`trades:${S}`));
    expect(update.seq).toBe(snap.seq! + 1);
    expect(JSON.stringify(update.data)).not.toMatch(/fee/);
    expect(update.data.trades.map((t: Record<string, unknown>) => [t.quantity, Object.keys(t).sort()])).toEqual([
      [30, ['aggressor_side', 'executed_at', 'price', 'quantity', 'trade_id']],
      [10, ['aggressor_side', 'executed_at', 'price', 'quantity', 'trade_id']],
    ]);
    await feed.close();
  });

  it('takes the fees out of the cash, shows them in the summary and the trade listing, and reconciles', async () => {
    const taker = (await trader.get('/portfolio/Taker')).body;
    // 10,000.00 - 4,000.10 notional - 1.2001 fees.
    expect(taker).toMatchObject({ cash: '5998.6999', fees_paid: '1.2001', realized_pnl: '0.00', open_orders: 0 });
    const maker = (await api.get('/portfolio/Maker')).body;
    // 1,000,000.00 + 4,000.10 - 2.00; realized P&L gross of fees (none realized: Maker opened a short).
    expect(maker).toMatchObject({ cash: '1003998.10', fees_paid: '2.00', realized_pnl: '0.00' });
    const listed = await trader.all(`/trades?symbol=${S}`);
    expect(listed.map((t) => [t.quantity, t.buy_portfolio, t.buy_fee, t.sell_portfolio, t.sell_fee])).toEqual([
      [10, 'Taker', '0.2001', 'Maker', '1.00'],
      [30, 'Taker', '1.00', 'Maker', '1.00'],
    ]);
    await expectReconciled();
  });

  it('realized P&L stays gross: closing the position shows the price move, the fees apart', async () => {
    await api.place({ symbol: S, side: 'BUY', type: 'LIMIT', quantity: 40, limit_price: '101.00', time_in_force: 'GTC', portfolio_name: 'Maker' });
    const sold = await trader.post('/orders', { symbol: S, side: 'SELL', type: 'LIMIT', quantity: 40, limit_price: '101.00', portfolio_name: 'Taker' });
    // 40 x 0.005 = 0.20 + 1.5 bps of 4,040.00 = 0.606: 0.806, below the minimum on this first fill.
    expect(sold.body.fills.map((f: Record<string, unknown>) => [f.side, f.fee, f.buy_fee])).toEqual([['SELL', '1.00', '1.00']]);
    const taker = (await trader.get('/portfolio/Taker')).body;
    // Bought 4,000.10, sold 4,040.00: 39.90 gross; fees 1.2001 + 1.00.
    expect(taker).toMatchObject({ realized_pnl: '39.90', fees_paid: '2.2001', cash: '10037.6999', equity: '10037.6999' });
    await expectReconciled();
  });

  it('charges nothing to the house nor on a booking (POST /trade with a gmv)', async () => {
    const res = await trader.post('/trade', { symbol: S, side: 'BUY', quantity: 5, gmv: '505.00', portfolio_name: 'Taker' });
    expect(res.status).toBe(201);
    expect([res.body.trade.fee, res.body.trade.buy_fee, res.body.trade.sell_fee, res.body.trade.sell_portfolio]).toEqual(['0.00', '0.00', '0.00', 'HOUSE']);
    expect((await trader.get('/portfolio/Taker')).body).toMatchObject({ cash: '9532.6999', fees_paid: '2.2001' });
    await expectReconciled();
  });

  it('POST /trade at market is an order like any: its fills charged, the aggregate showing the total', async () => {
    await api.place({ symbol: S, side: 'SELL', type: 'LIMIT', quantity: 2, limit_price: '100.00', time_in_force: 'GTC', portfolio_name: 'Maker' });
    await api.place({ symbol: S, side: 'SELL', type: 'LIMIT', quantity: 200, limit_price: '100.05', time_in_force: 'GTC', portfolio_name: 'Maker' });
    const res = await trader.post('/trade', { symbol: S, side: 'BUY', quantity: 20, portfolio_name: 'Taker' });
    expect(res.status).toBe(201);
    // 2 @ 100.00: 0.01 + 0.03 = 0.04, the 1.00 minimum; 18 @ 100.05: 0.09 + 0.270135 = 0.360135, up to 0.3602.
    expect(res.body.trade.fills.map((f: Record<string, unknown>) => [f.quantity, f.fee, f.buy_fee, f.sell_fee])).toEqual([
      [2, '1.00', '1.00', '1.00'],
      [18, '0.3602', '0.3602', '1.00'],
    ]);
    expect([res.body.trade.quantity, res.body.trade.gmv, res.body.trade.fee, res.body.trade.buy_fee, res.body.trade.sell_fee]).toEqual([20, '2000.90', '1.3602', '1.3602', '2.00']);
    // 9,532.6999 - 2,000.90 - 1.3602.
    expect((await trader.get('/portfolio/Taker')).body).toMatchObject({ cash: '7530.4397', fees_paid: '3.5603' });
    await expectReconciled();
  });

  it('buying power covers the worst-case fee: an order that fits its notional but not its fee is refused', async () => {
    // 10 @ 100.00 = 1,000.00; worst case 1.00 minimum + 0.05 + 0.15 + 9 x 0.0001 of rounding = 1.2009.
    await api.createPortfolio('Tight', '1001.2008');
    const order = { symbol: S, side: 'BUY', type: 'LIMIT', quantity: 10, limit_price: '100.00', time_in_force: 'GTC', portfolio_name: 'Tight' };
    const message = 'portfolio Tight lacks buying power for this order (needs 1001.2009, 1001.2008 available)';
    expectError(await api.post('/orders', order), 422, 'INSUFFICIENT_CASH', message, [{ path: 'quantity', message }]);
    expect((await api.post('/portfolios/Tight/cash', { amount: '0.0001', reason: 'the last unit of the fee' })).status).toBe(200);
    const placed = await api.place(order);
    expect(placed.status).toBe('NEW');
    expect((await api.delete(`/orders/${placed.id}`)).status).toBe(200);
  });

  it('a reset starts the fees paid afresh with the rest, and reconciles', async () => {
    const res = await api.post('/portfolios/Taker/reset', {});
    expect(res.body).toMatchObject({ cash: '10000.00', fees_paid: '0.00', realized_pnl: '0.00' });
    await expectReconciled();
  });
});

describe('after a restart', () => {
  it('the desk keeps its own schedule over the environment defaults and charges it', async () => {
    const { port, databaseUrl } = oms;
    await oms.stop();
    ({ oms, api } = await startApi({ port, databaseUrl, env: { FEE_PER_SHARE: '0.01', FEE_BPS: '0', FEE_MIN_PER_ORDER: '0' } }, seen));
    trader = api.as(trader.key);
    expect((await trader.get('/fees')).body).toEqual(SCHEDULE);
    await api.place({ symbol: S, side: 'SELL', type: 'LIMIT', quantity: 60, limit_price: '100.00', time_in_force: 'GTC', portfolio_name: 'Maker' });
    const res = await trader.post('/orders', { symbol: S, side: 'BUY', type: 'LIMIT', quantity: 60, limit_price: '100.00', portfolio_name: 'Taker' });
    // 0.30 + 1.5 bps of 6,000.00 = 0.90: 1.20, above the minimum.
    expect(res.body.fills.map((f: Record<string, unknown>) => [f.fee, f.sell_fee])).toEqual([['1.20', '1.20']]);
    expect((await trader.get('/portfolio/Taker')).body).toMatchObject({ cash: '3998.80', fees_paid: '1.20' });
    await expectReconciled();
  }, 60_000);

  it('a new desk charges the environment defaults until its admins set its own', async () => {
    const made = await api.post('/desks', { name: 'Fee Blue' });
    expect(made.status).toBe(201);
    const blue = api.as(made.body.admin_key);
    expect((await blue.get('/fees')).body).toEqual({ per_share: '0.01', bps: '0.00', min_per_order: '0.00' });
    // Desk main's schedule is its own.
    expect((await api.get('/fees')).body).toEqual(SCHEDULE);
  });

  it('answered as documented, without a server error', () => {
    expectNoServerErrors(seen);
    expectDocumentedAnswers(seen);
  });
});
