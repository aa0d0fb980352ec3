import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createPrismaClient, type PrismaClient } from '../../src/db/prisma-client.js';
import { PrismaOmsStore } from '../../src/db/oms-store.js';
import { WriterRole } from '../../src/db/writer-role.js';
import { SharedCommit } from '../../src/db/shared-commit.js';
import { DeskRepository } from '../../src/db/desk.repository.js';
import { seedInstruments } from '../../src/db/seed.js';
import { reconcile } from '../../src/db/reconciliation.js';
import { Oms, type PlaceOrderInput } from '../../src/oms/oms.js';

/**
 * Two desks over one shared group commit, on a real PostgreSQL: batches that close together go in
 * one statement, and a batch the database refuses fails alone.
 */
let db: TestDatabase;
let prisma: PrismaClient;
let pool: pg.Pool;
let statements = 0;
let main: Oms;
let blue: Oms;
const ACTOR = { keyId: null, name: 'test' };

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
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  // Counted at the pool, as PostgreSQL receives them.
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  (pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args: unknown[]) => {
    if ((args[0] as { name?: string })?.name === 'oms-commit-batch') statements++;
    return query(...args);
  };
  const writer = new WriterRole(prisma);
  const shared = new SharedCommit(pool, writer);
  const blueDesk = (await new DeskRepository(prisma).create('Blue'))!;
  main = await Oms.open(new PrismaOmsStore(prisma, pool, 1, writer, shared));
  blue = await Oms.open(new PrismaOmsStore(prisma, pool, blueDesk.id, writer, shared), undefined, {}, blueDesk);
  for (const desk of [main, blue]) await desk.createPortfolio({ name: 'Main', startingCash: 10n ** 12n, allowShort: true }, ACTOR);
  // Each desk's first order reserves its block of ids: done here, so the tests' orders apply at once.
  for (const desk of [main, blue]) await desk.placeOrder(order('Main', { limitPrice: 500_000 }), ACTOR);
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await prisma?.$disconnect();
  await db?.drop();
});

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

  it('fails only the batch the database refuses: the other desk, in the same statement, commits', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.user_id = 'poison' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`);
      await client.query('CREATE TRIGGER refuse_poison BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION refuse_poison()');
      await Promise.all([main.drain(), blue.drain()]);
      const [good, bad] = await Promise.allSettled([main.placeOrder(order('Main', { limitPrice: 800_000 }), ACTOR), blue.placeOrder(order('Main', { userId: 'poison' }), ACTOR)]);
      expect(good.status).toBe('fulfilled');
      expect(bad.status).toBe('rejected');
      expect(main.health).toBe('ok');
      await client.query('DROP TRIGGER refuse_poison ON orders');
      for (let i = 0; i < 200 && !blue.healthy; i++) await new Promise((r) => setTimeout(r, 10));
      expect(blue.health).toBe('ok');
      expect((await blue.placeOrder(order('Main'), ACTOR)).order.status).toBe('NEW');
      expect(await reconcile(prisma)).toMatchObject({ ok: true, problems: [] });
    } finally {
      await client.end();
    }
  });
});
