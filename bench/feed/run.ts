// WebSocket feed benchmark.
//
//   npm run bench:feed
//
// 1. An embedded PostgreSQL is started here (as test/support/global-setup.ts does) and migrated; the
//    real OMS runs in a child process (bench/feed/oms-server.ts, via test/support/oms.ts) on it,
//    durable commits (fsync on), simulator and market maker off.
// 2. BENCH_CLIENTS (1000) `ws` clients, in this process, each subscribe to trades:AAPL and book:AAPL.
//    A 20-level book is built; then crossing IOC orders of 1 share against the top of the book (buys
//    and sells alternating) are sent over REST at a steady rate (open loop) for BENCH_SECONDS s, once
//    per rate of BENCH_RATES. Each order makes one trade: one trades update and one book update
//    (~1.2 KB on average) to every client.
//    Measured:
//    - update messages delivered per second, all clients together;
//    - delay: for each trade, a client's receipt time minus the arrival time of the REST response of
//      the order that made it (both on this process's clock). The OMS publishes right after the
//      commit, before it writes that response, so this is "commit to client" minus the response's own
//      trip; negative when the update overtook the response. Also: receipt minus the sending of the
//      request, and wall clock at receipt minus the trade's executed_at (set just before the commit);
//      trades seen by every 10th client;
//    - server RSS: process.memoryUsage().rss of the server process, sampled every 100 ms (idle and with
//      the clients connected after a full GC; peak while the load runs), and its CPU use.
// 3. One more client subscribes to everything about the book and then stops reading (socket paused)
//    while the load runs: it must be disconnected, and the server's memory (JS heap + Buffers after a
//    full GC, every second) must not grow with what it would have queued.
// 4. The baseline: a bare `ws` WebSocketServer (bench/feed/bare-server.ts), the same number of
//    clients, broadcasting exactly the frames the OMS delivered (same sizes, same count, split over the
//    same number of requests), one POST /publish per order at the same rate; measured the same way.
//
// Environment (all optional): BENCH_CLIENTS=1000 BENCH_RATES=50,100 BENCH_SECONDS=10
//   BENCH_STALL_SECONDS=10 (the stalled phase lasts at least this, and half this after the disconnect)
//   BENCH_STALL_MAX_SECONDS=60

import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { applyMigrations } from '../../src/db/migrator.js';
import { percentile, table } from '../support/stats.js';
import type { Memory, Sample } from './sampler.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const num = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const CLIENTS = num('BENCH_CLIENTS', 1000);
/** Steady order rates, one measured run each (orders/s). */
const RATES = (process.env.BENCH_RATES ?? '50,100').split(',').map(Number);
const SECONDS = num('BENCH_SECONDS', 10);
/** The stalled-client phase runs at least this long, and this long again / 2 after the disconnect. */
const STALL_SECONDS = num('BENCH_STALL_SECONDS', 10);
const STALL_MAX_SECONDS = num('BENCH_STALL_MAX_SECONDS', 60);
const DELAY_SAMPLE_EVERY = 10;
const SYMBOL = 'AAPL';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const log = (line: string): void => void process.stderr.write(`[bench:feed] ${line}\n`);

// ---------------------------------------------------------------------------------------------
// Server children

interface ServerChild {
  readonly child: ChildProcess;
  readonly port: number;
  readonly adminKey?: string;
  request<T>(msg: Record<string, unknown>, answer: string): Promise<T>;
  stop(): Promise<void>;
}

function startChild(script: string, env: Record<string, string> = {}): Promise<ServerChild> {
  const child = fork(join(here, script), [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const request = <T>(msg: Record<string, unknown>, answer: string): Promise<T> =>
    new Promise((resolve) => {
      const on = (m: { type: string }) => {
        if (m.type !== answer) return;
        child.off('message', on);
        resolve(m as T);
      };
      child.on('message', on);
      child.send(msg);
    });
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${script} exited with ${code}`));
    child.once('exit', onExit);
    child.on('message', function ready(m: { type: string; port?: number; adminKey?: string }) {
      if (m.type !== 'ready') return;
      child.off('message', ready);
      child.off('exit', onExit);
      resolve({
        child,
        port: m.port!,
        adminKey: m.adminKey,
        request,
        stop: () =>
          new Promise<void>((r) => {
            if (child.exitCode !== null) return r();
            child.once('exit', () => r());
            child.disconnect();
          }),
      });
    });
  });
}

async function samples(server: ServerChild, since: number): Promise<Sample[]> {
  return (await server.request<{ samples: Sample[] }>({ type: 'samples', since }, 'samples')).samples;
}

/** What a server holds: JS heap + Buffers. */
const held = (m: Memory): number => m.heapUsed + m.external;

/** The server's memory right after a full garbage collection. */
function memory(server: ServerChild): Promise<Memory> {
  return server.request<Memory>({ type: 'memory' }, 'memory');
}

// ---------------------------------------------------------------------------------------------
// Clients

const TRADES_UPDATE = Buffer.from(`{"type":"update","channel":"trades:`);
const UPDATE = Buffer.from(`{"type":"update"`);
const TRADE_ID = Buffer.from(`"trade_id":"`);
const SEQ = Buffer.from(`"seq":`);

interface Receipt {
  readonly tradeId: string;
  readonly at: number;
}

class BenchClient {
  updates = 0;
  bytes = 0;
  lastAt = 0;
  /** updates whose seq was not the previous one + 1, on their channel */
  gaps = 0;
  private readonly lastSeq = new Map<number, number>();
  readonly receipts: Receipt[] = [];
  /** The first client keeps the frames it got, for the baseline replay. */
  readonly frames: string[] | null;
  counting = false;

  constructor(
    readonly ws: WebSocket,
    private readonly measureDelay: boolean,
    keepFrames: boolean,
  ) {
    this.frames = keepFrames ? [] : null;
    ws.on('message', (data: Buffer) => {
      const at = performance.now();
      if (data.compare(UPDATE, 0, UPDATE.length, 0, UPDATE.length) !== 0) return;
      if (!this.counting) return;
      this.updates++;
      this.bytes += data.length;
      this.lastAt = at;
      if (this.frames) this.frames.push(data.toString());
      // {"type":"update","channel":"<c>...","seq":N: the channel's first letter tells trades from book
      const channel = data[UPDATE.length + 12];
      const s = data.indexOf(SEQ, UPDATE.length) + SEQ.length;
      let seq = 0;
      for (let k = s; data[k] >= 0x30 && data[k] <= 0x39; k++) seq = seq * 10 + data[k] - 0x30;
      const last = this.lastSeq.get(channel);
      if (last !== undefined && seq !== last + 1) this.gaps++;
      this.lastSeq.set(channel, seq);
      if (this.measureDelay && data.compare(TRADES_UPDATE, 0, TRADES_UPDATE.length, 0, TRADES_UPDATE.length) === 0) {
        for (let i = data.indexOf(TRADE_ID); i >= 0; i = data.indexOf(TRADE_ID, i + 1)) {
          const start = i + TRADE_ID.length;
          this.receipts.push({ tradeId: data.toString('latin1', start, data.indexOf(0x22, start)), at });
        }
      }
    });
    ws.on('error', () => undefined);
  }

  /** Starts counting afresh. */
  reset(): void {
    this.updates = 0;
    this.bytes = 0;
    this.lastAt = 0;
    this.gaps = 0;
    this.lastSeq.clear();
    this.receipts.length = 0;
    this.frames?.splice(0);
  }

  get socket(): Socket {
    return (this.ws as unknown as { _socket: Socket })._socket;
  }
}

async function connectClients(port: number, n: number, subscribe: boolean, keepFirst: boolean): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  const one = async (i: number): Promise<BenchClient> => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const c = new BenchClient(ws, i % DELAY_SAMPLE_EVERY === 0, keepFirst && i === 0);
    if (subscribe) {
      const snapshots = new Promise<void>((resolve) => {
        let n = 0;
        const on = (data: Buffer) => {
          if (data.toString('latin1', 0, 20).startsWith('{"type":"snapshot"') && ++n === 2) {
            ws.off('message', on);
            resolve();
          }
        };
        ws.on('message', on);
      });
      ws.send(JSON.stringify({ op: 'subscribe', channel: `trades:${SYMBOL}` }));
      ws.send(JSON.stringify({ op: 'subscribe', channel: `book:${SYMBOL}` }));
      await snapshots;
    }
    return c;
  };
  for (let i = 0; i < n; i += 50) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, k) => one(i + k)))));
  }
  return clients;
}

// ---------------------------------------------------------------------------------------------
// Load

interface Call {
  readonly sentAt: number;
  respondedAt: number;
  status: number;
  /** trade_id -> executed_at (epoch ms) of the trades this call made */
  trades: { id: string; executedAt: number }[];
}

/** Fires `makeRequest(i)` at a steady rate (open loop: a slow answer does not delay the next call). */
async function steadyLoad(rate: number, seconds: number, makeRequest: (i: number) => Promise<Response>): Promise<Call[]> {
  const total = Math.round(rate * seconds);
  const calls: Call[] = [];
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const call: Call = { sentAt: performance.now(), respondedAt: NaN, status: 0, trades: [] };
    calls.push(call);
    pending.push(
      makeRequest(i).then(async (res) => {
        const text = await res.text();
        call.respondedAt = performance.now();
        call.status = res.status;
        if (res.status === 201) {
          const body = JSON.parse(text) as { fills: { trade_id: string; executed_at: string }[] };
          call.trades = body.fills.map((f) => ({ id: f.trade_id, executedAt: Date.parse(f.executed_at) }));
        }
      }),
    );
  }
  await Promise.all(pending);
  return calls;
}

async function waitQuiet(clients: BenchClient[], expectedPerClient: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (clients.every((c) => c.updates >= expectedPerClient || c.ws.readyState !== WebSocket.OPEN)) return;
    await sleep(50);
  }
}

interface RunStats {
  readonly rate: number;
  readonly ordersPerSec: number;
  readonly delivered: number;
  readonly expected: number;
  readonly msgsPerSec: number;
  readonly mbPerSec: number;
  /** receipt - arrival of the REST response that made the trade, ms */
  readonly delays: number[];
  /** receipt - sending of the REST request that made the trade, ms */
  readonly sentDelays: number[];
  /** wall clock at receipt - executed_at, ms (OMS only) */
  readonly execDelays: number[];
  readonly serverCpuPct: number;
  readonly clientCpuPct: number;
  readonly rssIdle: number;
  readonly rssConnected: number;
  /** (JS heap + Buffers with the clients connected - idle) / clients, after a full GC */
  readonly perClient: number;
  readonly rssPeak: number;
  readonly clientsLost: number;
  readonly gaps: number;
}

/** Where each trade came from: the call that made (OMS) or broadcast (bare) it. */
type TradeOrigin = Map<string, { call: Call; executedAt: number | null }>;

async function measure(
  server: ServerChild,
  clients: BenchClient[],
  rate: number,
  makeRequest: (i: number) => Promise<Response>,
  framesPerClient: (calls: Call[]) => number,
  origins: (calls: Call[]) => TradeOrigin,
  rss: { idle: number; connected: number; perClient: number },
): Promise<{ stats: RunStats; calls: Call[] }> {
  for (const c of clients) {
    c.reset();
    c.counting = true;
  }
  const t0 = Date.now();
  const w0 = performance.now();
  const cpu0 = process.cpuUsage();
  const calls = await steadyLoad(rate, SECONDS, makeRequest);
  const expected = framesPerClient(calls);
  await waitQuiet(clients, expected, 15_000);
  for (const c of clients) c.counting = false;
  const cpu1 = process.cpuUsage(cpu0);
  const serverSamples = await samples(server, t0);

  const byTrade = origins(calls);
  const delays: number[] = [];
  const sentDelays: number[] = [];
  const execDelays: number[] = [];
  for (const c of clients) {
    for (const r of c.receipts) {
      const o = byTrade.get(r.tradeId);
      if (!o) continue;
      delays.push(r.at - o.call.respondedAt);
      sentDelays.push(r.at - o.call.sentAt);
      if (o.executedAt !== null) execDelays.push(performance.timeOrigin + r.at - o.executedAt);
    }
  }
  const delivered = clients.reduce((n, c) => n + c.updates, 0);
  const bytes = clients.reduce((n, c) => n + c.bytes, 0);
  const end = Math.max(...clients.map((c) => c.lastAt), ...calls.map((c) => c.respondedAt));
  const seconds = (end - w0) / 1000;
  const ok = calls.filter((c) => c.status === 200 || c.status === 201);
  const first = serverSamples[0];
  const last = serverSamples.at(-1)!;
  return {
    calls,
    stats: {
      rate,
      ordersPerSec: ok.length / ((Math.max(...calls.map((c) => c.respondedAt)) - w0) / 1000),
      delivered,
      expected: expected * clients.length,
      msgsPerSec: delivered / seconds,
      mbPerSec: bytes / 2 ** 20 / seconds,
      delays,
      sentDelays,
      execDelays,
      serverCpuPct: ((last.cpu - first.cpu) / 1000 / (last.t - first.t)) * 100,
      clientCpuPct: ((cpu1.user + cpu1.system) / 1000 / (end - w0)) * 100,
      rssIdle: rss.idle,
      rssConnected: rss.connected,
      perClient: rss.perClient,
      rssPeak: Math.max(...serverSamples.map((x) => x.rss)),
      clientsLost: clients.filter((c) => c.ws.readyState !== WebSocket.OPEN).length,
      gaps: clients.reduce((n, c) => n + c.gaps, 0),
    },
  };
}

/** Splits the recorded frames over `n` requests in order, as evenly as the counts allow. */
function splitFrames(frames: string[], n: number): string[][] {
  return Array.from({ length: n }, (_, i) => frames.slice(Math.floor((i * frames.length) / n), Math.floor(((i + 1) * frames.length) / n)));
}

function tradeIdsOf(frame: string): string[] {
  if (!frame.startsWith('{"type":"update","channel":"trades:')) return [];
  return (JSON.parse(frame) as { data: { trades: { trade_id: string }[] } }).data.trades.map((t) => t.trade_id);
}

// ---------------------------------------------------------------------------------------------
// Main

const dataDir = join(tmpdir(), `paper-desk-bench-feed-${process.pid}`);
log(`embedded PostgreSQL in ${dataDir}`);
const pgServer = await startEmbeddedPostgres({ dataDir, persistent: false, database: 'paper_desk_bench_feed' });
let oms: ServerChild | null = null;
let bare: ServerChild | null = null;
let clients: BenchClient[] = [];
try {
  await applyMigrations(pgServer.url, join(repoRoot, 'prisma', 'migrations'));

  // ---- the OMS
  oms = await startChild('oms-server.ts', { BENCH_DATABASE_URL: pgServer.url });
  const omsServer = oms;
  const base = `http://127.0.0.1:${oms.port}/api/v1`;
  const headers = { 'content-type': 'application/json', 'x-api-key': oms.adminKey! };
  const post = (path: string, body: unknown): Promise<Response> => fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  for (const name of ['MM', 'A', 'B']) {
    const res = await post('/portfolios', { name, starting_cash: '1000000000000', allow_short: true });
    if (res.status !== 201) throw new Error(`POST /portfolios ${res.status}: ${await res.text()}`);
  }
  // A 20-level book a side from MM, deep enough for every taker of the run.
  for (let i = 0; i < 20; i++) {
    for (const [side, price] of [['BUY', 174.99 - i * 0.01], ['SELL', 175.01 + i * 0.01]] as const) {
      const res = await post('/orders', { symbol: SYMBOL, side, type: 'LIMIT', quantity: 1_000_000, limit_price: price.toFixed(2), time_in_force: 'GTC', portfolio_name: 'MM' });
      if (res.status !== 201) throw new Error(`POST /orders ${res.status}: ${await res.text()}`);
    }
  }
  /** A buy or a sell of 1 against the top of the book: one trade, one trades update, one book update. */
  const crossing = (i: number): Promise<Response> =>
    post('/orders', {
      symbol: SYMBOL,
      side: i % 2 ? 'SELL' : 'BUY',
      type: 'LIMIT',
      quantity: 1,
      limit_price: i % 2 ? '174.99' : '175.01',
      time_in_force: 'IOC',
      portfolio_name: i % 2 ? 'B' : 'A',
    });
  const omsOrigins = (calls: Call[]): TradeOrigin => {
    const m: TradeOrigin = new Map();
    for (const call of calls) for (const t of call.trades) m.set(t.id, { call, executedAt: t.executedAt });
    return m;
  };

  const omsIdle = await memory(oms);
  log(`connecting ${CLIENTS} clients to the OMS feed`);
  clients = await connectClients(oms.port, CLIENTS, true, true);
  const omsConnected = await memory(oms);
  log('warm-up');
  await steadyLoad(RATES[0], 1, crossing);
  await sleep(1000);

  const omsRuns: { stats: RunStats; frames: string[]; requests: number }[] = [];
  for (const rate of RATES) {
    log(`OMS feed: ${rate} orders/s for ${SECONDS} s`);
    const { stats, calls } = await measure(
      omsServer,
      clients,
      rate,
      crossing,
      (cs) => 2 * cs.filter((c) => c.trades.length > 0).length,
      omsOrigins,
      { idle: omsIdle.rss, connected: omsConnected.rss, perClient: (held(omsConnected) - held(omsIdle)) / CLIENTS },
    );
    omsRuns.push({ stats, frames: clients[0].frames!.slice(), requests: calls.length });
    await sleep(1000);
  }

  // ---- a client that stops reading
  const stallRate = RATES.at(-1)!;
  log(`stalled client at ${stallRate} orders/s`);
  const [stalled] = await connectClients(oms.port, 1, false, false);
  const stalledChannels = [`book:${SYMBOL}`, `trades:${SYMBOL}`, 'ticker', 'orders:MM', 'portfolio:MM', 'orders:A', 'portfolio:A', 'orders:B', 'portfolio:B'];
  stalled.ws.send(JSON.stringify({ op: 'auth', api_key: oms.adminKey }));
  await sleep(200);
  for (const channel of stalledChannels) stalled.ws.send(JSON.stringify({ op: 'subscribe', channel }));
  await sleep(500);
  const stalledPort = stalled.socket.localPort!;
  stalled.socket.pause();
  for (const c of clients) {
    c.reset();
    c.counting = true;
  }
  const t2 = Date.now();
  // After a full GC each second: what the server holds (JS heap + Buffers), the stalled client's queue included.
  const before = await memory(oms);
  let closedAt: number | null = null;
  let maxHeldWhileOpen = held(before);
  let i = 0;
  let healthyBytesAtClose = 0;
  for (;;) {
    await steadyLoad(stallRate, 1, (k) => crossing(i + k));
    i += stallRate;
    const m = await memory(oms);
    if (closedAt === null) {
      closedAt = (await oms.request<{ closedAt: number | null }>({ type: 'socket', port: stalledPort }, 'socket')).closedAt;
      if (closedAt === null) maxHeldWhileOpen = Math.max(maxHeldWhileOpen, held(m));
      else healthyBytesAtClose = clients[0].bytes;
    }
    const elapsed = (Date.now() - t2) / 1000;
    if ((closedAt !== null && elapsed >= STALL_SECONDS && (Date.now() - closedAt) / 1000 >= STALL_SECONDS / 2) || elapsed >= STALL_MAX_SECONDS) break;
  }
  await sleep(1000);
  for (const c of clients) c.counting = false;
  const after = await memory(oms);
  const stallSamples = await samples(oms, t2);
  const stallSeconds = (Date.now() - t2) / 1000;
  const stall = {
    closedAfter: closedAt === null ? `NOT CLOSED in ${stallSeconds.toFixed(0)} s` : `${((closedAt - t2) / 1000).toFixed(1)} s`,
    healthyBytesAtClose,
    healthyBytes: clients[0].bytes,
    seconds: stallSeconds,
    before,
    after,
    maxHeldWhileOpen,
    rssPeak: Math.max(...stallSamples.map((x) => x.rss)),
    lost: clients.filter((c) => c.ws.readyState !== WebSocket.OPEN).length,
    gaps: clients.reduce((n, c) => n + c.gaps, 0),
  };
  stalled.ws.terminate();
  for (const c of clients) c.ws.terminate();
  clients = [];
  await oms.stop();
  oms = null;

  // ---- the baseline: bare ws, the same frames
  bare = await startChild('bare-server.ts');
  const bareServer = bare;
  const bareIdle = await memory(bare);
  log(`connecting ${CLIENTS} clients to the bare ws server`);
  clients = await connectClients(bare.port, CLIENTS, false, false);
  const bareConnected = await memory(bare);
  const publish = (i: number): Promise<Response> =>
    fetch(`http://127.0.0.1:${bareServer.port}/publish/${i}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const bareRuns: RunStats[] = [];
  for (const [k, run] of omsRuns.entries()) {
    const groups = splitFrames(run.frames, run.requests);
    await bare.request({ type: 'frames', groups }, 'frames-loaded');
    if (k === 0) {
      log('warm-up');
      for (const c of clients) c.counting = false;
      await steadyLoad(RATES[0], 1, publish);
      await sleep(1000);
    }
    log(`bare ws: ${run.frames.length} frames in ${run.requests} requests at ${run.stats.rate}/s`);
    const { stats } = await measure(
      bareServer,
      clients,
      run.stats.rate,
      publish,
      () => run.frames.length,
      (calls) => {
        const m: TradeOrigin = new Map();
        groups.forEach((g, j) => {
          for (const frame of g) for (const id of tradeIdsOf(frame)) m.set(id, { call: calls[j], executedAt: null });
        });
        return m;
      },
      { idle: bareIdle.rss, connected: bareConnected.rss, perClient: (held(bareConnected) - held(bareIdle)) / CLIENTS },
    );
    bareRuns.push(stats);
    await sleep(1000);
  }
  for (const c of clients) c.ws.terminate();
  clients = [];

  // ---- report
  const frames = omsRuns[0].frames;
  const avgBytes = frames.reduce((n, f) => n + Buffer.byteLength(f), 0) / Math.max(1, frames.length);
  console.log(
    `\nbench:feed — ${CLIENTS} clients, each on trades:${SYMBOL} + book:${SYMBOL}; crossing orders over REST at a steady rate for ${SECONDS} s` +
      ` (2 updates per order per client, ${avgBytes.toFixed(0)} B average); OMS over embedded PostgreSQL (fsync on) and the bare ws server each in a child process,` +
      ` load generator and clients in this one; ${os.cpus().length} CPUs\n`,
  );
  const pair = (xs: number[]): string => `${ms(percentile(xs, 50))} / ${ms(percentile(xs, 99))}`;
  const rows: Record<string, string | number>[] = [];
  omsRuns.forEach((run, k) => {
    const o = run.stats;
    const b = bareRuns[k];
    const line = (name: string, s: RunStats, omsRun: boolean) => ({
      run: name,
      'orders/s': `${s.ordersPerSec.toFixed(0)} of ${s.rate}`,
      'msgs delivered': `${s.delivered}/${s.expected}`,
      'msgs/s': s.msgsPerSec.toFixed(0),
      'MB/s': s.mbPerSec.toFixed(1),
      'delay p50/p99 ms': pair(s.delays),
      'from request p50/p99 ms': pair(s.sentDelays),
      'executed_at→recv p50/p99 ms': omsRun ? pair(s.execDelays) : '-',
      'server CPU %': s.serverCpuPct.toFixed(0),
      'clients CPU %': s.clientCpuPct.toFixed(0),
      'server RSS idle/clients/peak MB': `${mb(s.rssIdle)} / ${mb(s.rssConnected)} / ${mb(s.rssPeak)}`,
      'KB/client': (s.perClient / 1024).toFixed(1),
      'clients lost': s.clientsLost,
      // the bare server replays recorded frames; concurrent requests may publish them out of order
      'seq gaps': omsRun ? s.gaps : 'n/a',
    });
    rows.push(line('OMS feed', o, true), line('bare ws', b, false));
    const diff = (f: (s: RunStats) => number[], p: number) => `${(percentile(f(o), p) - percentile(f(b), p)) >= 0 ? '+' : ''}${ms(percentile(f(o), p) - percentile(f(b), p))}`;
    rows.push({
      run: 'OMS/bare',
      'orders/s': '',
      'msgs delivered': '',
      'msgs/s': (o.msgsPerSec / b.msgsPerSec).toFixed(2),
      'MB/s': (o.mbPerSec / b.mbPerSec).toFixed(2),
      'delay p50/p99 ms': `${diff((s) => s.delays, 50)} / ${diff((s) => s.delays, 99)} (diff)`,
      'from request p50/p99 ms': `${diff((s) => s.sentDelays, 50)} / ${diff((s) => s.sentDelays, 99)} (diff)`,
      'executed_at→recv p50/p99 ms': '',
      'server CPU %': (o.serverCpuPct / b.serverCpuPct).toFixed(2),
      'clients CPU %': '',
      'server RSS idle/clients/peak MB': `peak ${(o.rssPeak / b.rssPeak).toFixed(2)}`,
      'KB/client': (o.perClient / b.perClient).toFixed(2),
      'clients lost': '',
      'seq gaps': '',
    });
  });
  console.log(table(rows));
  console.log(`
delay: a client's receipt of a trade minus the arrival here of the REST response of the order that made it (bare ws: of the
       POST /publish that broadcast it); the OMS publishes right after the commit, before writing that response, so this is the
       commit-to-client time minus the response's own trip: < 0 means the update overtook the response. Trades seen by every 10th client.
from request: the same receipt minus the sending of that request (includes the order's processing and its commit).
executed_at→recv: wall clock at receipt minus the trade's executed_at (set just before the commit; ms resolution).
msgs/s: update frames received by all clients / time from the first request to the last receipt.
KB/client: server JS heap + Buffers (after a full GC) with the clients connected and subscribed, minus idle, per client.`);
  console.log(`\nstalled client (socket paused; subscribed to ${stalledChannels.join(', ')}) while orders flow at ${stallRate}/s:`);
  console.log(
    table([
      {
        disconnected: stall.closedAfter,
        'a book+trades reader got until then': `${mb(stall.healthyBytesAtClose)} MB`,
        [`and in ${stall.seconds.toFixed(0)} s`]: `${mb(stall.healthyBytes)} MB`,
        'server heap+buffers before / max while stalled / after MB': `${mb(held(stall.before))} / ${mb(stall.maxHeldWhileOpen)} / ${mb(held(stall.after))}`,
        'server RSS before / peak / after MB': `${mb(stall.before.rss)} / ${mb(stall.rssPeak)} / ${mb(stall.after.rss)}`,
        'other clients lost': stall.lost,
        'their seq gaps': stall.gaps,
      },
    ]),
  );
} finally {
  for (const c of clients) c.ws.terminate();
  await oms?.stop();
  await bare?.stop();
  await pgServer.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
