// Bad client frames get an error frame (BAD_MESSAGE, UNKNOWN_CHANNEL, UNKNOWN_SYMBOL), never a
// disconnect: after each, the same connection still answers and still delivers its subscriptions.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestOms, type TestOms } from '../support/oms.js';
import { FeedTestClient, isUpdate, restClient, type RestClient } from './feed-client.js';

let oms: TestOms;
let rest: RestClient;
let c: FeedTestClient;

beforeAll(async () => {
  oms = await startTestOms();
  rest = restClient(oms.baseUrl, oms.adminKey);
  await rest.portfolio('A');
  c = await FeedTestClient.connect(oms.baseUrl);
});

afterAll(async () => {
  await c?.close();
  await oms?.stop();
});

const isError = (f: { type: string }) => f.type === 'error';

describe('malformed frames', () => {
  const cases: [string, string | Buffer][] = [
    ['text that is not JSON', 'hello'],
    ['truncated JSON', '{"op":"subscribe","channel":"book:AAPL"'],
    ['a JSON array', '[{"op":"ping"}]'],
    ['a JSON string', '"ping"'],
    ['null', 'null'],
    ['an object without op', '{"channel":"book:AAPL"}'],
    ['an unknown op', '{"op":"dance","id":1}'],
    ['subscribe without a channel', '{"op":"subscribe","id":2}'],
    ['subscribe with an empty channel', '{"op":"subscribe","channel":""}'],
    ['auth without api_key', '{"op":"auth"}'],
    ['a binary frame', Buffer.from('{"op":"ping"}')],
    ['a binary frame of random bytes', Buffer.from([0xff, 0x00, 0x13, 0x37])],
  ];

  it.each(cases)('%s: BAD_MESSAGE, and the connection stays usable', async (_name, payload) => {
    c.send(payload);
    const err = await c.next(isError);
    // A refused frame's id is still echoed, when it had a usable one.
    const id = typeof payload === 'string' ? /"id":(\d+)/.exec(payload)?.[1] : undefined;
    expect(err).toEqual({ type: 'error', code: 'BAD_MESSAGE', message: expect.any(String), ...(id === undefined ? {} : { id: Number(id) }) });
    expect(err.message!.length).toBeGreaterThan(5);
    expect(c.open).toBe(true);
    expect(await c.request({ op: 'ping' })).toMatchObject({ type: 'pong' });
  });

  it('explains what is wrong', async () => {
    c.send('{"op":"subscribe"}');
    expect((await c.next(isError)).message).toMatch(/channel/);
    c.send(Buffer.from('x'));
    expect((await c.next(isError)).message).toMatch(/binary/);
    c.send('nope');
    expect((await c.next(isError)).message).toMatch(/JSON/);
  });

  it('a frame over 64 KiB: BAD_MESSAGE naming its size, and the connection stays usable', async () => {
    c.send(JSON.stringify({ op: 'ping', id: 7, pad: 'x'.repeat(70_000) }));
    const err = await c.next(isError);
    expect(err).toEqual({ type: 'error', code: 'BAD_MESSAGE', message: expect.stringMatching(/^the frame is 700\d\d bytes; at most 65536 are read$/) });
    expect(c.open).toBe(true);
    expect(await c.request({ op: 'ping' })).toMatchObject({ type: 'pong' });
  });

  it('a frame over 1 MiB closes the connection with 1009', async () => {
    const big = await FeedTestClient.connect(oms.baseUrl);
    big.send('x'.repeat(1024 * 1024 + 1));
    expect((await big.closed).code).toBe(1009);
  });

  it('answers refused frames in their turn: in the order the frames were sent', async () => {
    c.send({ op: 'auth', api_key: oms.adminKey, id: 'first' });
    c.send('{"op":"nope","id":"second"}');
    c.send({ op: 'ping', id: 'third' });
    const answers = [await c.next((f) => f.id === 'first'), await c.next((f) => f.id === 'second'), await c.next((f) => f.id === 'third')];
    expect(answers.map((f) => f.type)).toEqual(['authenticated', 'error', 'pong']);
    const at = answers.map((f) => c.log.findIndex((r) => r.frame === f));
    expect(at).toEqual([...at].sort((a, b) => a - b));
  });

  it('answers a ping with a pong repeating its id (string or number)', async () => {
    c.send({ op: 'ping', id: 'abc' });
    expect(await c.next((f) => f.type === 'pong')).toEqual({ type: 'pong', id: 'abc' });
    c.send({ op: 'ping', id: 42 });
    expect(await c.next((f) => f.type === 'pong')).toEqual({ type: 'pong', id: 42 });
  });
});

describe('unknown channels and symbols', () => {
  it.each([
    ['nonsense', 'UNKNOWN_CHANNEL'],
    ['book', 'UNKNOWN_CHANNEL'],
    ['book:', 'UNKNOWN_CHANNEL'],
    ['trades', 'UNKNOWN_CHANNEL'],
    ['ticker:AAPL', 'UNKNOWN_CHANNEL'],
    ['quotes:AAPL', 'UNKNOWN_CHANNEL'],
    ['book:ZZZZ', 'UNKNOWN_SYMBOL'],
    ['trades:NOPE', 'UNKNOWN_SYMBOL'],
  ])('%s: %s, with the id and the channel, and the connection stays usable', async (channel, code) => {
    const err = await c.request({ op: 'subscribe', channel });
    expect(err).toMatchObject({ type: 'error', code, channel: expect.any(String), id: expect.any(String) });
    expect(c.open).toBe(true);
    expect(await c.request({ op: 'ping' })).toMatchObject({ type: 'pong' });
  });

  it.each(['nonsense', 'book:', 'quotes:AAPL'])('unsubscribe of %s: UNKNOWN_CHANNEL, not "unsubscribed"', async (channel) => {
    expect(await c.request({ op: 'unsubscribe', channel })).toMatchObject({ type: 'error', code: 'UNKNOWN_CHANNEL', channel });
  });

  it('unsubscribe of a well-formed channel it does not have is answered unsubscribed (idempotent)', async () => {
    expect(await c.request({ op: 'unsubscribe', channel: 'book:MSFT' })).toMatchObject({ type: 'unsubscribed', channel: 'book:MSFT' });
  });

  it('a refused subscription does not stop the others: after all the errors above, updates still flow', async () => {
    const snap = await c.subscribe('book:AAPL');
    c.send('garbage');
    await c.next(isError);
    await rest.order({ symbol: 'AAPL', side: 'BUY', quantity: 1, limit_price: '170.00', portfolio_name: 'A' });
    const u = await c.next(isUpdate('book:AAPL'));
    expect(u.seq).toBe(snap.seq! + 1);
    expect(u.data.bids).toEqual([{ price: '170.00', quantity: 1, orders: 1 }]);
  });
});
