import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase } from '../support/database.js';
import { startTestOms, type TestOms } from '../support/oms.js';
import { reconcile } from '../../src/db/reconciliation.js';
import { ApiClient, expectError, startApi } from './support/client.js';

/**
 * A commit that fails (here: the database refuses a row) leaves memory ahead of the database: the
 * OMS answers 503 for the requests of that batch, reloads the committed state as a restart would,
 * and serves again by itself.
 */
let oms: TestOms;
let api: ApiClient;
let db: pg.Client;

beforeAll(async () => {
  ({ oms, api } = await startApi());
  db = new pg.Client({ connectionString: oms.databaseUrl });
  await db.connect();
  await api.createPortfolio('Desk', '100000.00');
  await api.createPortfolio('Maker', '100000.00', true);
  // The marker: any order written with this user_id makes its whole batch fail.
  await db.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.user_id = 'poison' THEN RAISE EXCEPTION 'poisoned batch'; END IF; RETURN NEW; END $$`);
  await db.query('CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION refuse_poison()');
}, 60_000);

afterAll(async () => {
  await db?.end();
  await oms?.stop();
});

const order = (price: string) => ({ symbol: 'AAPL', side: 'BUY', type: 'LIMIT', quantity: 1, limit_price: price, time_in_force: 'GTC', portfolio_name: 'Desk' });

describe('a failed commit', () => {
  it('is a 503 for the order in it, which is not applied; the OMS reloads and serves again by itself', async () => {
    expect((await api.post('/orders', order('100.00'))).status).toBe(201);
    expectError(
      await api.post('/orders', { ...order('101.00'), user_id: 'poison' }),
      503,
      'UNAVAILABLE',
      'the order could not be made durable; it was not applied',
    );
    await waitUntil(async () => (await api.as(null).get('~/health')).status === 200);
    expect((await api.post('/orders', order('102.00'))).status).toBe(201);
    const { rows } = await db.query<{ price: string }>(`SELECT limit_price::text AS price FROM orders WHERE symbol = 'AAPL' ORDER BY id`);
    expect(rows.map((r) => r.price)).toEqual(['100.0000', '102.0000']);
    // The book holds what was committed, nothing of the refused order.
    const bids = (await api.get('/book/AAPL')).body.bids.map((b: { price: string }) => b.price);
    expect(bids).toContain('102.00');
    expect(bids).not.toContain('101.00');
  });

  it('says degraded on /health and refuses work until a reload succeeds, retrying by itself', async () => {
    // With the orders table gone, the next commit fails and so does every reload, until it is back.
    await db.query('ALTER TABLE orders RENAME TO orders_away');
    try {
      expectError(await api.post('/orders', order('99.00')), 503, 'UNAVAILABLE', 'the order could not be made durable; it was not applied');
      const health = await api.as(null).get('~/health');
      expect({ status: health.status, state: health.body.status }).toEqual({ status: 503, state: 'degraded' });
      expectError(await api.post('/orders', order('98.00')), 503, 'UNAVAILABLE', 'a commit failed and the OMS is reloading its state; nothing was done: retry in a moment');
    } finally {
      await db.query('ALTER TABLE orders_away RENAME TO orders');
    }
    await waitUntil(async () => (await api.as(null).get('~/health')).status === 200, 15_000);
    expect((await api.post('/orders', order('98.00'))).status).toBe(201);
  });

  it('loses nothing acknowledged while other clients trade through failures, and reconciles', async () => {
    for (let i = 0; i < 4; i++) {
      expect((await api.post('/orders', { ...order('150.00'), side: 'SELL', quantity: 50, portfolio_name: 'Maker' })).status).toBe(201);
    }
    const acknowledged: number[] = [];
    const statuses = new Map<number, number>();
    const trader = async (n: number) => {
      for (let i = 0; i < 40; i++) {
        const poison = n === 0 && i % 10 === 5;
        const body = i % 2 === 0
          ? { ...order('150.00'), type: 'LIMIT', time_in_force: 'IOC', user_id: poison ? 'poison' : `trader${n}` }
          : { ...order('90.00'), user_id: poison ? 'poison' : `trader${n}` };
        const res = await api.post('/orders', body);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 201) acknowledged.push(res.body.id);
        else expect(res.status).toBe(503);
      }
    };
    await Promise.all([0, 1, 2, 3].map(trader));
    await waitUntil(async () => (await api.as(null).get('~/health')).status === 200);
    expect(statuses.get(503)).toBeGreaterThanOrEqual(4);
    expect(statuses.get(201)).toBeGreaterThan(0);
    // Every acknowledged order is in the database, as the API reports it now.
    const { rows } = await db.query<{ id: string }>('SELECT id::text FROM orders WHERE id = ANY($1::bigint[])', [acknowledged]);
    expect(rows).toHaveLength(acknowledged.length);
    for (const id of acknowledged.slice(0, 20)) expect((await api.get(`/orders/${id}`)).status).toBe(200);
    const { rows: poisoned } = await db.query(`SELECT id FROM orders WHERE user_id = 'poison'`);
    expect(poisoned).toEqual([]);
    expect(await reconcile(oms.service.prisma)).toMatchObject({ ok: true, problems: [] });
  }, 60_000);
});

describe('a failed commit with the next batch already in memory', () => {
  it('fails that batch too: nothing built on the refused one becomes durable', async () => {
    const service = await startApi();
    const client = new pg.Client({ connectionString: service.oms.databaseUrl });
    await client.connect();
    const lock = new pg.Client({ connectionString: service.oms.databaseUrl });
    await lock.connect();
    try {
      const a = service.api;
      await a.createPortfolio('Buyer', '100000.00');
      await a.createPortfolio('Seller', '100000.00', true);
      for (const price of ['100.50', '100.60']) {
        expect((await a.post('/orders', { ...order(price), side: 'SELL', portfolio_name: 'Seller' })).status).toBe(201);
      }
      // Hold the next batch at the orders table, and have the database refuse a buy at 101.00.
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
      await lock.query('ALTER TABLE orders ADD CONSTRAINT refuse_101 CHECK (limit_price <> 101) NOT VALID');
      const first = a.post('/orders', { ...order('101.00'), portfolio_name: 'Buyer' }); // trades at 100.50
      await waitForLockedCommit(client);
      // Trades at 100.60 in memory, after the first trade: the next batch writes Buyer's cash after both.
      const second = a.post('/orders', { ...order('100.60'), portfolio_name: 'Buyer' });
      await waitUntil(async () => (await a.get('/book/AAPL')).body.asks.length === 0);
      await lock.query('COMMIT');

      expect((await first).status).toBe(503);
      expect((await second).status).toBe(503);
      // The database is as before the refused batch: Buyer's cash matches its (absent) trades.
      const cash = await client.query<{ cash: string }>(`SELECT cash::text FROM portfolios WHERE name = 'Buyer'`);
      expect(cash.rows[0].cash).toBe('100000.0000');
      const trades = await client.query('SELECT id FROM trades');
      expect(trades.rowCount).toBe(0);
    } finally {
      await lock.end();
      await client.end();
      await service.oms.stop();
    }
  });
});

/**
 * A service where Seller's sell of `quantity` at 100.00 has traded 1 with Early's bid in memory and
 * its batch waits at Seller's row, held by a lock the test releases.
 */
async function sellHeldAtCommit(quantity: number, extraPortfolios: string[] = []) {
  const service = await startApi();
  const client = new pg.Client({ connectionString: service.oms.databaseUrl });
  const sellerLock = new pg.Client({ connectionString: service.oms.databaseUrl });
  await Promise.all([client.connect(), sellerLock.connect()]);
  const a = service.api;
  for (const name of ['Early', ...extraPortfolios]) await a.createPortfolio(name, '100000.00');
  await a.createPortfolio('Seller', '100000.00', true);
  expect((await a.post('/orders', { ...order('100.00'), portfolio_name: 'Early' })).status).toBe(201);
  // The sell trades 1 with Early's bid: its batch writes Seller's cash, and waits at that row.
  await sellerLock.query('BEGIN');
  await sellerLock.query(`SELECT 1 FROM portfolios WHERE name = 'Seller' FOR UPDATE`);
  const sell = a.post('/orders', { ...order('100.00'), side: 'SELL', quantity, portfolio_name: 'Seller' });
  await waitForLockedCommit(client, 'WITH w AS%');
  return {
    service,
    api: a,
    client,
    sell,
    release: () => sellerLock.query('COMMIT'),
    async end() {
      await Promise.all([client.end(), sellerLock.end()]);
      await service.oms.stop().catch(() => undefined);
    },
  };
}

describe('an acknowledgement', () => {
  it('reports the order as its own batch commits it, not as a later, uncommitted command left it', async () => {
    const held = await sellHeldAtCommit(10, ['Buyer']);
    const { api: a, client } = held;
    const buyerLock = new pg.Client({ connectionString: held.service.oms.databaseUrl });
    await buyerLock.connect();
    try {
      // The next batch, in which a buy takes the other 9 in memory, will wait at the buyer's row.
      await buyerLock.query('BEGIN');
      await buyerLock.query(`SELECT 1 FROM portfolios WHERE name = 'Buyer' FOR UPDATE`);
      let buyAnswered = false;
      const buy = a.post('/orders', { ...order('100.00'), quantity: 9, portfolio_name: 'Buyer' }).finally(() => {
        buyAnswered = true;
      });
      await waitUntil(async () => (await a.get('/book/AAPL')).body.asks.length === 0);

      await held.release();
      const sold = await held.sell;
      // Durable so far: the sell with its first fill. The rest is in a batch that has not committed.
      expect(sold.status).toBe(201);
      expect(sold.body).toMatchObject({ status: 'PARTIALLY_FILLED', filled_quantity: 1, remaining_quantity: 9, avg_fill_price: '100.00' });
      expect(sold.body.fills).toHaveLength(1);
      const stored = await client.query<{ status: string }>('SELECT status FROM orders WHERE id = $1', [sold.body.id]);
      expect(stored.rows[0].status).toBe('PARTIALLY_FILLED');
      expect(buyAnswered).toBe(false);

      await buyerLock.query('COMMIT');
      const bought = await buy;
      expect(bought.status).toBe(201);
      expect(bought.body).toMatchObject({ status: 'FILLED', filled_quantity: 9 });
      expect((await a.get(`/orders/${sold.body.id}`)).body).toMatchObject({ status: 'FILLED', filled_quantity: 10 });
    } finally {
      await buyerLock.end();
      await held.end();
    }
  });
});

describe('a shutdown', () => {
  it('answers a request waiting for its commit, refuses new ones, and only then closes', async () => {
    const held = await sellHeldAtCommit(2);
    const { api: a, client } = held;
    try {
      let stopped = false;
      const stopping = held.service.oms.service.stop().then(() => {
        stopped = true;
      });
      await new Promise((r) => setTimeout(r, 200));
      // A newcomer is refused (503 on a kept-alive connection, or no connection at all).
      const late = await a.post('/orders', { ...order('99.00'), portfolio_name: 'Early' }).then(
        (r) => r.status,
        () => 'refused',
      );
      expect([503, 'refused']).toContain(late);
      expect(stopped).toBe(false);

      await held.release();
      const sold = await held.sell;
      expect(sold.status).toBe(201);
      expect(sold.body).toMatchObject({ status: 'PARTIALLY_FILLED', filled_quantity: 1 });
      await stopping;
      const rows = await client.query<{ status: string; price: string }>('SELECT status, limit_price::text AS price FROM orders ORDER BY id');
      expect(rows.rows).toEqual([
        { status: 'FILLED', price: '100.0000' },
        { status: 'PARTIALLY_FILLED', price: '100.0000' },
      ]);
    } finally {
      await held.end();
    }
  });
});

const REPLACED = 'another OMS has taken over the database and answers in place of this one: retry';

describe('a second OMS started on the same database', () => {
  it('takes over: the first is fenced off at its next commit, writes nothing more and says so', async () => {
    const first = await startApi();
    const second = { oms: null as TestOms | null };
    const client = new pg.Client({ connectionString: first.oms.databaseUrl });
    await client.connect();
    try {
      await first.api.createPortfolio('Desk', '100000.00');
      expect((await first.api.post('/orders', order('100.00'))).status).toBe(201);

      second.oms = await startTestOms({ databaseUrl: first.oms.databaseUrl });
      const api2 = new ApiClient(second.oms.baseUrl, second.oms.adminKey);
      expectError(await first.api.post('/orders', order('101.00')), 503, 'UNAVAILABLE', `${REPLACED}; the order was not applied`);
      expectError(await first.api.post('/orders', order('102.00')), 503, 'UNAVAILABLE', `${REPLACED}; nothing was done`);
      expectError(await first.api.as(null).get('~/health'), 503, 'UNAVAILABLE', 'another OMS has taken over the database: this one accepts nothing more');
      // Even an audited auth failure, committed on its own, writes nothing from the old writer.
      const audits = async () => Number((await client.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_events')).rows[0].n);
      const before = await audits();
      expect((await first.api.as('pk_not_a_key_0000000000000000').get('/portfolios')).status).toBe(401);
      await new Promise((r) => setTimeout(r, 300));
      expect(await audits()).toBe(before);

      // The new writer has the order the first acknowledged, and goes on from it.
      expect((await api2.get('/book/AAPL')).body.bids).toEqual([expect.objectContaining({ price: '100.00', quantity: 1 })]);
      expect((await api2.post('/orders', order('99.00'))).status).toBe(201);
      expect((await api2.as(null).get('~/health')).status).toBe(200);
      const { rows } = await client.query<{ price: string }>('SELECT limit_price::text AS price FROM orders ORDER BY id');
      expect(rows.map((r) => r.price)).toEqual(['100.0000', '99.0000']);
    } finally {
      await client.end();
      await first.oms.stop();
      await second.oms?.stop();
    }
  });

  it('fences off a new portfolio or instrument too, written by the first before it has learnt of the takeover', async () => {
    const first = await startApi();
    let second: TestOms | null = null;
    const client = new pg.Client({ connectionString: first.oms.databaseUrl });
    await client.connect();
    try {
      second = await startTestOms({ databaseUrl: first.oms.databaseUrl });
      expectError(await first.api.post('/portfolios', { name: 'Late', starting_cash: '1000.00' }), 503, 'UNAVAILABLE', `${REPLACED}; nothing was done`);
      expectError(await first.api.post('/instruments', { symbol: 'LATE', name: 'Late Inc', reference_price: '10.00' }), 503, 'UNAVAILABLE', `${REPLACED}; nothing was done`);
      const { rows } = await client.query(`SELECT name FROM portfolios WHERE name = 'Late' UNION ALL SELECT symbol FROM instruments WHERE symbol = 'LATE'`);
      expect(rows).toEqual([]);
      const api2 = new ApiClient(second.baseUrl, second.adminKey);
      expect((await api2.post('/portfolios', { name: 'Late', starting_cash: '1000.00' })).status).toBe(201);
    } finally {
      await client.end();
      await first.oms.stop();
      await second?.stop();
    }
  });

  it('waits for the batch the first has in flight and starts from it, so that batch is neither lost nor doubled', async () => {
    const held = await sellHeldAtCommit(10);
    let second: TestOms | null = null;
    try {
      const starting = startTestOms({ databaseUrl: held.service.oms.databaseUrl });
      // The new OMS waits for the held batch: at the instrument rows it seeds, and at the writer row.
      await waitUntil(async () => (await lockWaiters(held.client)) >= 2);
      await held.release();
      const sold = await held.sell;
      expect(sold.status).toBe(201);
      expect(sold.body).toMatchObject({ status: 'PARTIALLY_FILLED', filled_quantity: 1 });

      second = await starting;
      const api2 = new ApiClient(second.baseUrl, second.adminKey);
      expect((await api2.get(`/orders/${sold.body.id}`)).body).toMatchObject({ status: 'PARTIALLY_FILLED', filled_quantity: 1, fills: [expect.anything()] });
      expect((await api2.get('/book/AAPL')).body.asks).toEqual([expect.objectContaining({ price: '100.00', quantity: 9 })]);
      // The first learns of the takeover at its next commit.
      expectError(await held.api.post('/orders', { ...order('99.00'), portfolio_name: 'Early' }), 503, 'UNAVAILABLE', `${REPLACED}; the order was not applied`);
      expectError(await held.api.post('/orders', { ...order('99.00'), portfolio_name: 'Early' }), 503, 'UNAVAILABLE', `${REPLACED}; nothing was done`);

      const bought = await api2.post('/orders', { ...order('100.00'), quantity: 9, portfolio_name: 'Early' });
      expect(bought.body).toMatchObject({ status: 'FILLED', filled_quantity: 9 });
      expect(await reconcile(second.service.prisma)).toMatchObject({ ok: true, problems: [], trades: 2 });
    } finally {
      await held.end();
      await second?.stop();
    }
  });
  it('fences off a batch that reaches the database after the takeover: it is refused whole and never acknowledged', async () => {
    const first = await startApi();
    let second: TestOms | null = null;
    const client = new pg.Client({ connectionString: first.oms.databaseUrl });
    const lock = new pg.Client({ connectionString: first.oms.databaseUrl });
    await Promise.all([client.connect(), lock.connect()]);
    try {
      await first.api.createPortfolio('Desk', '100000.00');
      expect((await first.api.post('/orders', order('100.00'))).status).toBe(201);
      // The first's next batch waits to open the orders table, before it has checked the writer row.
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
      const late = first.api.post('/orders', order('101.00'));
      await waitForLockedCommit(client, 'WITH w AS%');
      // The second claims the database at once, then waits to read the orders table too.
      const starting = startTestOms({ databaseUrl: first.oms.databaseUrl });
      await waitUntil(async () => (await lockWaiters(client)) >= 2);
      await lock.query('COMMIT');

      expectError(await late, 503, 'UNAVAILABLE', `${REPLACED}; the order was not applied`);
      second = await starting;
      const api2 = new ApiClient(second.baseUrl, second.adminKey);
      expect((await api2.get('/book/AAPL')).body.bids).toEqual([expect.objectContaining({ price: '100.00', quantity: 1 })]);
      const { rows } = await client.query<{ price: string }>('SELECT limit_price::text AS price FROM orders ORDER BY id');
      expect(rows.map((r) => r.price)).toEqual(['100.0000']);
    } finally {
      await lock.query('ROLLBACK').catch(() => undefined);
      await Promise.all([client.end(), lock.end()]);
      await first.oms.stop();
      await second?.stop();
    }
  });
});

/** How many sessions of this database wait for a lock. */
async function lockWaiters(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return rows[0].n;
}

describe('a database that cannot be reached', () => {
  it('is a 503 UNAVAILABLE with the error format, not a 500, and the service recovers with it', async () => {
    // Keys trusted for 100 ms only, so that every request soon looks its key up in the database.
    const service = await startApi({ env: { API_KEY_CACHE_MS: '100' } });
    const url = new URL(service.oms.databaseUrl);
    const name = url.pathname.slice(1);
    url.pathname = '/postgres'; // a database cannot refuse connections to itself from within
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    try {
      expect((await service.api.get('/portfolios')).status).toBe(200);
      await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      await new Promise((r) => setTimeout(r, 200));
      const res = await service.api.get('/portfolios');
      expectError(res, 503, 'UNAVAILABLE', 'the database is not reachable; nothing was done: retry in a moment');

      await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
      await waitUntil(async () => (await service.api.get('/portfolios')).status === 200);
    } finally {
      await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`).catch(() => undefined);
      await admin.end();
      await service.oms.stop();
    }
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Until the OMS's batch statement, matching `pattern`, waits for a lock. */
function waitForLockedCommit(client: pg.Client, pattern = '%orders_up%'): Promise<void> {
  return waitUntil(async () => {
    const { rows } = await client.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
      [pattern],
    );
    return rows.length > 0;
  });
}

describe('start-up', () => {
  it('a first start that fails after making the admin key revokes it: the next start makes and prints another', async () => {
    const other = await startTestOms();
    const fresh = await createTestDatabase();
    const client = new pg.Client({ connectionString: fresh.url });
    try {
      const noKey = { OMS_API_KEY: '' };
      await expect(startTestOms({ port: other.port, databaseUrl: fresh.url, env: noKey })).rejects.toThrow('already in use');
      await client.connect();
      const active = async () => Number((await client.query<{ n: string }>('SELECT count(*)::text AS n FROM api_keys WHERE revoked_at IS NULL')).rows[0].n);
      expect(await active()).toBe(0);

      const started = await startTestOms({ databaseUrl: fresh.url, env: noKey });
      try {
        expect(started.service.generatedAdminKey).toMatch(/^pk_/);
        expect(await active()).toBe(1);
      } finally {
        await started.stop();
      }
    } finally {
      await client.end();
      await other.stop();
      await fresh.drop();
    }
  });

  it('names the port when it is already in use, instead of crashing', async () => {
    const other = await startTestOms();
    try {
      await expect(startTestOms({ port: other.port })).rejects.toThrow(`port ${other.port} on 127.0.0.1 is already in use`);
    } finally {
      await other.stop();
    }
  });
});
