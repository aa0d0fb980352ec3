import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestOms } from '../support/oms.js';
import { anyId, anyIso, expectError, expectNoServerErrors, startApi, type ApiClient } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';

/** POST /trade (at market and booked with gmv), GET /trades with filters and pagination, GET /trades/{id}. */
let oms: TestOms;
let api: ApiClient;

beforeAll(async () => {
  ({ oms, api } = await startApi());
  await api.createPortfolio('Desk', '1000000.00');
  await api.createPortfolio('Street', '10000000.00', true);
  await api.createPortfolio('Other', '1000000.00', true);
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

const match = (fields: Record<string, unknown>) => ({ trade_id: anyId(), kind: 'MATCH', buy_fee: '0.00', sell_fee: '0.00', executed_at: anyIso(), ...fields });

describe('POST /trade', () => {
  it('without gmv: one fill at market, answered as {success, trade_id, message, trade}', async () => {
    const symbol = await api.newSymbol('150.00');
    const ask = await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 100, limit_price: '150.00', portfolio_name: 'Street' });
    const res = await api.post('/trade', { symbol, side: 'BUY', quantity: 40, portfolio_name: 'Desk', user_id: 'slack:T1:U1' });
    expect(res.status).toBe(201);
    const trade = match({
      symbol,
      price: '150.00',
      quantity: 40,
      gmv: '6000.00',
      aggressor_side: 'BUY',
      buy_order_id: anyId(),
      sell_order_id: ask.id,
      buy_portfolio: 'Desk',
      sell_portfolio: 'Street',
    });
    expect(res.body).toEqual({ success: true, trade_id: res.body.trade.trade_id, message: `BUY 40 ${symbol} at 150.00`, trade: { ...trade, fee: '0.00' } });
    // The market order behind it is an IOC of the user.
    const behind = await api.get(`/orders/${res.body.trade.buy_order_id}`);
    expect(behind.body).toMatchObject({ type: 'MARKET', time_in_force: 'IOC', status: 'FILLED', user_id: 'slack:T1:U1', portfolio_name: 'Desk' });
    const stored = await api.get(`/trades/${res.body.trade_id}`);
    // The same trade, less the caller's own `fee` (GET /trades shows both sides').
    const { fee: _fee, ...asStored } = res.body.trade;
    expect({ status: stored.status, body: stored.body }).toEqual({ status: 200, body: asStored });
  });

  it('without gmv over several levels: the aggregate with its fills; a partial fill says so', async () => {
    const symbol = await api.newSymbol('150.00');
    const a1 = await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 30, limit_price: '150.00', portfolio_name: 'Street' });
    const a2 = await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 20, limit_price: '150.10', portfolio_name: 'Street' });
    const res = await api.post('/trade', { symbol, side: 'buy', quantity: 40, portfolio_name: 'Desk', user_id: 'u1' });
    expect(res.status).toBe(201);
    const f1 = match({ symbol, price: '150.00', quantity: 30, gmv: '4500.00', aggressor_side: 'BUY', buy_order_id: anyId(), sell_order_id: a1.id, buy_portfolio: 'Desk', sell_portfolio: 'Street' });
    const f2 = match({ symbol, price: '150.10', quantity: 10, gmv: '1501.00', aggressor_side: 'BUY', buy_order_id: anyId(), sell_order_id: a2.id, buy_portfolio: 'Desk', sell_portfolio: 'Street' });
    expect(res.body).toEqual({
      success: true,
      trade_id: res.body.trade.fills[0].trade_id,
      message: `BUY 40 ${symbol} at 150.025`,
      trade: { ...f1, price: '150.025', quantity: 40, gmv: '6001.00', fee: '0.00', fills: [{ ...f1, fee: '0.00' }, { ...f2, fee: '0.00' }] },
    });

    const partial = await api.post('/trade', { symbol, side: 'BUY', quantity: 100, portfolio_name: 'Desk', user_id: 'u1' });
    expect(partial.status).toBe(201);
    expect(partial.body).toEqual({
      success: true,
      trade_id: anyId(),
      message: `BUY 10 of 100 ${symbol} at 150.10; the rest found no liquidity`,
      trade: { ...match({ symbol, price: '150.10', quantity: 10, gmv: '1501.00', aggressor_side: 'BUY', buy_order_id: anyId(), sell_order_id: a2.id, buy_portfolio: 'Desk', sell_portfolio: 'Street' }), fee: '0.00' },
    });

    const none = await api.post('/trade', { symbol, side: 'BUY', quantity: 5, portfolio_name: 'Desk', user_id: 'u1' });
    expect({ status: none.status, body: none.body }).toEqual({
      status: 200,
      body: { success: false, trade_id: null, message: `no liquidity for ${symbol}: nothing was executed`, trade: null },
    });
  });

  it('with gmv: books the execution at gmv / quantity against the house, off the book', async () => {
    const symbol = await api.newSymbol('175.00');
    const res = await api.post('/trade', { symbol, side: 'BUY', quantity: 100, portfolio_name: 'Desk', user_id: 'u2', gmv: 17525 });
    expect(res.status).toBe(201);
    const trade = {
      trade_id: anyId(),
      symbol,
      price: '175.25',
      quantity: 100,
      gmv: '17525.00',
      aggressor_side: 'BUY',
      buy_order_id: null,
      sell_order_id: null,
      buy_portfolio: 'Desk',
      sell_portfolio: 'HOUSE',
      kind: 'BOOKED',
      buy_fee: '0.00',
      sell_fee: '0.00',
      executed_at: anyIso(),
      fee: '0.00',
    };
    expect(res.body).toEqual({ success: true, trade_id: res.body.trade.trade_id, message: `BUY 100 ${symbol} booked at 175.25 (gmv 17525.00)`, trade });
    const sell = await api.post('/trade', { symbol, side: 'SELL', quantity: 40, portfolio_name: 'Desk', user_id: 'u2', gmv: '7200.40' });
    expect(sell.status).toBe(201);
    expect(sell.body).toEqual({
      success: true,
      trade_id: sell.body.trade.trade_id,
      message: `SELL 40 ${symbol} booked at 180.01 (gmv 7200.40)`,
      trade: { ...trade, price: '180.01', quantity: 40, gmv: '7200.40', aggressor_side: 'SELL', buy_portfolio: 'HOUSE', sell_portfolio: 'Desk' },
    });
    // Off the book: no level, no last price.
    const book = await api.get(`/book/${symbol}`);
    expect(book.body).toMatchObject({ bids: [], asks: [], last_price: null, reference_price: '175.00' });
    const summary = await api.get('/portfolio/Desk');
    expect(summary.body.positions.find((p: { symbol: string }) => p.symbol === symbol)).toEqual({
      symbol,
      quantity: 60,
      avg_cost: '175.25',
      cost_basis: '10515.00',
      reference_price: '175.00',
      market_value: '10500.00',
      gmv: '10500.00',
      unrealized_pnl: '-15.00',
      realized_pnl: '190.40',
    });
  });

  it('with gmv refuses what the portfolio cannot do: selling short, or more than its cash', async () => {
    const symbol = await api.newSymbol('10.00');
    const short = await api.post('/trade', { symbol, side: 'SELL', quantity: 10, portfolio_name: 'Desk', user_id: 'u', gmv: '100.00' });
    expectError(short, 422, 'SHORT_NOT_ALLOWED', `portfolio Desk may not sell more ${symbol} than it holds (0 available)`, [
      { path: 'quantity', message: `portfolio Desk may not sell more ${symbol} than it holds (0 available)` },
    ]);
    const desk = (await api.get('/portfolio/Desk')).body;
    // With no open order holding any of it, all of Desk's cash is available.
    expect(desk.open_orders).toBe(0);
    const rich = await api.post('/trade', { symbol, side: 'BUY', quantity: 10, portfolio_name: 'Desk', user_id: 'u', gmv: '5000000.00' });
    const noCash = `portfolio Desk lacks buying power for this order (needs 5000000.00, ${desk.cash} available)`;
    expectError(rich, 422, 'INSUFFICIENT_CASH', noCash, [{ path: 'quantity', message: noCash }]);
    const zero = await api.post('/trade', { symbol, side: 'BUY', quantity: 10, portfolio_name: 'Desk', user_id: 'u', gmv: '0' });
    expectError(zero, 400, 'VALIDATION_ERROR', 'gmv: gmv must be positive', [{ path: 'gmv', message: 'gmv must be positive' }]);
  });

  it('with gmv books only within 20% of the reference price, so a booking cannot print any P&L it likes', async () => {
    const symbol = await api.newSymbol('10.00');
    const cash = async () => (await api.get('/portfolio/Desk')).body.cash as string;
    const before = await cash();
    for (const [side, gmv, price] of [['BUY', '120.01', '12.001'], ['BUY', '79.99', '7.999'], ['BUY', '200.00', '20.00'], ['BUY', '0.10', '0.01']] as const) {
      const res = await api.post('/trade', { symbol, side, quantity: 10, portfolio_name: 'Desk', gmv });
      const message = `gmv / quantity = ${price} is more than 20% from the reference price 10.00 of ${symbol}`;
      expectError(res, 422, 'PRICE_OUTSIDE_BAND', message, [{ path: 'gmv', message }]);
    }
    expect(await cash()).toBe(before);
    // The edges of the band are inside it.
    for (const gmv of ['120.00', '80.00']) {
      expect((await api.post('/trade', { symbol, side: 'BUY', quantity: 10, portfolio_name: 'Desk', gmv })).status).toBe(201);
    }
  });

  it('with gmv and a client_order_id books once: retries, even concurrent ones, answer 200 with the same trade', async () => {
    const symbol = await api.newSymbol('50.00');
    const cash = async () => (await api.get('/portfolio/Desk')).body.cash as string;
    const before = await cash();
    const body = { symbol, side: 'BUY', quantity: 10, portfolio_name: 'Desk', user_id: 'u', gmv: '500.00', client_order_id: 'book-once-1' };
    const all = await Promise.all([1, 2, 3, 4].map(() => api.post('/trade', body)));
    expect(all.map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);
    expect(new Set(all.map((r) => r.body.trade_id)).size).toBe(1);
    expect(all.map((r) => r.body.trade)).toEqual(all.map(() => all[0].body.trade));
    const later = await api.post('/trade', body);
    expect([later.status, later.body.trade_id]).toEqual([200, all[0].body.trade_id]);
    const booked = (await api.get(`/trades?symbol=${symbol}`)).body.data;
    expect(booked).toHaveLength(1);
    expect(Number(before) - Number(await cash())).toBe(500);
    // The id is per portfolio: another portfolio may use it for its own booking.
    const other = await api.post('/trade', { ...body, portfolio_name: 'Other' });
    expect(other.status).toBe(201);
    expect(other.body.trade_id).not.toBe(all[0].body.trade_id);
  });

  it('with gmv and a client_order_id, a refused booking books nothing and a corrected retry books', async () => {
    const symbol = await api.newSymbol('10.00');
    const body = { symbol, side: 'BUY', quantity: 10, portfolio_name: 'Desk', user_id: 'u', client_order_id: 'book-after-refusal' };
    expect((await api.post('/trade', { ...body, gmv: '5000000.00' })).status).toBe(422);
    const retry = await api.post('/trade', { ...body, gmv: '100.00' });
    expect([retry.status, retry.body.trade.gmv]).toEqual([201, '100.00']);
  });

  it('at market with a client_order_id trades once; a retry answers 200 with the same fills', async () => {
    const symbol = await api.newSymbol('20.00');
    await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 5, limit_price: '20.00', portfolio_name: 'Street' });
    await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 5, limit_price: '20.10', portfolio_name: 'Street' });
    const body = { symbol, side: 'BUY', quantity: 8, portfolio_name: 'Desk', user_id: 'u', client_order_id: 'market-once-1' };
    const first = await api.post('/trade', body);
    expect(first.status).toBe(201);
    expect(first.body.trade).toMatchObject({ quantity: 8, price: '20.0375', gmv: '160.30' });
    const again = await api.post('/trade', body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    // The second request did not trade: 2 left at 20.10.
    expect((await api.get(`/book/${symbol}`)).body.asks).toEqual([expect.objectContaining({ price: '20.10', quantity: 2 })]);
  });
});

describe('GET /trades', () => {
  let symbol: string;
  /** Trade ids in execution order, and the order ids behind them. */
  const tradeIds: string[] = [];
  let deskOrder: string;
  let otherOrder: string;

  beforeAll(async () => {
    symbol = await api.newSymbol('20.00');
    const bid = await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 5, limit_price: '20.00', portfolio_name: 'Desk', time_in_force: 'GTC' });
    deskOrder = bid.id;
    for (let i = 0; i < 5; i++) {
      const s = await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 1, limit_price: '20.00', portfolio_name: 'Street' });
      tradeIds.push(s.fills[0].trade_id);
    }
    const other = await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 2, limit_price: '20.00', portfolio_name: 'Other' });
    otherOrder = other.id;
    for (let i = 0; i < 2; i++) {
      const s = await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 1, limit_price: '20.00', portfolio_name: 'Street' });
      tradeIds.push(s.fills[0].trade_id);
    }
  });

  it('answers newest first, page by page with cursor, ending with next_cursor null', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: { data: { trade_id: string }[]; next_cursor: string | null } } = await api.get(
        `/trades?symbol=${symbol}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((t) => t.trade_id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...tradeIds].reverse());
  });

  it('every trade in full, and the same from GET /trades/{id}', async () => {
    const res = await api.get(`/trades?symbol=${symbol}&limit=1`);
    expect(res.body).toEqual({
      data: [
        match({
          trade_id: tradeIds[6],
          symbol,
          price: '20.00',
          quantity: 1,
          gmv: '20.00',
          aggressor_side: 'SELL',
          buy_order_id: otherOrder,
          sell_order_id: anyId(),
          buy_portfolio: 'Other',
          sell_portfolio: 'Street',
        }),
      ],
      next_cursor: tradeIds[6],
    });
    const one = await api.get(`/trades/${tradeIds[6]}`);
    expect({ status: one.status, body: one.body }).toEqual({ status: 200, body: res.body.data[0] });
  });

  it('filters by portfolio, symbol and order_id', async () => {
    const byOrder = await api.get(`/trades?order_id=${deskOrder}`);
    expect(byOrder.body.data.map((t: { trade_id: string }) => t.trade_id)).toEqual(tradeIds.slice(0, 5).reverse());
    const byPortfolio = await api.get(`/trades?portfolio=Other&symbol=${symbol.toLowerCase()}`);
    expect(byPortfolio.body.data.map((t: { trade_id: string }) => t.trade_id)).toEqual([tradeIds[6], tradeIds[5]]);
    expect(byPortfolio.body.next_cursor).toBeNull();
    const street = await api.all<{ trade_id: string; sell_portfolio: string }>(`/trades?portfolio=Street&symbol=${symbol}`);
    expect(street.map((t) => t.trade_id)).toEqual([...tradeIds].reverse());
    const none = await api.get('/trades?symbol=MSFT');
    expect(none.body).toEqual({ data: [], next_cursor: null });
  });

  it('since_id answers ascending from after that id, and pages on with next_cursor', async () => {
    const res = await api.get(`/trades?symbol=${symbol}&since_id=${tradeIds[1]}&limit=3`);
    expect(res.status).toBe(200);
    expect(res.body.data.map((t: { trade_id: string }) => t.trade_id)).toEqual(tradeIds.slice(2, 5));
    expect(res.body.next_cursor).toBe(tradeIds[4]);
    const next = await api.get(`/trades?symbol=${symbol}&since_id=${tradeIds[1]}&limit=3&cursor=${res.body.next_cursor}`);
    expect(next.body.data.map((t: { trade_id: string }) => t.trade_id)).toEqual(tradeIds.slice(5));
    expect(next.body.next_cursor).toBeNull();
    const fromLast = await api.get(`/trades?symbol=${symbol}&since_id=${tradeIds[6]}`);
    expect(fromLast.body).toEqual({ data: [], next_cursor: null });
  });

  it('an unknown trade is a 404 TRADE_NOT_FOUND; a bad id a 400', async () => {
    expectError(await api.get('/trades/999999999'), 404, 'TRADE_NOT_FOUND', 'no trade 999999999');
    expectError(await api.get('/trades/abc'), 400, 'VALIDATION_ERROR', 'trade_id: trade_id must be 1 to 15 digits', [
      { path: 'trade_id', message: 'trade_id must be 1 to 15 digits' },
    ]);
  });
});

describe('hygiene', () => {
  it('no response was a 500 or carried a stack trace, and every answer has its documented shape', () => {
    expectNoServerErrors(api.seen);
    expectDocumentedAnswers(api.seen);
  });
});
