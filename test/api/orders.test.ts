import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestOms } from '../support/oms.js';
import { anyId, anyIso, expectError, expectNoServerErrors, orderBody, startApi, type ApiClient } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';

/** POST/GET/PATCH/DELETE /orders: success paths, list filters and pagination, idempotent retries. */
let oms: TestOms;
let api: ApiClient;

beforeAll(async () => {
  ({ oms, api } = await startApi());
  await api.createPortfolio('Alpha', '1000000.00');
  await api.createPortfolio('Beta', '1000000.00', true);
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

/** A trade as GET /trades shows it; an order's fills add `side` and `liquidity`. */
function trade(fields: Record<string, unknown>) {
  return { trade_id: anyId(), kind: 'MATCH', buy_fee: '0.00', sell_fee: '0.00', executed_at: anyIso(), ...fields };
}

describe('POST /orders', () => {
  it('places a resting limit order: 201 with the order and no fills', async () => {
    const symbol = await api.newSymbol();
    const res = await api.post('/orders', {
      symbol: symbol.toLowerCase(),
      side: 'buy',
      type: 'limit',
      quantity: 100,
      limit_price: '99.5',
      time_in_force: 'gtc',
      portfolio_name: 'Alpha',
      user_id: 'script:alice',
      origin: { slack: { team: 'T1', channel: 'C1', user: 'U1' } },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      ...orderBody({
        symbol,
        side: 'BUY',
        quantity: 100,
        remaining_quantity: 100,
        limit_price: '99.50',
        time_in_force: 'GTC',
        portfolio_name: 'Alpha',
        user_id: 'script:alice',
        origin: { slack: { team: 'T1', channel: 'C1', user: 'U1' } },
      }),
      fills: [],
    });
  });

  it('a crossing order fills at the resting price and answers its fills from its own side', async () => {
    const symbol = await api.newSymbol();
    const maker = await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 30, limit_price: 101.25, portfolio_name: 'Beta' });
    const res = await api.post('/orders', {
      symbol,
      side: 'BUY',
      type: 'LIMIT',
      quantity: 50,
      limit_price: '102.00',
      portfolio_name: 'Alpha',
      client_order_id: 'cross-1',
    });
    expect(res.status).toBe(201);
    const fill = trade({
      symbol,
      price: '101.25',
      quantity: 30,
      gmv: '3037.50',
      aggressor_side: 'BUY',
      buy_order_id: res.body.id,
      sell_order_id: maker.id,
      buy_portfolio: 'Alpha',
      sell_portfolio: 'Beta',
    });
    expect(res.body).toEqual({
      ...orderBody({
        client_order_id: 'cross-1',
        symbol,
        side: 'BUY',
        quantity: 50,
        filled_quantity: 30,
        remaining_quantity: 20,
        limit_price: '102.00',
        status: 'PARTIALLY_FILLED',
        avg_fill_price: '101.25',
        portfolio_name: 'Alpha',
      }),
      fills: [{ ...fill, side: 'BUY', liquidity: 'TAKER', fee: '0.00' }],
    });

    // The maker's view of the same trade, from GET /orders/{id}.
    const makerNow = await api.get(`/orders/${maker.id}`);
    expect(makerNow.status).toBe(200);
    expect(makerNow.body).toEqual({
      ...orderBody({
        id: maker.id,
        symbol,
        side: 'SELL',
        quantity: 30,
        filled_quantity: 30,
        remaining_quantity: 0,
        limit_price: '101.25',
        status: 'FILLED',
        avg_fill_price: '101.25',
        portfolio_name: 'Beta',
      }),
      fills: [{ ...fill, trade_id: res.body.fills[0].trade_id, side: 'SELL', liquidity: 'MAKER', fee: '0.00' }],
    });
  });

  it('a market order sweeps several levels; avg_fill_price is the exact weighted average', async () => {
    const symbol = await api.newSymbol();
    const a1 = await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 10, limit_price: '100.00', portfolio_name: 'Beta' });
    const a2 = await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 20, limit_price: '100.03', portfolio_name: 'Beta' });
    const res = await api.post('/orders', { symbol, side: 'BUY', type: 'MARKET', quantity: 25, portfolio_name: 'Alpha' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      ...orderBody({
        symbol,
        side: 'BUY',
        type: 'MARKET',
        quantity: 25,
        filled_quantity: 25,
        remaining_quantity: 0,
        status: 'FILLED',
        // (10 x 100.00 + 15 x 100.03) / 25 = 100.018
        avg_fill_price: '100.018',
        portfolio_name: 'Alpha',
      }),
      fills: [
        { ...trade({ symbol, price: '100.00', quantity: 10, gmv: '1000.00', aggressor_side: 'BUY', buy_order_id: res.body.id, sell_order_id: a1.id, buy_portfolio: 'Alpha', sell_portfolio: 'Beta' }), side: 'BUY', liquidity: 'TAKER', fee: '0.00' },
        { ...trade({ symbol, price: '100.03', quantity: 15, gmv: '1500.45', aggressor_side: 'BUY', buy_order_id: res.body.id, sell_order_id: a2.id, buy_portfolio: 'Alpha', sell_portfolio: 'Beta' }), side: 'BUY', liquidity: 'TAKER', fee: '0.00' },
      ],
    });
    expect(BigInt(res.body.fills[1].trade_id)).toBe(BigInt(res.body.fills[0].trade_id) + 1n);
  });
});

describe('GET /orders/{id}', () => {
  it('answers the order with its fills', async () => {
    const symbol = await api.newSymbol();
    const placed = await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 5, limit_price: '10.00', portfolio_name: 'Alpha', client_order_id: 'get-1' });
    const res = await api.get(`/orders/${placed.id}`);
    expect(res.status).toBe(200);
    const { fills: _f, ...order } = placed;
    expect(res.body).toEqual({ ...order, fills: [] });
  });
});

describe('GET /orders', () => {
  let symbol: string;
  const ids: string[] = [];

  beforeAll(async () => {
    symbol = await api.newSymbol();
    for (let i = 0; i < 5; i++) {
      const o = await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 1 + i, limit_price: `${90 + i}.00`, portfolio_name: 'Alpha' });
      ids.push(o.id);
    }
    // One for Beta that fills against Alpha's best bid (94.00, id ids[4]).
    const sell = await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 5, limit_price: '94.00', portfolio_name: 'Beta' });
    ids.push(sell.id);
  });

  it('lists newest first with cursor pagination, next_cursor null at the end', async () => {
    const page1 = await api.get(`/orders?symbol=${symbol}&limit=4`);
    expect(page1.status).toBe(200);
    expect(page1.body.data.map((o: { id: string }) => o.id)).toEqual([ids[5], ids[4], ids[3], ids[2]]);
    expect(page1.body.next_cursor).toBe(ids[2]);
    const page2 = await api.get(`/orders?symbol=${symbol}&limit=4&cursor=${page1.body.next_cursor}`);
    expect(page2.status).toBe(200);
    expect(page2.body).toEqual({
      data: [
        orderBody({ id: ids[1], symbol, side: 'BUY', quantity: 2, remaining_quantity: 2, limit_price: '91.00', portfolio_name: 'Alpha' }),
        orderBody({ id: ids[0], symbol, side: 'BUY', quantity: 1, remaining_quantity: 1, limit_price: '90.00', portfolio_name: 'Alpha' }),
      ],
      next_cursor: null,
    });
  });

  it('filters by portfolio, symbol and status (a status or `open`)', async () => {
    const beta = await api.get(`/orders?portfolio=Beta&symbol=${symbol.toLowerCase()}`);
    expect(beta.status).toBe(200);
    expect(beta.body).toEqual({
      data: [
        orderBody({
          id: ids[5],
          symbol,
          side: 'SELL',
          quantity: 5,
          filled_quantity: 5,
          remaining_quantity: 0,
          limit_price: '94.00',
          status: 'FILLED',
          avg_fill_price: '94.00',
          portfolio_name: 'Beta',
        }),
      ],
      next_cursor: null,
    });
    const open = await api.get(`/orders?symbol=${symbol}&status=open`);
    expect(open.body.data.map((o: { id: string }) => o.id)).toEqual([ids[3], ids[2], ids[1], ids[0]]);
    const filled = await api.get(`/orders?symbol=${symbol}&status=filled`);
    expect(filled.body.data.map((o: { id: string }) => o.id)).toEqual([ids[5], ids[4]]);
    const none = await api.get(`/orders?symbol=${symbol}&status=CANCELED`);
    expect(none.body).toEqual({ data: [], next_cursor: null });
    const unknownPortfolio = await api.get('/orders?portfolio=Nobody');
    expect(unknownPortfolio.body).toEqual({ data: [], next_cursor: null });
  });

  it('rejects a bad status, limit or cursor with a 400 naming the parameter', async () => {
    const bad = await api.get('/orders?status=DONE&limit=0&cursor=abc');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['cursor', 'limit', 'status']);
  });
});

describe('PATCH /orders/{id}', () => {
  it('changes quantity and price, answering the order and the fills the change made', async () => {
    const symbol = await api.newSymbol();
    const ask = await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 10, limit_price: '50.10', portfolio_name: 'Beta' });
    const bid = await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 20, limit_price: '50.00', portfolio_name: 'Alpha' });

    const smaller = await api.patch(`/orders/${bid.id}`, { quantity: 15 });
    expect(smaller.status).toBe(200);
    expect(smaller.body).toEqual({
      ...orderBody({ id: bid.id, symbol, side: 'BUY', quantity: 15, remaining_quantity: 15, limit_price: '50.00', portfolio_name: 'Alpha' }),
      fills: [],
    });

    const crossing = await api.patch(`/orders/${bid.id}`, { limit_price: 50.1 });
    expect(crossing.status).toBe(200);
    expect(crossing.body).toEqual({
      ...orderBody({
        id: bid.id,
        symbol,
        side: 'BUY',
        quantity: 15,
        filled_quantity: 10,
        remaining_quantity: 5,
        limit_price: '50.10',
        status: 'PARTIALLY_FILLED',
        avg_fill_price: '50.10',
        portfolio_name: 'Alpha',
      }),
      fills: [
        {
          ...trade({ symbol, price: '50.10', quantity: 10, gmv: '501.00', aggressor_side: 'BUY', buy_order_id: bid.id, sell_order_id: ask.id, buy_portfolio: 'Alpha', sell_portfolio: 'Beta' }),
          side: 'BUY',
          liquidity: 'TAKER',
          fee: '0.00',
        },
      ],
    });
    const book = await api.get(`/book/${symbol}`);
    expect({ bids: book.body.bids, asks: book.body.asks }).toEqual({ bids: [{ price: '50.10', quantity: 5, orders: 1 }], asks: [] });
  });

  it('refuses a quantity at or below what is already filled: 422 INVALID_MODIFY naming quantity', async () => {
    const symbol = await api.newSymbol();
    await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 4, limit_price: '20.00', portfolio_name: 'Beta' });
    const bid = await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 10, limit_price: '20.00', portfolio_name: 'Alpha' });
    const res = await api.patch(`/orders/${bid.id}`, { quantity: 4 });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 422,
      body: {
        error: {
          code: 'INVALID_MODIFY',
          message: 'quantity must be above the 4 already filled',
          details: [{ path: 'quantity', message: 'quantity must be above the 4 already filled' }],
        },
      },
    });
    const empty = await api.patch(`/orders/${bid.id}`, {});
    expect({ status: empty.status, body: empty.body }).toEqual({
      status: 400,
      body: {
        error: {
          code: 'VALIDATION_ERROR',
          message: '(body): give at least one of quantity, limit_price, stop_price',
          details: [{ path: '(body)', message: 'give at least one of quantity, limit_price, stop_price' }],
        },
      },
    });
  });
});

describe('DELETE /orders/{id}', () => {
  it('cancels an open order: the canceled order, reason USER, off the book', async () => {
    const symbol = await api.newSymbol();
    const bid = await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 7, limit_price: '30.00', portfolio_name: 'Alpha' });
    const res = await api.delete(`/orders/${bid.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      orderBody({ id: bid.id, symbol, side: 'BUY', quantity: 7, remaining_quantity: 0, limit_price: '30.00', status: 'CANCELED', reason: 'USER', portfolio_name: 'Alpha' }),
    );
    const book = await api.get(`/book/${symbol}`);
    expect(book.body.bids).toEqual([]);
    const again = await api.get(`/orders/${bid.id}`);
    expect(again.body).toEqual({ ...res.body, fills: [] });
  });
});

describe('idempotent retries (client_order_id)', () => {
  it('the same client_order_id twice: 201 then 200 with the same order, one row in the database', async () => {
    const symbol = await api.newSymbol();
    const body = { symbol, side: 'BUY', type: 'LIMIT', quantity: 3, limit_price: '40.00', portfolio_name: 'Alpha', client_order_id: 'retry-1' };
    const first = await api.post('/orders', body);
    const second = await api.post('/orders', body);
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.body).toEqual(first.body);
    expect(await oms.service.prisma.order.count({ where: { clientOrderId: 'retry-1' } })).toBe(1);
    const book = await api.get(`/book/${symbol}`);
    expect(book.body.bids).toEqual([{ price: '40.00', quantity: 3, orders: 1 }]);
  });

  it('the retry answers the original with its fills as they are now, even if its quantity or price differ', async () => {
    const symbol = await api.newSymbol();
    const first = await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 10, limit_price: '40.00', portfolio_name: 'Alpha', client_order_id: 'retry-2' });
    const sell = await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 6, limit_price: '40.00', portfolio_name: 'Beta' });
    // A modify may have changed quantity and price since: a retry of the original request still finds it.
    const retry = await api.post('/orders', { symbol, side: 'BUY', type: 'LIMIT', quantity: 99, limit_price: '41.00', portfolio_name: 'Alpha', client_order_id: 'retry-2' });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({
      ...orderBody({
        id: first.id,
        client_order_id: 'retry-2',
        symbol,
        side: 'BUY',
        quantity: 10,
        filled_quantity: 6,
        remaining_quantity: 4,
        limit_price: '40.00',
        status: 'PARTIALLY_FILLED',
        avg_fill_price: '40.00',
        portfolio_name: 'Alpha',
      }),
      fills: [
        {
          ...trade({ symbol, price: '40.00', quantity: 6, gmv: '240.00', aggressor_side: 'SELL', buy_order_id: first.id, sell_order_id: sell.id, buy_portfolio: 'Alpha', sell_portfolio: 'Beta' }),
          side: 'BUY',
          liquidity: 'MAKER',
          fee: '0.00',
        },
      ],
    });
    // The same id in another portfolio is another order.
    const other = await api.post('/orders', { symbol, side: 'SELL', type: 'LIMIT', quantity: 1, limit_price: '45.00', portfolio_name: 'Beta', client_order_id: 'retry-2' });
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(first.id);
  });

  it('a client_order_id already used for another symbol, side, type or time in force: 409, nothing placed', async () => {
    const symbol = await api.newSymbol();
    const other = await api.newSymbol();
    const first = await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 5, limit_price: '40.00', time_in_force: 'GTC', portfolio_name: 'Alpha', client_order_id: 'reused-1' });
    const message = `client_order_id reused-1 already names order ${first.id} (BUY LIMIT GTC ${symbol}) in this portfolio`;
    for (const change of [{ symbol: other }, { side: 'SELL' }, { type: 'STOP_LIMIT', stop_price: '39.00' }, { time_in_force: 'DAY' }]) {
      const res = await api.post('/orders', {
        symbol, side: 'BUY', type: 'LIMIT', quantity: 5, limit_price: '40.00', time_in_force: 'GTC', portfolio_name: 'Alpha', client_order_id: 'reused-1', ...change,
      });
      expectError(res, 409, 'CLIENT_ORDER_ID_IN_USE', message, [{ path: 'client_order_id', message }]);
    }
    const orders = await api.all<{ id: string }>(`/orders?portfolio=Alpha&symbol=${other}`);
    expect(orders).toEqual([]);
    // Each refusal is audited like any refused order.
    await oms.service.oms.drain();
    const audited = await oms.service.prisma.auditEvent.findMany({ where: { action: 'order.place', outcome: 'rejected', target: 'Alpha' } });
    expect(audited.filter((a) => (a.details as { error?: string } | null)?.error === 'CLIENT_ORDER_ID_IN_USE')).toHaveLength(4);
    expect((await api.get(`/orders?portfolio=Alpha&symbol=${symbol}`)).body.data.map((o: { id: string }) => o.id)).toEqual([first.id]);
  });

  it('orders and booked trades share one client_order_id per portfolio', async () => {
    const symbol = await api.newSymbol();
    const booked = await api.post('/trade', { symbol, side: 'BUY', quantity: 2, gmv: '200.00', portfolio_name: 'Alpha', client_order_id: 'shared-1' });
    expect(booked.status).toBe(201);
    const asOrder = await api.post('/orders', { symbol, side: 'BUY', type: 'LIMIT', quantity: 2, limit_price: '40.00', portfolio_name: 'Alpha', client_order_id: 'shared-1' });
    const bookedMessage = `client_order_id shared-1 already names a booked trade (${booked.body.trade_id}) in this portfolio`;
    expectError(asOrder, 409, 'CLIENT_ORDER_ID_IN_USE', bookedMessage, [{ path: 'client_order_id', message: bookedMessage }]);

    const order = await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 2, limit_price: '40.00', portfolio_name: 'Alpha', client_order_id: 'shared-2' });
    const orderMessage = `client_order_id shared-2 already names order ${order.id} in this portfolio`;
    const asBooking = await api.post('/trade', { symbol, side: 'BUY', quantity: 2, gmv: '200.00', portfolio_name: 'Alpha', client_order_id: 'shared-2' });
    expectError(asBooking, 409, 'CLIENT_ORDER_ID_IN_USE', orderMessage, [{ path: 'client_order_id', message: orderMessage }]);
    // /trade at market is an order of another type (MARKET IOC), so it may not take the LIMIT's id either.
    const atMarket = await api.post('/trade', { symbol, side: 'BUY', quantity: 2, portfolio_name: 'Alpha', client_order_id: 'shared-2' });
    expect({ status: atMarket.status, code: atMarket.body.error?.code }).toEqual({ status: 409, code: 'CLIENT_ORDER_ID_IN_USE' });
    // A booking retried with other terms is refused too; with the same terms it answers the original.
    const changed = await api.post('/trade', { symbol, side: 'BUY', quantity: 3, gmv: '300.00', portfolio_name: 'Alpha', client_order_id: 'shared-1' });
    expect({ status: changed.status, code: changed.body.error?.code }).toEqual({ status: 409, code: 'CLIENT_ORDER_ID_IN_USE' });
    const same = await api.post('/trade', { symbol, side: 'BUY', quantity: 2, gmv: '200.00', portfolio_name: 'Alpha', client_order_id: 'shared-1' });
    expect({ status: same.status, trade_id: same.body.trade_id }).toEqual({ status: 200, trade_id: booked.body.trade_id });
  });

  it('concurrent requests with the same client_order_id give one order, and the OMS stays healthy', async () => {
    const symbol = await api.newSymbol();
    for (let round = 0; round < 10; round++) {
      const body = { symbol, side: 'BUY', type: 'LIMIT', quantity: 2, limit_price: '41.00', portfolio_name: 'Alpha', client_order_id: `race-${round}` };
      const answers = await Promise.all(Array.from({ length: 6 }, () => api.post('/orders', body)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      expect(await oms.service.prisma.order.count({ where: { clientOrderId: `race-${round}` } })).toBe(1);
    }
    const book = await api.get(`/book/${symbol}`);
    expect(book.body.bids).toEqual([{ price: '41.00', quantity: 20, orders: 10 }]);
    const health = await api.get('~/health');
    expect({ status: health.status, body: health.body }).toEqual({ status: 200, body: { status: 'ok', database: 'ok', market_data: 'ok' } });
  });

  it('a refused first attempt does not hold the id: the corrected retry places the order', async () => {
    const symbol = await api.newSymbol();
    const base = { symbol, side: 'BUY', type: 'LIMIT', limit_price: '10.00', portfolio_name: 'Alpha', client_order_id: 'fix-1' };
    const refused = await api.post('/orders', { ...base, quantity: 10_000_000 });
    expect({ status: refused.status, code: refused.body.error.code }).toEqual({ status: 422, code: 'INSUFFICIENT_CASH' });
    const placed = await api.post('/orders', { ...base, quantity: 10 });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ client_order_id: 'fix-1', quantity: 10, status: 'NEW' });
  });

  it('a retry after a restart still finds the original (client ids are durable)', async () => {
    const symbol = await api.newSymbol();
    const body = { symbol, side: 'BUY', type: 'LIMIT', quantity: 2, limit_price: '42.00', portfolio_name: 'Alpha', client_order_id: 'durable-1' };
    const first = await api.post('/orders', body);
    expect(first.status).toBe(201);
    const port = oms.port;
    await oms.stop();
    ({ oms, api } = await startApi({ port, databaseUrl: oms.databaseUrl }, api.seen));
    const retry = await api.post('/orders', body);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(await oms.service.prisma.order.count({ where: { clientOrderId: 'durable-1' } })).toBe(1);
  }, 60_000);
});

describe('hygiene', () => {
  it('no response was a 500 or carried a stack trace, and every answer has its documented shape', () => {
    expectNoServerErrors(api.seen);
    expectDocumentedAnswers(api.seen);
  });
});
