import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { ClusterStore } from '../../src/cluster/cluster-store.js';
import { MARKET_LEASE_KEY } from '../../src/cluster/market-lease.js';
import { fencedMarketPublish, listenMarket } from '../../src/cluster/market-channel.js';
import { pino } from 'pino';

/** The market lease on a real PostgreSQL: a holder that lost it publishes nothing, whatever it believes. */
let db: TestDatabase;
let pool: pg.Pool;
let store: ClusterStore;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 3 });
  store = new ClusterStore(pool, 60_000);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('the market lease', () => {
  it('is one row taken under a new epoch each time, and a publish under an old epoch is never heard', async () => {
    const heard: string[] = [];
    const waiters: (() => void)[] = [];
    const unlisten = await listenMarket(db.url, (p) => {
      heard.push(p);
      waiters.splice(0).forEach((w) => w());
    }, pino({ level: 'silent' }));
    const hear = async (payload: string) => {
      while (!heard.includes(payload)) await new Promise<void>((r) => waiters.push(r));
    };
    try {
      const first = await store.take(MARKET_LEASE_KEY, 'oms-a');
      expect(first).toBe(1);
      // Held: nobody else takes it.
      expect(await store.take(MARKET_LEASE_KEY, 'oms-b')).toBeNull();
      const oldHolder = fencedMarketPublish(pool, MARKET_LEASE_KEY, 'oms-a', first!);
      await oldHolder('a1');
      await hear('a1');

      // oms-a stops renewing (killed or paused): its lease runs out and oms-b takes the market over.
      await pool.query(`UPDATE desk_leases SET expires_at = now() - interval '1 second' WHERE desk_id = $1`, [MARKET_LEASE_KEY]);
      const second = await store.take(MARKET_LEASE_KEY, 'oms-b');
      expect(second).toBe(2);
      const newHolder = fencedMarketPublish(pool, MARKET_LEASE_KEY, 'oms-b', second!);
      // The old holder, unaware, publishes before the new one: notifications arrive in commit order,
      // so once the new one's is heard, the old one's would have been heard first.
      await oldHolder('a2');
      await newHolder('b1');
      await hear('b1');
      expect(heard).toEqual(['a1', 'b1']);
      // Nor may the old holder renew it back.
      expect((await store.renew('oms-a', new Map([[MARKET_LEASE_KEY, first!]]))).size).toBe(0);
      // The market lease is not a desk: it is in no desk's list.
      expect((await store.leases()).some((l) => l.deskId === MARKET_LEASE_KEY)).toBe(false);
    } finally {
      await unlisten();
    }
  });
});
