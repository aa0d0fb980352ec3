import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestOms } from '../support/oms.js';
import { expectError, expectNoServerErrors, startApi, type ApiClient } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';

/**
 * Every validation and business error of the order path with its whole JSON body, and a sweep of
 * hostile inputs that must never answer a 500, leak a stack trace, or take the OMS down.
 */
let oms: TestOms;
let api: ApiClient;

beforeAll(async () => {
  ({ oms, api } = await startApi());
  await api.createPortfolio('Small', '1000.00');
  await api.createPortfolio('Shorty', '1000000.00', true);
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

const base = { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', quantity: 1, limit_price: '10.00', portfolio_name: 'Small' };
const post = (fields: Record<string, unknown>) => api.post('/orders', { ...base, ...fields });
const validation = (path: string, message: string) => ({
  error: { code: 'VALIDATION_ERROR', message: `${path}: ${message}`, details: [{ path, message }] },
});

describe('400 VALIDATION_ERROR names the field', () => {
  it('a bad side', async () => {
    const res = await post({ side: 'HOLD' });
    expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: validation('side', 'Invalid option: expected one of "BUY"|"SELL"') });
  });

  it('a zero, negative or fractional quantity', async () => {
    for (const [quantity, message] of [
      [0, 'quantity must be positive'],
      [-5, 'quantity must be positive'],
      [1.5, 'quantity must be a whole number'],
      ['10', 'quantity must be a number'],
    ] as const) {
      const res = await post({ quantity });
      expect({ quantity, status: res.status, body: res.body }).toEqual({ quantity, status: 400, body: validation('quantity', message) });
    }
  });

  it('a price with more than 4 decimals, or not a number', async () => {
    for (const limit_price of ['10.00001', 10.00001, 'ten', '1e3', '']) {
      const res = await post({ limit_price });
      expect({ limit_price, status: res.status, body: res.body }).toEqual({
        limit_price,
        status: 400,
        body: validation('limit_price', 'limit_price must be a decimal with at most 4 places'),
      });
    }
  });

  it('a bad type or time in force, a missing or unknown field', async () => {
    expect((await post({ type: 'ICEBERG' })).body).toEqual(
      validation('type', 'Invalid option: expected one of "MARKET"|"LIMIT"|"STOP"|"STOP_LIMIT"'),
    );
    expect((await post({ time_in_force: 'GTD' })).body).toEqual(validation('time_in_force', 'Invalid option: expected one of "DAY"|"GTC"|"IOC"|"FOK"'));
    const missing = await api.post('/orders', { side: 'BUY', quantity: 1, portfolio_name: 'Small' });
    expectError(missing, 400, 'VALIDATION_ERROR', 'symbol: Invalid input: expected string, received undefined; type: required: one of MARKET, LIMIT, STOP, STOP_LIMIT', [
      { path: 'symbol', message: 'Invalid input: expected string, received undefined' },
      { path: 'type', message: 'required: one of MARKET, LIMIT, STOP, STOP_LIMIT' },
    ]);
    // Each unknown field is named by its own path.
    expectError(await post({ price: '10.00', qty: 1 }), 400, 'VALIDATION_ERROR', 'price: Unrecognized key: "price"; qty: Unrecognized key: "qty"', [
      { path: 'price', message: 'Unrecognized key: "price"' },
      { path: 'qty', message: 'Unrecognized key: "qty"' },
    ]);
  });

  it('a LIMIT without limit_price, a STOP without stop_price', async () => {
    expectError(await post({ limit_price: undefined }), 400, 'VALIDATION_ERROR', 'a LIMIT order needs limit_price', [{ path: 'limit_price', message: 'required' }]);
    expectError(await post({ type: 'STOP', limit_price: undefined }), 400, 'VALIDATION_ERROR', 'a STOP order needs stop_price', [{ path: 'stop_price', message: 'required' }]);
  });

  it('a price the order type does not take is refused, never dropped', async () => {
    // A LIMIT sent without its type must not trade at market: type is required.
    const untyped = await post({ type: undefined });
    expectError(untyped, 400, 'VALIDATION_ERROR', 'type: required: one of MARKET, LIMIT, STOP, STOP_LIMIT', [
      { path: 'type', message: 'required: one of MARKET, LIMIT, STOP, STOP_LIMIT' },
    ]);
    expectError(await post({ type: 'MARKET' }), 400, 'VALIDATION_ERROR', 'a MARKET order takes no limit_price', [
      { path: 'limit_price', message: 'not allowed for a MARKET order' },
    ]);
    expectError(await post({ type: 'STOP', stop_price: '9.00' }), 400, 'VALIDATION_ERROR', 'a STOP order takes no limit_price', [
      { path: 'limit_price', message: 'not allowed for a STOP order' },
    ]);
    expectError(await post({ stop_price: '9.00' }), 400, 'VALIDATION_ERROR', 'a LIMIT order takes no stop_price', [
      { path: 'stop_price', message: 'not allowed for a LIMIT order' },
    ]);
    expectError(await post({ type: 'MARKET', limit_price: undefined, stop_price: '9.00' }), 400, 'VALIDATION_ERROR', 'a MARKET order takes no stop_price', [
      { path: 'stop_price', message: 'not allowed for a MARKET order' },
    ]);
  });

  it('several problems at once are all named', async () => {
    const res = await api.post('/orders', { symbol: 'AAPL', side: 'UP', type: 'LIMIT', quantity: -1, portfolio_name: 'Small', limit_price: '1.23456' });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: {
        error: {
          code: 'VALIDATION_ERROR',
          message:
            'side: Invalid option: expected one of "BUY"|"SELL"; quantity: quantity must be positive; limit_price: limit_price must be a decimal with at most 4 places',
          details: [
            { path: 'side', message: 'Invalid option: expected one of "BUY"|"SELL"' },
            { path: 'quantity', message: 'quantity must be positive' },
            { path: 'limit_price', message: 'limit_price must be a decimal with at most 4 places' },
          ],
        },
      },
    });
  });
});

describe('422: the business rules say no', () => {
  it('an unknown symbol', async () => {
    expectError(await post({ symbol: 'XYZQ' }), 422, 'UNKNOWN_SYMBOL', 'unknown symbol XYZQ', [{ path: 'symbol', message: 'unknown symbol XYZQ' }]);
  });

  it('the house portfolio: no client orders or bookings in it', async () => {
    const message = "HOUSE is the market maker's portfolio: it takes no orders or bookings from clients";
    expectError(await post({ portfolio_name: 'HOUSE' }), 422, 'HOUSE_PORTFOLIO', message, [{ path: 'portfolio_name', message }]);
    const booked = await api.post('/trade', { symbol: 'AAPL', side: 'BUY', quantity: 1, gmv: '175.00', portfolio_name: 'HOUSE' });
    expectError(booked, 422, 'HOUSE_PORTFOLIO', message, [{ path: 'portfolio_name', message }]);
  });

  it('an unknown portfolio', async () => {
    expectError(await post({ portfolio_name: 'Ghost' }), 422, 'UNKNOWN_PORTFOLIO', 'unknown portfolio Ghost', [
      { path: 'portfolio_name', message: 'unknown portfolio Ghost' },
    ]);
  });

  it('a portfolio named with the wrong case: unknown, with a pointer to the real name', async () => {
    const message = 'unknown portfolio small (names are case-sensitive: did you mean "Small"?)';
    expectError(await post({ portfolio_name: 'small' }), 422, 'UNKNOWN_PORTFOLIO', message, [{ path: 'portfolio_name', message }]);
  });

  it('a price off the tick', async () => {
    for (const field of ['limit_price', 'stop_price'] as const) {
      const res = await post({ type: 'STOP_LIMIT', limit_price: '10.00', stop_price: '10.00', [field]: '10.005' });
      expectError(res, 422, 'PRICE_OFF_TICK', `${field} must be a multiple of the tick size 0.01 of AAPL`, [
        { path: field, message: `${field} must be a multiple of the tick size 0.01 of AAPL` },
      ]);
    }
  });

  it('insufficient cash, counting the cash open orders hold, with the figures', async () => {
    const noCash = (needs: string, available: string) => {
      const message = `portfolio Small lacks buying power for this order (needs ${needs}, ${available} available)`;
      const refusal: [number, string, string, { path: string; message: string }[]] = [422, 'INSUFFICIENT_CASH', message, [{ path: 'quantity', message }]];
      return refusal;
    };
    // Small has 1,000.00; a BUY of 101 at 10.00 needs 1,010.00.
    expectError(await post({ quantity: 101 }), ...noCash('1010.00', '1000.00'));
    // 60 at 10.00 resting hold 600.00 of it.
    const resting = await api.place({ ...base, quantity: 60, limit_price: '10.00' });
    expectError(await post({ quantity: 41 }), ...noCash('410.00', '400.00'));
    expect((await post({ quantity: 40 })).status).toBe(201);
    // A modify that needs more cash is refused the same way: one more share needs 10.00, none is left.
    expectError(await api.patch(`/orders/${resting.id}`, { quantity: 61 }), ...noCash('10.00', '0.00'));
  });

  it('selling what the portfolio does not hold when shorting is off', async () => {
    expectError(await post({ side: 'SELL' }), 422, 'SHORT_NOT_ALLOWED', 'portfolio Small may not sell more AAPL than it holds (0 available)', [
      { path: 'quantity', message: 'portfolio Small may not sell more AAPL than it holds (0 available)' },
    ]);
    // A portfolio that may short sells freely.
    expect((await post({ side: 'SELL', portfolio_name: 'Shorty', limit_price: '500.00' })).status).toBe(201);
  });
});

describe('404 and 409 on existing orders', () => {
  it('an unknown order: 404 ORDER_NOT_FOUND for GET, PATCH and DELETE', async () => {
    expectError(await api.get('/orders/987654321'), 404, 'ORDER_NOT_FOUND', 'no order 987654321');
    expectError(await api.patch('/orders/987654321', { quantity: 5 }), 404, 'ORDER_NOT_FOUND', 'no order 987654321');
    expectError(await api.delete('/orders/987654321'), 404, 'ORDER_NOT_FOUND', 'no order 987654321');
    expectError(await api.get('/orders/12345678901234567'), 400, 'VALIDATION_ERROR', 'id: id must be 1 to 15 digits', [{ path: 'id', message: 'id must be 1 to 15 digits' }]);
  });

  it('cancel or modify of a filled order: 409 ORDER_NOT_OPEN', async () => {
    const ask = await api.place({ ...base, symbol: 'MSFT', side: 'SELL', quantity: 2, limit_price: '400.00', portfolio_name: 'Shorty' });
    await api.createPortfolio('Buyer', '1000000.00');
    await api.place({ ...base, symbol: 'MSFT', quantity: 2, limit_price: '400.00', portfolio_name: 'Buyer' });
    expectError(await api.delete(`/orders/${ask.id}`), 409, 'ORDER_NOT_OPEN', `order ${ask.id} is filled, no longer open`);
    expectError(await api.patch(`/orders/${ask.id}`, { quantity: 1 }), 409, 'ORDER_NOT_OPEN', `order ${ask.id} is filled, no longer open`);
    const canceled = await api.place({ ...base, portfolio_name: 'Buyer', limit_price: '1.00' });
    expect((await api.delete(`/orders/${canceled.id}`)).status).toBe(200);
    expectError(await api.delete(`/orders/${canceled.id}`), 409, 'ORDER_NOT_OPEN', `order ${canceled.id} is canceled, no longer open`);
  });
});

describe('malformed and oversized bodies', () => {
  it('malformed JSON: 400 MALFORMED_JSON', async () => {
    for (const raw of ['{"symbol": "AAPL",', 'not json', "{'symbol': 'AAPL'}"]) {
      expectError(await api.request('POST', '/orders', { raw }), 400, 'MALFORMED_JSON', 'the body is not valid JSON', [
        { path: '(body)', message: 'malformed JSON' },
      ]);
    }
  });

  it('JSON that is not an object: 400 naming the body', async () => {
    for (const raw of ['null', '"a string"', '42', 'true']) {
      expectError(await api.request('POST', '/orders', { raw }), 400, 'VALIDATION_ERROR', 'the body must be a JSON object', [
        { path: '(body)', message: 'must be a JSON object' },
      ]);
    }
  });

  it('a body that is not sent as JSON: 415 naming the content type', async () => {
    const raw = JSON.stringify({ ...base, portfolio_name: 'Shorty' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await api.request('POST', '/orders', { raw, headers: { 'content-type': type } });
      expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON, with Content-Type: application/json', [
        { path: '(content-type)', message: `${type} is not application/json` },
      ]);
    }
    // The same body as JSON goes through: the refusal was about its type only.
    expect((await api.request('POST', '/orders', { raw })).status).toBe(201);
  });

  it('a body that cannot be decoded: 400 BAD_REQUEST', async () => {
    const res = await api.request('POST', '/orders', { raw: JSON.stringify(base), headers: { 'content-encoding': 'gzip' } });
    expectError(res, 400, 'BAD_REQUEST', 'Bad Request');
  });

  it('a request line and headers over 16 KiB (a 100,000-character query): 431 HEADERS_TOO_LARGE, as JSON', async () => {
    const res = await api.get(`/orders?portfolio=${'x'.repeat(100_000)}`);
    expectError(res, 431, 'HEADERS_TOO_LARGE', 'the request line and headers are over 16384 bytes: shorten the query string or path');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('bytes that are not HTTP: 400 BAD_REQUEST, as JSON', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(oms.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    const [head, body] = answer.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(JSON.parse(body)).toEqual({ error: { code: 'BAD_REQUEST', message: 'the request is not valid HTTP', details: [] } });
  });

  it('a body over the limit (64kb by default): 413 PAYLOAD_TOO_LARGE', async () => {
    const raw = JSON.stringify({ ...base, user_id: 'x'.repeat(70 * 1024) });
    expectError(await api.request('POST', '/orders', { raw }), 413, 'PAYLOAD_TOO_LARGE', 'the body is larger than the limit');
  });
});

describe('hostile inputs never answer a 500 or take the OMS down', () => {
  it('odd bodies, types and ranges on every write endpoint', async () => {
    const huge = '999999999999999.9999';
    const cases: [string, string, unknown][] = [
      ['POST', '/orders', []],
      ['POST', '/orders', { ...base, symbol: { $ne: 1 } }],
      ['POST', '/orders', { ...base, quantity: 1e300 }],
      ['POST', '/orders', { ...base, quantity: Number.MAX_SAFE_INTEGER }],
      ['POST', '/orders', { ...base, limit_price: huge }],
      ['POST', '/orders', { ...base, side: 'SELL', portfolio_name: 'Shorty', limit_price: huge }],
      ['POST', '/orders', { ...base, side: 'SELL', portfolio_name: 'Shorty', type: 'STOP', stop_price: huge }],
      ['POST', '/orders', { ...base, limit_price: -1 }],
      ['POST', '/orders', { ...base, client_order_id: 'x'.repeat(65) }],
      ['POST', '/orders', { ...base, origin: 'not an object' }],
      ['POST', '/orders', { ...base, portfolio_name: "'; DROP TABLE orders; --" }],
      ['POST', '/orders', { ...base, symbol: 'A'.repeat(40) }],
      ['POST', '/trade', { symbol: 'AAPL', side: 'BUY', quantity: 1, portfolio_name: 'Shorty', gmv: huge }],
      ['POST', '/trade', { symbol: 'AAPL', side: 'SELL', quantity: 1, portfolio_name: 'Shorty', gmv: huge }],
      ['POST', '/trade', { symbol: 'AAPL', side: 'SELL', quantity: 1000, portfolio_name: 'Shorty', gmv: '0.0001' }],
      ['POST', '/portfolios', { name: 'Rich', starting_cash: huge }],
      ['POST', '/portfolios', { name: 'x'.repeat(101) }],
      ['POST', '/instruments', { symbol: 'BIGP', reference_price: huge }],
      ['POST', '/instruments', { symbol: 'BIGT', tick_size: huge, reference_price: huge }],
      ['POST', '/instruments', { symbol: 'BIGL', lot_size: 1e12, reference_price: '1.00' }],
      ['PUT', '/instruments/AAPL/price', { price: huge }],
      ['PUT', '/instruments/AAPL/price', { price: '1e5' }],
      ['PATCH', '/orders/1', { limit_price: huge }],
      ['GET', '/orders?limit=100000&cursor=99999999999999999999999', undefined],
      ['GET', '/trades?since_id=99999999999999999999999&order_id=1e5', undefined],
      ['GET', '/trades?order_id=99999999999999999999999', undefined],
      ['GET', '/book/AAPL?depth=abc', undefined],
      ['GET', '/portfolio/%E0%A4%A', undefined],
      ['GET', '/orders/%00', undefined],
    ];
    const answers: [string, number][] = [];
    for (const [method, path, body] of cases) {
      const res = await api.request(method, path, body === undefined ? {} : { body });
      answers.push([`${method} ${path} ${JSON.stringify(body)?.slice(0, 60)}`, res.status]);
    }
    expect(answers.filter(([, status]) => status >= 500)).toEqual([]);
    // The OMS is still healthy: a plain order goes through and /health is ok.
    const health = await api.get('~/health');
    expect({ status: health.status, body: health.body }).toEqual({ status: 200, body: { status: 'ok', database: 'ok', market_data: 'ok' } });
    expect((await post({ portfolio_name: 'Shorty', limit_price: '1.00' })).status).toBe(201);
  });

  it('out-of-range prices, booked prices and ids are 400s naming the field', async () => {
    expectError(await post({ limit_price: '999999999999999' }), 400, 'VALIDATION_ERROR', 'limit_price: limit_price is too large', [
      { path: 'limit_price', message: 'limit_price is too large' },
    ]);
    // More digits than any amount holds: too large too, not "too many places".
    for (const limit_price of ['99999999999999999', '12345678901234567.5', 99999999999999999]) {
      expectError(await post({ limit_price }), 400, 'VALIDATION_ERROR', 'limit_price: limit_price is too large', [
        { path: 'limit_price', message: 'limit_price is too large' },
      ]);
    }
    expectError(await api.post('/portfolios', { name: 'Rich', starting_cash: '99999999999999999999' }), 400, 'VALIDATION_ERROR', 'starting_cash: starting_cash is too large', [
      { path: 'starting_cash', message: 'starting_cash is too large' },
    ]);
    const booked = await api.post('/trade', { symbol: 'AAPL', side: 'SELL', quantity: 1, portfolio_name: 'Shorty', gmv: '999999999999999' });
    expectError(booked, 400, 'VALIDATION_ERROR', 'gmv / quantity is not a valid price', [{ path: 'gmv', message: 'gmv / quantity must be a price from 0.0001 up' }]);
    expectError(await api.get('/trades?order_id=99999999999999999999'), 400, 'VALIDATION_ERROR', 'order_id: order_id must be 1 to 15 digits', [
      { path: 'order_id', message: 'order_id must be 1 to 15 digits' },
    ]);
  });

  it('a refused order leaves no trace: open order counts and the book are unchanged', async () => {
    await api.createPortfolio('Clean', '1000000.00', true);
    const before = await api.get('/portfolio/Clean');
    await post({ portfolio_name: 'Clean', side: 'SELL', limit_price: '999999999999999.99' });
    await post({ portfolio_name: 'Clean', limit_price: '10.005' });
    await post({ portfolio_name: 'Clean', quantity: 100_000_000, limit_price: '1000.00' });
    const after = await api.get('/portfolio/Clean');
    expect({ ...after.body, as_of: null }).toEqual({ ...before.body, as_of: null });
    expect(await oms.service.prisma.order.count({ where: { portfolio: { name: 'Clean' } } })).toBe(0);
  });
});

describe('hygiene', () => {
  it('no response was a 500 or carried a stack trace, and every answer has its documented shape', () => {
    expectNoServerErrors(api.seen);
    expectDocumentedAnswers(api.seen);
  });
});
