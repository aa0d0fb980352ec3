import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Bar, FeedState, MarketDataSink, Quote, TradePrint } from '../../../src/market/market-data.js';
import { CoinbaseSource } from '../../../src/market/sources/coinbase.js';
import { CoinbaseStandIn } from '../support/coinbase-stand-in.js';

/** Records everything the source delivers. */
class RecordingSink implements MarketDataSink {
  readonly trades: TradePrint[] = [];
  readonly quotes: Quote[] = [];
  readonly states: [FeedState, string | undefined][] = [];
  readonly skips: string[] = [];
  trade(print: TradePrint): void {
    this.trades.push(print);
  }
  quote(quote: Quote): void {
    this.quotes.push(quote);
  }
  bar(_bar: Bar): void {
    throw new Error('Coinbase sends no bars');
  }
  state(state: FeedState, detail?: string): void {
    this.states.push([state, detail]);
  }
  skipped(reason: string): void {
    this.skips.push(reason);
  }
  get stateNames(): FeedState[] {
    return this.states.map(([s]) => s);
  }
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const T = '2026-01-05T14:30:00.123456Z';

describe('the Coinbase source', () => {
  let standIn: CoinbaseStandIn;
  let source: CoinbaseSource;
  let sink: RecordingSink;

  beforeEach(async () => {
    standIn = await CoinbaseStandIn.start();
    source = new CoinbaseSource({ url: standIn.url, retryMinMs: 10, retryMaxMs: 40 });
    sink = new RecordingSink();
  });

  afterEach(async () => {
    for (const child of probes) child.kill();
    await source.stop();
    await standIn.close();
  });

  async function started(symbols = ['BTC-USD']): Promise<void> {
    await source.start(symbols, sink);
    await waitFor('the subscription', () => sink.stateNames.includes('ok'));
  }

  it('subscribes its products to ticker, matches and heartbeat, and is ok once acknowledged', async () => {
    await started(['BTC-USD', 'ETH-USD']);
    expect(standIn.subscribes).toEqual([{ type: 'subscribe', product_ids: ['BTC-USD', 'ETH-USD'], channels: ['ticker', 'matches', 'heartbeat'] }]);
    expect(sink.states).toEqual([
      ['connecting', undefined],
      ['ok', undefined],
    ]);
  });

  it('delivers matches as trades and tickers as quotes, in exact price units', async () => {
    await started(['BTC-USD', 'ETH-USD']);
    standIn.send({ type: 'heartbeat', sequence: 1, last_trade_id: 0, product_id: 'BTC-USD', time: T });
    standIn.match({ product_id: 'BTC-USD', price: '43210.125', size: '0.00012345', sequence: 2 });
    standIn.ticker({ product_id: 'ETH-USD', best_bid: '2300.1', best_ask: '2300.12345', sequence: 3, price: '2300.11' });
    standIn.ticker({ product_id: 'BTC-USD', best_bid: '43210.12', best_ask: '', sequence: 4 });
    await waitFor('two quotes', () => sink.quotes.length === 2);

    expect(sink.trades).toEqual([{ symbol: 'BTC-USD', price: 432_101_250, size: '0.00012345', time: new Date(T) }]);
    expect(sink.quotes).toEqual([
      // Half up at the fourth decimal: 2300.12345 -> 2300.1235.
      { symbol: 'ETH-USD', bid: 23_001_000, ask: 23_001_235, time: new Date(T) },
      // An empty side is null, not a refusal.
      { symbol: 'BTC-USD', bid: 432_101_200, ask: null, time: new Date(T) },
    ]);
    // The ticker's own price is the matches' trade again: it adds no trade, and the heartbeat is no skip.
    expect(sink.skips).toEqual([]);
  });

  it('skips what it cannot read and goes on', async () => {
    await started();
    standIn.send('{"type": "match", ');
    standIn.send('[1, 2]');
    standIn.send({ type: 'l2update', product_id: 'BTC-USD', changes: [], time: T });
    standIn.match({ product_id: 'DOGE-USD', sequence: 1 });
    standIn.match({ price: '0.00001234', sequence: 2 }); // rounds to 0 units: not a price the desk can hold
    standIn.match({ price: '1e5', sequence: 3 });
    standIn.match({ size: '-1', sequence: 4 });
    standIn.ticker({ best_bid: 'abc', sequence: 5 });
    standIn.match({ time: 'yesterday', sequence: 6 });
    standIn.match({ price: '100.5', sequence: 7 });
    await waitFor('the good trade', () => sink.trades.length === 1);

    expect(sink.trades).toEqual([{ symbol: 'BTC-USD', price: 1_005_000, size: '0.01', time: new Date(T) }]);
    expect(sink.quotes).toEqual([]);
    expect(sink.skips).toEqual([
      'malformed JSON',
      'not a JSON object',
      'unknown message type "l2update"',
      'match for a product not subscribed: "DOGE-USD"',
      'match BTC-USD: bad price "0.00001234"',
      'match BTC-USD: bad price "1e5"',
      'match BTC-USD: bad size "-1"',
      'ticker BTC-USD: bad best bid/ask ["abc","43210.50"]',
      'match BTC-USD: bad time "yesterday"',
    ]);
    expect(sink.stateNames).toEqual(['connecting', 'ok']);
  });

  it('skips a message older than the latest of its kind, so prices never move back', async () => {
    await started();
    standIn.match({ price: '100', sequence: 10 });
    standIn.match({ price: '90', sequence: 9 });
    standIn.match({ price: '100', sequence: 10 });
    // A ticker carries the sequence of the match it follows: not a duplicate of it.
    standIn.ticker({ best_bid: '99', best_ask: '101', sequence: 10 });
    standIn.ticker({ best_bid: '89', best_ask: '91', sequence: 8 });
    standIn.match({ price: '101', sequence: 11 });
    await waitFor('the next trade', () => sink.trades.length === 2);

    expect(sink.trades.map((t) => t.price)).toEqual([1_000_000, 1_010_000]);
    expect(sink.quotes.map((q) => [q.bid, q.ask])).toEqual([[990_000, 1_010_000]]);
    expect(sink.skips).toEqual([
      'trade BTC-USD: sequence 9 is not after 10',
      'trade BTC-USD: sequence 10 is not after 10',
      'quote BTC-USD: sequence 8 is not after 10',
    ]);
  });

  it('reconnects after a dropped connection, resubscribes and streams again, each state once', async () => {
    await started();
    standIn.match({ price: '100', sequence: 5 });
    await waitFor('the first trade', () => sink.trades.length === 1);

    standIn.drop();
    await waitFor('the second subscription', () => sink.stateNames.length === 4);
    expect(sink.stateNames).toEqual(['connecting', 'ok', 'connecting', 'ok']);
    expect(standIn.subscribes).toHaveLength(2);
    expect(standIn.subscribes[1]).toEqual(standIn.subscribes[0]);

    // The stand-in replays the product's last match after the new subscribe, as Coinbase does.
    standIn.match({ price: '101', sequence: 6 });
    await waitFor('the trade after the reconnect', () => sink.trades.length === 2);
    expect(sink.trades.map((t) => t.price)).toEqual([1_000_000, 1_010_000]);
    expect(sink.skips).toEqual(['trade BTC-USD: sequence 5 is not after 5']);
  });

  it('reports a refused subscribe once while it keeps retrying, then ok', async () => {
    standIn.failSubscribes({ message: 'Failed to subscribe', reason: 'BTC-XYZ is not a valid product' });
    await source.start(['BTC-USD'], sink);
    await waitFor('three refused attempts', () => standIn.subscribes.length >= 3);
    standIn.failSubscribes(null);
    await waitFor('the subscription', () => sink.stateNames.includes('ok'));

    expect(sink.states).toEqual([
      ['connecting', undefined],
      ['connecting', 'Failed to subscribe: BTC-XYZ is not a valid product'],
      ['ok', undefined],
    ]);
  });

  it('reports refused handshakes (HTTP 429) once as the connection limit, then ok', async () => {
    standIn.refuseHandshakes(429);
    await source.start(['BTC-USD'], sink);
    await waitFor('three refused handshakes', () => standIn.handshakes >= 3);
    standIn.refuseHandshakes(null);
    await waitFor('the subscription', () => sink.stateNames.includes('ok'));

    expect(sink.states).toEqual([
      ['connecting', undefined],
      ['connection_limit', 'connection refused: HTTP 429 (too many connections)'],
      ['ok', undefined],
    ]);
  });

  it('takes an error message naming a limit as the connection limit and reconnects', async () => {
    await started();
    standIn.send({ type: 'error', message: 'Too many connections' });
    await waitFor('the next subscription', () => sink.stateNames.length === 4);

    expect(sink.states).toEqual([
      ['connecting', undefined],
      ['ok', undefined],
      ['connection_limit', 'Too many connections'],
      ['ok', undefined],
    ]);
    expect(standIn.subscribes).toHaveLength(2);
  });

  it('replaces a link gone silent, reported once as stale until it is ok again', async () => {
    source = new CoinbaseSource({ url: standIn.url, retryMinMs: 10, retryMaxMs: 40, staleMs: 150 });
    await started();
    // Live data keeps the link fresh well past the stale limit.
    const until = Date.now() + 400;
    for (let sequence = 1; Date.now() < until; sequence += 1) {
      standIn.match({ sequence });
      await waitFor(`trade ${sequence}`, () => sink.trades.length === sequence);
    }
    expect(sink.stateNames).toEqual(['connecting', 'ok']);

    // Then nothing (the stand-in sends no heartbeats), nor on the next connections: stale, once.
    standIn.mute(true);
    await waitFor('two silent reconnects', () => standIn.subscribes.length >= 3);
    standIn.mute(false);
    await waitFor('a subscription answered', () => sink.stateNames.length === 4);
    expect(sink.states).toEqual([
      ['connecting', undefined],
      ['ok', undefined],
      ['stale', 'no message for 150 ms'],
      ['ok', undefined],
    ]);
  });

  // A process that stops its source must be able to exit by itself: run one and time its exit. The
  // reconnect is a minute away, so a timer left behind would hold the process far past the deadline.
  it.each([
    ['an open socket', 'open'],
    ['a pending reconnect', 'retrying'],
    ['the drop, from the sink', 'dropped'],
    ['a handshake in progress', 'handshaking'],
  ])('stops cleanly with %s: nothing is left running', async (_what, mode) => {
    const probe = runProbe(mode, standIn.url);
    if (mode === 'retrying' || mode === 'dropped') {
      await waitFor('the subscription', () => probe.lines.includes('ok'));
      standIn.drop();
    }
    await waitFor('stop() to resolve', () => probe.lines.includes('stopped'), 10_000);
    await waitFor('the process to exit by itself', () => probe.exitCode !== undefined, 5_000);
    expect({ exitCode: probe.exitCode, stderr: probe.stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(probe.lines).toEqual(PROBE_LINES[mode]);
  });
});

const ROOT = resolve(import.meta.dirname, '../../..');

const PROBE_LINES: Record<string, string[]> = {
  open: ['connecting', 'ok', 'stopped'],
  retrying: ['connecting', 'ok', 'connecting', 'stopped'],
  dropped: ['connecting', 'ok', 'connecting', 'stopped'],
  handshaking: ['connecting', 'stopped'],
};

/** Probes still running when a test ends (it failed): killed, so the run does not wait on them. */
const probes = new Set<ChildProcess>();

/** The source in a process of its own, printing its states, stopped at the moment `mode` names. */
const PROBE = `
import { CoinbaseSource } from './src/market/sources/coinbase.ts';
const mode = process.env.PROBE_MODE;
const source = new CoinbaseSource({ url: process.env.PROBE_URL, retryMinMs: 60000, retryMaxMs: 60000 });
let stopping;
const stop = () => { stopping ??= source.stop().then(() => console.log('stopped')); };
let wasOk = false;
await source.start(['BTC-USD'], {
  trade() {}, quote() {}, bar() {}, skipped() {},
  state(state) {
    console.log(state);
    if (state === 'ok' && mode === 'open') stop();
    if (state === 'connecting' && wasOk && mode === 'retrying') setImmediate(stop); // once the reconnect is scheduled
    if (state === 'connecting' && wasOk && mode === 'dropped') stop(); // before it is
    wasOk ||= state === 'ok';
  },
});
if (mode === 'handshaking') stop();
`;

function runProbe(mode: string, url: string): { lines: string[]; stderr: string; exitCode: number | null | undefined } {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROBE], {
    cwd: ROOT,
    env: { ...process.env, PROBE_MODE: mode, PROBE_URL: url, NODE_OPTIONS: '' },
  });
  const probe = { lines: [] as string[], stderr: '', exitCode: undefined as number | null | undefined };
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    probe.lines.push(...lines);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (probe.stderr += chunk));
  probes.add(child);
  child.on('exit', (code) => {
    probe.exitCode = code;
    probes.delete(child);
  });
  return probe;
}
