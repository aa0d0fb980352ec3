import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createPrismaClient, type PrismaClient } from '../../src/db/prisma-client.js';
import { PrismaOmsStore } from '../../src/db/oms-store.js';
import { WriterRole } from '../../src/db/writer-role.js';
import { COMMIT_POOL_OPTIONS, SharedCommit } from '../../src/db/shared-commit.js';
import { batchStatement } from '../../src/db/batch-statement.js';
import { DeskRepository } from '../../src/db/desk.repository.js';
import { seedInstruments } from '../../src/db/seed.js';
import { reconcile } from '../../src/db/reconciliation.js';
import { Oms, type OmsMonitor, type PlaceOrderInput } from '../../src/oms/oms.js';

/**
 * Two desks over one shared group commit, on a real PostgreSQL: batches that close together go in
 * one statement, and a batch the database refuses fails alone.
 */
let db: TestDatabase;
let prisma: PrismaClient;
let pool: pg.Pool;
let statements = 0;
/** Runs once, as the next batch statement is sent: whatever it does happens while that statement is in flight. */
let onNextStatement: (() => void) | null = null;
let shared: SharedCommit;
let main: Oms;
let blue: Oms;
const ACTOR = { keyId: null, name: 'test' };
/** Who waits for blue to serve again after a refused batch (it reloads its committed state). */
const blueReloaded: (() => void)[] = [];
const blueMonitor: OmsMonitor = {
  commitFailed() {},
  replaced() {},
  reloadFailed() {},
  reloaded: () => blueReloaded.splice(0).forEach((done) => done()),
};
/** Resolves at blue's next reload: asked before the failure that causes it, so it cannot be missed. */
const nextBlueReload = (): Promise<void> => new Promise((done) => blueReloaded.push(done));

const order = (portfolioName: string, extra: Partial<PlaceOrderInput> = {}): PlaceOrderInput => ({
  symbol: 'AAPL',
  side: 'BUY',
  type: 'LIMIT',
  quantity: 1,
  limitPrice: 1_000_000,
  stopPrice: null,
  tif: 'GTC',
  portfolioName,
  clientOrderId: null,
  userId: null,
  origin: null,
  ...extra,
});

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, { max: 4 });
  await seedInstruments(prisma);
  pool = new pg.Pool({ connectionString: db.url, max: 2, ...COMMIT_POOL_OPTIONS });
  // pool.end() resolves before its connections have closed, so dropping the database right after can
  // still terminate one of them: that is the end of the file, not an error of the group commit.
  pool.on('error', () => undefined);
  // Counted at the pool, as PostgreSQL receives them.
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  (pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args: unknown[]) => {
    if ((args[0] as { name?: string })?.name?.startsWith('oms-commit-batch')) {
      statements++;
      const during = onNextStatement;
      onNextStatement = null;
      during?.();
    }
    return query(...args);
  };
  const writer = new WriterRole(prisma);
  shared = new SharedCommit(pool, writer);
  const blueDesk = (await new DeskRepository(prisma).create('Blue'))!;
  main = await Oms.open(new PrismaOmsStore(prisma, pool, 1, writer, shared));
  blue = await Oms.open(new PrismaOmsStore(prisma, pool, blueDesk.id, writer, shared), blueMonitor, {}, blueDesk);
  for (const desk of [main, blue]) await desk.createPortfolio({ name: 'Main', startingCash: 10n ** 12n, allowShort: true }, ACTOR);
  // Each desk's first order reserves its block of ids: done here, so the tests' orders apply at once.
  for (const desk of [main, blue]) await desk.placeOrder(order('Main', { limitPrice: 500_000 }), ACTOR);
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await prisma?.$disconnect();
  await db?.drop();
});

/**
 * PostgreSQL refuses every order row of `userId` (a trigger) until lift(), which may be called more
 * than once: the database's own refusal of one batch, whatever the OMS checked before.
 */
async function refuseOrdersOf(userId: string): Promise<{ lift(): Promise<void> }> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const name = `refuse_${userId.replace(/\W/g, '_')}`;
  await client.query(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.user_id = '${userId}' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`);
  await client.query(`CREATE TRIGGER ${name} BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  let lifted = false;
  return {
    async lift() {
      if (lifted) return;
      lifted = true;
      await client.query(`DROP TRIGGER ${name} ON orders`);
      await client.end();
    },
  };
}

describe('a shared group commit', () => {
  it('writes the batches of desks that close together in one statement', async () => {
    await Promise.all([main.drain(), blue.drain()]);
    const before = statements;
    // Applied in the same tick: both batches close before the next statement.
    const placed = await Promise.all([
      main.placeOrder(order('Main', { side: 'SELL', limitPrice: 1_010_000 }), ACTOR),
      blue.placeOrder(order('Main', { limitPrice: 1_020_000 }), ACTOR),
      main.placeOrder(order('Main', { limitPrice: 900_000 }), ACTOR),
    ]);
    // Blue's bid above main's offer: desks never match.
    expect(placed.map((p) => p.order.status)).toEqual(['NEW', 'NEW', 'NEW']);
    expect(statements - before).toBe(1);
    const rows = await prisma.order.findMany({ where: { id: { in: placed.map((p) => BigInt(p.order.id)) } } });
    expect(rows).toHaveLength(3);
  });

  it('puts what every desk asked for while a statement was in flight into the one next statement', async () => {
    await Promise.all([main.drain(), blue.drain()]);
    const before = statements;
    let during: Promise<unknown>[] = [];
    onNextStatement = () => {
      during = [
        main.placeOrder(order('Main', { limitPrice: 910_000 }), ACTOR),
        blue.placeOrder(order('Main', { limitPrice: 920_000 }), ACTOR),
        main.placeOrder(order('Main', { limitPrice: 930_000 }), ACTOR),
      ];
    };
    await main.placeOrder(order('Main', { limitPrice: 940_000 }), ACTOR);
    expect(during).toHaveLength(3);
    await Promise.all(during);
    // Main's first batch, then one statement for main's second batch and blue's first: not one per desk.
    expect(statements - before).toBe(2);
  });

  it('runs work asked for before the next statement just before it takes the batches: a price set then rides it, not the one after', async () => {
    await Promise.all([main.drain(), blue.drain()]);
    const before = statements;
    let moved: Promise<unknown> | null = null;
    let heldFirst: Promise<unknown> | null = null;
    onNextStatement = () => {
      // A statement is in flight: the price is asked for now and set only when the next one starts.
      shared.beforeNextStatement(() => {
        expect(statements - before).toBe(1);
        moved = blue.setReferencePrice('AAPL', 1_870_000, null);
      });
      expect(blue.instrument('AAPL')!.referencePrice).not.toBe(1_870_000);
    };
    heldFirst = main.placeOrder(order('Main', { limitPrice: 950_000 }), ACTOR);
    await heldFirst;
    const deadline = Date.now() + 5_000;
    while (!moved && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    await moved;
    // The order's statement, then the price's: two statements, the price in the second.
    expect(statements - before).toBe(2);
    const { rows } = await pool.query<{ reference_price: string }>(`SELECT reference_price FROM instruments WHERE symbol = 'AAPL'`);
    expect(rows[0].reference_price).toBe('187.0000');
  });

  it('starts a statement for work asked for before the next one while none is in flight', async () => {
    await Promise.all([main.drain(), blue.drain()]);
    const before = statements;
    const moved = await new Promise<Promise<unknown>>((resolve) => shared.beforeNextStatement(() => resolve(main.setReferencePrice('AAPL', 1_880_000, null))));
    await moved;
    expect(statements - before).toBe(1);
  });

  it('refuses unwritten the batch a desk asked for while its previous batch was being refused', async () => {
    const refusal = await refuseOrdersOf('poisoned');
    try {
      await Promise.all([main.drain(), blue.drain()]);
      const reloaded = nextBlueReload();
      let during: Promise<unknown>[] = [];
      onNextStatement = () => {
        during = [blue.placeOrder(order('Main', { userId: 'after poison' }), ACTOR), main.placeOrder(order('Main', { userId: 'main meanwhile' }), ACTOR)];
      };
      const poisoned = await blue.placeOrder(order('Main', { userId: 'poisoned' }), ACTOR).then(
        () => null,
        (error: unknown) => error,
      );
      expect(poisoned).toMatchObject({ code: 'UNAVAILABLE' });
      const [after, meanwhile] = await Promise.allSettled(during);
      // Applied in memory on top of the refused order: never written, failed with it.
      expect(after).toMatchObject({ status: 'rejected', reason: { code: 'UNAVAILABLE' } });
      expect(meanwhile.status).toBe('fulfilled');
      expect(await prisma.order.count({ where: { userId: 'after poison' } })).toBe(0);
      expect(await prisma.order.count({ where: { userId: 'main meanwhile' } })).toBe(1);
      await refusal.lift();
      await reloaded;
      expect(blue.health).toBe('ok');
      expect(await reconcile(prisma)).toMatchObject({ ok: true, problems: [] });
    } finally {
      await refusal.lift();
    }
  });

  it('fails only the batch the database refuses: the other desk, in the same statement, commits', async () => {
    const refusal = await refuseOrdersOf('poison');
    try {
      await Promise.all([main.drain(), blue.drain()]);
      const reloaded = nextBlueReload();
      const [good, bad] = await Promise.allSettled([main.placeOrder(order('Main', { limitPrice: 800_000 }), ACTOR), blue.placeOrder(order('Main', { userId: 'poison' }), ACTOR)]);
      expect(good.status).toBe('fulfilled');
      expect(bad.status).toBe('rejected');
      expect(main.health).toBe('ok');
      await refusal.lift();
      await reloaded;
      expect(blue.health).toBe('ok');
      expect((await blue.placeOrder(order('Main'), ACTOR)).order.status).toBe('NEW');
      expect(await reconcile(prisma)).toMatchObject({ ok: true, problems: [] });
    } finally {
      await refusal.lift();
    }
  });
  it('writes an order an earlier batch committed by its changing columns, and leaves it alone when none changed', async () => {
    await Promise.all([main.drain(), blue.drain()]);
    const { order: placed } = await main.placeOrder(order('Main', { limitPrice: 400_000, quantity: 2, clientOrderId: 'narrow-1', origin: { channel: 'C1' } }), ACTOR);
    const row = () => prisma.$queryRawUnsafe<{ xmin: string; quantity: bigint; limit_price: string; status: string; client_order_id: string; origin: unknown; created_at: Date; updated_at: Date }[]>(
      `SELECT xmin::text, quantity, limit_price::text, status::text, client_order_id, origin, created_at, updated_at FROM orders WHERE id = $1::bigint`,
      String(placed.id),
    ).then((r) => r[0]);
    const first = await row();
    // Its first batch has committed: the modification rides the narrow update.
    const { order: modified } = await main.modifyOrder(placed.id, { limitPrice: 410_000, quantity: 3 }, ACTOR);
    const after = await row();
    expect(after).toMatchObject({ quantity: 3n, limit_price: '41.0000', status: 'NEW', client_order_id: 'narrow-1', origin: { channel: 'C1' }, created_at: first.created_at });
    expect(after.updated_at.getTime()).toBe(modified.updatedAt.getTime());
    expect(after.xmin).not.toBe(first.xmin);
    // A stored order handed over again exactly as it is: no new row version.
    const { reservedCash: _c, reservedQty: _q, ...asStored } = modified;
    const empty = { trades: [], positions: [], portfolios: [], instruments: [], audits: [], portfolioEvents: [] };
    await shared.submit(1, () => ({ ...empty, orders: [asStored], storedOrders: new Set([placed.id]) }));
    expect((await row()).xmin).toBe(after.xmin);
    const canceled = await main.cancelOrder(placed.id, ACTOR);
    expect(await row()).toMatchObject({ status: 'CANCELED', quantity: 3n, limit_price: '41.0000' });
    expect(canceled.status).toBe('CANCELED');
    expect(await reconcile(prisma)).toMatchObject({ ok: true, problems: [] });
  });
  it("numbers each desk's trades from its own block: no statement writes the shared trade sequence, and a desk's ids grow in commit order, past a reload too", async () => {
    await Promise.all([main.drain(), blue.drain()]);
    for (const desk of [main, blue]) {
      await desk.createPortfolio({ name: 'Other', startingCash: 10n ** 12n, allowShort: true }, ACTOR);
      await desk.placeOrder(order('Main', { quantity: 100 }), ACTOR);
    }
    const sell = (desk: Oms, extra: Partial<PlaceOrderInput> = {}) => desk.placeOrder(order('Other', { side: 'SELL', ...extra }), ACTOR);
    const lastTradeOf = async (desk: Oms): Promise<bigint> => {
      const rows = await prisma.$queryRawUnsafe<{ id: bigint }[]>(
        `SELECT max(t.id) AS id FROM trades t JOIN portfolios p ON p.id = t.sell_portfolio_id WHERE p.desk_id = $1::int`,
        desk.desk.id,
      );
      return rows[0].id;
    };
    const sequence = () => prisma.$queryRawUnsafe<{ next: string; xmin: string }[]>(`SELECT next::text, xmin::text FROM id_sequences WHERE name = 'trade'`).then((r) => r[0]);
    // Each desk's first trade reserves its block.
    await Promise.all([sell(main), sell(blue)]);
    const reserved = await sequence();
    const before = statements;
    const ids = new Map<Oms, bigint[]>([[main, [await lastTradeOf(main)]], [blue, [await lastTradeOf(blue)]]]);
    for (let n = 0; n < 6; n++) {
      const fills = await Promise.all([sell(main), sell(blue)]);
      expect(fills.map((f) => f.order.status)).toEqual(['FILLED', 'FILLED']);
      for (const desk of [main, blue]) ids.get(desk)!.push(await lastTradeOf(desk));
    }
    expect(statements - before).toBeGreaterThanOrEqual(6);
    // Six statements and more, two desks' trades in each: the shared row was not written once.
    expect(await sequence()).toEqual(reserved);
    expect(batchStatement([], 0).text).not.toContain("'trade'");
    for (const desk of [main, blue]) {
      const own = ids.get(desk)!;
      expect(own.every((id, k) => k === 0 || id > own[k - 1])).toBe(true);
    }
    // Blue's batch refused with a trade in it: that trade's id is burnt, and blue reloads.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(`CREATE FUNCTION refuse_poisoned_sell() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.user_id = 'poisoned sell' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`);
      await client.query('CREATE TRIGGER refuse_poisoned_sell BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION refuse_poisoned_sell()');
      const reloaded = nextBlueReload();
      await expect(sell(blue, { userId: 'poisoned sell' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      await client.query('DROP TRIGGER refuse_poisoned_sell ON orders');
      await reloaded;
    } finally {
      await client.end();
    }
    const beforeReload = ids.get(blue)!.at(-1)!;
    expect(await lastTradeOf(blue)).toBe(beforeReload);
    // Every id reserved so far, the refused trade's among them, is below the sequence's next.
    const reservedBeforeReload = BigInt((await sequence()).next);
    expect((await sell(blue)).order.status).toBe('FILLED');
    const afterReload = await lastTradeOf(blue);
    expect(afterReload).toBeGreaterThanOrEqual(reservedBeforeReload);
    expect(afterReload).toBeGreaterThan(await lastTradeOf(main));
    // And on from there, in commit order. Blue's trade marks AAPL, whose stored reference price is
    // already the one blue has (and whose last price is main's): its row is not written either.
    const aapl = () => prisma.$queryRawUnsafe<{ xmin: string }[]>(`SELECT xmin::text FROM instruments WHERE symbol = 'AAPL'`).then((r) => r[0].xmin);
    const aaplBefore = await aapl();
    const statementsBefore = statements;
    expect((await sell(blue)).order.status).toBe('FILLED');
    expect(statements).toBeGreaterThan(statementsBefore);
    expect(await lastTradeOf(blue)).toBeGreaterThan(afterReload);
    expect(await aapl()).toBe(aaplBefore);
    expect(await reconcile(prisma)).toMatchObject({ ok: true, problems: [] });
  });
  it('leaves out the parts a batch has no rows for, and names its prepared statement by the parts it has', async () => {
    await Promise.all([main.drain(), blue.drain()]);
    const { order: placed } = await main.placeOrder(order('Main', { limitPrice: 430_000 }), ACTOR);
    const { reservedCash: _c, reservedQty: _q, ...asStored } = placed;
    const empty = { trades: [], positions: [], portfolios: [], instruments: [], audits: [], portfolioEvents: [] };
    const update = batchStatement([{ deskId: 1, rows: { ...empty, orders: [asStored], storedOrders: new Set([placed.id]) } }], 0);
    expect(update.name).toBe('oms-commit-batch:s');
    expect(update.text).toContain('UPDATE orders o SET');
    expect(update.text).not.toMatch(/INSERT INTO (orders|trades|positions|audit_events)|UPDATE portfolios/);
    const insert = batchStatement([{ deskId: 1, rows: { ...empty, orders: [asStored], audits: [{ at: new Date(), keyId: null, actor: 'test', action: 'order.place', target: '1', outcome: 'ok', details: null }] } }], { desks: [1], epochs: [1] });
    expect(insert.name).toBe('oms-commit-batch-leased:oa');
    expect(batchStatement([], 0).name).toBe('oms-commit-batch:');
    // The fence alone is a valid statement too (a writer that holds nothing writes nothing).
    const fenceOnly = batchStatement([], -1);
    expect((await pool.query({ text: fenceOnly.text, values: fenceOnly.values })).rows).toEqual([{ writer: 0 }]);
  });

  it('looks stored orders up by their key even while the orders table is small enough to scan', async () => {
    await Promise.all([main.drain(), blue.drain()]);
    const { order: placed } = await main.placeOrder(order('Main', { limitPrice: 420_000 }), ACTOR);
    const { reservedCash: _c, reservedQty: _q, ...asStored } = placed;
    const empty = { trades: [], positions: [], portfolios: [], instruments: [], audits: [], portfolioEvents: [] };
    // A re-quote's worth of rows against a table of a few pages: scanning it whole looks cheaper,
    // and a connection that cached that plan would keep scanning it as it grows. Planned on a
    // connection of the commit's pool, as the statement is.
    const orders = Array.from({ length: 400 }, () => asStored);
    const statement = batchStatement([{ deskId: 1, rows: { ...empty, orders, storedOrders: new Set([placed.id]) } }], 0);
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement.text}`, statement.values);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain('Index Scan using orders_pkey on orders o');
    expect(plan).not.toMatch(/Seq Scan on orders/);
  });
});
