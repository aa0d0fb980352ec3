import { fork, type ChildProcess } from 'node:child_process';
import { cpus, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
// @ts-expect-error autocannon ships no type declarations
import autocannon from 'autocannon';
import { table } from '../support/stats.js';
import { cpuMs, procAvailable } from '../support/process-cpu.js';

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  '2xx': number;
  non2xx: number;
  errors: number;
}

/**
 * npm run bench:api — the same autocannon load, in one run, against
 *   (a) a bare Express app that parses and echoes the order JSON, and
 *   (b) POST /api/v1/orders on the live OMS over embedded PostgreSQL (limit orders that rest and
 *       cross, so trades persist too; every 201 is acknowledged only after its commit), and
 *   (c) the floor: the OMS's edge (helmet, key check, rate limit, the same zod schema) in front of a
 *       one-row durable group commit and nothing else, which shows how much of the gap between
 *       (a) and (b) any durable order endpoint on this stack and machine would pay, and
 *   (d) the OMS as (b) with the same load spread over 8 desks (a key per desk, round robin): each
 *       desk its own books and batches, all of them written by one shared statement per commit, so
 *       a deployment of many teams costs no more than one.
 * Servers run in child processes; the load generator runs here.
 * BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 16,64), BENCH_ROUNDS (default 2), BENCH_PROF.
 */
const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connectionLevels = (process.env.BENCH_CONNECTIONS ?? '16,64').split(',').map(Number);
let connections = connectionLevels[0];
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);

type Started = { child: ChildProcess; info: { port: number; key?: string; keys?: string[] } };

/** BENCH_PROF=1 writes a V8 CPU profile of the OMS, BENCH_PROF=all of every server, to profileDir. */
const profileDir = join(tmpdir(), 'paper-desk-bench-profiles');

function start(script: string, env: Record<string, string> = {}): Promise<Started> {
  const profiled = process.env.BENCH_PROF === 'all' || (Boolean(process.env.BENCH_PROF) && script.startsWith('oms'));
  const execArgv = ['--import', 'tsx', ...(profiled ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
  const child = fork(join(here, script), [], { execArgv, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (info) => resolve({ child, info: info as Started['info'] }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

/** Seeded order bodies: prices in a band of 21 ticks around 100.00, random side, so orders rest and cross. */
function orderBodies(n: number): string[] {
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const portfolios = ['BENCH-A', 'BENCH-B', 'BENCH-C', 'BENCH-D'];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const side = rnd() < 0.5 ? 'BUY' : 'SELL';
    const ticks = Math.floor(rnd() * 21) - 10 + (side === 'BUY' ? -2 : 2);
    const price = (10000 + ticks) / 100;
    out.push(
      JSON.stringify({
        symbol: 'AAPL',
        side,
        type: 'LIMIT',
        quantity: 1 + Math.floor(rnd() * 10),
        limit_price: price.toFixed(2),
        time_in_force: 'GTC',
        portfolio_name: portfolios[Math.floor(rnd() * portfolios.length)],
      }),
    );
  }
  return out;
}

/** The load; with several keys (desks), each request takes the next key in turn. */
async function load(port: number, keys: string[], bodies: string[], amount?: number): Promise<AutocannonResult> {
  let i = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    ...(amount ? { amount } : { duration: seconds }),
    requests: [
      {
        method: 'POST',
        path: '/api/v1/orders',
        setupRequest: (req: Record<string, unknown>) => {
          const n = i++;
          const key = keys.length ? { 'x-api-key': keys[n % keys.length] } : {};
          return { ...req, headers: { 'content-type': 'application/json', ...key }, body: bodies[n % bodies.length] };
        },
      },
    ],
  });
}

const keysOf = (s: Started): string[] => s.info.keys ?? (s.info.key ? [s.info.key] : []);

const bodies = orderBodies(200_000);
const echo = await start('echo-server.ts');
const oms = await start('oms-server.ts');
const floor = await start('floor-server.ts');
const spread = await start('oms-server.ts', { BENCH_DESKS: '8' });
const results: { name: string; r: AutocannonResult; cpu: { server: number; db: number; load: number } | null }[] = [];

/**
 * One measured run, with the CPU it cost per acknowledged request: in the server process, in its
 * database (the embedded PostgreSQL, its child) and here in the load generator. On a machine with
 * few cores these three share them, which bounds what b can reach whatever the database's latency.
 */
async function measured(name: string, { child: server, info }: Started): Promise<void> {
  const before = procAvailable ? cpuMs(server.pid!) : null;
  const load0 = process.cpuUsage();
  const r = await load(info.port, info.keys ?? (info.key ? [info.key] : []), bodies);
  if (!before) {
    results.push({ name, r, cpu: null });
    return;
  }
  const after = cpuMs(server.pid!);
  const load1 = process.cpuUsage(load0);
  const n = Math.max(1, r['2xx']);
  results.push({
    name,
    r,
    cpu: { server: ((after.own - before.own) * 1000) / n, db: ((after.children - before.children) * 1000) / n, load: (load1.user + load1.system) / n },
  });
}
try {
  await load(echo.info.port, [], bodies, 1000); // warm-up
  await load(oms.info.port, keysOf(oms), bodies, 1000);
  await load(floor.info.port, keysOf(floor), bodies, 1000);
  await load(spread.info.port, keysOf(spread), bodies, 1000);
  for (const level of connectionLevels) {
    connections = level;
    for (let round = 0; round < rounds; round++) {
      await measured(`a: bare Express echo, ${level} conn`, echo);
      await measured(`b: OMS POST /orders, ${level} conn`, oms);
      await measured(`c: floor, ${level} conn`, floor);
      await measured(`d: OMS over 8 desks, ${level} conn`, spread);
    }
  }
  const stats = await new Promise<{ orders: number; trades: number; rss: number }>((resolve) => {
    oms.child.once('message', (m) => resolve(m as { orders: number; trades: number; rss: number }));
    oms.child.send({ type: 'stats' });
  });
  const rows = results.map(({ name, r, cpu }) => ({
    run: name,
    'req/s': Math.round(r.requests.average),
    'p50 ms': r.latency.p50,
    'p99 ms': r.latency.p99,
    '2xx': r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    ...(cpu ? { 'CPU µs/req server': Math.round(cpu.server), 'database': Math.round(cpu.db), 'load gen': Math.round(cpu.load) } : {}),
  }));
  console.log(`\nbench:api — ${seconds} s per run, ${rounds} rounds per level (A B A B)\n`);
  console.log(table(rows));
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  for (const level of connectionLevels) {
    const a = results.filter((x) => x.name.startsWith('a') && x.name.endsWith(` ${level} conn`));
    const b = results.filter((x) => x.name.startsWith('b') && x.name.endsWith(` ${level} conn`));
    const rps = (xs: typeof a) => median(xs.map((x) => x.r.requests.average));
    const p99 = (xs: typeof a) => median(xs.map((x) => x.r.latency.p99));
    console.log(
      `${level} connections: ratio b/a req/s ${(rps(b) / rps(a)).toFixed(2)} (target >= 0.7), p99 ${(p99(b) / p99(a)).toFixed(2)}x (target <= 2)`,
    );
    const c = results.filter((x) => x.name.startsWith('c') && x.name.endsWith(` ${level} conn`));
    console.log(`  floor c/a req/s ${(rps(c) / rps(a)).toFixed(2)}, p99 ${(p99(c) / p99(a)).toFixed(2)}x; the OMS reaches b/c ${(rps(b) / rps(c)).toFixed(2)} of its floor (target >= 0.8), p99 b/c ${(p99(b) / p99(c)).toFixed(2)}x (target <= 1.5)`);
    const d = results.filter((x) => x.name.startsWith('d') && x.name.endsWith(` ${level} conn`));
    console.log(`  over 8 desks d/b req/s ${(rps(d) / rps(b)).toFixed(2)} (target >= 1: no slower than one desk), p99 ${(p99(d) / p99(b)).toFixed(2)}x`);
    const cpuOf = (xs: typeof a) => {
      const withCpu = xs.filter((x) => x.cpu);
      if (withCpu.length === 0) return null;
      const m = (f: (c: { server: number; db: number; load: number }) => number) => median(withCpu.map((x) => f(x.cpu!)));
      return { server: m((c) => c.server), total: m((c) => c.server + c.db + c.load) };
    };
    const ca = cpuOf(a);
    const cb = cpuOf(b);
    const cc = cpuOf(c);
    if (ca && cb && cc) {
      console.log(
        `  CPU per request: b ${cb.total.toFixed(0)} µs in all (its server process ${cb.server.toFixed(0)} µs: one event loop, so at most ${Math.round(1e6 / cb.server)} req/s),` +
          ` c ${cc.total.toFixed(0)} µs (its server ${cc.server.toFixed(0)} µs), a ${ca.total.toFixed(0)} µs (its server ${ca.server.toFixed(0)} µs); ${cpus().length} cores`,
      );
    }
  }
  const acknowledged = results.filter((x) => x.name.startsWith('b')).reduce((n, x) => n + x.r['2xx'], 0) + 1000; // + warm-up
  console.log(
    `durability: ${acknowledged} orders acknowledged, ${stats.orders} in the database` +
      ` (${stats.orders >= acknowledged ? 'all durable' : 'MISSING ORDERS'}), ${stats.trades} trades persisted; OMS RSS ${(stats.rss / 2 ** 20).toFixed(0)} MB`,
  );
} finally {
  echo.child.disconnect();
  oms.child.disconnect();
  floor.child.disconnect();
  spread.child.disconnect();
}
