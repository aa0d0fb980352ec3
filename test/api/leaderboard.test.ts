import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { anyIso, type ApiClient, expectNoServerErrors, startApi } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';
import type { TestOms } from '../support/oms.js';
import { periodStart } from '../../src/oms/equity.js';

/**
 * The leaderboard and equity curves on a real OMS: portfolios trade, prices move, snapshots are
 * taken by the OMS itself, and every number is checked against the portfolio's own summary (cash
 * plus positions at the reference prices) in exact decimal arithmetic.
 */
let oms: TestOms;
let api: ApiClient;
let db: pg.Client;
let symbol: string;

/** "1234.56" -> 12345600n (units of 0.0001), exactly. */
const units = (text: string): bigint => {
  const [whole, frac = ''] = text.replace('-', '').split('.');
  const u = BigInt(whole) * 10_000n + BigInt(frac.padEnd(4, '0'));
  return text.startsWith('-') ? -u : u;
};
const text = (u: bigint): string => {
  const abs = u < 0n ? -u : u;
  const frac = String(abs % 10_000n).padStart(4, '0').replace(/0{1,2}$/, '');
  return `${u < 0n ? '-' : ''}${abs / 10_000n}.${frac}`;
};
/** Percent to 4 decimals, rounded half away from zero: what the leaderboard says. */
const pct = (pnl: bigint, start: bigint): string => {
  const n = pnl * 1_000_000n;
  const q = ((n < 0n ? -n : n) + start / 2n) / start;
  return text(n < 0n ? -q : q);
};
const equityOf = async (name: string): Promise<bigint> => {
  const res = await api.get(`/portfolio/${encodeURIComponent(name)}`);
  expect(res.status).toBe(200);
  let equity = units(res.body.cash);
  for (const p of res.body.positions) equity += BigInt(p.quantity) * units(p.reference_price);
  // The summary's own equity says the same.
  expect(res.body.equity).toBe(text(equity));
  return equity;
};

beforeAll(async () => {
  ({ oms, api } = await startApi());
  db = new pg.Client({ connectionString: oms.databaseUrl });
  await db.connect();
  symbol = await api.newSymbol('100.00');
  await api.createPortfolio('Alpha', '1000000.00');
  await api.createPortfolio('Beta', '500000.00');
  await api.createPortfolio('Gamma', '250000.00');
  await api.createPortfolio('Street', '100000000.00', true);
  // Street sells; Alpha and Beta buy at 100.
  await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 1000, limit_price: '100.00', time_in_force: 'GTC', portfolio_name: 'Street' });
  await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 300, limit_price: '100.00', time_in_force: 'GTC', portfolio_name: 'Alpha' });
  await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 700, limit_price: '100.00', time_in_force: 'GTC', portfolio_name: 'Beta' });
}, 60_000);

afterAll(async () => {
  await db?.end();
  expectNoServerErrors(api.seen);
  expectDocumentedAnswers(api.seen);
  await oms?.stop();
});

describe('GET /leaderboard', () => {
  it('period all: every portfolio ranked by its return from its starting cash to cash plus positions now', async () => {
    await api.setPrice(symbol, '103.37');
    const res = await api.get('/leaderboard?period=all');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ period: 'all', from: null, as_of: anyIso(), data: expect.any(Array) });
    const starting: Record<string, bigint> = { Alpha: units('1000000'), Beta: units('500000'), Gamma: units('250000'), Street: units('100000000') };
    const expected = [];
    for (const name of Object.keys(starting)) {
      const equity = await equityOf(name);
      expected.push({ name, start: starting[name], equity, pnl: equity - starting[name] });
    }
    // Exact ranking: pnl/start compared by cross-multiplying.
    expected.sort((a, b) => (a.pnl * b.start > b.pnl * a.start ? -1 : a.pnl * b.start < b.pnl * a.start ? 1 : a.name.localeCompare(b.name)));
    expect(res.body.data).toEqual(
      expected.map((e, i) => ({
        rank: i + 1,
        portfolio_name: e.name,
        start_equity: text(e.start),
        equity: text(e.equity),
        pnl: text(e.pnl),
        return_pct: pct(e.pnl, e.start),
        started_at: anyIso(),
      })),
    );
    // Beta holds 700 of 500,000 (14%): up 3.37 a share, it leads; Street is short the same 1000.
    expect(res.body.data.map((d: { portfolio_name: string }) => d.portfolio_name)).toEqual(['Beta', 'Alpha', 'Gamma', 'Street']);
    expect(res.body.data[0]).toEqual(expect.objectContaining({ equity: '502359.00', pnl: '2359.00', return_pct: '0.4718' }));
  });

  it('period day: from the snapshot the OMS took today to the equity now', async () => {
    const before: Record<string, bigint> = {};
    for (const name of ['Alpha', 'Beta', 'Gamma', 'Street']) before[name] = await equityOf(name);
    expect(await oms.service.equitySnapshots.take()).toBe(4);
    await api.setPrice(symbol, '98.05');
    const res = await api.get('/leaderboard?period=day');
    expect(res.status).toBe(200);
    expect(res.body.from).toBe(periodStart('day', new Date())!.toISOString());
    for (const entry of res.body.data) {
      const now = await equityOf(entry.portfolio_name);
      expect(entry).toEqual(
        expect.objectContaining({
          start_equity: text(before[entry.portfolio_name]),
          equity: text(now),
          pnl: text(now - before[entry.portfolio_name]),
          return_pct: pct(now - before[entry.portfolio_name], before[entry.portfolio_name]),
        }),
      );
    }
    // Down 5.32 a share since the snapshot: Street (short) leads, Gamma (cash) is flat, Beta is last.
    expect(res.body.data.map((d: { portfolio_name: string }) => d.portfolio_name)).toEqual(['Street', 'Gamma', 'Alpha', 'Beta']);
    expect(res.body.data.find((d: { portfolio_name: string }) => d.portfolio_name === 'Gamma')).toEqual(expect.objectContaining({ pnl: '0.00', return_pct: '0.00' }));
  });

  it('a period with no snapshot of its own starts from the last one before it', async () => {
    await api.createPortfolio('Delta', '10000.00');
    const { rows } = await db.query<{ id: number }>("SELECT id FROM portfolios WHERE name = 'Delta'");
    const dayStart = periodStart('day', new Date())!;
    await db.query('INSERT INTO equity_snapshots (desk_id, portfolio_id, taken_at, equity, cash) VALUES (1, $1, $2, 8000, 8000)', [rows[0].id, new Date(dayStart.getTime() - 3600_000)]);
    const res = await api.get('/leaderboard?period=day');
    expect(res.body.data.find((d: { portfolio_name: string }) => d.portfolio_name === 'Delta')).toEqual(
      expect.objectContaining({ start_equity: '8000.00', equity: '10000.00', pnl: '2000.00', return_pct: '25.00', started_at: new Date(dayStart.getTime() - 3600_000).toISOString() }),
    );
  });

  it('a key limited to portfolios ranks only those', async () => {
    const key = await api.post('/keys', { name: 'alpha only', scopes: ['read'], portfolios: ['Alpha', 'Gamma'] });
    expect(key.status).toBe(201);
    const res = await api.as(key.body.key).get('/leaderboard?period=all');
    expect(res.status).toBe(200);
    expect(res.body.data.map((d: { portfolio_name: string }) => d.portfolio_name).sort()).toEqual(['Alpha', 'Gamma']);
  });

  it('refuses a period it does not know, and any other parameter, with 400 naming it', async () => {
    const bad = await api.get('/leaderboard?period=year');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual(expect.objectContaining({ code: 'VALIDATION_ERROR', details: [{ path: 'period', message: 'period must be one of day, week, month, all' }] }));
    const extra = await api.get('/leaderboard?period=day&top=3');
    expect(extra.status).toBe(400);
    expect(extra.body.error.code).toBe('VALIDATION_ERROR');
    expect((await api.as(null).get('/leaderboard')).status).toBe(401);
  });
});

describe('GET /portfolios/{name}/equity', () => {
  it('period all: the starting cash, the snapshots, then the equity now', async () => {
    const res = await api.get('/portfolios/Alpha/equity?period=all');
    expect(res.status).toBe(200);
    const now = await equityOf('Alpha');
    expect(res.body).toEqual(
      expect.objectContaining({ portfolio_name: 'Alpha', period: 'all', from: null, start_equity: '1000000.00', equity: text(now), pnl: text(now - units('1000000')) }),
    );
    const points = res.body.data as { at: string; equity: string; cash: string }[];
    expect(points[0]).toEqual({ at: anyIso(), equity: '1000000.00', cash: '1000000.00' });
    expect(points.at(-1)).toEqual({ at: res.body.as_of, equity: text(now), cash: expect.any(String) });
    // The snapshot taken in the day test, between them, at 103.37: 300 shares.
    expect(points).toHaveLength(3);
    expect(units(points[1].equity)).toBe(units(points[1].cash) + 300n * units('103.37'));
    const times = points.map((p) => Date.parse(p.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('a long history is thinned evenly to about 500 points, the latest of each slice', async () => {
    await api.createPortfolio('Busy', '1000.00');
    const { rows } = await db.query<{ id: number }>("SELECT id FROM portfolios WHERE name = 'Busy'");
    const now = Date.now();
    await db.query(
      `INSERT INTO equity_snapshots (desk_id, portfolio_id, taken_at, equity, cash)
       SELECT 1, $1, to_timestamp(($2::bigint - i * 60000) / 1000.0), 1000 + i, 1000 FROM generate_series(1, 3000) AS i`,
      [rows[0].id, now],
    );
    const res = await api.get('/portfolios/Busy/equity?period=all');
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeGreaterThan(400);
    expect(res.body.data.length).toBeLessThanOrEqual(503);
    // The newest snapshot (a minute ago, equity 1001) is kept: the last slice's latest.
    expect(res.body.data.at(-2).equity).toBe('1001.00');
  });

  it('404 for a portfolio the desk does not have (or the key may not read), 400 for a bad period', async () => {
    const missing = await api.get('/portfolios/Nobody/equity?period=day');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('PORTFOLIO_NOT_FOUND');
    const key = await api.post('/keys', { name: 'gamma only', scopes: ['read'], portfolios: ['Gamma'] });
    expect((await api.as(key.body.key).get('/portfolios/Alpha/equity')).status).toBe(404);
    const bad = await api.get('/portfolios/Alpha/equity?period=quarter');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ path: 'period', message: 'period must be one of day, week, month, all' }]);
  });
});

describe('equity snapshots', () => {
  it('a snapshot that cannot be written is dropped and the desk keeps trading', async () => {
    await db.query('ALTER TABLE equity_snapshots RENAME TO equity_snapshots_away');
    try {
      const failedBefore = oms.service.equitySnapshots.counts.failed;
      expect(await oms.service.equitySnapshots.take()).toBe(0);
      expect(oms.service.equitySnapshots.counts.failed).toBe(failedBefore + 1);
      const order = await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 1, limit_price: '90.00', time_in_force: 'GTC', portfolio_name: 'Gamma' });
      expect(order.status).toBe('NEW');
    } finally {
      await db.query('ALTER TABLE equity_snapshots_away RENAME TO equity_snapshots');
    }
    expect(await oms.service.equitySnapshots.take()).toBeGreaterThan(0);
  });

  it('the house is never ranked nor snapshotted', async () => {
    const { rows } = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM equity_snapshots s JOIN portfolios p ON p.id = s.portfolio_id WHERE p.is_house',
    );
    expect(rows[0].n).toBe('0');
    const res = await api.get('/leaderboard?period=all');
    expect(res.body.data.map((d: { portfolio_name: string }) => d.portfolio_name)).not.toContain('HOUSE');
  });
});
