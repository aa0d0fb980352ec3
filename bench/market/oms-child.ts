import { rmSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadEnv } from '../../src/config/env.js';
import { startOmsService } from '../../src/oms-service.js';
import { LiveMarket } from '../../src/market/live-market.js';
import { RandomWalkSource } from '../../src/market/price-source.js';
import { MarketMaker } from '../../src/market/market-maker.js';
import { Oms } from '../../src/oms/oms.js';
import { Desks } from '../../src/oms/desks.js';
import { SharedCommit } from '../../src/db/shared-commit.js';
import type { FeedState, TradePrint } from '../../src/market/market-data.js';
import type { InstrumentState } from '../../src/oms/model.js';
import { RequoteTracker } from './requote-tracker.js';

/**
 * The real OMS (startOmsService over a fresh embedded PostgreSQL in BENCH_DATA_DIR, durable commits),
 * with the house market maker on, fed either by a replay at full speed (BENCH_MODE=replay) or by the
 * built-in simulator (BENCH_MODE=simulator). Nothing in src is changed: the probes wrap methods of the
 * real classes on their prototypes before the service starts, so the service runs its own code paths.
 * Sends one result message over IPC, then stops and removes its data directory on disconnect.
 */
const mode = process.env.BENCH_MODE === 'simulator' ? 'simulator' : 'replay';
const symbols = (process.env.BENCH_SYMBOLS ?? '').split(',').filter(Boolean);
const dataDir = process.env.BENCH_DATA_DIR ?? join(process.cwd(), `.bench-market-${process.pid}`);
/** One print in this many, per symbol, is followed to its re-quote (the replay); every simulator step is. */
const sampleEvery = Number(process.env.BENCH_SAMPLE_EVERY ?? 200);
const simulatorSeconds = Number(process.env.BENCH_SIMULATOR_SECONDS ?? 15);
const operatorKey = `bench-operator-${process.pid}-0123456789abcdef`;

const tracker = new RequoteTracker(symbols);
let live: LiveMarket | null = null;
let firstTradeAt: number | null = null;
let endedAt: number | null = null;
let ended: () => void = () => undefined;
const endedSignal = new Promise<void>((resolve) => (ended = resolve));
const printsOf = new Map<string, number>();

// ---- probes --------------------------------------------------------------------------------------
type Proto<T> = T & Record<string, unknown>;

const liveProto = LiveMarket.prototype as Proto<LiveMarket>;
const start = liveProto.start;
liveProto.start = function (this: LiveMarket) {
  live = this;
  return start.call(this);
};
const trade = liveProto.trade;
liveProto.trade = function (this: LiveMarket, print: TradePrint) {
  const at = performance.now();
  firstTradeAt ??= at;
  trade.call(this, print);
  const n = (printsOf.get(print.symbol) ?? 0) + 1;
  printsOf.set(print.symbol, n);
  // Only once the instrument exists: its first print adds it (no re-quote of a price to follow).
  if (n % sampleEvery === 0 && (this as unknown as { desks: Desks }).desks.main.instrument(print.symbol)) tracker.delivered(print.symbol, at);
};
const state = liveProto.state;
liveProto.state = function (this: LiveMarket, s: FeedState, detail?: string) {
  state.call(this, s, detail);
  if (s === 'ended') {
    endedAt = performance.now();
    ended();
  }
};

const walkProto = RandomWalkSource.prototype as Proto<RandomWalkSource>;
const next = walkProto.next;
walkProto.next = function (this: RandomWalkSource, symbol: string, current: number, tickSize: number) {
  const price = next.call(this, symbol, current, tickSize);
  if (price !== null) tracker.delivered(symbol, performance.now());
  return price;
};

const omsProto = Oms.prototype as Proto<Oms>;
const setReferencePrice = omsProto.setReferencePrice;
omsProto.setReferencePrice = function (this: Oms, symbol: string, price: number, actor) {
  // The price taken from the source goes into the desk now (the commit follows).
  tracker.applied(symbol, performance.now());
  return setReferencePrice.call(this, symbol, price, actor);
};

// requote() is private: one pass over the symbol's levels, applied at once, each change committed later.
type Requote = (this: MarketMaker, instrument: InstrumentState) => { placing: boolean; all: Promise<unknown>[] };
const makerProto = MarketMaker.prototype as unknown as { requote: Requote };
const requote = makerProto.requote;
makerProto.requote = function (this: MarketMaker, instrument: InstrumentState) {
  const started = tracker.quoting(instrument.symbol, performance.now());
  const done = () => tracker.quoted(instrument.symbol, started, performance.now());
  try {
    const changes = requote.call(this, instrument);
    void Promise.allSettled(changes.all).then(done);
    return changes;
  } catch (error) {
    done();
    throw error;
  }
};

const desksProto = Desks.prototype as Proto<Desks>;
const add = desksProto.add;
desksProto.add = function (this: Desks, desk: Oms) {
  desk.events.on('orders', (portfolio, orders) => {
    if (portfolio.name !== 'HOUSE') return;
    const touched = new Set(orders.map((o) => o.symbol));
    // send() runs after the commit that made these orders true.
    desk.events.send(() => {
      const at = performance.now();
      for (const symbol of touched) tracker.committed(symbol, at);
    });
  });
  return add.call(this, desk);
};

type Write = (this: SharedCommit, batches: readonly { rows: { orders: unknown[] } }[]) => Promise<void>;
// write() is private: one statement to the database, whatever joined it.
const commitProto = SharedCommit.prototype as unknown as { write: Write };
const write = commitProto.write;
/** Each group commit statement: how long it took and how many order rows it wrote. */
const statements: { ms: number; orders: number }[] = [];
let measuring = true;
commitProto.write = async function (this: SharedCommit, batches) {
  const at = performance.now();
  await write.call(this, batches);
  tracker.statementsDone++;
  if (measuring) statements.push({ ms: performance.now() - at, orders: batches.reduce((n, b) => n + b.rows.orders.length, 0) });
};

// ---- the run -------------------------------------------------------------------------------------
const baseEnv = {
  OMS_API_KEY: operatorKey,
  DATA_DIR: dataDir,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  MARKET_MAKER_ENABLED: 'true',
  SIMULATOR_INTERVAL_MS: process.env.SIMULATOR_INTERVAL_MS ?? '50',
  RATE_LIMIT_PER_MINUTE: '100000000',
};
// The catalogue first, as an admin would make it (POST /instruments, the house quoting each), on a
// service with no price source; then the measured service on the same database. A replay starts
// inside startOmsService, so adding the symbols afterwards would race it; MARKET_DATA_SYMBOLS alone
// would add them during the replay, the house placing its first quotes in the middle of it.
const catalogue = await startOmsService(loadEnv({ ...baseEnv, SIMULATOR_ENABLED: 'false', MARKET_DATA: 'simulator' }), { logger: pino({ level: 'silent' }) });
for (const [i, symbol] of symbols.entries()) {
  const res = await fetch(`http://127.0.0.1:${catalogue.port}/api/v1/instruments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': operatorKey },
    // The tape's first prices (trade-tape.ts).
    body: JSON.stringify({ symbol, name: symbol, tick_size: '0.01', reference_price: (50 + i * 9).toFixed(2) }),
  });
  if (!res.ok) throw new Error(`POST /instruments ${symbol}: ${res.status} ${await res.text()}`);
}
await catalogue.stop();
tracker.reset();
statements.length = 0;

const env = loadEnv({
  ...baseEnv,
  SIMULATOR_ENABLED: String(mode === 'simulator'),
  ...(mode === 'replay'
    ? { MARKET_DATA: 'replay', REPLAY_FILE: process.env.REPLAY_FILE, REPLAY_SPEED: '0', MARKET_DATA_SYMBOLS: symbols.join(',') }
    : { MARKET_DATA: 'simulator' }),
});
const startedAt = performance.now();
// How late the event loop runs what is due (a commit's answer, a timer), while measuring.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
const service = await startOmsService(env, { logger: pino({ level: 'silent' }) });
const startMs = performance.now() - startedAt;
// Disconnected (the result taken, or the runner giving up): stop, remove the data, exit.
process.on('disconnect', async () => {
  await service.stop();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
});
const until = (done: () => boolean, limitMs: number): Promise<void> =>
  new Promise((resolve) => {
    const deadline = performance.now() + limitMs;
    const check = setInterval(() => {
      if (done() || performance.now() > deadline) {
        clearInterval(check);
        resolve();
      }
    }, 50);
  });

if (mode === 'simulator') {
  // From the steady state: the first tick, inside the start, quoted a cold desk.
  tracker.reset();
  statements.length = 0;
  loopDelay.enable();
  await new Promise((resolve) => setTimeout(resolve, simulatorSeconds * 1000));
  tracker.stopSampling();
  measuring = false;
  loopDelay.disable();
  await new Promise((resolve) => setTimeout(resolve, 500));
  await until(() => tracker.inFlight() === 0, 15_000);
} else {
  loopDelay.enable();
  await Promise.race([endedSignal, new Promise((resolve) => setTimeout(resolve, 120_000))]);
  tracker.stopSampling();
  measuring = false;
  loopDelay.disable();
  // The last flush (every 100 ms) and tick (every SIMULATOR_INTERVAL_MS) take what was left waiting.
  await new Promise((resolve) => setTimeout(resolve, 500));
  // The last flush and the re-quotes after it: what was sampled before the end is followed through.
  await until(() => tracker.inFlight() === 0, 15_000);
}

process.send?.({
  mode,
  startMs,
  counts: live ? { ...(live as LiveMarket).counts } : null,
  linkState: live ? (live as LiveMarket).linkState : null,
  takenMs: firstTradeAt !== null && endedAt !== null ? endedAt - firstTradeAt : null,
  ...tracker.result(),
  statements,
  loopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
  rss: process.memoryUsage().rss,
});
