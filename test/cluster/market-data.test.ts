import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { FeedTestClient, type Frame } from '../feed/feed-client.js';
import { call, CLUSTER_ADMIN_KEY, startOmsProcess, until, type OmsProcess } from './support/oms-process.js';

/**
 * A replay in a cluster of two real OMS processes: the market data source runs in the one holding
 * the market lease, and its prices reach the desks of the other; after a kill -9 of the holder,
 * the other takes the lease and the replay goes on from the market time last relayed.
 */
jest.setTimeout(60_000);
const NAMES = ['oms-a', 'oms-b'] as const;
const dir = mkdtempSync(join(tmpdir(), 'paper-desk-cluster-md-'));
const file = join(dir, 'day.csv');
// One AAPL print a second of market time, one cent higher each: a price says how far the replay got.
const START = Date.parse('2024-06-14T13:30:00Z');
const cents = (i: number) => 20_000 + i;
writeFileSync(
  file,
  [
    'time,symbol,price,size',
    // ZZZ, a symbol the catalogue lacks, from eight seconds in (both processes serve desks by then,
    // and both hear its first print): added at its first print, once for the deployment.
    ...Array.from({ length: 1200 }, (_, i) => [`${new Date(START + i * 1000).toISOString()},AAPL,${(cents(i) / 100).toFixed(2)},10`, ...(i >= 160 ? [`${new Date(START + i * 1000).toISOString()},ZZZ,12.34,5`] : [])]).flat(),
    '',
  ].join('\n'),
);

let db: TestDatabase;
let pool: pg.Pool;
const procs = new Map<string, OmsProcess>();

interface Instrument {
  reference_price: string;
  source: string;
  market_status: string;
}
const instrument = async (base: string, key: string, symbol: string): Promise<Instrument | undefined> => {
  const res = await call(base, 'GET', '/instruments', key);
  if (res.status !== 200) throw new Error(`GET /instruments: ${res.status}`);
  return (res.body as { data: (Instrument & { symbol: string })[] }).data.find((i) => i.symbol === symbol);
};
const aapl = async (base: string, key: string): Promise<Instrument> => (await instrument(base, key, 'AAPL'))!;
const priceCents = (i: Instrument) => Math.round(Number(i.reference_price) * 100);
const marketHolder = async (): Promise<{ owner: string; epoch: number } | undefined> => {
  const { rows } = await pool.query<{ owner: string; epoch: string }>(`SELECT owner, epoch::text FROM desk_leases WHERE desk_id = 0 AND owner IS NOT NULL AND expires_at > now()`);
  return rows[0] ? { owner: rows[0].owner, epoch: Number(rows[0].epoch) } : undefined;
};

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const env = { MARKET_DATA: 'replay', REPLAY_FILE: file, REPLAY_SPEED: '20', MARKET_DATA_SYMBOLS: 'AAPL,ZZZ', MARKET_DATA_STALE_MS: '5000' };
  for (const name of NAMES) procs.set(name, await startOmsProcess(name, db.url, { ...env, CLUSTER_MEMBER_ID: name }));
}, 60_000);

afterAll(async () => {
  for (const p of procs.values()) p.signal('SIGKILL');
  await Promise.all([...procs.values()].map((p) => p.exited));
  await pool?.end();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('market data once in a cluster', () => {
  it('reaches a desk of a process not running the source, and resumes on another process after a kill -9 of its holder', async () => {
    const holder = await until('a market lease holder', marketHolder);
    const other = NAMES.find((n) => n !== holder.owner)!;
    const base = procs.get(other)!.baseUrl;
    // Desks made until each process owns one.
    const keys = new Map<number, string>([[1, CLUSTER_ADMIN_KEY]]);
    const spread = await until(
      'a desk on each process',
      async () => {
        const c = (await call(base, 'GET', '/cluster', CLUSTER_ADMIN_KEY)).body as { desks: { id: number; owner: string | null }[] };
        if (NAMES.every((n) => c.desks.some((d) => d.owner === n))) return c.desks;
        const made = await call(base, 'POST', '/desks', CLUSTER_ADMIN_KEY, { name: `Desk ${c.desks.length}` });
        if (made.status === 201) keys.set(made.body.desk.id, made.body.admin_key);
        return undefined;
      },
      30_000,
    );
    const keyOn = (name: string) => keys.get(spread.find((d) => d.owner === name)!.id)!;
    const key = keyOn(other);

    // The replay's prices reach it, with the feed's source and status, and the relay's link state.
    const first = await until('a replayed price on the other process', async () => {
      const i = await aapl(base, key);
      return priceCents(i) > cents(0) && i.source === 'replay' && i.market_status === 'live' ? i : undefined;
    });
    // And its feed's ticker moves with them.
    const feed = await FeedTestClient.connect(base);
    try {
      expect((await feed.auth(key)).type).toBe('authenticated');
      await feed.subscribe('ticker');
      const aaplOf = (f: Frame) => (f.data?.instruments as { symbol: string; reference_price: string; market_status: string }[] | undefined)?.find((i) => i.symbol === 'AAPL');
      const tick = await feed.next((f) => f.type === 'update' && f.channel === 'ticker' && Math.round(Number(aaplOf(f)?.reference_price ?? 0) * 100) > priceCents(first), 5000, 'a ticker update with a newer replayed price');
      expect(aaplOf(tick)!.market_status).toBe('live');
    } finally {
      await feed.close();
    }
    const moved = await until('the price moving on', async () => {
      const i = await aapl(base, key);
      return priceCents(i) > priceCents(first) ? i : undefined;
    });
    // The symbol the catalogue lacked reached the desks of both processes (desk main's and the other's), once in the catalogue.
    for (const name of NAMES) {
      const zzz = await until(`ZZZ on a desk of ${name}`, () => instrument(procs.get(name)!.baseUrl, keyOn(name), 'ZZZ'));
      expect(zzz).toMatchObject({ reference_price: '12.34', source: 'replay' });
    }
    expect((await pool.query(`SELECT symbol FROM instruments WHERE symbol = 'ZZZ'`)).rowCount).toBe(1);
    const health = (await fetch(`${base}/health`).then((r) => r.json())) as { market_data?: string };
    expect(health.market_data).toBe('ok');

    // kill -9 of the holder: the other takes the market lease and the replay goes on.
    const beforeKill = priceCents(await aapl(base, key));
    expect(beforeKill).toBeGreaterThanOrEqual(priceCents(moved));
    const killedAt = Date.now();
    procs.get(holder.owner)!.signal('SIGKILL');
    await procs.get(holder.owner)!.exited;
    const taken = await until('the market lease taken by the other process', async () => {
      const h = await marketHolder();
      return h?.owner === other && h.epoch > holder.epoch ? h : undefined;
    });
    const atTakeover = priceCents(await aapl(base, key));
    const resumed = await until('a new price after the takeover', async () => {
      const i = await aapl(base, key);
      return priceCents(i) > Math.max(beforeKill, atTakeover) ? i : undefined;
    });
    const takeoverMs = Date.now() - killedAt;
    process.stdout.write(`market takeover: kill -9 -> first new price on ${other} in ${takeoverMs} ms (epoch ${holder.epoch} -> ${taken.epoch})\n`);
    // Resumed from where the cluster last heard the replay, not from the start of the file.
    expect(priceCents(resumed)).toBeGreaterThan(beforeKill);
    expect(priceCents(resumed) - beforeKill).toBeLessThan(20 * 30);
    expect(resumed.source).toBe('replay');
    expect(resumed.market_status).toBe('live');
    expect(takeoverMs).toBeLessThan(10_000);
  });
});
