import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestOms } from '../support/oms.js';
import { reconcile } from '../../src/db/reconciliation.js';
import { FeedTestClient, isUpdate, waitFor, type Frame } from '../feed/feed-client.js';
import { expectError, expectNoServerErrors, startApi, type ApiClient, type ApiResponse } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';

/**
 * Risk states, limits and approvals on the real app over REST: a halt refuses orders until resumed
 * (cancels go through), reduce-only takes only shrinking orders, each limit refuses with its figures,
 * an order above the approval threshold waits, holding its cash, until another approver decides or it
 * expires, every step on the feed and in the audit; states, limits and pending orders survive a restart.
 */
let oms: TestOms;
let api: ApiClient;
/** read + trade: places orders, may decide nothing. */
let trader: ApiClient;
/** read + trade + approve, two of them: each may decide the other's orders, not its own. */
let approver: ApiClient;
let approver2: ApiClient;
let traderKeyId: number;
let S: string;
const seen: ApiResponse[] = [];

const limit = (portfolio: string, side: 'BUY' | 'SELL', quantity: number, price: string, symbol = S) => ({
  symbol,
  side,
  type: 'LIMIT',
  quantity,
  limit_price: price,
  time_in_force: 'GTC',
  portfolio_name: portfolio,
});

const key = async (name: string, scopes: string[]) => {
  const res = await api.post('/keys', { name, scopes });
  expect(res.status).toBe(201);
  return res.body as { key: string; id: number };
};

const HALTED_DESK = 'the desk is halted: no new orders until it is resumed (cancels still go through)';

beforeAll(async () => {
  ({ oms, api } = await startApi({}, seen));
  S = await api.newSymbol('100.00');
  await api.createPortfolio('Street', '100000000.00', true);
  for (const name of ['Alpha', 'Beta', 'Red', 'Lim', 'Gate']) await api.createPortfolio(name, '100000.00');
  const t = await key('risk trader', ['read', 'trade']);
  traderKeyId = t.id;
  trader = api.as(t.key);
  approver = api.as((await key('approver one', ['read', 'trade', 'approve'])).key);
  approver2 = api.as((await key('approver two', ['read', 'trade', 'approve'])).key);
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

describe('halt and resume', () => {
  it('a key without the approve scope may not halt (403); the desk stays ACTIVE', async () => {
    expectError(await trader.put('/desk/risk-state', { state: 'HALTED' }), 403, 'FORBIDDEN', 'this API key lacks the approve scope');
    expect((await trader.get('/desk/risk-state')).body).toEqual({ desk: 'main', state: 'ACTIVE' });
  });

  it('a key limited to some portfolios may halt those, never the whole desk (403)', async () => {
    const limited = api.as((await api.post('/keys', { name: 'beta approver', scopes: ['read', 'approve'], portfolios: ['Beta'] })).body.key);
    expectError(await limited.put('/desk/risk-state', { state: 'HALTED' }), 403, 'FORBIDDEN', 'this API key is limited to some portfolios: it may not change the whole desk');
    expectError(await limited.put('/portfolios/Alpha/risk-state', { state: 'HALTED' }), 404, 'PORTFOLIO_NOT_FOUND', 'no portfolio Alpha');
    expect((await limited.put('/portfolios/Beta/risk-state', { state: 'ACTIVE' })).status).toBe(200);
    // Acting for a desk member (On-Behalf-Of) does not take the key past its portfolios either.
    const limitedBot = api.as((await api.post('/keys', { name: 'beta bot', scopes: ['read', 'approve', 'act_as'], portfolios: ['Beta'] })).body.key);
    const asMember = { headers: { 'On-Behalf-Of': 'slack:TRISK:UAPPROVER' } };
    expectError(await limitedBot.put('/desk/risk-state', { state: 'HALTED', cancel_open_orders: true }, asMember), 403, 'FORBIDDEN', 'this API key is limited to some portfolios: it may not change the whole desk');
    expect((await api.get('/desk/risk-state')).body.state).toBe('ACTIVE');
  });

  it('a desk halt refuses every new order (422 DESK_HALTED) and growing changes; cancels and shrinking changes go through; resume accepts again', async () => {
    const resting = await trader.place(limit('Alpha', 'BUY', 10, '90.00'));
    const other = await trader.place(limit('Beta', 'BUY', 10, '91.00'));
    const halt = await approver.put('/desk/risk-state', { state: 'HALTED' });
    expect({ status: halt.status, body: halt.body }).toEqual({ status: 200, body: { desk: 'main', state: 'HALTED', canceled_orders: 0 } });
    for (const portfolio of ['Alpha', 'Beta']) {
      expectError(await trader.post('/orders', limit(portfolio, 'BUY', 1, '90.00')), 422, 'DESK_HALTED', HALTED_DESK, [{ path: 'portfolio_name', message: HALTED_DESK }]);
    }
    expectError(await trader.post('/trade', { symbol: S, side: 'BUY', quantity: 1, portfolio_name: 'Alpha', gmv: '100.00' }), 422, 'DESK_HALTED', HALTED_DESK, [{ path: 'portfolio_name', message: HALTED_DESK }]);
    expectError(await trader.patch(`/orders/${resting.id}`, { quantity: 11 }), 422, 'DESK_HALTED', HALTED_DESK, [{ path: 'portfolio_name', message: HALTED_DESK }]);
    expectError(await trader.patch(`/orders/${resting.id}`, { limit_price: '95.00' }), 422, 'DESK_HALTED', HALTED_DESK, [{ path: 'portfolio_name', message: HALTED_DESK }]);
    const smaller = await trader.patch(`/orders/${resting.id}`, { quantity: 5 });
    expect({ status: smaller.status, quantity: smaller.body.quantity }).toEqual({ status: 200, quantity: 5 });
    const canceled = await trader.delete(`/orders/${other.id}`);
    expect({ status: canceled.status, order: canceled.body.status }).toEqual({ status: 200, order: 'CANCELED' });
    // The house is the market, not a client: a halt leaves its quoting alone (it is off here).
    const resumed = await approver.put('/desk/risk-state', { state: 'ACTIVE' });
    expect(resumed.body).toEqual({ desk: 'main', state: 'ACTIVE', canceled_orders: 0 });
    const accepted = await trader.post('/orders', limit('Alpha', 'BUY', 1, '90.00'));
    expect({ status: accepted.status, order: accepted.body.status }).toEqual({ status: 201, order: 'NEW' });
    const audits = await oms.service.prisma.auditEvent.findMany({ where: { action: 'desk.risk_state' }, orderBy: { id: 'asc' } });
    expect(audits.map((a) => [a.target, a.outcome, a.details])).toEqual([
      ['desk', 'ok', { before: 'ACTIVE', after: 'HALTED', canceled: 0 }],
      ['desk', 'ok', { before: 'HALTED', after: 'ACTIVE', canceled: 0 }],
    ]);
  });

  it('a halt answered while orders race in: every order placed after the answer is refused, every one before it stands', async () => {
    await approver.put('/desk/risk-state', { state: 'ACTIVE' });
    const racing = Array.from({ length: 20 }, () => trader.post('/orders', limit('Beta', 'BUY', 1, '80.00')));
    const halt = approver.put('/desk/risk-state', { state: 'HALTED' });
    const answers = await Promise.all(racing);
    const haltAnswer = await halt;
    expect(haltAnswer.status).toBe(200);
    const after = await Promise.all(Array.from({ length: 5 }, () => trader.post('/orders', limit('Beta', 'BUY', 1, '80.00'))));
    expect(after.map((r) => r.status)).toEqual([422, 422, 422, 422, 422]);
    // What was accepted is in the database as accepted: nothing acknowledged was lost or undone.
    for (const res of answers.filter((r) => r.status === 201)) {
      expect((await api.get(`/orders/${res.body.id}`)).body.status).toBe('NEW');
    }
    expect(answers.every((r) => r.status === 201 || (r.status === 422 && r.body.error.code === 'DESK_HALTED'))).toBe(true);
    await approver.put('/desk/risk-state', { state: 'ACTIVE' });
  });

  it('a portfolio halt with cancel_open_orders cancels its open orders only; other portfolios trade on', async () => {
    const a = await trader.place(limit('Alpha', 'BUY', 3, '85.00'));
    const b = await trader.place(limit('Beta', 'BUY', 3, '85.00'));
    const openAlpha = (await api.all('/orders?portfolio=Alpha&status=open')).length;
    const res = await approver.put('/portfolios/Alpha/risk-state', { state: 'halted', cancel_open_orders: true });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: { portfolio: 'Alpha', state: 'HALTED', desk_state: 'ACTIVE', limits: { max_order_notional: null, max_position: null, max_gross_exposure: null, approval_threshold: null }, canceled_orders: openAlpha },
    });
    expect((await api.get(`/orders/${a.id}`)).body).toMatchObject({ status: 'CANCELED', reason: 'USER' });
    expect((await api.all('/orders?portfolio=Alpha&status=open')).length).toBe(0);
    expect((await api.get(`/orders/${b.id}`)).body.status).toBe('NEW');
    const msg = 'portfolio Alpha is halted: no new orders until it is resumed (cancels still go through)';
    expectError(await trader.post('/orders', limit('Alpha', 'BUY', 1, '85.00')), 422, 'PORTFOLIO_HALTED', msg, [{ path: 'portfolio_name', message: msg }]);
    expect((await trader.post('/orders', limit('Beta', 'BUY', 1, '85.00'))).status).toBe(201);
    expect((await approver.put('/portfolios/Alpha/risk-state', { state: 'ACTIVE' })).body.state).toBe('ACTIVE');
    expect((await trader.post('/orders', limit('Alpha', 'BUY', 1, '85.00'))).status).toBe(201);
  });

  it('the feed tells risk subscribers of each change', async () => {
    const feed = await FeedTestClient.connect(oms.baseUrl);
    await feed.auth(oms.adminKey);
    expect((await feed.subscribe('risk')).data).toEqual({ desk: 'main', state: 'ACTIVE' });
    expect((await feed.subscribe('risk:Beta')).data).toMatchObject({ portfolio: 'Beta', state: 'ACTIVE', desk_state: 'ACTIVE' });
    await approver.put('/desk/risk-state', { state: 'REDUCING' });
    expect((await feed.next(isUpdate('risk'))).data).toEqual({ desk: 'main', state: 'REDUCING' });
    expect((await feed.next(isUpdate('risk:Beta'))).data).toMatchObject({ portfolio: 'Beta', state: 'ACTIVE', desk_state: 'REDUCING' });
    await approver.put('/portfolios/Beta/risk-state', { state: 'HALTED' });
    expect((await feed.next(isUpdate('risk:Beta'))).data).toMatchObject({ portfolio: 'Beta', state: 'HALTED', desk_state: 'REDUCING' });
    await approver.put('/desk/risk-state', { state: 'ACTIVE' });
    await approver.put('/portfolios/Beta/risk-state', { state: 'ACTIVE' });
    await feed.close();
  });
});

describe('reduce-only', () => {
  it('a REDUCING portfolio refuses a growing order and takes a shrinking one, counting its open orders on the same side', async () => {
    await api.place(limit('Street', 'SELL', 10, '100.00'));
    expect((await trader.place({ symbol: S, side: 'BUY', type: 'MARKET', quantity: 10, portfolio_name: 'Red', time_in_force: 'IOC' })).status).toBe('FILLED');
    expect((await approver.put('/portfolios/Red/risk-state', { state: 'REDUCING' })).body.state).toBe('REDUCING');
    const grow = `portfolio Red is reduce-only: a BUY of 1 would not shrink the position (long 10 ${S})`;
    expectError(await trader.post('/orders', limit('Red', 'BUY', 1, '99.00')), 422, 'REDUCE_ONLY', grow, [{ path: 'quantity', message: grow }]);
    const first = await trader.post('/orders', limit('Red', 'SELL', 6, '120.00'));
    expect({ status: first.status, order: first.body.status }).toEqual({ status: 201, order: 'NEW' });
    const over = `portfolio Red is reduce-only: a SELL of 5 would not shrink the position (long 10 ${S}, 6 already on open SELL orders)`;
    expectError(await trader.post('/orders', limit('Red', 'SELL', 5, '120.00')), 422, 'REDUCE_ONLY', over, [{ path: 'quantity', message: over }]);
    expect((await trader.post('/orders', limit('Red', 'SELL', 4, '121.00'))).status).toBe(201);
    // A reduce-only desk applies to every portfolio: one without a position can only wait.
    await approver.put('/portfolios/Red/risk-state', { state: 'ACTIVE' });
    await approver.put('/desk/risk-state', { state: 'REDUCING' });
    const flat = `the desk is reduce-only: a BUY of 1 would not shrink the position (no ${S} position)`;
    expectError(await trader.post('/orders', limit('Lim', 'BUY', 1, '99.00')), 422, 'REDUCE_ONLY', flat, [{ path: 'quantity', message: flat }]);
    await approver.put('/desk/risk-state', { state: 'ACTIVE' });
  });
});

describe('reduce-only on a short', () => {
  it('takes a BUY up to the short, counting open BUYs, and refuses a SELL', async () => {
    const T = await api.newSymbol('50.00');
    await api.createPortfolio('Shorty', '100000.00', true);
    await api.place(limit('Street', 'BUY', 5, '50.00', T));
    expect((await trader.place({ symbol: T, side: 'SELL', type: 'MARKET', quantity: 5, portfolio_name: 'Shorty', time_in_force: 'IOC' })).status).toBe('FILLED');
    await approver.put('/portfolios/Shorty/risk-state', { state: 'REDUCING' });
    expect((await trader.post('/orders', limit('Shorty', 'BUY', 3, '40.00', T))).status).toBe(201);
    const over = `portfolio Shorty is reduce-only: a BUY of 3 would not shrink the position (short 5 ${T}, 3 already on open BUY orders)`;
    expectError(await trader.post('/orders', limit('Shorty', 'BUY', 3, '40.00', T)), 422, 'REDUCE_ONLY', over, [{ path: 'quantity', message: over }]);
    const sell = `portfolio Shorty is reduce-only: a SELL of 1 would not shrink the position (short 5 ${T})`;
    expectError(await trader.post('/orders', limit('Shorty', 'SELL', 1, '60.00', T)), 422, 'REDUCE_ONLY', sell, [{ path: 'quantity', message: sell }]);
    expect((await trader.post('/orders', limit('Shorty', 'BUY', 2, '40.00', T))).status).toBe(201);
  });
});

describe('limits', () => {
  it('an approver sets them; null lifts one, a field left out keeps its value', async () => {
    const res = await approver.put('/portfolios/Lim/limits', { max_order_notional: '500', max_position: 30, max_gross_exposure: '2500.00' });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: { portfolio: 'Lim', state: 'ACTIVE', desk_state: 'ACTIVE', limits: { max_order_notional: '500.00', max_position: 30, max_gross_exposure: '2500.00', approval_threshold: null } },
    });
    expectError(await trader.put('/portfolios/Lim/limits', { max_position: null }), 403, 'FORBIDDEN', 'this API key lacks the approve scope');
    expect((await api.get('/portfolios/Lim/risk-state')).body.limits.max_position).toBe(30);
  });

  it('max_order_notional refuses an order worth more, a market order priced with the collar as its buying-power check', async () => {
    const msg = "portfolio Lim's max_order_notional is 500.00: this order's notional would be 505.00";
    expectError(await trader.post('/orders', limit('Lim', 'BUY', 5, '101.00')), 422, 'RISK_LIMIT', msg, [{ path: 'max_order_notional', message: 'limit 500.00, would be 505.00' }]);
    expect((await trader.post('/orders', limit('Lim', 'BUY', 5, '100.00'))).status).toBe(201);
    // The only asks are Red's, 6 at 120.00: a market BUY of 5 is priced at what it would take.
    const market = await trader.post('/orders', { symbol: S, side: 'BUY', type: 'MARKET', quantity: 5, portfolio_name: 'Lim', time_in_force: 'IOC' });
    expect(market.status).toBe(422);
    expect(market.body.error.code).toBe('RISK_LIMIT');
    expect(market.body.error.details).toEqual([{ path: 'max_order_notional', message: 'limit 500.00, would be 600.00' }]);
  });

  it('max_position counts open orders on the same side; an order that shrinks passes even above it', async () => {
    await api.put('/portfolios/Lim/limits', { max_order_notional: null, max_gross_exposure: null });
    // Open: 5 at 100.00 from the test before.
    expect((await trader.post('/orders', limit('Lim', 'BUY', 20, '50.00'))).status).toBe(201);
    const msg = `portfolio Lim's max_position is 30: its ${S} position with its open BUY orders filled would be 31`;
    expectError(await trader.post('/orders', limit('Lim', 'BUY', 6, '50.00')), 422, 'RISK_LIMIT', msg, [{ path: 'max_position', message: 'limit 30, would be 31' }]);
    expect((await trader.post('/orders', limit('Lim', 'BUY', 5, '50.00'))).status).toBe(201);
  });

  it('max_gross_exposure adds the order to the positions at their reference prices', async () => {
    await api.put('/portfolios/Lim/limits', { max_position: null, max_gross_exposure: '2500.00' });
    // 30 shares on open BUY orders at reference 100.00 = 3000.00 already: any further BUY is over.
    const msg = "portfolio Lim's max_gross_exposure is 2500.00: its gross exposure would be 3100.00";
    expectError(await trader.post('/orders', limit('Lim', 'BUY', 1, '10.00')), 422, 'RISK_LIMIT', msg, [{ path: 'max_gross_exposure', message: 'limit 2500.00, would be 3100.00' }]);
    await api.put('/portfolios/Lim/limits', { max_gross_exposure: '3100.00' });
    expect((await trader.post('/orders', limit('Lim', 'BUY', 1, '10.00'))).status).toBe(201);
    await api.put('/portfolios/Lim/limits', { max_gross_exposure: null });
  });
});

describe('approvals', () => {
  let feed: FeedTestClient;
  const statuses = new Map<string, string[]>();

  beforeAll(async () => {
    // Only an admin changes the threshold: an approver could otherwise lift the approval their own orders wait for.
    expectError(await approver.put('/portfolios/Gate/limits', { approval_threshold: null }), 403, 'FORBIDDEN', 'changing approval_threshold takes the admin scope: an approver may not change the approval their own orders wait for', [
      { path: 'approval_threshold', message: 'admin only' },
    ]);
    expect((await api.put('/portfolios/Gate/limits', { approval_threshold: '1000.00' })).body.limits.approval_threshold).toBe('1000.00');
    feed = await FeedTestClient.connect(oms.baseUrl);
    await feed.auth(oms.adminKey);
    await feed.subscribe('orders:Gate');
  });

  afterAll(async () => {
    await feed?.close();
  });

  /** Waits until the feed has shown the order in `status`; returns every status it showed for it. */
  async function feedShows(id: string, status: string): Promise<string[]> {
    for (;;) {
      const list = statuses.get(id) ?? [];
      if (list.includes(status)) return list;
      const frame: Frame = await feed.next(isUpdate('orders:Gate'), 5000, `order ${id} ${status} on the feed`);
      for (const o of (frame.data as { orders: { id: string; status: string }[] }).orders) {
        statuses.set(o.id, [...(statuses.get(o.id) ?? []), o.status]);
      }
    }
  }

  it('an order at or under the threshold trades as usual; one above it is 202 PENDING_APPROVAL, holding its cash, not in the book', async () => {
    expect((await trader.post('/orders', limit('Gate', 'BUY', 10, '100.00'))).status).toBe(201);
    const res = await trader.post('/orders', limit('Gate', 'BUY', 20, '99.00'));
    expect({ status: res.status, order: res.body.status, remaining: res.body.remaining_quantity, fills: res.body.fills }).toEqual({ status: 202, order: 'PENDING_APPROVAL', remaining: 20, fills: [] });
    expect(await feedShows(res.body.id, 'PENDING_APPROVAL')).toEqual(['PENDING_APPROVAL']);
    const book = await api.get(`/book/${S}`);
    expect(book.body.bids.some((l: { price: string }) => l.price === '99.00')).toBe(false);
    // 100000 - 1000 (the resting 10 @ 100) - 1980 held for approval = 97020 left.
    const msg = 'portfolio Gate lacks buying power for this order (needs 97020.01, 97020.00 available)';
    await api.put('/portfolios/Gate/limits', { approval_threshold: null });
    expectError(await trader.post('/orders', limit('Gate', 'BUY', 9702001, '0.01')), 422, 'INSUFFICIENT_CASH', msg, [{ path: 'quantity', message: msg }]);
    await api.put('/portfolios/Gate/limits', { approval_threshold: '1000.00' });
    expect((await api.get(`/orders?portfolio=Gate&status=pending_approval`)).body.data.map((o: { id: string }) => o.id)).toEqual([res.body.id]);
  });

  it('refused for a plain trader (403) and for its placer (422), approved by another approver: it enters the book then and fills', async () => {
    // Above every bid resting so far: what it meets on approval is Street's ask alone.
    const mine = await approver.post('/orders', limit('Gate', 'BUY', 20, '100.50'));
    expect(mine.status).toBe(202);
    expectError(await trader.post(`/orders/${mine.body.id}/approve`, {}), 403, 'FORBIDDEN', 'this API key lacks the approve scope');
    const self = `order ${mine.body.id} was placed by you: another approver must decide it`;
    expectError(await approver.post(`/orders/${mine.body.id}/approve`, {}), 422, 'APPROVAL_NOT_ALLOWED', self);
    expectError(await approver.post(`/orders/${mine.body.id}/reject`, { reason: 'mine' }), 422, 'APPROVAL_NOT_ALLOWED', self);
    await api.place(limit('Street', 'SELL', 20, '100.50'));
    const approved = await approver2.post(`/orders/${mine.body.id}/approve`, {});
    expect({ status: approved.status, order: approved.body.status, filled: approved.body.filled_quantity, fills: approved.body.fills.length }).toEqual({ status: 200, order: 'FILLED', filled: 20, fills: 1 });
    expect(await feedShows(mine.body.id, 'FILLED')).toEqual(['PENDING_APPROVAL', 'FILLED']);
    expectError(await approver2.post(`/orders/${mine.body.id}/approve`, {}), 409, 'ORDER_NOT_PENDING', `order ${mine.body.id} is filled, not awaiting approval`);
    // A refusal's audit row goes with the next commit: wait for it.
    await oms.service.desks.drain();
    const audit = await oms.service.prisma.auditEvent.findMany({ where: { action: 'order.approve', target: mine.body.id }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.actor, a.outcome])).toEqual([
      ['approver one', 'rejected'],
      ['approver two', 'ok'],
      ['approver two', 'rejected'],
    ]);
    expect(audit[1].details).toMatchObject({ placed_by: expect.stringMatching(/^key:\d+$/), by: expect.stringMatching(/^key:\d+$/) });
  });

  it('an approved order that rests has time priority from its approval', async () => {
    const early = await trader.post('/orders', limit('Gate', 'BUY', 15, '100.20'));
    expect(early.status).toBe(202);
    const later = await trader.place(limit('Beta', 'BUY', 1, '100.20'));
    const approved = await approver.post(`/orders/${early.body.id}/approve`, {});
    expect(approved.body.status).toBe('NEW');
    const sell = await api.place(limit('Street', 'SELL', 1, '100.20'));
    expect(sell.fills.map((f: { buy_order_id: string }) => f.buy_order_id)).toEqual([later.id]);
  });

  it('rejected by another approver: REJECTED with the reason, its cash released', async () => {
    const big = await trader.post('/orders', limit('Gate', 'BUY', 50, '97.00'));
    expect(big.status).toBe(202);
    const rejected = await approver.post(`/orders/${big.body.id}/reject`, { reason: 'too large for today' });
    expect({ status: rejected.status, order: rejected.body.status, reason: rejected.body.reason, remaining: rejected.body.remaining_quantity }).toEqual({
      status: 200,
      order: 'REJECTED',
      reason: 'too large for today',
      remaining: 0,
    });
    expect(await feedShows(big.body.id, 'REJECTED')).toEqual(['PENDING_APPROVAL', 'REJECTED']);
    const audit = await oms.service.prisma.auditEvent.findFirst({ where: { action: 'order.reject', target: big.body.id } });
    expect(audit).toMatchObject({ actor: 'approver one', outcome: 'ok', details: { reason: 'too large for today', placed_by: `key:${traderKeyId}` } });
    expect(audit!.at.getTime()).toBeGreaterThan(0);
  });

  it('its placer may cancel it; a halt with cancel_open_orders rejects the pending ones (reason HALTED); approval is refused while halted', async () => {
    const mine = await trader.post('/orders', limit('Gate', 'BUY', 11, '96.00'));
    const canceled = await trader.delete(`/orders/${mine.body.id}`);
    expect({ order: canceled.body.status, reason: canceled.body.reason }).toEqual({ order: 'CANCELED', reason: 'USER' });
    const waiting = await trader.post('/orders', limit('Gate', 'BUY', 11, '96.00'));
    await approver.put('/portfolios/Gate/risk-state', { state: 'HALTED' });
    const msg = 'portfolio Gate is halted: no new orders until it is resumed (cancels still go through)';
    expectError(await approver.post(`/orders/${waiting.body.id}/approve`, {}), 422, 'PORTFOLIO_HALTED', msg, [{ path: 'portfolio_name', message: msg }]);
    expect((await api.get(`/orders/${waiting.body.id}`)).body.status).toBe('PENDING_APPROVAL');
    const halt = await approver.put('/portfolios/Gate/risk-state', { state: 'HALTED', cancel_open_orders: true });
    expect(halt.body.canceled_orders).toBeGreaterThanOrEqual(1);
    expect((await api.get(`/orders/${waiting.body.id}`)).body).toMatchObject({ status: 'REJECTED', reason: 'HALTED' });
    expect(await feedShows(waiting.body.id, 'REJECTED')).toEqual(['PENDING_APPROVAL', 'REJECTED']);
    await approver.put('/portfolios/Gate/risk-state', { state: 'ACTIVE' });
  });

  it('a booking above the threshold cannot wait for approval: refused', async () => {
    const msg = "portfolio Gate's approval_threshold is 1000.00: a booking of 2000.00 cannot wait for approval; place an order instead";
    expectError(await trader.post('/trade', { symbol: S, side: 'BUY', quantity: 20, portfolio_name: 'Gate', gmv: '2000.00' }), 422, 'RISK_LIMIT', msg, [
      { path: 'approval_threshold', message: 'limit 1000.00, would be 2000.00' },
    ]);
  });
});

describe('restart', () => {
  it('keeps the states, the limits and the orders awaiting approval with their holds; their expiry counts from their placing', async () => {
    await approver.put('/desk/risk-state', { state: 'REDUCING' });
    await approver.put('/portfolios/Beta/risk-state', { state: 'HALTED' });
    await approver.put('/portfolios/Lim/limits', { max_order_notional: '750.00', max_position: 40 });
    await approver.put('/desk/risk-state', { state: 'ACTIVE' });
    const pending = await trader.post('/orders', limit('Gate', 'BUY', 12, '95.00'));
    const second = await trader.post('/orders', limit('Gate', 'BUY', 13, '95.00'));
    expect([pending.status, second.status]).toEqual([202, 202]);
    await approver.put('/desk/risk-state', { state: 'REDUCING' });
    const states = async () => ({
      desk: (await api.get('/desk/risk-state')).body,
      beta: (await api.get('/portfolios/Beta/risk-state')).body,
      lim: (await api.get('/portfolios/Lim/risk-state')).body,
      gate: (await api.get('/portfolios/Gate/risk-state')).body,
      summary: { ...(await api.get('/portfolio/Gate')).body, as_of: null },
    });
    const before = await states();
    const { port, databaseUrl } = oms;
    await oms.stop();
    ({ oms, api } = await startApi({ port, databaseUrl }, seen));
    expect(await states()).toEqual(before);
    expect(before.desk.state).toBe('REDUCING');
    expect(before.beta.state).toBe('HALTED');
    expect(before.lim.limits).toMatchObject({ max_order_notional: '750.00', max_position: 40 });
    await api.put('/desk/risk-state', { state: 'ACTIVE' });
    // Held again: the cash of both still counts against buying power.
    const usable = await api.put('/portfolios/Gate/limits', { approval_threshold: null });
    expect(usable.status).toBe(200);
    const probe = await trader.post('/orders', limit('Gate', 'BUY', 100000000, '0.01'));
    expect(probe.body.error.code).toBe('INSUFFICIENT_CASH');
    const approved = await approver.post(`/orders/${pending.body.id}/approve`, {});
    expect({ status: approved.status, order: approved.body.status }).toEqual({ status: 200, order: 'NEW' });
    // Started again with a one-second timeout: the other order, placed more than a second ago, expires at once.
    await oms.stop();
    ({ oms, api } = await startApi({ port, databaseUrl, env: { APPROVAL_TIMEOUT_SECONDS: '1' } }, seen));
    await waitFor(async () => (await api.get(`/orders/${second.body.id}`)).body.status === 'REJECTED', 10_000, 'the pending order to expire');
    expect((await api.get(`/orders/${second.body.id}`)).body).toMatchObject({ status: 'REJECTED', reason: 'APPROVAL_EXPIRED', remaining_quantity: 0 });
    expect(await oms.service.prisma.auditEvent.count({ where: { action: 'order.expire_approval', target: second.body.id } })).toBe(1);
  }, 90_000);

  it('an order not decided in time expires on the feed, its hold released', async () => {
    const feed = await FeedTestClient.connect(oms.baseUrl);
    await feed.auth(oms.adminKey);
    await feed.subscribe('orders:Gate');
    await api.put('/portfolios/Gate/limits', { approval_threshold: '1000.00' });
    const res = await trader.post('/orders', limit('Gate', 'BUY', 30, '94.00'));
    expect(res.status).toBe(202);
    const seenStatuses: string[] = [];
    while (!seenStatuses.includes('REJECTED')) {
      const frame = await feed.next(isUpdate('orders:Gate'), 10_000, 'the expiry');
      for (const o of (frame.data as { orders: { id: string; status: string; reason: string | null }[] }).orders) {
        if (o.id === res.body.id) seenStatuses.push(`${o.status}${o.reason ? ` ${o.reason}` : ''}`.split(' ')[0]);
        if (o.id === res.body.id && o.status === 'REJECTED') expect(o.reason).toBe('APPROVAL_EXPIRED');
      }
    }
    expect(seenStatuses).toEqual(['PENDING_APPROVAL', 'REJECTED']);
    await feed.close();
  });

  it('reconciles, and every answer had its documented shape', async () => {
    await oms.service.desks.drain();
    expect(await reconcile(oms.service.prisma)).toMatchObject({ ok: true, problems: [] });
    expectNoServerErrors(seen);
    expectDocumentedAnswers(seen);
  });
});
