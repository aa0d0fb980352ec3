import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { SharedCommit } from '../../src/db/shared-commit.js';
import { LeaseFence } from '../../src/cluster/desk-lease.js';
import { ClusterStore } from '../../src/cluster/cluster-store.js';
import { ownerOf, placement } from '../../src/cluster/placement.js';
import { DeskMovedError, type BatchRows } from '../../src/oms/ports.js';

/** Desk leases on a real PostgreSQL: a batch made under an epoch that is no longer the desk's writes nothing. */
let db: TestDatabase;
let pool: pg.Pool;
let store: ClusterStore;
let shared: SharedCommit;
let second: number;

const auditBatch = (action: string): BatchRows => ({
  orders: [],
  trades: [],
  positions: [],
  portfolios: [],
  instruments: [],
  audits: [{ at: new Date(), keyId: null, actor: 'test', action, target: null, outcome: 'ok', details: null }],
  portfolioEvents: [],
});

const written = async (action: string): Promise<number> =>
  Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events WHERE action = $1`, [action])).rows[0].n);

async function until(check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Lets a lease run out now, as if its owner stopped renewing it. */
const expire = (deskId: number) => pool.query(`UPDATE desk_leases SET expires_at = now() - interval '1 second' WHERE desk_id = $1`, [deskId]);

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  store = new ClusterStore(pool, 60_000);
  shared = new SharedCommit(pool, new LeaseFence());
  await store.prepare();
  second = (await pool.query<{ id: number }>(`INSERT INTO desks (name) VALUES ('Second') RETURNING id`)).rows[0].id;
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('desk leases', () => {
  it('a desk is taken by one process at a time, each time under a new epoch', async () => {
    expect(await store.take(1, 'a')).toBe(1);
    expect(await store.take(1, 'b')).toBeNull();
    await expire(1);
    expect(await store.take(1, 'b')).toBe(2);
    await store.release(1, 'b', 2);
    expect(await store.take(1, 'a')).toBe(3);
  });

  it("a batch under the desk's epoch is written; one under an older epoch writes nothing and says the desk moved", async () => {
    const epoch = (await store.take(second, 'a'))!;
    await shared.submit(second, () => auditBatch('fence.current'), epoch);
    expect(await written('fence.current')).toBe(1);
    await expire(second);
    const next = (await store.take(second, 'b'))!;
    expect(next).toBe(epoch + 1);
    const stale = shared.submit(second, () => auditBatch('fence.stale'), epoch);
    await expect(stale).rejects.toBeInstanceOf(DeskMovedError);
    expect(await written('fence.stale')).toBe(0);
    await shared.submit(second, () => auditBatch('fence.next'), next);
    expect(await written('fence.next')).toBe(1);
  });

  it('of two desks in one statement, only the one whose lease moved is refused', async () => {
    const leases = await store.leases();
    const epochOf = (id: number) => leases.find((l) => l.deskId === id)!.epoch;
    // Desk 1 at its epoch; the second desk at one it no longer has. Submitted in one tick: one statement.
    const results = await Promise.allSettled([
      shared.submit(1, () => auditBatch('fence.mixed.kept'), epochOf(1)),
      shared.submit(second, () => auditBatch('fence.mixed.moved'), epochOf(second) - 1),
    ]);
    expect(results[0].status).toBe('fulfilled');
    expect(results[1].status === 'rejected' && results[1].reason instanceof DeskMovedError).toBe(true);
    expect([await written('fence.mixed.kept'), await written('fence.mixed.moved')]).toEqual([1, 0]);
  });

  it('a lease past its time fences its holder even before anyone takes the desk', async () => {
    const epoch = (await store.leases()).find((l) => l.deskId === 1)!.epoch;
    await expire(1);
    await expect(shared.submit(1, () => auditBatch('fence.expired'), epoch)).rejects.toBeInstanceOf(DeskMovedError);
    expect(await written('fence.expired')).toBe(0);
    // Renewed at the same epoch (nobody took it meanwhile): it writes again.
    expect(await store.renew('a', new Map([[1, epoch]]))).toEqual(new Set([1]));
    await shared.submit(1, () => auditBatch('fence.renewed'), epoch);
    expect(await written('fence.renewed')).toBe(1);
  });

  it('a takeover waits for the batch in flight under the old epoch; a renewal does not', async () => {
    const epoch = (await store.leases()).find((l) => l.deskId === second)!.epoch;
    const owner = (await store.leases()).find((l) => l.deskId === second)!.owner!;
    // The old owner's batch, in flight: it holds the lease row as a batch statement does, and has written.
    const inFlight = await pool.connect();
    try {
      await inFlight.query('BEGIN');
      const held = await inFlight.query(`SELECT desk_id FROM desk_leases WHERE desk_id = $1 AND epoch = $2 AND expires_at > now() FOR KEY SHARE`, [second, epoch]);
      expect(held.rowCount).toBe(1);
      await inFlight.query(`INSERT INTO audit_events (at, desk_id, actor, action, outcome) VALUES (now(), $1, 'test', 'fence.inflight', 'ok')`, [second]);
      // Renewing does not wait for it.
      expect(await store.renew(owner, new Map([[second, epoch]]))).toEqual(new Set([second]));
      await expire(second);
      let takenAs: number | null | undefined;
      const taking = store.take(second, 'c').then((e) => (takenAs = e));
      await until(async () => {
        const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'`);
        return Number(rows[0].n) > 0;
      });
      expect(takenAs).toBeUndefined();
      await inFlight.query('COMMIT');
      expect(await taking).toBe(epoch + 1);
      // Taken after the batch committed: the state the new owner loads has it.
      expect(await written('fence.inflight')).toBe(1);
    } finally {
      inFlight.release();
    }
  });

  it('a renewal at an epoch that is no longer the holder’s renews nothing', async () => {
    const epoch = (await store.leases()).find((l) => l.deskId === 1)!.epoch;
    expect(await store.renew('a', new Map([[1, epoch - 1]]))).toEqual(new Set());
    expect(await store.renew('someone-else', new Map([[1, epoch]]))).toEqual(new Set());
  });
});

describe('placement (rendezvous hashing)', () => {
  const desks = Array.from({ length: 300 }, (_, i) => i + 1);

  it('spreads the desks over every member', () => {
    const counts = new Map<string, number>();
    for (const owner of placement(desks, ['m1', 'm2', 'm3']).values()) counts.set(owner!, (counts.get(owner!) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(['m1', 'm2', 'm3']);
    for (const n of counts.values()) expect(n).toBeGreaterThan(60);
  });

  it('a member leaving moves only its own desks; one joining takes desks only for itself', () => {
    const before = placement(desks, ['m1', 'm2', 'm3']);
    const left = placement(desks, ['m1', 'm3']);
    for (const d of desks) if (before.get(d) !== 'm2') expect(left.get(d)).toBe(before.get(d));
    const joined = placement(desks, ['m1', 'm2', 'm3', 'm4']);
    for (const d of desks) if (joined.get(d) !== 'm4') expect(joined.get(d)).toBe(before.get(d));
    expect([...joined.values()].filter((m) => m === 'm4').length).toBeGreaterThan(40);
  });

  it('no member, no owner', () => {
    expect(ownerOf(1, [])).toBeNull();
  });
});
