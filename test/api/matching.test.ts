import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestOms } from '../support/oms.js';
import { anyId, anyIso, expectNoServerErrors, orderBody, startApi, type ApiClient } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';

/**
 * Matching behaviour as a REST client sees it: time in force, stops triggered by a reference price,
 * modify and time priority, self-trade prevention. Each test trades a symbol of its own.
 */
let oms: TestOms;
let api: ApiClient;

beforeAll(async () => {
  ({ oms, api } = await startApi());
  await api.createPortfolio('Alpha', '1000000.00', true);
  await api.createPortfolio('Beta', '1000000.00', true);
  await api.createPortfolio('Gamma', '1000000.00', true);
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

const limit = (symbol: string, portfolio: string, side: 'BUY' | 'SELL', quantity: number, price: string, extra: Record<string, unknown> = {}) =>
  api.place({ symbol, side, type: 'LIMIT', quantity, limit_price: price, portfolio_name: portfolio, ...extra });

const book = async (symbol: string) => {
  const res = await api.get(`/book/${symbol}`);
  expect(res.status).toBe(200);
  return { bids: res.body.bids, asks: res.body.asks };
};

const order = async (id: string) => {
  const res = await api.get(`/orders/${id}`);
  expect(res.status).toBe(200);
  return res.body;
};

/** The maker order ids of an order's fills, in the order they happened. */
const makers = (placed: { side: string; fills: { buy_order_id: string; sell_order_id: string }[] }) =>
  placed.fills.map((f) => (placed.side === 'BUY' ? f.sell_order_id : f.buy_order_id));

describe('time in force', () => {
  it('DAY rests and expires at the end of the day; GTC survives it', async () => {
    const symbol = await api.newSymbol();
    const day = await limit(symbol, 'Alpha', 'BUY', 10, '99.00');
    const gtc = await limit(symbol, 'Alpha', 'BUY', 5, '98.00', { time_in_force: 'GTC' });
    const dayStop = await api.place({ symbol, side: 'BUY', type: 'STOP', quantity: 3, stop_price: '120.00', portfolio_name: 'Alpha' });
    expect(dayStop).toMatchObject({ status: 'NEW', triggered: false });
    expect(await book(symbol)).toEqual({
      bids: [
        { price: '99.00', quantity: 10, orders: 1 },
        { price: '98.00', quantity: 5, orders: 1 },
      ],
      asks: [],
    });

    await oms.service.oms.expireDay();

    expect(await order(day.id)).toEqual({
      ...orderBody({ id: day.id, symbol, side: 'BUY', quantity: 10, remaining_quantity: 0, limit_price: '99.00', status: 'EXPIRED', reason: 'END_OF_DAY', portfolio_name: 'Alpha' }),
      fills: [],
    });
    expect(await order(dayStop.id)).toMatchObject({ status: 'EXPIRED', reason: 'END_OF_DAY', remaining_quantity: 0 });
    expect(await order(gtc.id)).toMatchObject({ status: 'NEW', time_in_force: 'GTC', remaining_quantity: 5 });
    expect(await book(symbol)).toEqual({ bids: [{ price: '98.00', quantity: 5, orders: 1 }], asks: [] });
  });

  it('IOC fills what it can at once and cancels the rest (reason UNFILLED); nothing rests', async () => {
    const symbol = await api.newSymbol();
    const ask = await limit(symbol, 'Beta', 'SELL', 4, '100.00');
    const ioc = await api.post('/orders', { symbol, side: 'BUY', type: 'LIMIT', quantity: 10, limit_price: '100.00', time_in_force: 'IOC', portfolio_name: 'Alpha' });
    expect(ioc.status).toBe(201);
    expect(ioc.body).toEqual({
      ...orderBody({
        symbol,
        side: 'BUY',
        quantity: 10,
        filled_quantity: 4,
        remaining_quantity: 0,
        limit_price: '100.00',
        time_in_force: 'IOC',
        status: 'CANCELED',
        reason: 'UNFILLED',
        avg_fill_price: '100.00',
        portfolio_name: 'Alpha',
      }),
      fills: [
        {
          trade_id: anyId(),
          symbol,
          price: '100.00',
          quantity: 4,
          gmv: '400.00',
          aggressor_side: 'BUY',
          buy_order_id: ioc.body.id,
          sell_order_id: ask.id,
          buy_portfolio: 'Alpha',
          sell_portfolio: 'Beta',
          kind: 'MATCH',
          buy_fee: '0.00',
          sell_fee: '0.00',
          executed_at: anyIso(),
          side: 'BUY',
          liquidity: 'TAKER',
          fee: '0.00',
        },
      ],
    });
    expect(await book(symbol)).toEqual({ bids: [], asks: [] });
  });

  it('FOK fills completely at once or not at all', async () => {
    const symbol = await api.newSymbol();
    await limit(symbol, 'Beta', 'SELL', 5, '100.00');
    await limit(symbol, 'Gamma', 'SELL', 5, '100.05');
    const tooBig = await api.post('/orders', { symbol, side: 'BUY', type: 'LIMIT', quantity: 11, limit_price: '101.00', time_in_force: 'FOK', portfolio_name: 'Alpha' });
    expect(tooBig.status).toBe(201);
    expect(tooBig.body).toEqual({
      ...orderBody({
        symbol,
        side: 'BUY',
        quantity: 11,
        remaining_quantity: 0,
        limit_price: '101.00',
        time_in_force: 'FOK',
        status: 'CANCELED',
        reason: 'FOK_UNFILLABLE',
        portfolio_name: 'Alpha',
      }),
      fills: [],
    });
    expect(await book(symbol)).toEqual({
      bids: [],
      asks: [
        { price: '100.00', quantity: 5, orders: 1 },
        { price: '100.05', quantity: 5, orders: 1 },
      ],
    });
    const fits = await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 8, limit_price: '101.00', time_in_force: 'fok', portfolio_name: 'Alpha' });
    expect(fits).toMatchObject({ status: 'FILLED', filled_quantity: 8, avg_fill_price: '100.0188' });
    expect(fits.fills.map((f: { price: string; quantity: number }) => [f.price, f.quantity])).toEqual([
      ['100.00', 5],
      ['100.05', 3],
    ]);
    expect(await book(symbol)).toEqual({ bids: [], asks: [{ price: '100.05', quantity: 2, orders: 1 }] });
  });

  it('a MARKET order never rests: with an empty book it is canceled UNFILLED', async () => {
    const symbol = await api.newSymbol();
    const res = await api.post('/orders', { symbol, side: 'SELL', type: 'MARKET', quantity: 5, portfolio_name: 'Alpha', time_in_force: 'GTC' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      ...orderBody({ symbol, side: 'SELL', type: 'MARKET', quantity: 5, remaining_quantity: 0, time_in_force: 'GTC', status: 'CANCELED', reason: 'UNFILLED', portfolio_name: 'Alpha' }),
      fills: [],
    });
    expect(await book(symbol)).toEqual({ bids: [], asks: [] });
  });
});

describe('stop orders', () => {
  it('a STOP buy waits untriggered, then triggers on PUT price and executes at market', async () => {
    const symbol = await api.newSymbol('100.00');
    const ask = await limit(symbol, 'Beta', 'SELL', 10, '106.00');
    const stop = await api.post('/orders', { symbol, side: 'BUY', type: 'STOP', quantity: 6, stop_price: '105.00', portfolio_name: 'Alpha', time_in_force: 'GTC' });
    expect(stop.status).toBe(201);
    expect(stop.body).toEqual({
      ...orderBody({ symbol, side: 'BUY', type: 'STOP', quantity: 6, remaining_quantity: 6, stop_price: '105.00', time_in_force: 'GTC', triggered: false, portfolio_name: 'Alpha' }),
      fills: [],
    });
    // Below the stop: nothing happens.
    await api.setPrice(symbol, '104.99');
    expect(await order(stop.body.id)).toMatchObject({ status: 'NEW', triggered: false, filled_quantity: 0 });

    const priced = await api.put(`/instruments/${symbol}/price`, { price: '105.00' });
    expect(priced.status).toBe(200);
    expect(priced.body).toEqual({
      symbol,
      name: `test ${symbol}`,
      tick_size: '0.01',
      lot_size: 1,
      reference_price: '105.00',
      last_price: '106.00',
      best_bid: null,
      best_ask: '106.00',
      source: 'simulator',
      market_status: 'live',
      session: '24/7',
    });
    const filled = await order(stop.body.id);
    expect(filled).toEqual({
      ...orderBody({
        id: stop.body.id,
        symbol,
        side: 'BUY',
        type: 'STOP',
        quantity: 6,
        filled_quantity: 6,
        remaining_quantity: 0,
        stop_price: '105.00',
        time_in_force: 'GTC',
        status: 'FILLED',
        triggered: true,
        avg_fill_price: '106.00',
        portfolio_name: 'Alpha',
      }),
      fills: [
        {
          trade_id: anyId(),
          symbol,
          price: '106.00',
          quantity: 6,
          gmv: '636.00',
          aggressor_side: 'BUY',
          buy_order_id: stop.body.id,
          sell_order_id: ask.id,
          buy_portfolio: 'Alpha',
          sell_portfolio: 'Beta',
          kind: 'MATCH',
          buy_fee: '0.00',
          sell_fee: '0.00',
          executed_at: anyIso(),
          side: 'BUY',
          liquidity: 'TAKER',
          fee: '0.00',
        },
      ],
    });
    expect(await book(symbol)).toEqual({ bids: [], asks: [{ price: '106.00', quantity: 4, orders: 1 }] });
  });

  it('a STOP_LIMIT sell triggers when the price falls to its stop and then rests at its limit', async () => {
    const symbol = await api.newSymbol('100.00');
    await limit(symbol, 'Beta', 'BUY', 2, '95.00');
    const stop = await api.place({ symbol, side: 'SELL', type: 'STOP_LIMIT', quantity: 5, stop_price: '96.00', limit_price: '95.00', portfolio_name: 'Alpha' });
    expect(stop).toMatchObject({ status: 'NEW', triggered: false, stop_price: '96.00', limit_price: '95.00' });
    expect(await book(symbol)).toEqual({ bids: [{ price: '95.00', quantity: 2, orders: 1 }], asks: [] });
    await api.setPrice(symbol, '96.00');
    expect(await order(stop.id)).toMatchObject({
      status: 'PARTIALLY_FILLED',
      triggered: true,
      filled_quantity: 2,
      remaining_quantity: 3,
      avg_fill_price: '95.00',
    });
    expect(await book(symbol)).toEqual({ bids: [], asks: [{ price: '95.00', quantity: 3, orders: 1 }] });
  });

  it('stops trigger in trigger order: the earlier of two equal stops fills first', async () => {
    const symbol = await api.newSymbol('100.00');
    await limit(symbol, 'Gamma', 'SELL', 5, '110.00');
    const first = await api.place({ symbol, side: 'BUY', type: 'STOP', quantity: 5, stop_price: '102.00', portfolio_name: 'Alpha' });
    const second = await api.place({ symbol, side: 'BUY', type: 'STOP', quantity: 5, stop_price: '102.00', portfolio_name: 'Beta' });
    await api.setPrice(symbol, '102.50');
    expect(await order(first.id)).toMatchObject({ status: 'FILLED', filled_quantity: 5, avg_fill_price: '110.00' });
    expect(await order(second.id)).toMatchObject({ status: 'CANCELED', reason: 'UNFILLED', filled_quantity: 0, triggered: true });
  });
});

describe('modify and time priority', () => {
  it('reducing quantity at the same price keeps priority', async () => {
    const symbol = await api.newSymbol();
    const a = await limit(symbol, 'Alpha', 'BUY', 10, '50.00');
    const b = await limit(symbol, 'Beta', 'BUY', 10, '50.00');
    const res = await api.patch(`/orders/${a.id}`, { quantity: 6 });
    expect(res.status).toBe(200);
    expect(await book(symbol)).toEqual({ bids: [{ price: '50.00', quantity: 16, orders: 2 }], asks: [] });
    const sell = await limit(symbol, 'Gamma', 'SELL', 8, '50.00');
    expect(makers(sell)).toEqual([a.id, b.id]);
    expect(sell.fills.map((f: { quantity: number }) => f.quantity)).toEqual([6, 2]);
  });

  it('increasing quantity loses priority', async () => {
    const symbol = await api.newSymbol();
    const a = await limit(symbol, 'Alpha', 'BUY', 10, '50.00');
    const b = await limit(symbol, 'Beta', 'BUY', 10, '50.00');
    const res = await api.patch(`/orders/${a.id}`, { quantity: 12 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: a.id, quantity: 12, remaining_quantity: 12, status: 'NEW' });
    expect(await book(symbol)).toEqual({ bids: [{ price: '50.00', quantity: 22, orders: 2 }], asks: [] });
    const sell = await limit(symbol, 'Gamma', 'SELL', 14, '50.00');
    expect(makers(sell)).toEqual([b.id, a.id]);
    expect(sell.fills.map((f: { quantity: number }) => f.quantity)).toEqual([10, 4]);
  });

  it('a price change loses priority, even back to the original price', async () => {
    const symbol = await api.newSymbol();
    const a = await limit(symbol, 'Alpha', 'SELL', 5, '60.00');
    const b = await limit(symbol, 'Beta', 'SELL', 5, '60.00');
    await api.patch(`/orders/${a.id}`, { limit_price: '60.01' });
    expect(await book(symbol)).toEqual({
      bids: [],
      asks: [
        { price: '60.00', quantity: 5, orders: 1 },
        { price: '60.01', quantity: 5, orders: 1 },
      ],
    });
    await api.patch(`/orders/${a.id}`, { limit_price: '60.00' });
    expect(await book(symbol)).toEqual({ bids: [], asks: [{ price: '60.00', quantity: 10, orders: 2 }] });
    const buy = await limit(symbol, 'Gamma', 'BUY', 7, '60.00');
    expect(makers(buy)).toEqual([b.id, a.id]);
  });
});

describe('self-trade prevention', () => {
  it('an order never trades with its own portfolio: the incoming remainder is canceled SELF_TRADE', async () => {
    const symbol = await api.newSymbol();
    const other = await limit(symbol, 'Beta', 'SELL', 3, '70.00');
    const own = await limit(symbol, 'Alpha', 'SELL', 5, '70.01');
    const res = await api.post('/orders', { symbol, side: 'BUY', type: 'LIMIT', quantity: 10, limit_price: '71.00', portfolio_name: 'Alpha', time_in_force: 'GTC' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'CANCELED',
      reason: 'SELF_TRADE',
      filled_quantity: 3,
      remaining_quantity: 0,
      avg_fill_price: '70.00',
    });
    expect(makers(res.body)).toEqual([other.id]);
    // The own resting order is untouched.
    expect(await order(own.id)).toMatchObject({ status: 'NEW', remaining_quantity: 5 });
    expect(await book(symbol)).toEqual({ bids: [], asks: [{ price: '70.01', quantity: 5, orders: 1 }] });
    const trades = await api.get(`/trades?symbol=${symbol}`);
    expect(trades.body.data).toHaveLength(1);
    expect(trades.body.data[0]).toMatchObject({ buy_portfolio: 'Alpha', sell_portfolio: 'Beta', quantity: 3 });
  });

  it('a FOK that would need its own portfolio\'s order is unfillable', async () => {
    const symbol = await api.newSymbol();
    await limit(symbol, 'Beta', 'BUY', 3, '70.00');
    await limit(symbol, 'Alpha', 'BUY', 5, '69.99');
    const res = await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 6, limit_price: '69.00', time_in_force: 'FOK', portfolio_name: 'Alpha' });
    expect(res).toMatchObject({ status: 'CANCELED', reason: 'FOK_UNFILLABLE', filled_quantity: 0, fills: [] });
  });
});

describe('hygiene', () => {
  it('no response was a 500 or carried a stack trace, and every answer has its documented shape', () => {
    expectNoServerErrors(api.seen);
    expectDocumentedAnswers(api.seen);
  });
});
