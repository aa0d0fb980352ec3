import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Oms } from '../../src/oms/oms.js';
import { Desks } from '../../src/oms/desks.js';
import { SessionSchedule } from '../../src/market/session-schedule.js';
import type { MarketClock } from '../../src/market/market-clock.js';
import { EquitySnapshots } from '../../src/oms/equity-snapshots.js';
import { EquityRepository } from '../../src/db/equity.repository.js';
import { createPrismaClient, type PrismaClient } from '../../src/db/prisma-client.js';
import { createTestDatabase } from '../support/database.js';
import { MemoryStore } from '../oms/support/memory-store.js';
import { ADMIN, U } from '../oms/support/commands.js';
import { waitFor } from '../slack/support/slack-stand-in.js';

/**
 * A session's close writes an equity point of every portfolio (into the real table), once per close
 * however many symbols close at that instant, driven by an injected market clock.
 */
const row = (symbol: string) => ({ symbol, name: symbol, tickSize: 100, lotSize: 1, referencePrice: 100 * U, lastPrice: null });

let prisma: PrismaClient;
let desks: Desks;
const clock: { at: Date } & MarketClock = { at: new Date(0), now: () => clock.at };
let schedule: SessionSchedule;
let snapshots: EquitySnapshots;
const closes: string[][] = [];

beforeAll(async () => {
  const db = await createTestDatabase();
  prisma = createPrismaClient(db.url, { max: 2 });
  desks = new Desks(1);
  const desk = await Oms.open(new MemoryStore([row('ACME'), row('BOLT')]), undefined, {}, { id: 1, name: 'main', createdAt: new Date(0) });
  await desk.createPortfolio({ name: 'Alpha', startingCash: 100_000n * BigInt(U), allowShort: true }, ADMIN);
  await desks.add(desk);
  await desks.setSession('ACME', 'us-equities', ADMIN, desks.main);
  await desks.setSession('BOLT', 'us-equities', ADMIN, desks.main);
  snapshots = new EquitySnapshots(desks, new EquityRepository(prisma), pino({ level: 'silent' }), { intervalMs: 3_600_000 });
  schedule = new SessionSchedule(desks, clock, pino({ level: 'silent' }), {
    afterClose: (symbols) => {
      closes.push([...symbols]);
      void snapshots.take();
    },
  });
});

afterAll(async () => {
  await prisma?.$disconnect();
});

const at = async (iso: string) => {
  clock.at = new Date(iso);
  await schedule.check();
  await snapshots.take().then(() => undefined);
};

const rows = () => prisma.$queryRawUnsafe<{ equity: string }[]>('SELECT equity::text AS equity FROM equity_snapshots ORDER BY taken_at');

describe('equity at the session close', () => {
  it('a close writes one point of every portfolio, however many symbols close at that instant', async () => {
    await at('2026-11-25T15:00:00Z');
    // Each at() takes one by hand; the close must add exactly one more, by itself.
    const before = (await rows()).length;
    expect(snapshots.counts.taken).toBe(1);
    await at('2026-11-25T15:30:00Z');
    expect(snapshots.counts.taken).toBe(2);
    clock.at = new Date('2026-11-25T21:05:00Z');
    await schedule.check();
    const after = await waitFor(async () => {
      const r = await rows();
      return r.length === before + 2 ? r : undefined;
    });
    expect(after.at(-1)).toEqual({ equity: '100000.0000' });
    // Both symbols closed in that check: one snapshot for the instant.
    expect(snapshots.counts.taken).toBe(3);
    expect(snapshots.counts.written).toBe(3);
    expect(closes).toEqual([['ACME', 'BOLT']]);
  });
});
