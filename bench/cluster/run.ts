import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
// @ts-expect-error autocannon ships no type declarations
import autocannon from 'autocannon';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { table } from '../support/stats.js';
import { call, CLUSTER_ADMIN_KEY, startOmsProcess as startProcess, stopOmsProcess, type OmsProcess } from '../../test/cluster/support/oms-process.js';

/**
 * npm run bench:cluster — in one run, on one PostgreSQL:
 *   1. the same load over 8 desks (POST /api/v1/orders, limit orders that rest and cross) against 1,
 *      2 and 3 OMS processes in cluster mode; each desk's requests go to its owner (the client asks
 *      GET /cluster once, as a desk-aware load balancer would), and then, for 3 processes, to every
 *      process in turn (2 of 3 forwarded to the owner): throughput and p99;
 *   2. failover: with 3 processes under that load, kill -9 of a desk's owner, and the time from the
 *      kill to the first order acknowledged on that desk again (placed through another process,
 *      retried on 503), over BENCH_KILLS kills; the killed process is started again between kills;
 *   3. durability: every order acknowledged in 1 and 2 is looked up in the database.
 * Targets on a 2-core machine: 2 processes >= 1.3x the throughput of 1; failover p99 < 3 s; 0 lost.
 * BENCH_WAITS=1 prints what the database's sessions waited on during each throughput run.
 * BENCH_SECONDS (default 8), BENCH_CONNECTIONS (default 32), BENCH_KILLS (default 5), CLUSTER_LEASE_MS (default 2000).
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const kills = Number(process.env.BENCH_KILLS ?? 5);
const leaseMs = process.env.CLUSTER_LEASE_MS ?? '2000';
const DESKS = 8;
const PORTFOLIOS = ['BENCH-A', 'BENCH-B', 'BENCH-C', 'BENCH-D'];

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  '2xx': number;
  non2xx: number;
  errors: number;
}

function orderBodies(n: number): string[] {
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, () => {
    const side = rnd() < 0.5 ? 'BUY' : 'SELL';
    const ticks = Math.floor(rnd() * 21) - 10 + (side === 'BUY' ? -2 : 2);
    return JSON.stringify({
      symbol: 'AAPL',
      side,
      type: 'LIMIT',
      quantity: 1 + Math.floor(rnd() * 10),
      limit_price: ((10000 + ticks) / 100).toFixed(2),
      time_in_force: 'GTC',
      portfolio_name: PORTFOLIOS[Math.floor(rnd() * PORTFOLIOS.length)],
    });
  });
}
const bodies = orderBodies(100_000);

/** Every OMS process this run started: none outlives it, however it ends. */
const started: OmsProcess[] = [];
process.on('exit', () => {
  for (const p of started) p.signal('SIGKILL');
});
async function startOmsProcess(name: string, db: string, env: Record<string, string>): Promise<OmsProcess> {
  const p = await startProcess(name, db, env);
  started.push(p);
  return p;
}

async function retrying(base: string, method: string, path: string, key: string, body?: unknown) {
  for (let i = 0; ; i++) {
    const res = await call(base, method, path, key, body).catch(() => null);
    if (res && res.status !== 503) return res;
    if (i > 400) throw new Error(`${method} ${path}: still unavailable`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Cluster {
  readonly db: string;
  readonly procs: OmsProcess[];
  /** Desk id -> its admin key. */
  readonly keys: Map<number, string>;
}

async function owners(c: Cluster): Promise<Map<number, string>> {
  const res = await call(c.procs[0].baseUrl, 'GET', '/cluster', CLUSTER_ADMIN_KEY);
  return new Map((res.body.desks as { id: number; owner: string | null }[]).map((d) => [d.id, d.owner ?? '']));
}

/** Every desk owned by a live process, and each process serving what it owns. */
async function settle(c: Cluster): Promise<Map<number, string>> {
  for (let i = 0; i < 400; i++) {
    const o = await owners(c).catch(() => null);
    const names = c.procs.map((p) => p.name);
    if (o && [...o.values()].every((m) => names.includes(m))) {
      const health = await Promise.all(c.procs.map((p) => fetch(`${p.baseUrl}/health`).then((r) => r.json() as Promise<{ desks_owned?: number }>)));
      if (health.every((h, k) => h.desks_owned === [...o.values()].filter((m) => m === c.procs[k].name).length)) return o;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the cluster did not settle');
}

async function startCluster(adminUrl: string, n: number): Promise<Cluster> {
  const name = `bench_cluster_${n}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const db = adminUrl.replace(/\/[^/]*$/, `/${name}`);
  const env = { CLUSTER_LEASE_MS: leaseMs, LOG_LEVEL: 'info' };
  // The first applies the migrations; the others find them applied.
  const procs = [await startOmsProcess('m0', db, { ...env, CLUSTER_MEMBER_ID: 'm0' })];
  procs.push(...(await Promise.all(Array.from({ length: n - 1 }, (_, i) => startOmsProcess(`m${i + 1}`, db, { ...env, CLUSTER_MEMBER_ID: `m${i + 1}` })))));
  const c: Cluster = { db, procs, keys: new Map() };
  await retrying(procs[0].baseUrl, 'GET', '/portfolios', CLUSTER_ADMIN_KEY);
  for (let i = 0; i < DESKS; i++) {
    const made = await retrying(procs[i % n].baseUrl, 'POST', '/desks', CLUSTER_ADMIN_KEY, { name: `Bench ${i}` });
    c.keys.set(made.body.desk.id, made.body.admin_key);
    for (const p of PORTFOLIOS) await retrying(procs[i % n].baseUrl, 'POST', '/portfolios', made.body.admin_key, { name: p, starting_cash: '1000000000', allow_short: true });
  }
  await settle(c);
  return c;
}

/** BENCH_WAITS=1: samples pg_stat_activity during a run, to show where commits wait. */
function sampleWaits(db: string) {
  const client = new pg.Client({ connectionString: db });
  const counts = new Map<string, number>();
  let on = true;
  const done = (async () => {
    await client.connect();
    while (on) {
      const { rows } = await client.query<{ w: string }>(
        `SELECT coalesce(wait_event_type || ':' || wait_event, 'cpu') || ' ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 50) AS w FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`,
      );
      for (const r of rows) counts.set(r.w, (counts.get(r.w) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 20));
    }
    await client.end();
  })();
  return {
    async stop() {
      on = false;
      await done;
      return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
    },
  };
}

/** One autocannon per target, each rotating through its keys; the runs go side by side. */
async function load(targets: { url: string; keys: string[]; connections: number }[], duration: number): Promise<{ rps: number; p99: number; ok: number; other: number; errors: number }> {
  const results = await Promise.all(
    targets
      .filter((t) => t.keys.length > 0 && t.connections > 0)
      .map((t) => {
        let i = 0;
        return autocannon({
          url: t.url,
          connections: t.connections,
          duration,
          requests: [
            {
              method: 'POST',
              path: '/api/v1/orders',
              setupRequest: (req: Record<string, unknown>) => {
                const n = i++;
                return { ...req, headers: { 'content-type': 'application/json', 'x-api-key': t.keys[n % t.keys.length] }, body: bodies[n % bodies.length] };
              },
            },
          ],
        }) as Promise<AutocannonResult>;
      }),
  );
  return {
    rps: results.reduce((s, r) => s + r.requests.average, 0),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    ok: results.reduce((s, r) => s + r['2xx'], 0),
    other: results.reduce((s, r) => s + r.non2xx, 0),
    errors: results.reduce((s, r) => s + r.errors, 0),
  };
}

async function ownerDirected(c: Cluster, duration: number) {
  const o = await owners(c);
  const deskKeys = [...c.keys.entries()];
  const targets = c.procs.map((p) => ({ url: p.baseUrl, keys: deskKeys.filter(([d]) => o.get(d) === p.name).map(([, k]) => k), connections: 0 }));
  // Connections in proportion to each process's desks.
  for (const t of targets) t.connections = Math.max(1, Math.round((connections * t.keys.length) / DESKS));
  return load(targets, duration);
}

async function stopAll(c: Cluster) {
  await Promise.all(c.procs.map((p) => stopOmsProcess(p)));
}

const dataDir = join(tmpdir(), `paper-desk-bench-cluster-${process.pid}`);
const server = await startEmbeddedPostgres({ dataDir, persistent: false });
const rows: Record<string, string | number>[] = [];
const throughput = new Map<string, number>();
let lost = 0;
let acknowledgedTotal = 0;
try {
  for (const n of [1, 2, 3]) {
    const c = await startCluster(server.adminUrl, n);
    await ownerDirected(c, 2); // warm-up
    const waits = process.env.BENCH_WAITS ? sampleWaits(c.db) : null;
    const r = await ownerDirected(c, seconds);
    if (waits) console.error(`${n} process(es), what the database's sessions waited on:`, await waits.stop());
    throughput.set(`${n}`, r.rps);
    rows.push({ run: `${n} process${n > 1 ? 'es' : ''}, each desk to its owner`, 'req/s': Math.round(r.rps), 'p99 ms': r.p99, '2xx': r.ok, 'non-2xx': r.other, errors: r.errors });
    if (n === 3) {
      const any = await load(
        c.procs.map((p) => ({ url: p.baseUrl, keys: [...c.keys.values()], connections: Math.round(connections / 3) })),
        seconds,
      );
      throughput.set('3-any', any.rps);
      rows.push({ run: '3 processes, every process in turn (forwarded)', 'req/s': Math.round(any.rps), 'p99 ms': any.p99, '2xx': any.ok, 'non-2xx': any.other, errors: any.errors });
    }
    const stored = new pg.Client({ connectionString: c.db });
    await stored.connect();
    const { rows: counted } = await stored.query<{ n: string }>(`SELECT count(*) AS n FROM orders o JOIN portfolios p ON p.id = o.portfolio_id WHERE p.is_house = false`);
    await stored.end();
    const acknowledged = rows.slice(n === 3 ? -2 : -1).reduce((s, row) => s + Number(row['2xx']), 0);
    acknowledgedTotal += acknowledged;
    // The warm-up's orders are stored too: the database holds at least what was acknowledged.
    if (Number(counted[0].n) < acknowledged) lost += acknowledged - Number(counted[0].n);
    if (n < 3) await stopAll(c);
    else await failover(c);
  }
} finally {
  for (const p of started) p.signal('SIGKILL');
  await Promise.all(started.map((p) => p.exited));
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

/** kill -9 of a desk's owner under load; the time until that desk acknowledges an order again. */
async function failover(c: Cluster): Promise<void> {
  const times: number[] = [];
  const acked: number[] = [];
  let running = true;
  // Background load on every desk through every process, as in the throughput runs.
  const background = (async () => {
    while (running) await ownerDirected(c, 1).catch(() => undefined);
  })();
  for (let k = 0; k < kills; k++) {
    const o = await settle(c);
    const victim = c.procs[k % c.procs.length];
    const desk = [...o.entries()].find(([d, m]) => m === victim.name && c.keys.has(d))?.[0];
    if (desk === undefined) continue;
    const via = c.procs.find((p) => p !== victim)!;
    const key = c.keys.get(desk)!;
    const place = (n: number) => call(via.baseUrl, 'POST', '/orders', key, { symbol: 'MSFT', side: 'BUY', type: 'LIMIT', quantity: 1, limit_price: '1.00', portfolio_name: 'BENCH-A', client_order_id: `failover-${k}-${n}` });
    const killedAt = performance.now();
    victim.signal('SIGKILL');
    await victim.exited;
    for (let n = 0; ; n++) {
      if (performance.now() - killedAt > 30_000) throw new Error(`desk ${desk} not served again 30 s after its owner was killed`);
      const res = await place(n).catch(() => null);
      if (res && (res.status === 201 || res.status === 200)) {
        times.push(performance.now() - killedAt);
        acked.push(Number(res.body.id));
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const restarted = await startOmsProcess(victim.name, c.db, { CLUSTER_LEASE_MS: leaseMs, LOG_LEVEL: 'info', CLUSTER_MEMBER_ID: victim.name });
    c.procs[c.procs.indexOf(victim)] = restarted;
  }
  running = false;
  await background;
  const stored = new pg.Client({ connectionString: c.db });
  await stored.connect();
  const { rows: found } = await stored.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE id = ANY($1::bigint[])`, [acked.map(String)]);
  await stored.end();
  lost += acked.length - Number(found[0].n);
  acknowledgedTotal += acked.length;
  await stopAll(c);
  const sorted = [...times].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  rows.push({ run: `failover after kill -9 under load (${times.length} kills, lease ${leaseMs} ms)`, 'req/s': '', 'p99 ms': Math.round(pct(99)), '2xx': times.length, 'non-2xx': `p50 ${Math.round(pct(50))} ms, max ${Math.round(sorted.at(-1)!)} ms`, errors: '' });
}

console.log(`\nbench:cluster — ${seconds} s per run, ${connections} connections, 8 desks, one PostgreSQL\n`);
console.log(table(rows));
const one = throughput.get('1')!;
console.log(`2 processes ÷ 1: ${(throughput.get('2')! / one).toFixed(2)}x (target >= 1.3); 3 ÷ 1: ${(throughput.get('3')! / one).toFixed(2)}x; 3 through any process ÷ 1: ${(throughput.get('3-any')! / one).toFixed(2)}x`);
console.log(`durability: ${acknowledgedTotal} orders acknowledged, ${lost} missing from the database (target 0)`);
