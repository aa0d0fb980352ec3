import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestOms } from '../support/oms.js';
import { expectError, expectNoServerErrors, startApi, type ApiClient } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';

/** Query strings are strict like bodies, and the lists of orders and trades filter by user_id. */
let oms: TestOms;
let api: ApiClient;
let symbol: string;

beforeAll(async () => {
  ({ oms, api } = await startApi());
  await api.createPortfolio('Alice', '1000000.00');
  await api.createPortfolio('Bob', '1000000.00', true);
  symbol = await api.newSymbol('50.00');
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

const unknown = (...names: string[]): [number, string, string, { path: string; message: string }[]] => [
  400,
  'VALIDATION_ERROR',
  names.map((n) => `${n}: Unrecognized key: "${n}"`).join('; '),
  names.map((n) => ({ path: n, message: `Unrecognized key: "${n}"` })),
];

describe('an unknown query parameter is a 400 naming it, never ignored', () => {
  it('on the lists: a page number that does not exist here, a misspelt filter', async () => {
    expectError(await api.get('/trades?page=2'), ...unknown('page'));
    expectError(await api.get('/orders?portfolio_name=Alice&sort=asc'), ...unknown('portfolio_name', 'sort'));
    expectError(await api.get('/book/AAPL?depth=5&levels=5'), ...unknown('levels'));
  });

  it('on endpoints that take no query at all, reads and writes alike', async () => {
    expectError(await api.get('/instruments?symbol=AAPL'), ...unknown('symbol'));
    expectError(await api.get('/portfolio/Alice?as_of=yesterday'), ...unknown('as_of'));
    expectError(await api.get('/keys?all'), ...unknown('all'));
    const placed = await api.post('/orders?dry_run=true', { symbol, side: 'BUY', type: 'LIMIT', quantity: 1, limit_price: '1.00', portfolio_name: 'Alice' });
    expectError(placed, ...unknown('dry_run'));
    expect(await oms.service.prisma.order.count({ where: { symbol } })).toBe(0);
  });

  it('a parameter given twice is refused, not read as one of its values', async () => {
    expectError(await api.get('/orders?symbol=AAPL&symbol=MSFT'), 400, 'VALIDATION_ERROR', 'symbol: Invalid input: expected string, received array', [
      { path: 'symbol', message: 'Invalid input: expected string, received array' },
    ]);
  });
});

describe('user_id filters the lists', () => {
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const place = async (name: string, fields: Record<string, unknown>) => {
      ids[name] = (await api.place({ symbol, type: 'LIMIT', quantity: 1, time_in_force: 'GTC', ...fields })).id;
    };
    await place('u1 rests', { side: 'BUY', limit_price: '10.00', portfolio_name: 'Alice', user_id: 'U1' });
    await place('u2 rests', { side: 'BUY', limit_price: '11.00', portfolio_name: 'Alice', user_id: 'U2' });
    await place('nobody rests', { side: 'BUY', limit_price: '12.00', portfolio_name: 'Alice' });
    // U3 (Bob) sells into U1's other bid: one trade, U1's order on the buy side, U3's on the sell side.
    await place('u1 buys', { side: 'BUY', limit_price: '50.00', portfolio_name: 'Alice', user_id: 'U1' });
    await place('u3 sells', { side: 'SELL', limit_price: '50.00', portfolio_name: 'Bob', user_id: 'U3' });
    // A booked trade carries no order, so no user.
    expect((await api.post('/trade', { symbol, side: 'BUY', quantity: 1, gmv: '50.00', portfolio_name: 'Alice', user_id: 'U1' })).status).toBe(201);
  });

  const orderIds = async (query: string, client = api) => (await client.all(`/orders?${query}`)).map((o: { id: string }) => o.id);

  it('GET /orders?user_id: only the orders placed with it, newest first, with the other filters and pages', async () => {
    expect(await orderIds('user_id=U1')).toEqual([ids['u1 buys'], ids['u1 rests']]);
    expect(await orderIds('user_id=U1&status=open')).toEqual([ids['u1 rests']]);
    expect(await orderIds('user_id=U2&portfolio=Alice')).toEqual([ids['u2 rests']]);
    expect(await orderIds('user_id=U2&portfolio=Bob')).toEqual([]);
    expect(await orderIds('user_id=u1')).toEqual([]);
    const first = await api.get('/orders?user_id=U1&limit=1');
    expect(first.body.data.map((o: { id: string }) => o.id)).toEqual([ids['u1 buys']]);
    const second = await api.get(`/orders?user_id=U1&limit=1&cursor=${first.body.next_cursor}`);
    expect({ ids: second.body.data.map((o: { id: string }) => o.id), next: second.body.next_cursor }).toEqual({ ids: [ids['u1 rests']], next: null });
  });

  it("GET /trades?user_id: the trades of that user's orders, by either side; booked trades have none", async () => {
    const tradesOf = async (query: string, client = api) =>
      (await client.all(`/trades?${query}`)).map((t: { buy_order_id: string | null; sell_order_id: string | null }) => [t.buy_order_id, t.sell_order_id]);
    const matched = [[ids['u1 buys'], ids['u3 sells']]];
    expect(await tradesOf(`user_id=U1&symbol=${symbol}`)).toEqual(matched);
    expect(await tradesOf(`user_id=U3&symbol=${symbol}`)).toEqual(matched);
    expect(await tradesOf('user_id=U2')).toEqual([]);
    expect(await tradesOf('user_id=U1&portfolio=Bob')).toEqual([]);
    expect(await tradesOf('user_id=U3&portfolio=Bob')).toEqual(matched);
  });

  it("a key limited to one portfolio learns nothing of the other side's user", async () => {
    const bobOnly = api.as((await api.post('/keys', { name: 'bob only', scopes: ['read'], portfolios: ['Bob'] })).body.key);
    const trades = async (query: string) => (await bobOnly.all(`/trades?${query}`)).map((t: { sell_order_id: string }) => t.sell_order_id);
    // The trade is Bob's, but U1's order in it is Alice's: asking for U1 must not find it.
    expect(await trades('user_id=U1')).toEqual([]);
    expect(await trades('user_id=U3')).toEqual([ids['u3 sells']]);
    expect(await orderIds('user_id=U1', bobOnly)).toEqual([]);
  });
});

describe('hygiene', () => {
  it('no response was a 500 or carried a stack trace, and every answer has its documented shape', () => {
    expectNoServerErrors(api.seen);
    expectDocumentedAnswers(api.seen);
  });
});
