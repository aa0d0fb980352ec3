import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startTestOms, type TestOms } from '../support/oms.js';
import { ApiClient, expectError } from '../api/support/client.js';
import { FeedTestClient, isUpdate, waitFor } from '../feed/feed-client.js';

/**
 * Bars end to end: a replayed day becomes exact one-minute bars in the table, GET /bars answers them
 * and aggregates them, and the bars:SYMBOL channel shows them; with the simulator, the channel's
 * updates follow the minute being built.
 */
const dir = mkdtempSync(join(tmpdir(), 'paper-desk-bars-'));
const file = join(dir, 'day.csv');
writeFileSync(
  file,
  [
    'time,symbol,price,size,bid,ask',
    '2024-06-14T13:30:00Z,AAPL,212.10,100,212.05,212.15',
    '2024-06-14T13:30:20Z,AAPL,212.40,50,212.35,212.45',
    // A bad tick is no price: it is in no bar.
    '2024-06-14T13:30:40Z,AAPL,2.12,10,212.35,212.45',
    '2024-06-14T13:30:50Z,AAPL,212.00,30,211.95,212.05',
    '2024-06-14T13:31:03Z,MSFT,441.00,10,440.90,441.10',
    '2024-06-14T13:31:10Z,AAPL,212.50,10,212.45,212.55',
    '2024-06-14T13:31:30Z,AAPL,212.30,0.25,212.25,212.35',
    '2024-06-14T13:34:59Z,AAPL,212.70,5,212.65,212.75',
    '2024-06-14T13:35:00Z,AAPL,213.00,7,212.95,213.05',
    '2024-06-14T13:36:00Z,AAPL,212.90,1,212.85,212.95',
    '',
  ].join('\n'),
);

const MINUTES = [
  { time: '2024-06-14T13:30:00.000Z', open: '212.10', high: '212.40', low: '212.00', close: '212.00', volume: '180' },
  { time: '2024-06-14T13:31:00.000Z', open: '212.50', high: '212.50', low: '212.30', close: '212.30', volume: '10.25' },
  { time: '2024-06-14T13:34:00.000Z', open: '212.70', high: '212.70', low: '212.70', close: '212.70', volume: '5' },
  { time: '2024-06-14T13:35:00.000Z', open: '213.00', high: '213.00', low: '213.00', close: '213.00', volume: '7' },
  { time: '2024-06-14T13:36:00.000Z', open: '212.90', high: '212.90', low: '212.90', close: '212.90', volume: '1' },
];

let oms: TestOms;
let api: ApiClient;

beforeAll(async () => {
  oms = await startTestOms({ env: { MARKET_DATA: 'replay', REPLAY_FILE: file, REPLAY_SPEED: '0' } });
  api = new ApiClient(oms.baseUrl, oms.adminKey);
  // The replay is read at once; its bars are in the table within a flush or two.
  await waitFor(async () => (await api.get('/bars/AAPL')).body.data?.length === 5, 10_000, "the replay's AAPL bars");
}, 60_000);

afterAll(async () => {
  await oms?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a replayed day', () => {
  it('is in the bars table as exact one-minute bars', async () => {
    const db = new pg.Client({ connectionString: oms.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ symbol: string; start_at: Date; open: string; high: string; low: string; close: string; volume: string }>(
        "SELECT symbol, start_at, open::text, high::text, low::text, close::text, volume::text FROM bars WHERE start_at < '2024-06-14T13:32:00Z' ORDER BY symbol, start_at",
      );
      expect(rows.map((r) => ({ ...r, start_at: r.start_at.toISOString() }))).toEqual([
        { symbol: 'AAPL', start_at: '2024-06-14T13:30:00.000Z', open: '212.1000', high: '212.4000', low: '212.0000', close: '212.0000', volume: '180.00000000' },
        { symbol: 'AAPL', start_at: '2024-06-14T13:31:00.000Z', open: '212.5000', high: '212.5000', low: '212.3000', close: '212.3000', volume: '10.25000000' },
        { symbol: 'MSFT', start_at: '2024-06-14T13:31:00.000Z', open: '441.0000', high: '441.0000', low: '441.0000', close: '441.0000', volume: '10.00000000' },
      ]);
    } finally {
      await db.end();
    }
  });

  it('GET /bars answers the one-minute bars, oldest first, prices as decimal strings', async () => {
    const res = await api.get('/bars/aapl');
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { symbol: 'AAPL', interval: '1m', data: MINUTES } });
    // A window: from (inclusive) and to (exclusive), and a limit.
    expect((await api.get('/bars/AAPL?from=2024-06-14T13:31:00Z&to=2024-06-14T13:35:00Z')).body.data).toEqual(MINUTES.slice(1, 3));
    expect((await api.get('/bars/AAPL?from=2024-06-14T13:31:30Z&limit=2')).body.data).toEqual(MINUTES.slice(1, 3));
    // Without from: the latest bars before to.
    expect((await api.get(`/bars/AAPL?limit=2&to=${Date.parse('2024-06-14T13:36:00Z') / 1000}`)).body.data).toEqual(MINUTES.slice(2, 4));
  });

  it('aggregates to 5 minutes, 1 hour and 1 day in the database', async () => {
    const five = await api.get('/bars/AAPL?interval=5m');
    expect(five.body).toEqual({
      symbol: 'AAPL',
      interval: '5m',
      data: [
        { time: '2024-06-14T13:30:00.000Z', open: '212.10', high: '212.70', low: '212.00', close: '212.70', volume: '195.25' },
        { time: '2024-06-14T13:35:00.000Z', open: '213.00', high: '213.00', low: '212.90', close: '212.90', volume: '8' },
      ],
    });
    // from inside a 5-minute bar takes the whole bar.
    expect((await api.get('/bars/AAPL?interval=5m&from=2024-06-14T13:37:00Z')).body.data).toEqual([five.body.data[1]]);
    const whole = { open: '212.10', high: '213.00', low: '212.00', close: '212.90', volume: '203.25' };
    expect((await api.get('/bars/AAPL?interval=1h')).body.data).toEqual([{ time: '2024-06-14T13:00:00.000Z', ...whole }]);
    expect((await api.get('/bars/AAPL?interval=1d')).body.data).toEqual([{ time: '2024-06-14T00:00:00.000Z', ...whole }]);
  });

  it('refuses bad parameters naming them, and an unknown symbol', async () => {
    const refusal = async (query: string) => {
      const res = await api.get(`/bars/AAPL?${query}`);
      return { status: res.status, code: res.body.error?.code, paths: (res.body.error?.details ?? []).map((d: { path: string }) => d.path) };
    };
    for (const [query, path] of [
      ['interval=2m', 'interval'],
      ['interval=1M', 'interval'],
      ['from=yesterday', 'from'],
      // A refused time beside a good one is named, never compared.
      ['from=yesterday&to=1718400000', 'from'],
      ['from=2024-02-31T00:00:00Z', 'from'],
      ['from=2024-06-14T13:30:00', 'from'],
      ['to=-5', 'to'],
      ['from=2024-06-14T13:35:00Z&to=2024-06-14T13:30:00Z', 'to'],
      ['limit=0', 'limit'],
      ['limit=5001', 'limit'],
      ['cursor=1', 'cursor'],
    ]) {
      expect({ query, ...(await refusal(query)) }).toEqual({ query, status: 400, code: 'VALIDATION_ERROR', paths: [path] });
    }
    expect((await api.get('/bars/AAPL?interval=2m')).body.error.details[0].message).toBe('interval must be one of 1m, 5m, 1h, 1d');
    expectError(await api.get('/bars/NOPE'), 422, 'UNKNOWN_SYMBOL', 'unknown symbol NOPE', [{ path: 'symbol', message: 'unknown symbol NOPE' }]);
    expect((await api.as(null).get('/bars/AAPL')).status).toBe(401);
  });

  it('bars:SYMBOL answers the latest one-minute bars as its snapshot', async () => {
    const c = await FeedTestClient.connect(oms.baseUrl);
    try {
      const snap = await c.subscribe('bars:aapl');
      expect(snap).toMatchObject({ type: 'snapshot', channel: 'bars:AAPL', data: { symbol: 'AAPL', interval: '1m', bars: MINUTES } });
      const refused = await c.request({ op: 'subscribe', channel: 'bars:NOPE' });
      expect(refused).toMatchObject({ type: 'error', code: 'UNKNOWN_SYMBOL' });
    } finally {
      c.ws.close();
    }
  });
});

describe('with the simulator', () => {
  it("bars:SYMBOL updates as the minute being built changes, and GET /bars has the simulated prices (no volume)", async () => {
    const sim = await startTestOms({ env: { SIMULATOR_ENABLED: 'true', SIMULATOR_INTERVAL_MS: '50' } });
    const c = await FeedTestClient.connect(sim.baseUrl);
    try {
      const client = new ApiClient(sim.baseUrl, sim.adminKey);
      await waitFor(async () => (await client.get('/bars/AAPL')).body.data.length > 0, 10_000, 'a simulated AAPL bar');
      const snap = await c.subscribe('bars:AAPL');
      expect(snap.data.bars.length).toBeGreaterThan(0);
      const update = await c.next(isUpdate('bars:AAPL'), 5000, 'a bars update');
      expect(update.seq).toBeGreaterThan(snap.seq as number);
      const bars = update.data.bars as { time: string; open: string; high: string; low: string; close: string; volume: string }[];
      expect(update.data.symbol).toBe('AAPL');
      expect(bars.length).toBeGreaterThan(0);
      for (const b of bars) {
        expect(new Date(b.time).getTime() % 60_000).toBe(0);
        expect(Number(b.low)).toBeLessThanOrEqual(Math.min(Number(b.open), Number(b.close)));
        expect(Number(b.high)).toBeGreaterThanOrEqual(Math.max(Number(b.open), Number(b.close)));
        expect(b.volume).toBe('0');
      }
      // The update is the minute the snapshot ended with, or one after it.
      expect(bars[0].time >= snap.data.bars.at(-1).time).toBe(true);
      const latest = (await client.get('/bars/AAPL')).body.data.at(-1);
      expect(latest).toMatchObject({ volume: '0' });
    } finally {
      c.ws.close();
      await sim.stop();
    }
  }, 30_000);
});
