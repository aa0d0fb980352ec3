import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FeedState, MarketDataSink } from '../../../src/market/market-data.js';
import { isoTime } from '../../../src/market/sources/replay-csv.js';
import { ReplaySource, replayOptionsFromEnv, timerSleep, type ReplayOptions } from '../../../src/market/sources/replay.js';

const SAMPLE = resolve(import.meta.dirname, '../../../src/market/sources/sample-replay.csv');
const dir = mkdtempSync(join(tmpdir(), 'replay-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function csv(...lines: string[]): string {
  const file = join(dir, `replay-${++files}.csv`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

type Call = readonly [string, ...unknown[]];

/** A sink that writes every call, with times as ISO text, into one log (and `now()` when asked). */
function recorder(source?: () => ReplaySource): { sink: MarketDataSink; calls: Call[]; clockAtTrade: string[] } {
  const calls: Call[] = [];
  const clockAtTrade: string[] = [];
  const sink: MarketDataSink = {
    trade: (p) => {
      calls.push(['trade', p.symbol, p.price, p.size, p.time.toISOString()]);
      if (source) clockAtTrade.push(source().now().toISOString());
    },
    quote: (q) => calls.push(['quote', q.symbol, q.bid, q.ask, q.time.toISOString()]),
    bar: (b) => calls.push(['bar', b.symbol, b.open, b.high, b.low, b.close, b.volume, b.time.toISOString()]),
    state: (state: FeedState, detail?: string) => calls.push(detail === undefined ? ['state', state] : ['state', state, detail]),
    skipped: (reason) => calls.push(['skipped', reason]),
  };
  return { sink, calls, clockAtTrade };
}

/** Pacing without real time: each requested wait is logged into the calls and moves a fake wall clock. */
function fakeTime(calls: Call[]): Pick<ReplayOptions, 'sleep' | 'clock'> {
  let wall = 0;
  return {
    clock: () => wall,
    sleep: async (ms) => {
      calls.push(['wait', ms]);
      wall += ms;
    },
  };
}

async function replayAll(options: ReplayOptions, symbols: readonly string[]): Promise<Call[]> {
  const { sink, calls } = recorder();
  const source = new ReplaySource({ ...fakeTime(calls), ...options });
  await source.start(symbols, sink);
  await source.finished();
  return calls;
}

describe('replay source: formats', () => {
  it('replays a trades file: a print per row, a quote from bid/ask (an empty side is null), prices exact', async () => {
    const file = csv(
      'time,symbol,price,size,bid,ask',
      '2024-06-14T09:30:00-04:00,AAPL,212.49505,100,212.49,212.50',
      '2024-06-14T13:30:01.250Z,MSFT,442.1,0.5,,442.11',
      '2024-06-14T09:30:02-04:00,AAPL,212.5,200,,',
    );
    expect(await replayAll({ file, speed: 0 }, ['AAPL', 'MSFT'])).toEqual([
      ['state', 'ok'],
      ['trade', 'AAPL', 2_124_951, '100', '2024-06-14T13:30:00.000Z'],
      ['quote', 'AAPL', 2_124_900, 2_125_000, '2024-06-14T13:30:00.000Z'],
      ['trade', 'MSFT', 4_421_000, '0.5', '2024-06-14T13:30:01.250Z'],
      ['quote', 'MSFT', null, 4_421_100, '2024-06-14T13:30:01.250Z'],
      ['trade', 'AAPL', 2_125_000, '200', '2024-06-14T13:30:02.000Z'],
      ['state', 'ended'],
    ]);
  });

  it('replays a bars file: each bar, then its close as a print at the bar end; columns found by name', async () => {
    const file = csv(
      'symbol,time,open,high,low,close,volume,vwap',
      'SPY,2024-06-14T09:30:00-04:00,541.90,542.10,541.80,542.05,120400,541.98',
      'SPY,2024-06-14T09:31:00-04:00,542.05,542.05,541.7001,541.75,98000,541.90',
    );
    expect(await replayAll({ file, speed: 0 }, ['SPY'])).toEqual([
      ['state', 'ok'],
      ['bar', 'SPY', 5_419_000, 5_421_000, 5_418_000, 5_420_500, '120400', '2024-06-14T13:30:00.000Z'],
      ['trade', 'SPY', 5_420_500, '120400', '2024-06-14T13:31:00.000Z'],
      ['bar', 'SPY', 5_420_500, 5_420_500, 5_417_001, 5_417_500, '98000', '2024-06-14T13:31:00.000Z'],
      ['trade', 'SPY', 5_417_500, '98000', '2024-06-14T13:32:00.000Z'],
      ['state', 'ended'],
    ]);
  });

  it('delivers only the symbols asked for', async () => {
    const file = csv('time,symbol,price,size', '2024-06-14T13:30:00Z,AAPL,212,1', '2024-06-14T13:30:01Z,TSLA,180,1', '2024-06-14T13:30:02Z,AAPL,213,1');
    const trades = (await replayAll({ file, speed: 0 }, ['AAPL'])).filter((c) => c[0] === 'trade');
    expect(trades.map((c) => c[1])).toEqual(['AAPL', 'AAPL']);
  });

  it('refuses to start on a missing file or an unknown header, before any state', async () => {
    const { sink, calls } = recorder();
    await expect(new ReplaySource({ file: join(dir, 'absent.csv') }).start(['AAPL'], sink)).rejects.toThrow(/ENOENT/);
    const file = csv('# notes first', 'when,ticker,px', '2024-06-14T13:30:00Z,AAPL,212');
    await expect(new ReplaySource({ file }).start(['AAPL'], sink)).rejects.toThrow(/line 2 is not a known header \(expected time,symbol,price,size/);
    await expect(new ReplaySource({ file: csv('time,symbol,price,size,bid') }).start(['AAPL'], sink)).rejects.toThrow(/not a known header/);
    expect(calls).toEqual([]);
  });
});

describe('replay source: the sample file', () => {
  it('delivers the whole day in time order at speed 0, without a wait, skipping nothing', async () => {
    const calls = await replayAll({ file: SAMPLE, speed: 0 }, ['AAPL', 'MSFT', 'SPY']);
    const trades = calls.filter((c) => c[0] === 'trade');
    expect(calls[0]).toEqual(['state', 'ok']);
    expect(calls[calls.length - 1]).toEqual(['state', 'ended']);
    expect(calls.filter((c) => c[0] === 'wait' || c[0] === 'skipped')).toEqual([]);
    expect(trades.length).toBeGreaterThan(300);
    expect(calls.filter((c) => c[0] === 'quote')).toHaveLength(trades.length);
    expect(new Set(trades.map((c) => c[1]))).toEqual(new Set(['AAPL', 'MSFT', 'SPY']));
    const times = trades.map((c) => c[4] as string);
    expect([...times].sort()).toEqual(times);
    expect(times[0]! >= '2024-06-14T13:30:00.000Z' && times[times.length - 1] === '2024-06-14T20:00:00.000Z').toBe(true);
    // The first row as written in the file: 442.2650 read exactly.
    expect(trades[0]).toEqual(['trade', 'MSFT', 4_422_650, '500', '2024-06-14T13:30:02.000Z']);
  });

  it('gives exactly the same sequence of calls (waits included) every time', async () => {
    const options = { file: SAMPLE, speed: 60, start: new Date('2024-06-14T12:00:00-04:00') };
    const first = await replayAll(options, ['SPY', 'AAPL', 'MSFT']);
    expect(first.filter((c) => c[0] === 'wait').length).toBeGreaterThan(100);
    expect(await replayAll(options, ['SPY', 'AAPL', 'MSFT'])).toEqual(first);
  });
});

describe('replay source: pace and clock', () => {
  const file = csv(
    'time,symbol,price,size',
    '2024-06-14T13:30:00Z,AAPL,212.00,100',
    '2024-06-14T13:31:00Z,AAPL,212.01,100',
    '2024-06-14T13:31:00Z,MSFT,442.00,100',
    '2024-06-14T13:31:06Z,AAPL,212.02,100',
  );

  it('waits the file gap / speed before each row (none for rows at the same time)', async () => {
    const calls = await replayAll({ file, speed: 60 }, ['AAPL', 'MSFT']);
    expect(calls.map((c) => (c[0] === 'trade' ? `${c[1]} ${c[4]}` : c[0] === 'wait' ? `wait ${c[1]}` : c[0]))).toEqual([
      'state',
      'AAPL 2024-06-14T13:30:00.000Z',
      'wait 1000',
      'AAPL 2024-06-14T13:31:00.000Z',
      'MSFT 2024-06-14T13:31:00.000Z',
      'wait 100',
      'AAPL 2024-06-14T13:31:06.000Z',
      'state',
    ]);
  });

  it('waits only what is left when the sink or the timer ran late, so lateness does not add up', async () => {
    const calls: Call[] = [];
    let wall = 0;
    const source = new ReplaySource({
      file,
      speed: 60,
      clock: () => wall,
      sleep: async (ms) => {
        calls.push(['wait', ms]);
        wall += ms + 30; // each timer fires 30 ms late
      },
    });
    await source.start(['AAPL', 'MSFT'], recorder().sink);
    await source.finished();
    expect(calls).toEqual([['wait', 1000], ['wait', 70]]);
  });

  it('now() is the time of the row being delivered, for trades and for bars (their end)', async () => {
    let source: ReplaySource | null = null;
    const trades = recorder(() => source!);
    source = new ReplaySource({ file, speed: 0 });
    await source.start(['AAPL', 'MSFT'], trades.sink);
    await source.finished();
    expect(trades.clockAtTrade).toEqual(trades.calls.filter((c) => c[0] === 'trade').map((c) => c[4]));
    expect(source.now().toISOString()).toBe('2024-06-14T13:31:06.000Z');

    const bars = recorder(() => source!);
    source = new ReplaySource({ file: csv('time,symbol,open,high,low,close,volume', '2024-06-14T13:30:00Z,SPY,542,542,542,542,10'), speed: 0, barMs: 300_000 });
    await source.start(['SPY'], bars.sink);
    await source.finished();
    expect(bars.clockAtTrade).toEqual(['2024-06-14T13:35:00.000Z']);
  });
  it('at full speed, gives the event loop a turn every few ms of replay instead of delivering a whole chunk of the file at once', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => `2024-06-14T13:30:${String(i % 60).padStart(2, '0')}Z,AAPL,212.${String(i).padStart(2, '0')},1`);
    // Sorted in time: minute 30 then 31.
    const lines = rows.map((row, i) => (i < 60 ? row : row.replace('13:30:', '13:31:')));
    let wall = 0;
    // Each reading of the clock is a millisecond of work: a slice of 4 ms is a few rows.
    const source = new ReplaySource({ file: csv('time,symbol,price,size', ...lines), speed: 0, clock: () => wall++ });
    let delivered = 0;
    const sink: MarketDataSink = { ...recorder().sink, trade: () => void delivered++ };
    await source.start(['AAPL'], sink);
    // The 100 rows are one chunk of the file, read at once.
    const atFirstTurn = new Promise<number>((resolve) => setImmediate(() => resolve(delivered)));
    await source.finished();
    expect(delivered).toBe(100);
    expect(await atFirstTurn).toBeLessThan(20);
  });
});

describe('replay source: forking from a moment', () => {
  const file = csv(
    'time,symbol,price,size,bid,ask',
    '2024-06-14T13:30:00Z,AAPL,212.00,100,211.99,212.00',
    '2024-06-14T13:30:05Z,MSFT,442.00,100,441.99,442.00',
    '2024-06-14T13:59:00Z,AAPL,212.50,100,,',
    '2024-06-14T13:59:30Z,MSFT,442.50,100,442.49,442.51',
    '2024-06-14T14:00:00Z,AAPL,212.60,100,212.59,212.60',
    '2024-06-14T14:01:00Z,MSFT,442.60,100,442.59,442.60',
  );

  it('delivers each symbol`s last print and quote before `start` first, then the rows from `start` on', async () => {
    const { sink, calls } = recorder();
    const source = new ReplaySource({ file, speed: 60, start: new Date('2024-06-14T10:00:00-04:00'), ...fakeTime(calls) });
    await source.start(['MSFT', 'AAPL'], sink);
    // start() resolves once positioned: the fork is delivered and the clock is at `start`.
    expect(source.now().toISOString()).toBe('2024-06-14T14:00:00.000Z');
    await source.finished();
    expect(calls).toEqual([
      ['state', 'ok'],
      ['trade', 'MSFT', 4_425_000, '100', '2024-06-14T13:59:30.000Z'],
      ['quote', 'MSFT', 4_424_900, 4_425_100, '2024-06-14T13:59:30.000Z'],
      // AAPL's last print had no quote: its last quote is the one before.
      ['trade', 'AAPL', 2_125_000, '100', '2024-06-14T13:59:00.000Z'],
      ['quote', 'AAPL', 2_119_900, 2_120_000, '2024-06-14T13:30:00.000Z'],
      ['trade', 'AAPL', 2_126_000, '100', '2024-06-14T14:00:00.000Z'],
      ['quote', 'AAPL', 2_125_900, 2_126_000, '2024-06-14T14:00:00.000Z'],
      ['wait', 1000],
      ['trade', 'MSFT', 4_426_000, '100', '2024-06-14T14:01:00.000Z'],
      ['quote', 'MSFT', 4_425_900, 4_426_000, '2024-06-14T14:01:00.000Z'],
      ['state', 'ended'],
    ]);
  });

  it('paces the first row from `start`, and a fork after the last row opens on the final prices', async () => {
    const early = await replayAll({ file, speed: 60, start: new Date('2024-06-14T13:29:00Z') }, ['AAPL']);
    expect(early.slice(0, 3)).toEqual([['state', 'ok'], ['wait', 1000], ['trade', 'AAPL', 2_120_000, '100', '2024-06-14T13:30:00.000Z']]);

    const late = await replayAll({ file, speed: 60, start: new Date('2024-06-14T16:00:00Z') }, ['AAPL']);
    expect(late).toEqual([
      ['state', 'ok'],
      ['trade', 'AAPL', 2_126_000, '100', '2024-06-14T14:00:00.000Z'],
      ['quote', 'AAPL', 2_125_900, 2_126_000, '2024-06-14T14:00:00.000Z'],
      ['state', 'ended'],
    ]);
  });
});

describe('replay source: bad rows', () => {
  it('skips unreadable and out-of-order rows with their line numbers and delivers the rest', async () => {
    const file = csv(
      '# a comment, then the header',
      'time,symbol,price,size',
      '2024-06-14T13:30:00Z,AAPL,212.00,100',
      '2024-06-14T13:30:01Z,AAPL,abc,100',
      '2024-06-14T09:30:02,AAPL,212.01,100',
      '2024-02-30T13:30:03Z,AAPL,212.01,100',
      '2024-06-14T13:30:04Z,AAPL,212.01',
      '',
      '2024-06-14T13:30:05Z,AAPL,212.02,0',
      '2024-06-14T13:30:10Z,AAPL,212.03,100',
      '2024-06-14T13:30:06Z,AAPL,212.04,100',
      '2024-06-14T13:30:06Z,TSLA,-5,100',
      '2024-06-14T13:30:11Z,AAPL,212.05,100',
    );
    expect(await replayAll({ file, speed: 0 }, ['AAPL'])).toEqual([
      ['state', 'ok'],
      ['trade', 'AAPL', 2_120_000, '100', '2024-06-14T13:30:00.000Z'],
      ['skipped', 'line 4: price "abc" is not a positive decimal'],
      ['skipped', 'line 5: time "2024-06-14T09:30:02" is not an ISO 8601 time with an offset'],
      ['skipped', 'line 6: time "2024-02-30T13:30:03Z" is not an ISO 8601 time with an offset'],
      ['skipped', 'line 7: expected 4 fields, found 3'],
      ['skipped', 'line 9: size "0" is not a positive decimal'],
      ['trade', 'AAPL', 2_120_300, '100', '2024-06-14T13:30:10.000Z'],
      ['skipped', 'line 11: out of time order (2024-06-14T13:30:06.000Z after 2024-06-14T13:30:10.000Z)'],
      // A bad row is the file's fault whatever its symbol.
      ['skipped', 'line 12: price "-5" is not a positive decimal'],
      ['trade', 'AAPL', 2_120_500, '100', '2024-06-14T13:30:11.000Z'],
      ['state', 'ended'],
    ]);
  });

  it('skips a bar whose prices cannot be in that order', async () => {
    const file = csv('time,symbol,open,high,low,close,volume', '2024-06-14T13:30:00Z,SPY,542,541,543,542,10');
    expect(await replayAll({ file, speed: 0 }, ['SPY'])).toEqual([
      ['state', 'ok'],
      ['skipped', 'line 2: bar prices out of order (low <= open, close <= high)'],
      ['state', 'ended'],
    ]);
  });
});

describe('replay source: stop', () => {
  const file = csv('time,symbol,price,size', '2024-06-14T13:30:00Z,AAPL,212.00,100', '2024-06-14T14:30:00Z,AAPL,212.01,100');
  const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  it('ends at once mid-wait at speed 1 with the real timer, delivering nothing more and leaving no timer', async () => {
    const before = timers();
    const { sink, calls } = recorder();
    let waiting = (): void => undefined;
    const waitRequested = new Promise<void>((resolve) => (waiting = resolve));
    const source = new ReplaySource({
      file,
      speed: 1,
      sleep: (ms, signal) => {
        calls.push(['wait', ms]);
        waiting();
        return timerSleep(ms, signal);
      },
    });
    await source.start(['AAPL'], sink);
    await waitRequested;
    expect(timers()).toBe(before + 1);
    await source.stop();
    await source.finished();
    expect(timers()).toBe(before);
    expect(calls.map((c) => c[0])).toEqual(['state', 'trade', 'wait']);
    expect(calls[2]![1]).toBeGreaterThan(3_500_000); // an hour of file time was ahead
  });

  it('ends even when an injected sleep never settles', async () => {
    const { sink, calls } = recorder();
    let waiting = (): void => undefined;
    const waitRequested = new Promise<void>((resolve) => (waiting = resolve));
    const sleep = (): Promise<void> => {
      waiting();
      return new Promise<void>(() => undefined);
    };
    const source = new ReplaySource({ file, speed: 1, sleep, clock: () => 0 });
    await source.start(['AAPL'], sink);
    await waitRequested;
    await source.stop();
    expect(calls.map((c) => c[0])).toEqual(['state', 'trade']);
  });
});

describe('replay times', () => {
  it('reads ISO 8601 with Z or an offset to the millisecond, as Date.parse does', () => {
    for (const text of ['2024-06-14T09:30-04:00', '2024-06-14T09:30:00.123456-04:00', '2024-02-29T10:00:00+05:30', '2024-12-31T23:59:59.9Z', '2000-02-29T00:00:00-00:00']) {
      expect([text, isoTime(text)]).toEqual([text, Date.parse(text)]);
    }
  });

  it('reads a run of times in one minute, then across minutes, days and offsets, as Date.parse does', () => {
    const texts = ['2026-03-03T14:45:00.000Z', '2026-03-03T14:45:00.010Z', '2026-03-03T14:45:59.999Z', '2026-03-03T14:46:00.000Z', '2026-03-03T14:45:30.500Z'];
    texts.push('2026-03-03T14:45:30.500+01:00', '2026-03-03T14:45:31.000Z', '2026-03-04T14:45:31.000Z', '2026-03-03T14:45:31.250Z', '2026-12-31T23:59:59.999Z', '2027-01-01T00:00:00.001Z');
    for (const text of texts) expect([text, isoTime(text)]).toEqual([text, Date.parse(text)]);
    // Lines of the last minute read that do not fit its shape are still refused.
    for (const text of ['2026-03-03T14:45:60.000Z', '2026-03-03T14:45:3a.000Z', '2026-03-03T14:45:30,000Z', '2026-03-03T14:45:30.000X']) {
      expect(isoTime('2026-03-03T14:45:00.000Z')).toBe(Date.parse('2026-03-03T14:45:00.000Z'));
      expect([text, isoTime(text)]).toEqual([text, null]);
    }
  });

  it('refuses a time without an offset, a day or hour that does not exist, and other shapes', () => {
    for (const text of ['2024-06-14T09:30:00', '2024-06-14 09:30:00Z', '2023-02-29T10:00:00Z', '2100-02-29T00:00:00Z', '2024-04-31T10:00:00Z', '2024-06-14T24:00:00Z', '2024-06-14T09:30:00+0400', '1718371800000', '']) {
      expect([text, isoTime(text)]).toEqual([text, null]);
    }
  });
});

describe('replay options from the environment', () => {
  it('reads REPLAY_FILE, REPLAY_SPEED (default 1) and REPLAY_START', () => {
    expect(replayOptionsFromEnv({ REPLAY_FILE: 'day.csv' })).toEqual({ file: 'day.csv', speed: 1 });
    expect(replayOptionsFromEnv({ REPLAY_FILE: 'day.csv', REPLAY_SPEED: '0', REPLAY_START: '2024-06-14T11:00:00-04:00' })).toEqual({
      file: 'day.csv',
      speed: 0,
      start: new Date('2024-06-14T15:00:00Z'),
    });
  });

  it('names the variable that is wrong', () => {
    expect(() => replayOptionsFromEnv({})).toThrow(/^REPLAY_FILE/);
    expect(() => replayOptionsFromEnv({ REPLAY_FILE: 'day.csv', REPLAY_SPEED: '-1' })).toThrow(/^REPLAY_SPEED/);
    expect(() => replayOptionsFromEnv({ REPLAY_FILE: 'day.csv', REPLAY_START: '2024-06-14 11:00' })).toThrow(/^REPLAY_START/);
  });
});
