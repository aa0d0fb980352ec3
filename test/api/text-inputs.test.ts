import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestOms } from '../support/oms.js';
import { expectError, expectNoServerErrors, startApi, type ApiClient } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';

/**
 * Every text input is one kind of text (src/wire/text.ts): the exact refusals, with the field and the
 * problem named, and valid text of any script stored and returned exactly as sent.
 * test/api/hostile-input.test.ts sends the same values to every field of every endpoint.
 */
let oms: TestOms;
let api: ApiClient;

beforeAll(async () => {
  ({ oms, api } = await startApi());
  await api.createPortfolio('Texts', '1000000.00');
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

const UNICODE = 'Café Ünïcödé 日本 📈';
const order = { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', quantity: 1, limit_price: '1.00', portfolio_name: 'Texts' };
const refused = (path: string, message: string): [number, string, string, { path: string; message: string }[]] => [
  400,
  'VALIDATION_ERROR',
  `${path}: ${message}`,
  [{ path, message }],
];

describe('text that could hurt is refused with a 400 naming the field and the problem', () => {
  it('a NUL in client_order_id (once a 500)', async () => {
    expectError(await api.post('/orders', { ...order, client_order_id: '\u0000' }), ...refused('client_order_id', 'holds a control character (U+0000 at index 0)'));
  });

  it.each([
    ['NUL', 'Te\u0000xts', 'holds a control character (U+0000 at index 2)'],
    ['a bell', 'Te\u0007xts', 'holds a control character (U+0007 at index 2)'],
    ['a C1 control', 'Te\u0085xts', 'holds a control character (U+0085 at index 2)'],
    ['DEL', 'Te\u007fxts', 'holds a control character (U+007F at index 2)'],
    ['a tab in a one-line field', 'Te\txts', 'holds a tab or line break (U+0009 at index 2): this field is one line'],
    ['a line break in a one-line field', 'Te\nxts', 'holds a tab or line break (U+000A at index 2): this field is one line'],
    ['an unpaired high surrogate', 'Te\ud800xts', 'holds an unpaired UTF-16 surrogate (U+D800 at index 2): not valid Unicode text'],
    ['an unpaired low surrogate', 'Te\udfffxts', 'holds an unpaired UTF-16 surrogate (U+DFFF at index 2): not valid Unicode text'],
    ['a right-to-left override', 'Te\u202extts', 'holds a bidirectional override or isolate control (U+202E at index 2), which can make text display as other text'],
    ['a first-strong isolate', 'Te\u2068xts', 'holds a bidirectional override or isolate control (U+2068 at index 2), which can make text display as other text'],
    ['text over the length', 'x'.repeat(101), 'is 101 characters long; at most 100 are allowed'],
  ])('%s in portfolio_name', async (_case, portfolio_name, message) => {
    expectError(await api.post('/orders', { ...order, portfolio_name }), ...refused('portfolio_name', message));
  });

  it('an unpaired surrogate as JSON.stringify escapes it, sent as raw JSON text', async () => {
    const raw = JSON.stringify({ ...order, user_id: 'u\ud800' });
    expect(raw).toContain('"u\\ud800"');
    expectError(await api.request('POST', '/orders', { raw }), ...refused('user_id', 'holds an unpaired UTF-16 surrogate (U+D800 at index 1): not valid Unicode text'));
  });

  it('every problem of a body at once, one per field', async () => {
    const res = await api.post('/trade', { symbol: 'AA\u0000PL', side: 'BUY', quantity: 1, portfolio_name: 'Texts', user_id: 'x'.repeat(129), client_order_id: '\u202e1' });
    expect(res.body.error.details).toEqual([
      { path: 'symbol', message: 'holds a control character (U+0000 at index 2)' },
      { path: 'user_id', message: 'is 129 characters long; at most 128 are allowed' },
      { path: 'client_order_id', message: 'holds a bidirectional override or isolate control (U+202E at index 0), which can make text display as other text' },
    ]);
  });

  it("an order's origin: each key and string checked, the path named, nesting bounded", async () => {
    const place = (origin: unknown) => api.post('/orders', { ...order, origin });
    expectError(await place({ slack: { user: 'U\u0000' } }), ...refused('origin.slack.user', 'holds a control character (U+0000 at index 1)'));
    expectError(await place({ list: ['ok', 'x'.repeat(1001)] }), ...refused('origin.list.1', 'is 1001 characters long; at most 1000 are allowed'));
    expectError(await place({ slack: { 'us\u202eer': 'U1' } }), ...refused('origin.slack', 'a key holds a bidirectional override or isolate control (U+202E at index 2), which can make text display as other text'));
    let deep: unknown = 'bottom';
    for (let i = 0; i < 8; i++) deep = { a: deep };
    expect((await place(deep)).status).toBe(201);
    expectError(await place({ a: deep }), ...refused('origin.a.a.a.a.a.a.a.a', 'nests deeper than 8 levels'));
  });

  it('path parameters: an undecodable one (a lone surrogate percent-encoded) and a NUL are named', async () => {
    expectError(await api.get('/portfolio/Te%ED%A0%80xts'), ...refused('name', 'is not valid percent-encoded UTF-8'));
    expectError(await api.get('/portfolio/Te%00xts'), ...refused('name', 'holds a control character (U+0000 at index 2)'));
    expectError(await api.delete('/orders/%ED%A0%80'), ...refused('id', 'is not valid percent-encoded UTF-8'));
    expectError(await api.get('/trades/1%FF'), ...refused('trade_id', 'is not valid percent-encoded UTF-8'));
    expectError(await api.get('/book/AA%E2%80%AEPL'), ...refused('symbol', 'holds a bidirectional override or isolate control (U+202E at index 2), which can make text display as other text'));
    expectError(await api.put('/instruments/%07/price', { price: '1.00' }), ...refused('symbol', 'holds a control character (U+0007 at index 0)'));
  });

  it('query strings: an undecodable value, a NUL, an over-long value', async () => {
    expectError(await api.get('/orders?portfolio=%ED%A0%80'), ...refused('portfolio', 'is not valid percent-encoded UTF-8'));
    expectError(await api.get('/trades?symbol=A%00'), ...refused('symbol', 'holds a control character (U+0000 at index 1)'));
    expectError(await api.get(`/orders?user_id=${'u'.repeat(129)}`), ...refused('user_id', 'is 129 characters long; at most 128 are allowed'));
  });

  it('a long URL without a key is a 401, and the desk stays up (its audit row once failed the commit)', async () => {
    expectError(await api.as(null).get(`/${'x'.repeat(300)}`), 401, 'UNAUTHENTICATED', 'send an API key in the X-API-Key header');
    expect((await api.post('/orders', order)).status).toBe(201);
    expect((await api.get('~/health')).status).toBe(200);
  });
});

describe('valid text of any script is accepted and round-trips exactly', () => {
  it('user_id, client_order_id and origin of an order', async () => {
    const origin = { [UNICODE]: UNICODE, note: 'two lines\n\tand a tab: free text' };
    const placed = await api.post('/orders', { ...order, user_id: UNICODE, client_order_id: UNICODE, origin });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ user_id: UNICODE, client_order_id: UNICODE, origin });
    const read = await api.get(`/orders/${placed.body.id}`);
    expect(read.body).toMatchObject({ user_id: UNICODE, client_order_id: UNICODE, origin });
    const row = await oms.service.prisma.order.findUniqueOrThrow({ where: { id: BigInt(placed.body.id) } });
    expect({ userId: row.userId, clientOrderId: row.clientOrderId, origin: row.origin }).toEqual({ userId: UNICODE, clientOrderId: UNICODE, origin });
    // The retry with the same client_order_id finds it: the text matched exactly in the database.
    const again = await api.post('/orders', { ...order, user_id: UNICODE, client_order_id: UNICODE, origin });
    expect({ status: again.status, id: again.body.id }).toEqual({ status: 200, id: placed.body.id });
    // ... and so does the user_id filter.
    const listed = await api.get(`/orders?user_id=${encodeURIComponent(UNICODE)}`);
    expect(listed.body.data.map((o: { id: string }) => o.id)).toEqual([placed.body.id]);
  });

  it("an instrument's name and an API key's name", async () => {
    const instrument = await api.post('/instruments', { symbol: 'UNI', name: UNICODE, reference_price: '10.00' });
    expect(instrument.body).toMatchObject({ symbol: 'UNI', name: UNICODE });
    expect((await api.get('/instruments')).body.data.find((i: { symbol: string }) => i.symbol === 'UNI').name).toBe(UNICODE);
    const key = await api.post('/keys', { name: UNICODE });
    expect(key.body.name).toBe(UNICODE);
    expect((await api.get('/keys')).body.data.find((k: { id: number }) => k.id === key.body.id).name).toBe(UNICODE);
  });

  it('an unknown portfolio named in any script is answered by its name, exactly', async () => {
    expectError(await api.get(`/portfolio/${encodeURIComponent(UNICODE)}`), 404, 'PORTFOLIO_NOT_FOUND', `no portfolio ${UNICODE}`);
    expectError(await api.post('/orders', { ...order, portfolio_name: UNICODE }), 422, 'UNKNOWN_PORTFOLIO', `unknown portfolio ${UNICODE}`, [
      { path: 'portfolio_name', message: `unknown portfolio ${UNICODE}` },
    ]);
  });
});

describe('hygiene', () => {
  it('no response was a 500 or carried a stack trace, and every answer has its documented shape', () => {
    expectNoServerErrors(api.seen);
    expectDocumentedAnswers(api.seen);
  });
});
