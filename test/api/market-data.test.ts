import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestOms } from '../support/oms.js';
import { expectError, expectNoServerErrors, startApi, type ApiClient } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';
import { leaksOf } from '../support/anonymity.js';
import { usEquitiesOpenAt } from '../../src/market/us-equities-calendar.js';

/** Instruments, reference prices, the book snapshot, and the endpoints around the API (health, docs). */
let oms: TestOms;
let api: ApiClient;

beforeAll(async () => {
  ({ oms, api } = await startApi());
  await api.createPortfolio('Alpha', '1000000.00', true);
  await api.createPortfolio('Beta', '1000000.00', true);
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

/** Polls until the condition holds (the session schedule checks once a second). */
async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const starter = (symbol: string, name: string, reference_price: string) => ({
  symbol,
  name,
  tick_size: '0.01',
  lot_size: 1,
  reference_price,
  last_price: null,
  best_bid: null,
  best_ask: null,
  source: 'simulator',
  market_status: 'live',
  session: '24/7',
});

describe('GET /instruments', () => {
  it('lists the starter instruments by symbol', async () => {
    const res = await api.get('/instruments');
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: {
        data: [
          starter('AAPL', 'Apple Inc.', '175.00'),
          starter('AMZN', 'Amazon.com Inc.', '185.00'),
          starter('GOOGL', 'Alphabet Inc.', '165.00'),
          starter('META', 'Meta Platforms Inc.', '500.00'),
          starter('MSFT', 'Microsoft Corp.', '412.50'),
          starter('NVDA', 'NVIDIA Corp.', '120.00'),
          starter('SPY', 'SPDR S&P 500 ETF', '550.00'),
          starter('TSLA', 'Tesla Inc.', '250.00'),
        ],
      },
    });
  });
});

describe('POST /instruments', () => {
  it('adds an instrument with its tick and lot; orders then follow them', async () => {
    const res = await api.post('/instruments', { symbol: 'ibm', name: 'IBM Corp.', tick_size: '0.05', lot_size: 10, reference_price: 190 });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 201,
      body: { symbol: 'IBM', name: 'IBM Corp.', tick_size: '0.05', lot_size: 10, reference_price: '190.00', last_price: null, best_bid: null, best_ask: null, source: 'simulator', market_status: 'live', session: '24/7' },
    });
    const listed = await api.get('/instruments');
    expect(listed.body.data.map((i: { symbol: string }) => i.symbol)).toEqual(['AAPL', 'AMZN', 'GOOGL', 'IBM', 'META', 'MSFT', 'NVDA', 'SPY', 'TSLA']);

    const offLot = await api.post('/orders', { symbol: 'IBM', side: 'BUY', type: 'LIMIT', quantity: 15, limit_price: '190.05', portfolio_name: 'Alpha' });
    expectError(offLot, 422, 'QUANTITY_OFF_LOT', 'quantity must be a multiple of the lot size 10', [
      { path: 'quantity', message: 'quantity must be a multiple of the lot size 10' },
    ]);
    const offTick = await api.post('/orders', { symbol: 'IBM', side: 'BUY', type: 'LIMIT', quantity: 20, limit_price: '190.01', portfolio_name: 'Alpha' });
    expectError(offTick, 422, 'PRICE_OFF_TICK', 'limit_price must be a multiple of the tick size 0.05 of IBM', [
      { path: 'limit_price', message: 'limit_price must be a multiple of the tick size 0.05 of IBM' },
    ]);
    const ok = await api.post('/orders', { symbol: 'IBM', side: 'BUY', type: 'LIMIT', quantity: 20, limit_price: '190.05', portfolio_name: 'Alpha' });
    expect(ok.status).toBe(201);
  });

  it('an instrument added without a name goes by its symbol', async () => {
    for (const [symbol, extra] of [['zz1', {}], ['zz2', { name: '   ' }]] as const) {
      const res = await api.post('/instruments', { symbol, reference_price: '5.00', ...extra });
      expect({ status: res.status, name: res.body.name }).toEqual({ status: 201, name: symbol.toUpperCase() });
    }
  });

  it('refuses a duplicate symbol (409), a reference price off its tick (422), a bad body (400)', async () => {
    expectError(await api.post('/instruments', { symbol: 'AAPL', reference_price: '1.00' }), 409, 'INSTRUMENT_EXISTS', 'AAPL already exists');
    expectError(
      await api.post('/instruments', { symbol: 'ODD', tick_size: '0.25', reference_price: '10.10' }),
      422,
      'PRICE_OFF_TICK',
      'reference_price must be a multiple of tick_size',
      [{ path: 'reference_price', message: 'reference_price must be a multiple of tick_size' }],
    );
    expectError(await api.post('/instruments', { symbol: '1X', reference_price: '10' }), 400, 'VALIDATION_ERROR', 'symbol: symbol must be 1-16 letters/digits', [
      { path: 'symbol', message: 'symbol must be 1-16 letters/digits' },
    ]);
  });
});

describe('PUT /instruments/{symbol}/price', () => {
  it('sets the reference price and answers the instrument', async () => {
    const res = await api.put('/instruments/nvda/price', { price: '121.37' });
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: starter('NVDA', 'NVIDIA Corp.', '121.37') });
    const listed = await api.get('/instruments');
    expect(listed.body.data.find((i: { symbol: string }) => i.symbol === 'NVDA').reference_price).toBe('121.37');
    const stored = await oms.service.prisma.instrument.findUnique({ where: { symbol: 'NVDA' } });
    expect(stored?.referencePrice.toString()).toBe('121.37');
  });

  it('refuses an unknown symbol (422), a price off tick (422), a non-positive price (400)', async () => {
    expectError(await api.put('/instruments/ZZZZ/price', { price: '1.00' }), 422, 'UNKNOWN_SYMBOL', 'unknown symbol ZZZZ', [
      { path: 'symbol', message: 'unknown symbol ZZZZ' },
    ]);
    expectError(await api.put('/instruments/NVDA/price', { price: '121.005' }), 422, 'PRICE_OFF_TICK', 'price must be a multiple of the tick size', [
      { path: 'price', message: 'price must be a multiple of the tick size' },
    ]);
    expectError(await api.put('/instruments/NVDA/price', { price: 0 }), 400, 'VALIDATION_ERROR', 'price: price must be positive', [
      { path: 'price', message: 'price must be positive' },
    ]);
  });
});

describe('PATCH /instruments/{symbol}', () => {
  it("sets the instrument's session for every desk (admin only), shown in GET /instruments, stored and audited", async () => {
    const symbol = await api.newSymbol('20.00');
    const res = await api.patch(`/instruments/${symbol.toLowerCase()}`, { session: 'us-equities' });
    expect({ status: res.status, symbol: res.body.symbol, session: res.body.session }).toEqual({ status: 200, symbol, session: 'us-equities' });
    const listed = (await api.get('/instruments')).body.data.find((i: { symbol: string }) => i.symbol === symbol);
    expect(listed.session).toBe('us-equities');
    expect(oms.service.desks.all().map((d) => d.instrument(symbol)!.session)).toEqual(oms.service.desks.all().map(() => 'us-equities'));
    expect((await oms.service.prisma.instrument.findUnique({ where: { symbol } }))?.session).toBe('us-equities');
    // The schedule applies it by the wall clock within a second: closed outside New York's session.
    const statusOf = async () => (await api.get('/instruments')).body.data.find((i: { symbol: string }) => i.symbol === symbol).market_status;
    await waitUntil(async () => (await statusOf()) === (usEquitiesOpenAt(new Date()) ? 'live' : 'closed'), `${symbol} to follow its session`);
    const audit = await oms.service.prisma.auditEvent.findMany({ where: { action: 'instrument.session', target: symbol } });
    expect(audit.map((a) => [a.outcome, a.details])).toEqual([['ok', { session: 'us-equities', was: '24/7' }]]);

    // Back to 24/7 (a stock traded around the clock against replayed data): open at the next check.
    const back = await api.patch(`/instruments/${symbol}`, { session: '24/7' });
    expect({ status: back.status, session: back.body.session }).toEqual({ status: 200, session: '24/7' });
    await waitUntil(async () => (await statusOf()) === 'live', `${symbol} to open`);
  });

  it('refuses a key without the operator scope (403), an unknown symbol (422), an unknown session or field (400)', async () => {
    const { key } = (await api.post('/keys', { name: 'session trader', scopes: ['read', 'trade'] })).body;
    expectError(await api.as(key).patch('/instruments/AAPL', { session: 'us-equities' }), 403, 'FORBIDDEN', "Instruments are the deployment's, shared by every desk: only an operator key may change them");
    expectError(await api.patch('/instruments/ZZZZ', { session: '24/7' }), 422, 'UNKNOWN_SYMBOL', 'unknown symbol ZZZZ', [{ path: 'symbol', message: 'unknown symbol ZZZZ' }]);
    expectError(await api.patch('/instruments/AAPL', { session: 'lse' }), 400, 'VALIDATION_ERROR', 'session: must be one of 24/7, us-equities', [
      { path: 'session', message: 'must be one of 24/7, us-equities' },
    ]);
    expectError(await api.patch('/instruments/AAPL', {}), 400, 'VALIDATION_ERROR', 'session: required: one of 24/7, us-equities', [
      { path: 'session', message: 'required: one of 24/7, us-equities' },
    ]);
    expect((await api.get('/instruments')).body.data.find((i: { symbol: string }) => i.symbol === 'AAPL').session).toBe('24/7');
  });
});

describe('a closed market', () => {
  it('refuses MARKET, IOC and FOK orders with 422 MARKET_CLOSED; a LIMIT order rests', async () => {
    const symbol = await api.newSymbol('30.00');
    for (const desk of oms.service.desks.all()) desk.setMarket(symbol, { source: 'simulator', status: 'closed' });
    expect((await api.get('/instruments')).body.data.find((i: { symbol: string }) => i.symbol === symbol).market_status).toBe('closed');
    const base = { symbol, side: 'BUY', quantity: 1, portfolio_name: 'Alpha' };
    expectError(await api.post('/orders', { ...base, type: 'MARKET' }), 422, 'MARKET_CLOSED', `${symbol}'s session is closed: market orders wait for the open; a limit order can rest meanwhile`, [
      { path: 'type', message: `${symbol}'s session is closed: market orders wait for the open; a limit order can rest meanwhile` },
    ]);
    for (const tif of ['ioc', 'fok']) {
      const message = `${symbol}'s session is closed: ${tif.toUpperCase()} orders wait for the open; a DAY or GTC order can rest meanwhile`;
      expectError(await api.post('/orders', { ...base, type: 'LIMIT', limit_price: '30.00', time_in_force: tif }), 422, 'MARKET_CLOSED', message, [{ path: 'time_in_force', message }]);
    }
    const rest = await api.post('/orders', { ...base, type: 'LIMIT', limit_price: '29.00', time_in_force: 'day' });
    expect({ status: rest.status, order: rest.body.status }).toEqual({ status: 201, order: 'NEW' });
  });
});

describe('GET /book/{symbol}', () => {
  it('aggregates levels best first, limits them with depth, and lists recent trades newest first', async () => {
    const symbol = await api.newSymbol('50.00');
    await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 10, limit_price: '49.90', portfolio_name: 'Alpha' });
    await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 5, limit_price: '49.90', portfolio_name: 'Beta' });
    await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 7, limit_price: '49.80', portfolio_name: 'Beta' });
    await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 1, limit_price: '49.00', portfolio_name: 'Beta' });
    await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 8, limit_price: '50.20', portfolio_name: 'Alpha' });
    await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 3, limit_price: '50.10', portfolio_name: 'Beta' });
    const t1 = await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 2, limit_price: '49.90', portfolio_name: 'Beta' });
    const t2 = await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 3, limit_price: '50.10', portfolio_name: 'Alpha' });

    const res = await api.get(`/book/${symbol.toLowerCase()}`);
    expect(res.status).toBe(200);
    // Public market data: what printed and when, never who (no portfolio, no order id).
    expect(res.body).toEqual({
      symbol,
      bids: [
        { price: '49.90', quantity: 13, orders: 2 },
        { price: '49.80', quantity: 7, orders: 1 },
        { price: '49.00', quantity: 1, orders: 1 },
      ],
      asks: [{ price: '50.20', quantity: 8, orders: 1 }],
      last_price: '50.10',
      reference_price: '50.00',
      trades: [
        { trade_id: t2.fills[0].trade_id, price: '50.10', quantity: 3, aggressor_side: 'BUY', executed_at: t2.fills[0].executed_at },
        { trade_id: t1.fills[0].trade_id, price: '49.90', quantity: 2, aggressor_side: 'SELL', executed_at: t1.fills[0].executed_at },
      ],
    });

    const shallow = await api.get(`/book/${symbol}?depth=1`);
    expect({ bids: shallow.body.bids, asks: shallow.body.asks }).toEqual({
      bids: [{ price: '49.90', quantity: 13, orders: 2 }],
      asks: [{ price: '50.20', quantity: 8, orders: 1 }],
    });
    expectError(await api.get(`/book/${symbol}?depth=0`), 400, 'VALIDATION_ERROR', 'depth: Too small: expected number to be >=1', [
      { path: 'depth', message: 'Too small: expected number to be >=1' },
    ]);
  });

  it('names no portfolio and no order, to any key: not even to the key whose orders made the trades', async () => {
    await api.createPortfolio('Quiet Harbor Fund', '1000000.00', true);
    await api.createPortfolio('Northwind Desk', '1000000.00', true);
    const symbol = await api.newSymbol('20.00');
    const orders = [
      await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 5, limit_price: '20.10', portfolio_name: 'Quiet Harbor Fund', client_order_id: 'qh-1' }),
      await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 4, limit_price: '19.90', portfolio_name: 'Northwind Desk', user_id: 'Northwind Desk trader' }),
      await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 2, limit_price: '20.10', portfolio_name: 'Northwind Desk' }),
      await api.place({ symbol, side: 'SELL', type: 'MARKET', quantity: 1, portfolio_name: 'Quiet Harbor Fund' }),
    ];
    const tradeIds = orders.flatMap((o) => o.fills.map((f: { trade_id: string }) => f.trade_id));
    expect(tradeIds).toHaveLength(2);
    const secrets = { portfolios: ['Quiet Harbor Fund', 'Northwind Desk'], orderIds: orders.map((o) => o.id), tradeIds };

    const made = await api.post('/keys', { name: 'onlooker', scopes: ['read'], portfolios: ['Alpha'] });
    const own = await api.post('/keys', { name: 'trader', scopes: ['read', 'trade'], portfolios: ['Quiet Harbor Fund'] });
    const answers = [];
    for (const client of [api, api.as(made.body.key), api.as(own.body.key)]) {
      for (const path of [`/book/${symbol}`, `/book/${symbol}?depth=100`, '/instruments']) {
        const res = await client.get(path);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
        answers.push(res.body);
      }
    }
    expect(answers[0].trades.map((t: { trade_id: string }) => t.trade_id)).toEqual([...tradeIds].reverse());
    expect(leaksOf(answers, secrets)).toEqual([]);
    // The detector finds what it looks for: an order's own answer names its portfolio and id.
    expect(leaksOf(orders[3], secrets)).toEqual(expect.arrayContaining([`$.id: ${orders[3].id} is an id of an order, not a trade_id`]));
  });

  it('an unknown symbol is a 422 UNKNOWN_SYMBOL', async () => {
    expectError(await api.get('/book/NOPE'), 422, 'UNKNOWN_SYMBOL', 'unknown symbol NOPE', [{ path: 'symbol', message: 'unknown symbol NOPE' }]);
  });
});

describe('around the API', () => {
  it('GET /health needs no key and checks the database', async () => {
    const res = await api.as(null).get('~/health');
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { status: 'ok', database: 'ok', market_data: 'ok' } });
  });

  it('GET /openapi.json lists every path and the fields of the order body', async () => {
    const res = await api.as(null).get('~/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ openapi: '3.1.0', servers: [{ url: '/api/v1' }] });
    expect(Object.keys(res.body.paths).sort()).toEqual(
      [
        '/bars/{symbol}',
        '/book/{symbol}',
        '/cluster',
        '/desks',
        '/fees',
        '/members',
        '/members/{member}',
        '/channels',
        '/channels/{channel}/portfolios/{portfolio}',
        '/channels/{channel}/trading',
        '/health',
        '/instruments',
        '/instruments/{symbol}/price',
        '/instruments/{symbol}',
        '/keys',
        '/keys/{id}',
        '/orders',
        '/orders/{id}',
        '/portfolio/{name}',
        '/portfolios',
        '/portfolios/{name}/cash',
        '/portfolios/{name}/reset',
        '/trade',
        '/trades',
        '/trades/{trade_id}',
        '/leaderboard',
        '/portfolios/{name}/equity',
        '/desk/risk-state',
        '/portfolios/{name}/risk-state',
        '/portfolios/{name}/limits',
        '/orders/{id}/approve',
        '/orders/{id}/reject',
      ].sort(),
    );
    expect(Object.keys(res.body.paths['/orders'])).toEqual(['post', 'get']);
    expect(Object.keys(res.body.paths['/orders/{id}'])).toEqual(['get', 'patch', 'delete']);
    const schema = res.body.paths['/orders'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(schema.properties).sort()).toEqual(
      ['client_order_id', 'limit_price', 'origin', 'portfolio_name', 'quantity', 'side', 'stop_price', 'symbol', 'time_in_force', 'type', 'user_id'].sort(),
    );
    expect(schema.properties.side.enum).toEqual(['BUY', 'SELL']);
    expect(schema.properties.time_in_force.enum).toEqual(['DAY', 'GTC', 'IOC', 'FOK']);
    expect([...schema.required].sort()).toEqual(['portfolio_name', 'quantity', 'side', 'symbol', 'type']);
    // Prices are a string (bounded, like every text input) or a number, nothing more specific that contradicts it.
    expect(schema.properties.limit_price).toMatchObject({ anyOf: [{ type: 'string', maxLength: 64 }, { type: 'number' }], example: '175.25' });
    // Text fields and parameters carry the bounds their schemas check.
    expect(schema.properties.client_order_id).toEqual({ type: 'string', minLength: 1, maxLength: 64 });
    expect(res.body.paths['/orders'].get.parameters.find((p: { name: string }) => p.name === 'user_id')).toEqual({
      name: 'user_id',
      in: 'query',
      required: false,
      schema: { type: 'string', minLength: 1, maxLength: 128 },
    });
    // Answers are documented field by field, from the schemas the API tests hold real answers to.
    const placed = res.body.paths['/orders'].post.responses['201'].content['application/json'].schema;
    expect(placed).toMatchObject({ type: 'object', additionalProperties: false });
    expect(placed.properties.fills.items.properties.liquidity.enum).toEqual(['MAKER', 'TAKER']);
    expect(placed.required).toEqual(expect.arrayContaining(['id', 'status', 'avg_fill_price', 'fills']));
    const failed = res.body.paths['/orders'].post.responses['422'].content['application/json'].schema;
    expect(Object.keys(failed.properties.error.properties).sort()).toEqual(['code', 'details', 'message']);
    // /health lives outside /api/v1: its own server, so "Try it out" calls the right URL.
    expect(res.body.paths['/health'].servers).toEqual([{ url: '/' }]);
    expect((await api.as(null).get('~/health')).status).toBe(200);
    // Market data documents its trades without their parties.
    const book = res.body.paths['/book/{symbol}'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(book.properties.trades.items.properties).sort()).toEqual(['aggressor_side', 'executed_at', 'price', 'quantity', 'trade_id']);
    expect(book.properties.trades.items.additionalProperties).toBe(false);
    const trade = res.body.paths['/trade'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(trade.properties).sort()).toEqual(['client_order_id', 'gmv', 'portfolio_name', 'quantity', 'side', 'symbol', 'user_id']);
  });

  it('GET /docs is an HTML page whose assets are served locally', async () => {
    const res = await api.as(null).get('~/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toContain('<title>Paper desk OMS API</title>');
    expect(res.text).toContain('/docs/assets/swagger-ui-bundle.js');
    const css = await api.as(null).get('~/docs/assets/swagger-ui.css');
    expect(css.status).toBe(200);
    const init = await api.as(null).get('~/docs/init.js');
    expect(init.text).toContain("url:'/openapi.json'");
  });

  it('answers with helmet headers', async () => {
    const res = await api.get('/instruments');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('an unknown route is a 404 NOT_FOUND in the error shape', async () => {
    expectError(await api.get('/nothing/here'), 404, 'NOT_FOUND', 'no route GET /api/v1/nothing/here');
    expectError(await api.request('POST', '~/nothing', { body: {} }), 404, 'NOT_FOUND', 'no route POST /nothing');
  });
});

describe('hygiene', () => {
  it('no response was a 500 or carried a stack trace, and every answer has its documented shape', () => {
    expectNoServerErrors(api.seen.filter((r) => !r.path.startsWith('~/docs/assets')));
    expectDocumentedAnswers(api.seen.filter((r) => !r.path.startsWith('~/docs/assets')));
  });
});
