import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { TestOms } from '../support/oms.js';
import { reconcile } from '../../src/db/reconciliation.js';
import { anyIso, expectError, expectNoServerErrors, startApi, type ApiClient } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';
import { FeedTestClient, waitFor } from '../feed/feed-client.js';

/**
 * Desks: one deployment, many teams, each its own state machine. Desk main is the bootstrap key's;
 * desk Blue is made over the API. Both have a portfolio called Main.
 */
let oms: TestOms;
let main: ApiClient;
let blue: ApiClient;
let db: pg.Client;
let blueDeskId: number;

const buy = (price: string, extra: Record<string, unknown> = {}) => ({ symbol: 'AAPL', side: 'BUY', type: 'LIMIT', quantity: 10, limit_price: price, time_in_force: 'GTC', portfolio_name: 'Main', ...extra });
const sell = (price: string, extra: Record<string, unknown> = {}) => ({ ...buy(price), side: 'SELL', ...extra });

beforeAll(async () => {
  ({ oms, api: main } = await startApi());
  db = new pg.Client({ connectionString: oms.databaseUrl });
  await db.connect();
  const made = await main.post('/desks', { name: 'Blue' });
  expect(made.status).toBe(201);
  blueDeskId = made.body.desk.id;
  blue = main.as(made.body.admin_key);
  await main.createPortfolio('Main', '1000000.00', true);
  await blue.createPortfolio('Main', '1000000.00', true);
  await main.createPortfolio('Only In Main', '1000.00');
}, 60_000);

afterAll(async () => {
  await db?.end();
  await oms?.stop();
});

describe('POST /desks and GET /desks', () => {
  it('makes a desk with its first admin key, shown once; the operator lists them', async () => {
    const res = await main.post('/desks', { name: 'Green' });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 201,
      body: { desk: { id: expect.any(Number), name: 'Green', created_at: anyIso() }, admin_key: expect.stringMatching(/^pk_/) },
    });
    const list = await main.get('/desks');
    expect(list.body.data.map((d: { name: string }) => d.name)).toEqual(['main', 'Blue', 'Green']);
    // Only its hash is stored.
    const { rows } = await db.query('SELECT hash FROM api_keys WHERE desk_id = $1', [res.body.desk.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].hash).not.toContain(res.body.admin_key);
  });

  it('gives the first key act_as when asked, for a chat bot acting for the desk\'s members', async () => {
    const res = await main.post('/desks', { name: 'Chat Desk', act_as: true });
    expect(res.status).toBe(201);
    const { rows } = await db.query('SELECT scopes FROM api_keys WHERE desk_id = $1', [res.body.desk.id]);
    expect(rows.map((r) => [...r.scopes].sort())).toEqual([['act_as', 'admin']]);
    const plain = (await main.post('/desks', { name: 'Plain Desk' })).body.desk.id;
    expect((await db.query('SELECT scopes FROM api_keys WHERE desk_id = $1', [plain])).rows.map((r) => r.scopes)).toEqual([['admin']]);
    expectError(await main.post('/desks', { name: 'Odd Desk', act_as: 'yes' }), 400, 'VALIDATION_ERROR', 'act_as: act_as must be true or false', [
      { path: 'act_as', message: 'act_as must be true or false' },
    ]);
  });

  it('refuses a name already taken, and keys that are not the operator', async () => {
    expectError(await main.post('/desks', { name: 'Blue' }), 409, 'DESK_EXISTS', 'a desk named Blue already exists', [{ path: 'name', message: 'a desk named Blue already exists' }]);
    // A desk's admin is not the deployment's operator.
    expectError(await blue.post('/desks', { name: 'Red' }), 403, 'FORBIDDEN', 'this API key lacks the operator scope');
    expectError(await blue.get('/desks'), 403, 'FORBIDDEN', 'this API key lacks the operator scope');
    const adminOnly = (await main.post('/keys', { name: 'main admin', scopes: ['admin'] })).body.key;
    expectError(await main.as(adminOnly).get('/desks'), 403, 'FORBIDDEN', 'this API key lacks the operator scope');
    // Nor may a desk admin hand the operator scope on.
    expect((await blue.post('/keys', { name: 'sneaky', scopes: ['operator'] })).status).toBe(403);
  });
});

describe('two desks', () => {
  it('each have their own Main; orders of the two never match, whatever their prices', async () => {
    const mainBuy = await main.post('/orders', buy('101.00'));
    const blueSell = await blue.post('/orders', sell('99.00'));
    expect(mainBuy.body).toMatchObject({ status: 'NEW', portfolio_name: 'Main' });
    expect(blueSell.body).toMatchObject({ status: 'NEW', portfolio_name: 'Main' });
    // Each book holds its own desk's order only.
    const mainBook = (await main.get('/book/AAPL')).body;
    const blueBook = (await blue.get('/book/AAPL')).body;
    expect({ bids: mainBook.bids, asks: mainBook.asks }).toEqual({ bids: [{ price: '101.00', quantity: 10, orders: 1 }], asks: [] });
    expect({ bids: blueBook.bids, asks: blueBook.asks }).toEqual({ bids: [], asks: [{ price: '99.00', quantity: 10, orders: 1 }] });
    // Within a desk they do.
    await blue.createPortfolio('Second', '1000000.00');
    const blueBuy = await blue.post('/orders', buy('99.00', { quantity: 4, portfolio_name: 'Second' }));
    expect(blueBuy.body).toMatchObject({ status: 'FILLED', filled_quantity: 4 });
    expect((await main.get(`/orders/${mainBuy.body.id}`)).body).toMatchObject({ status: 'NEW', filled_quantity: 0 });
  });

  it("answer another desk's ids and names exactly as unknown ones", async () => {
    const mainOrder = (await main.post('/orders', buy('50.00', { quantity: 1 }))).body.id;
    const maker = (await main.post('/orders', sell('400.00', { symbol: 'MSFT', quantity: 1 }))).body.id;
    const taker = await main.post('/orders', buy('400.00', { symbol: 'MSFT', quantity: 1, portfolio_name: 'Only In Main' }));
    const mainTrade = taker.body.fills[0].trade_id;
    expect(maker).toEqual(expect.any(String));
    const neverOrder = '999999999';
    const neverTrade = '999999999';

    const asUnknown = async (path: string, id: string, code: string, what: string, method: 'get' | 'delete' | 'patch' = 'get') => {
      const send = (p: string) => (method === 'patch' ? blue.patch(p, { quantity: 3 }) : method === 'delete' ? blue.delete(p) : blue.get(p));
      const theirs = await send(path.replace('ID', id));
      const never = await send(path.replace('ID', what));
      expect({ status: theirs.status, body: theirs.body }).toEqual({
        status: never.status,
        body: JSON.parse(JSON.stringify(never.body).replaceAll(what, id)),
      });
      expect(theirs.body.error.code).toBe(code);
    };
    await asUnknown('/orders/ID', mainOrder, 'ORDER_NOT_FOUND', neverOrder);
    await asUnknown('/orders/ID', mainOrder, 'ORDER_NOT_FOUND', neverOrder, 'delete');
    await asUnknown('/orders/ID', mainOrder, 'ORDER_NOT_FOUND', neverOrder, 'patch');
    await asUnknown('/trades/ID', mainTrade, 'TRADE_NOT_FOUND', neverTrade);
    expectError(await blue.get('/portfolio/Only%20In%20Main'), 404, 'PORTFOLIO_NOT_FOUND', 'no portfolio Only In Main');
    expectError(
      await blue.post('/orders', buy('10.00', { portfolio_name: 'Only In Main' })),
      422,
      'UNKNOWN_PORTFOLIO',
      'unknown portfolio Only In Main',
      [{ path: 'portfolio_name', message: 'unknown portfolio Only In Main' }],
    );
    // Lists hold the desk's own rows only.
    const blueOrders = await blue.all('/orders');
    expect(blueOrders.map((o: { id: string }) => o.id)).not.toContain(mainOrder);
    expect(blueOrders.length).toBeGreaterThan(0);
    const blueTrades = await blue.all('/trades');
    expect(blueTrades.map((t: { trade_id: string }) => t.trade_id)).not.toContain(mainTrade);
    expect((await blue.get('/portfolios')).body.data.map((p: { name: string }) => p.name).sort()).toEqual(['HOUSE', 'Main', 'Second']);
    // Keys: a desk's admin sees and revokes its own only.
    const mainKeys = (await main.get('/keys')).body.data.map((k: { id: number }) => k.id);
    const blueKeys = (await blue.get('/keys')).body.data.map((k: { id: number }) => k.id);
    expect(blueKeys.filter((id: number) => mainKeys.includes(id))).toEqual([]);
    expectError(await blue.delete(`/keys/${mainKeys[0]}`), 404, 'KEY_NOT_FOUND', `no API key ${mainKeys[0]}`);
  });

  it("share instruments and reference prices, which only the deployment's operator changes: one desk's admin cannot move another desk's market", async () => {
    const operatorOnly = "Instruments are the deployment's, shared by every desk: only an operator key may change them";
    expectError(await blue.post('/instruments', { symbol: 'BLUECO', name: 'Blue Co', reference_price: '12.00' }), 403, 'FORBIDDEN', operatorOnly);
    expectError(await blue.put('/instruments/AAPL/price', { price: '1.00' }), 403, 'FORBIDDEN', operatorOnly);
    expectError(await blue.patch('/instruments/AAPL', { session: 'us-equities' }), 403, 'FORBIDDEN', operatorOnly);
    expect((await main.post('/instruments', { symbol: 'BLUECO', name: 'Blue Co', reference_price: '12.00' })).status).toBe(201);
    expect((await blue.get('/instruments')).body.data.find((i: { symbol: string }) => i.symbol === 'BLUECO')).toMatchObject({ reference_price: '12.00' });
    expect((await main.put('/instruments/BLUECO/price', { price: '13.00' })).status).toBe(200);
    expect((await blue.get('/instruments')).body.data.find((i: { symbol: string }) => i.symbol === 'BLUECO')).toMatchObject({ reference_price: '13.00' });
    expectError(await main.post('/instruments', { symbol: 'BLUECO', reference_price: '1.00' }), 409, 'INSTRUMENT_EXISTS', 'BLUECO already exists');
  });

  it('keep positions equal to the fold of their trades', async () => {
    expect(await reconcile(oms.service.prisma)).toMatchObject({ ok: true, problems: [] });
  });
});

describe('the feed', () => {
  it("shows a key its own desk's channels, and desk main without a key", async () => {
    const anonymous = await FeedTestClient.connect(oms.baseUrl);
    const keyed = await FeedTestClient.connect(oms.baseUrl);
    try {
      const publicBook = (await anonymous.subscribe('book:AAPL')).data as { bids: { price: string }[]; asks: { price: string }[] };
      expect(publicBook.bids.map((l) => l.price)).toContain('101.00');
      expect(publicBook.asks.map((l) => l.price)).not.toContain('99.00');
      expect((await keyed.auth(blue.key!)).type).toBe('authenticated');
      const blueBook = (await keyed.subscribe('book:AAPL')).data as { bids: { price: string }[]; asks: { price: string }[] };
      expect(blueBook.bids.map((l) => l.price)).not.toContain('101.00');
      expect(blueBook.asks.map((l) => l.price)).toContain('99.00');
      const orders = await keyed.subscribe('orders:Main');
      expect((orders.data as { orders: { limit_price: string }[] }).orders.map((o) => o.limit_price)).toContain('99.00');
      // Blue's next order reaches Blue's subscriber, not the public book of main.
      const before = anonymous.log.length;
      await blue.post('/orders', sell('98.00', { quantity: 1 }));
      await waitFor(() => keyed.log.some((r) => r.frame.type === 'update' && r.frame.channel === 'book:AAPL'));
      const leaked = anonymous.log.slice(before).filter((r) => r.frame.type === 'update' && JSON.stringify(r.frame.data).includes('98.00'));
      expect(leaked).toEqual([]);
      // A key of another desk takes the connection to that desk: the old channels are left, each said so.
      await keyed.auth(main.key!);
      await waitFor(() => keyed.log.filter((r) => r.frame.type === 'error' && /another desk/.test(String(r.frame.message))).length === 2);
    } finally {
      await anonymous.close();
      await keyed.close();
    }
  });
});

describe('a failure', () => {
  it('stays in its desk: Blue reloads after a failed commit while main goes on serving', async () => {
    await db.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.user_id = 'poison' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`);
    await db.query(`CREATE FUNCTION refuse_house() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.name = 'HOUSE' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`);
    // Blue's reload will want to make its house again, and be refused until the test allows it.
    await db.query(`UPDATE portfolios SET name = 'HOUSE gone' WHERE desk_id = $1 AND is_house`, [blueDeskId]);
    await db.query(`CREATE TRIGGER refuse_marked_orders BEFORE INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION refuse_poison()`);
    await db.query(`CREATE TRIGGER refuse_marked_portfolios BEFORE INSERT ON portfolios FOR EACH ROW EXECUTE FUNCTION refuse_house()`);
    try {
      expect((await blue.post('/orders', buy('10.00', { quantity: 1, user_id: 'poison' }))).status).toBe(503);
      const health = await main.get('~/health');
      expect({ status: health.status, body: health.body }).toMatchObject({ status: 503, body: { status: 'degraded', degraded_desks: ['Blue'] } });
      expect((await blue.post('/orders', buy('10.00', { quantity: 1 }))).status).toBe(503);
      // Main trades on.
      expect((await main.post('/orders', buy('11.00', { quantity: 1 }))).status).toBe(201);
    } finally {
      await db.query('DROP TRIGGER refuse_marked_orders ON orders');
      await db.query('DROP TRIGGER refuse_marked_portfolios ON portfolios');
      await db.query(`UPDATE portfolios SET name = 'HOUSE' WHERE desk_id = $1 AND name = 'HOUSE gone'`, [blueDeskId]);
    }
    await waitFor(async () => (await main.get('~/health')).status === 200, 15_000, 'Blue to reload');
    expect((await blue.post('/orders', buy('10.00', { quantity: 1 }))).status).toBe(201);
    expect(await reconcile(oms.service.prisma)).toMatchObject({ ok: true, problems: [] });
  }, 30_000);
});

describe('a restart', () => {
  it('brings every desk back with its books and keys', async () => {
    const blueBefore = (await blue.get('/book/AAPL')).body;
    const mainBefore = (await main.get('/book/AAPL')).body;
    const port = oms.port;
    await oms.stop();
    ({ oms } = await startApi({ port, databaseUrl: oms.databaseUrl }));
    expect((await blue.get('/book/AAPL')).body).toMatchObject({ bids: blueBefore.bids, asks: blueBefore.asks });
    expect((await main.get('/book/AAPL')).body).toMatchObject({ bids: mainBefore.bids, asks: mainBefore.asks });
    expect((await main.get('/desks')).body.data.map((d: { name: string }) => d.name)).toEqual(['main', 'Blue', 'Green', 'Chat Desk', 'Plain Desk']);
  }, 60_000);
});

describe('hygiene', () => {
  it('no response was a 500 (but the expected 503s), and every answer has its documented shape', () => {
    expectNoServerErrors(main.seen.filter((r) => r.status !== 503));
    expectDocumentedAnswers(main.seen);
  });
});
