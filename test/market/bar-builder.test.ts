import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import pg from 'pg';
import { waitFor } from '../feed/feed-client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createPrismaClient, type PrismaClient } from '../../src/db/prisma-client.js';
import { BarRepository } from '../../src/db/bars.repository.js';
import { BarBuilder } from '../../src/market/bar-builder.js';
import { formatVolume, minuteOf, volumeUnits, type MinuteBar } from '../../src/oms/bars.js';

/**
 * The bar builder over the real bars table: prints bucketed by their own time into minutes, exact
 * OHLCV, late prints ignored, a source's bars taken as given, and changed bars written in batches
 * that merge with what the table holds.
 */
let db: TestDatabase;
let prisma: PrismaClient;
let sql: pg.Client;
let repo: BarRepository;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, { max: 2 });
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  repo = new BarRepository(prisma);
});

afterAll(async () => {
  await sql?.end();
  await prisma?.$disconnect();
  await db?.drop();
});

beforeEach(async () => {
  await sql.query('DELETE FROM bars');
});

const at = (hms: string) => new Date(`2024-06-14T${hms}Z`);
const rows = async (symbol: string) =>
  (
    await sql.query<{ start_at: Date; open: string; high: string; low: string; close: string; volume: string }>(
      'SELECT start_at, open::text, high::text, low::text, close::text, volume::text FROM bars WHERE symbol = $1 ORDER BY start_at',
      [symbol],
    )
  ).rows.map((r) => ({ ...r, start_at: r.start_at.toISOString() }));

describe('bucketing', () => {
  it('puts each print in the minute of its own time, with exact open, high, low, close and volume', async () => {
    const b = new BarBuilder(repo, logger);
    b.print('AAPL', 2121000, '100', at('13:30:00'));
    b.print('AAPL', 2124000, '50', at('13:30:20.500'));
    b.print('AAPL', 2120000, '0.25', at('13:30:59.999'));
    b.print('AAPL', 2125000, '10', at('13:31:00'));
    expect(b.latest('AAPL')).toEqual({ symbol: 'AAPL', start: at('13:31:00').getTime(), open: 2125000, high: 2125000, low: 2125000, close: 2125000, volume: 1_000_000_000n });
    await b.flush();
    expect(await rows('AAPL')).toEqual([
      { start_at: '2024-06-14T13:30:00.000Z', open: '212.1000', high: '212.4000', low: '212.0000', close: '212.0000', volume: '150.25000000' },
      { start_at: '2024-06-14T13:31:00.000Z', open: '212.5000', high: '212.5000', low: '212.5000', close: '212.5000', volume: '10.00000000' },
    ]);
  });

  it('ignores a print older than the minute being built, and keeps symbols apart', async () => {
    const b = new BarBuilder(repo, logger);
    b.print('MSFT', 4410000, '1', at('13:32:10'));
    b.print('MSFT', 4000000, '1', at('13:31:59'));
    b.print('AAPL', 2000000, '2', at('13:31:59'));
    expect(b.counts).toMatchObject({ prints: 2, late: 1 });
    await b.flush();
    expect((await rows('MSFT')).map((r) => [r.start_at, r.low])).toEqual([['2024-06-14T13:32:00.000Z', '441.0000']]);
    expect((await rows('AAPL')).map((r) => r.start_at)).toEqual(['2024-06-14T13:31:00.000Z']);
  });

  it('reads sizes exactly, to 8 decimals, and writes them back without trailing zeros', () => {
    expect(volumeUnits('0.000000015')).toBe(2n);
    expect(volumeUnits('12345678901234.5')).toBe(1_234_567_890_123_450_000_000n);
    expect(volumeUnits('-1')).toBeNull();
    expect(volumeUnits('1e3')).toBeNull();
    expect([formatVolume(0n), formatVolume(15_000_000_000n), formatVolume(123_000n)]).toEqual(['0', '150', '0.00123']);
    expect(minuteOf(at('13:30:59.999'))).toBe(at('13:30:00').getTime());
  });

  it('tells listeners each change as it happens', () => {
    const b = new BarBuilder(repo, logger);
    const heard: MinuteBar[] = [];
    b.onChange((bar) => heard.push(bar));
    b.print('AAPL', 100, '1', at('13:30:00'));
    b.print('AAPL', 300, '1', at('13:30:01'));
    b.print('AAPL', 200, '1', at('13:31:00'));
    expect(heard.map((h) => [new Date(h.start).toISOString().slice(11, 16), h.high, h.close])).toEqual([
      ['13:30', 100, 100],
      ['13:30', 300, 300],
      ['13:31', 200, 200],
    ]);
  });
});

describe("a source's own bars", () => {
  it('are taken as given, replacing what the table held, and the trade at their close is not counted again', async () => {
    const built = new BarBuilder(repo, logger);
    built.print('AAPL', 2100000, '5', at('13:30:10'));
    await built.flush();
    const b = new BarBuilder(repo, logger);
    b.bar({ symbol: 'AAPL', time: at('13:30:00'), open: 2110000, high: 2130000, low: 2090000, close: 2120000, volume: '700' });
    // A replayed bar file sends the bar's close as a trade at the bar's end.
    b.print('AAPL', 2120000, '700', at('13:31:00'));
    b.print('AAPL', 2125000, '3', at('13:31:00.001'));
    expect(b.counts).toMatchObject({ given: 1, covered: 1, prints: 1 });
    await b.flush();
    expect(await rows('AAPL')).toEqual([
      { start_at: '2024-06-14T13:30:00.000Z', open: '211.0000', high: '213.0000', low: '209.0000', close: '212.0000', volume: '700.00000000' },
      { start_at: '2024-06-14T13:31:00.000Z', open: '212.5000', high: '212.5000', low: '212.5000', close: '212.5000', volume: '3.00000000' },
    ]);
  });
});

describe('flushing', () => {
  it('writes on its timer in batches, and a minute rewritten after a restart keeps its open and extremes', async () => {
    const first = new BarBuilder(repo, logger, { flushMs: 20, batchSize: 2 });
    first.start();
    for (const [i, symbol] of ['A1', 'A2', 'A3', 'A4', 'A5'].entries()) first.print(symbol, 10_000 + i, '1', at('13:30:00'));
    first.print('AAPL', 2120000, '10', at('13:30:05'));
    first.print('AAPL', 2150000, '10', at('13:30:10'));
    await waitFor(async () => Number((await sql.query('SELECT count(*) FROM bars')).rows[0].count) === 6, 5000, 'the timer to write 6 bars');
    await first.stop();
    expect(first.counts.written).toBe(6);

    // Another start in the middle of the same minute: it sees only the prints after it.
    const second = new BarBuilder(repo, logger);
    second.print('AAPL', 2130000, '4', at('13:30:40'));
    await second.flush();
    expect(await rows('AAPL')).toEqual([
      { start_at: '2024-06-14T13:30:00.000Z', open: '212.0000', high: '215.0000', low: '212.0000', close: '213.0000', volume: '20.00000000' },
    ]);
    // Rewriting the same state changes nothing.
    second.print('AAPL', 2130000, '0', at('13:30:41'));
    await second.flush();
    expect((await rows('AAPL'))[0]).toMatchObject({ open: '212.0000', close: '213.0000', volume: '20.00000000' });
  });

  it('keeps the bars of a failed write and writes them at the next flush', async () => {
    const b = new BarBuilder(repo, logger);
    b.print('AAPL', 2120000, '1', at('13:30:00'));
    await sql.query('ALTER TABLE bars RENAME TO bars_away');
    try {
      await b.flush();
    } finally {
      await sql.query('ALTER TABLE bars_away RENAME TO bars');
    }
    expect(b.counts.failedWrites).toBe(1);
    expect(await rows('AAPL')).toEqual([]);
    await b.flush();
    expect((await rows('AAPL')).map((r) => r.close)).toEqual(['212.0000']);
  });
});
