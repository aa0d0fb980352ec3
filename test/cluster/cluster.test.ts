import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createPrismaClient, type PrismaClient } from '../../src/db/prisma-client.js';
import { reconcile } from '../../src/db/reconciliation.js';
import { FeedTestClient, expectContiguous, type Frame } from '../feed/feed-client.js';
import { call, CLUSTER_ADMIN_KEY, startOmsProcess, stopOmsProcess, until, type OmsProcess } from './support/oms-process.js';

/**
 * Three real OMS processes (src/server.ts) over one PostgreSQL, in cluster mode with a one-second
 * lease: desks spread over all three, any process answers for any desk, and an owner's death, pause
 * or restart loses no acknowledged order and applies no trade twice.
 */
jest.setTimeout(60_000);
const NAMES = ['oms-a', 'oms-b', 'oms-c'] as const;
const DESKS = 8;
let db: TestDatabase;
let prisma: PrismaClient;
const procs = new Map<string, OmsProcess>();
/** Desk id -> its admin key. */
const deskKeys = new Map<number, string>();

interface ClusterAnswer {
  members: { id: string; live: boolean; desks_owned: number[] }[];
  desks: { id: number; owner: string | null; epoch: number }[];
}

const start = async (name: string) => {
  const p = await startOmsProcess(name, db.url, { CLUSTER_MEMBER_ID: name });
  procs.set(name, p);
  return p;
};
const proc = (name: string) => procs.get(name)!;
const cluster = async (via = 'oms-a'): Promise<ClusterAnswer> => {
  const res = await call(proc(via).baseUrl, 'GET', '/cluster', CLUSTER_ADMIN_KEY);
  if (res.status !== 200) throw new Error(`GET /cluster: ${res.status}`);
  return res.body as ClusterAnswer;
};

/** Retries while the answer is a 503 (documented as retryable), as a client would. */
async function retrying(base: () => string, method: string, path: string, key: string, body?: unknown, ms = 15_000) {
  const end = Date.now() + ms;
  for (;;) {
    const res = await call(base(), method, path, key, body).catch(() => null);
    if (res && res.status !== 503) return res;
    if (Date.now() > end) throw new Error(`${method} ${path} still unavailable after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until every desk has a live owner and each process serves exactly the desks it owns. */
async function settled(names: readonly string[]): Promise<ClusterAnswer> {
  return until('every desk owned by a live member', async () => {
    const c = await cluster(names[0]);
    if (c.desks.length !== DESKS + 1 || c.desks.some((d) => d.owner === null || !names.includes(d.owner))) return undefined;
    for (const n of names) {
      const health = await fetch(`${proc(n).baseUrl}/health`).then((r) => r.json() as Promise<{ desks_owned?: number }>);
      if (health.desks_owned !== c.desks.filter((d) => d.owner === n).length) return undefined;
    }
    return c;
  }, 20_000);
}

const ownerOf = async (deskId: number) => (await cluster()).desks.find((d) => d.id === deskId)!.owner!;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, { max: 2 });
  await Promise.all(NAMES.map(start));
  await until('desk main served', async () => ((await call(proc('oms-a').baseUrl, 'GET', '/portfolios', CLUSTER_ADMIN_KEY)).status === 200 ? true : undefined));
  deskKeys.set(1, CLUSTER_ADMIN_KEY);
  for (let i = 0; i < DESKS; i++) {
    const made = await retrying(() => proc(NAMES[i % 3]).baseUrl, 'POST', '/desks', CLUSTER_ADMIN_KEY, { name: `Desk ${i}` });
    expect(made.status).toBe(201);
    deskKeys.set(made.body.desk.id, made.body.admin_key);
  }
  for (const [deskId, key] of deskKeys) {
    for (const name of ['P', 'Q']) {
      const res = await retrying(() => proc(NAMES[deskId % 3]).baseUrl, 'POST', '/portfolios', key, { name, starting_cash: '1000000', allow_short: true });
      expect(res.status).toBe(201);
    }
  }
  await settled(NAMES);
}, 90_000);

afterAll(async () => {
  for (const p of procs.values()) p.signal('SIGKILL');
  await Promise.all([...procs.values()].map((p) => p.exited));
  await prisma?.$disconnect();
  await db?.drop();
});

/** Orders crossing between P and Q of one desk, each retried under its client_order_id until acknowledged. */
/**
 * `via` picks the process each request goes to; a request whose connection a stopping process cut
 * before answering (`stopping(name)`) is retried like a 503, under the same client_order_id.
 */
function trader(deskId: number, via: () => { name: string; url: string }, tag: string, stopping: (name: string) => boolean = () => false) {
  const key = deskKeys.get(deskId)!;
  const acked: { cid: string; id: number; at: number; body: Record<string, unknown> }[] = [];
  const unexpected: string[] = [];
  let stopped = false;
  const loop = async () => {
    for (let n = 0; !stopped; n++) {
      const body = { symbol: 'AAPL', side: n % 2 ? 'SELL' : 'BUY', type: 'LIMIT', quantity: 1, limit_price: '100.00', portfolio_name: n % 2 ? 'Q' : 'P', client_order_id: `${tag}-${n}` };
      for (;;) {
        const target = via();
        const res = await call(target.url, 'POST', '/orders', key, body).catch((error: unknown) => ({ status: stopping(target.name) ? 503 : 0, body: String(error), headers: new Headers() }));
        if (res.status === 201 || res.status === 200) {
          acked.push({ cid: body.client_order_id, id: res.body.id, at: Date.now(), body });
          break;
        }
        if (res.status !== 503) {
          unexpected.push(`${res.status} ${JSON.stringify(res.body)}`);
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const running = loop();
  return {
    acked,
    unexpected,
    async stop() {
      stopped = true;
      await running;
    },
  };
}

/** Every acknowledged order is stored once; a retry of it answers the original; the books fold. */
async function verify(deskId: number, acked: { cid: string; id: number; body: Record<string, unknown> }[]) {
  const key = deskKeys.get(deskId)!;
  const ids = acked.map((a) => BigInt(a.id));
  const stored = await prisma.order.findMany({ where: { id: { in: ids } }, select: { id: true, clientOrderId: true } });
  expect(stored.length).toBe(acked.length);
  for (const a of acked) expect(stored.find((s) => s.id === BigInt(a.id))?.clientOrderId).toBe(a.cid);
  const dupes = await prisma.$queryRawUnsafe<{ n: bigint }[]>(
    `SELECT count(*) AS n FROM (SELECT portfolio_id, client_order_id FROM orders WHERE client_order_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) d`,
  );
  expect(Number(dupes[0].n)).toBe(0);
  // No trade applied twice: each order's filled quantity is what its trades add up to.
  const off = await prisma.$queryRawUnsafe<{ id: bigint }[]>(
    `SELECT o.id FROM orders o LEFT JOIN trades t ON t.buy_order_id = o.id OR t.sell_order_id = o.id
     GROUP BY o.id, o.filled_quantity HAVING o.filled_quantity <> coalesce(sum(t.quantity), 0)`,
  );
  expect(off).toEqual([]);
  expect(await reconcile(prisma)).toMatchObject({ ok: true, problems: [] });
  for (const a of acked.slice(-3)) {
    const again = await retrying(() => proc('oms-a').baseUrl, 'POST', '/orders', key, a.body);
    expect({ status: again.status, id: again.body.id }).toEqual({ status: 200, id: a.id });
  }
}

describe('three OMS processes on one PostgreSQL', () => {
  it('spread the desks over all three, and any process answers a request with any desk’s key', async () => {
    const c = await settled(NAMES);
    for (const n of NAMES) expect(c.desks.filter((d) => d.owner === n).length).toBeGreaterThan(0);
    // A refusal comes back from a non-owner exactly as the owner gives it.
    const [deskId, key] = [...deskKeys.entries()].find(([d]) => c.desks.find((x) => x.id === d)!.owner === 'oms-c')!;
    const bad = { symbol: 'NOPE', side: 'BUY', type: 'LIMIT', quantity: 1, limit_price: '1.00', portfolio_name: 'P' };
    const answers = await Promise.all(NAMES.map((n) => call(proc(n).baseUrl, 'POST', '/orders', key, bad)));
    for (const a of answers) expect({ desk: deskId, status: a.status, body: a.body, type: a.headers.get('content-type') }).toEqual({ desk: deskId, status: answers[2].status, body: answers[2].body, type: 'application/json; charset=utf-8' });
    expect(answers[2].status).toBe(422);
    // The deployment's lists are the same from every process, whichever desks it serves.
    for (const n of NAMES) {
      const listed = await call(proc(n).baseUrl, 'GET', '/desks', CLUSTER_ADMIN_KEY);
      expect({ via: n, ids: listed.body.data.map((d: { id: number }) => d.id) }).toEqual({ via: n, ids: [...deskKeys.keys()].sort((a, b) => a - b) });
    }
    for (const [deskId, key] of deskKeys) {
      for (const n of NAMES) {
        const res = await call(proc(n).baseUrl, 'GET', '/portfolios', key);
        expect({ desk: deskId, via: n, status: res.status, names: res.body.data?.map((p: { name: string }) => p.name).filter((n: string) => n !== 'HOUSE').sort() }).toEqual({
          desk: deskId,
          via: n,
          status: 200,
          names: ['P', 'Q'],
        });
      }
    }
  });

  it('an instrument the operator adds, or schedules, through desk main’s owner reaches the desks every other process owns', async () => {
    const c = await settled(NAMES);
    const mainOwner = c.desks.find((d) => d.id === 1)!.owner!;
    const elsewhere = [...deskKeys.entries()].filter(([d]) => c.desks.find((x) => x.id === d)!.owner !== mainOwner);
    expect(elsewhere.length).toBeGreaterThan(0);
    const added = await retrying(() => proc(NAMES[1]).baseUrl, 'POST', '/instruments', CLUSTER_ADMIN_KEY, { symbol: 'CLUS', name: 'Cluster Co', reference_price: '25.00' });
    expect(added.status).toBe(201);
    for (const [deskId, key] of elsewhere) {
      // Tradable there: an order on it rests, and the desk's own house quotes it.
      const placed = await until(`CLUS on desk ${deskId}`, async () => {
        const res = await call(proc(NAMES[deskId % 3]).baseUrl, 'POST', '/orders', key, { symbol: 'CLUS', side: 'BUY', type: 'LIMIT', quantity: 1, limit_price: '20.00', portfolio_name: 'P' });
        return res.status === 201 ? res.body : undefined;
      });
      expect(placed).toMatchObject({ symbol: 'CLUS', status: 'NEW' });
    }
    expect((await retrying(() => proc(NAMES[2]).baseUrl, 'PATCH', '/instruments/CLUS', CLUSTER_ADMIN_KEY, { session: 'us-equities' })).status).toBe(200);
    for (const [deskId, key] of elsewhere) {
      await until(`CLUS us-equities on desk ${deskId}`, async () => {
        const res = await call(proc(NAMES[0]).baseUrl, 'GET', '/instruments', key);
        return res.body.data?.find((i: { symbol: string }) => i.symbol === 'CLUS')?.session === 'us-equities' ? true : undefined;
      });
    }
  });

  it('kill -9 of a desk’s owner while clients trade on it: another serves it within seconds, nothing acknowledged is lost', async () => {
    const c = await cluster();
    const desk = c.desks.find((d) => d.owner === 'oms-c' && d.id !== 1)!.id;
    const traders = [0, 1].map((i) => trader(desk, () => ({ name: NAMES[i], url: proc(NAMES[i]).baseUrl }), `kill-${i}`));
    await until('orders acknowledged before the kill', async () => (traders.every((t) => t.acked.length >= 5) ? true : undefined));
    const killedAt = Date.now();
    proc('oms-c').signal('SIGKILL');
    await proc('oms-c').exited;
    await until('orders acknowledged after the kill', async () => (traders.every((t) => t.acked.filter((a) => a.at > killedAt).length >= 5) ? true : undefined), 20_000);
    await Promise.all(traders.map((t) => t.stop()));
    const firstAfter = Math.min(...traders.flatMap((t) => t.acked.filter((a) => a.at > killedAt).map((a) => a.at)));
    expect(firstAfter - killedAt).toBeLessThan(10_000);
    expect(traders.flatMap((t) => t.unexpected)).toEqual([]);
    expect(await ownerOf(desk)).not.toBe('oms-c');
    await verify(desk, traders.flatMap((t) => t.acked));
    // Back under the same name: it gets its desks back, handed over by the others.
    await start('oms-c');
    await until('oms-c owns its desk again', async () => ((await ownerOf(desk)) === 'oms-c' ? true : undefined), 20_000);
  });

  it('a feed client connected to a non-owner keeps receiving its desk across owner changes, re-snapshotted', async () => {
    const desk = (await cluster()).desks.find((d) => d.owner === 'oms-c' && d.id !== 1)!.id;
    const key = deskKeys.get(desk)!;
    const feed = await FeedTestClient.connect(proc('oms-a').baseUrl);
    try {
      // Anonymous first: desk main's public channels, from main's owner.
      await feed.subscribe('ticker');
      expect((await feed.auth(key)).type).toBe('authenticated');
      // Then the key's desk, from its owner: the old desk's channel is left, said after the auth's answer.
      const left = await feed.next((f) => f.type === 'error' && f.channel === 'ticker', 5000, 'ticker left');
      expect(left.code).toBe('FORBIDDEN');
      const order = feed.log.map((r) => r.frame.type);
      expect(order.indexOf('authenticated')).toBeLessThan(order.indexOf('error'));
      await feed.subscribe('orders:P');
      const place = async (cid: string) => {
        const res = await retrying(() => proc('oms-b').baseUrl, 'POST', '/orders', key, { symbol: 'MSFT', side: 'BUY', type: 'LIMIT', quantity: 1, limit_price: '5.00', portfolio_name: 'P', client_order_id: cid });
        expect(res.status).toBe(201);
        return res.body.id as number;
      };
      const shows = (id: number) => (f: Frame) => f.channel === 'orders:P' && (f.data?.orders ?? []).some((o: { id: number }) => o.id === id);
      await feed.next(shows(await place('feed-before')), 10_000, 'the order placed before');
      // The owner dies: the relay finds the next one, which answers with a fresh snapshot.
      proc('oms-c').signal('SIGKILL');
      await proc('oms-c').exited;
      await feed.next(shows(await place('feed-after-kill')), 15_000, 'the order placed after the kill');
      // It comes back and is handed the desk again (drain, commit, release).
      await start('oms-c');
      await until('oms-c owns the desk again', async () => ((await ownerOf(desk)) === 'oms-c' ? true : undefined), 20_000);
      await feed.next(shows(await place('feed-after-handover')), 15_000, 'the order placed after the hand-over');
      // Across the changes: a snapshot restarts the channel's seq, and updates follow it without a gap.
      const frames = feed.framesOf('orders:P');
      const snapshots = frames.map((f, i) => (f.type === 'snapshot' ? i : -1)).filter((i) => i >= 0);
      expect(snapshots.length).toBeGreaterThanOrEqual(2);
      for (const [n, start] of snapshots.entries()) {
        const run = frames.slice(start + 1, snapshots[n + 1] ?? frames.length);
        expectContiguous(run, frames[start].seq! + 1);
      }
      expect(feed.open).toBe(true);
    } finally {
      await feed.close();
    }
  });

  it('a process paused past its lease writes nothing for the desks it lost, and serves again once resumed', async () => {
    const before = await settled(NAMES);
    const lost = before.desks.filter((d) => d.owner === 'oms-b');
    const desk = lost[0].id;
    proc('oms-b').signal('SIGSTOP');
    try {
      const moved = await until('oms-b’s desks taken over', async () => {
        const c = await cluster();
        return lost.every((l) => {
          const now = c.desks.find((d) => d.id === l.id)!;
          return now.owner !== null && now.owner !== 'oms-b' && now.epoch > l.epoch;
        })
          ? c
          : undefined;
      });
      expect(moved.desks.find((d) => d.id === desk)!.epoch).toBeGreaterThan(lost[0].epoch);
      // Meanwhile its desk trades elsewhere.
      const elsewhere = await retrying(() => proc('oms-a').baseUrl, 'POST', '/orders', deskKeys.get(desk)!, { symbol: 'MSFT', side: 'BUY', type: 'LIMIT', quantity: 1, limit_price: '10.00', portfolio_name: 'P', client_order_id: 'paused-elsewhere' });
      expect(elsewhere.status).toBe(201);
    } finally {
      proc('oms-b').signal('SIGCONT');
    }
    // A request straight to the resumed process, for a desk it lost: answered by the owner or refused to retry.
    const direct = await call(proc('oms-b').baseUrl, 'POST', '/orders', deskKeys.get(desk)!, { symbol: 'MSFT', side: 'BUY', type: 'LIMIT', quantity: 1, limit_price: '10.00', portfolio_name: 'P', client_order_id: 'paused-direct' });
    expect([201, 503]).toContain(direct.status);
    // Its desks come back to it (placement prefers it again), each under a newer epoch than the one it lost.
    const after = await until('oms-b’s desks back with it', async () => {
      const c = await settled(NAMES);
      return lost.every((l) => c.desks.find((d) => d.id === l.id)!.owner === 'oms-b') ? c : undefined;
    });
    for (const l of lost) expect(after.desks.find((d) => d.id === l.id)!.epoch).toBeGreaterThanOrEqual(l.epoch + 2);
    const orders = await prisma.order.findMany({ where: { clientOrderId: { in: ['paused-elsewhere', 'paused-direct'] } } });
    expect(orders.filter((o) => o.clientOrderId === 'paused-elsewhere')).toHaveLength(1);
    expect(orders.filter((o) => o.clientOrderId === 'paused-direct')).toHaveLength(direct.status === 201 ? 1 : 0);
    await verify(desk, []);
  });

  it('a rolling restart of all three under load refuses nothing but retryable 503s and loses nothing', async () => {
    await settled(NAMES);
    const down = new Set<string>();
    let turn = 0;
    const via = () => {
      const up = NAMES.filter((n) => !down.has(n));
      const name = up[turn++ % up.length];
      return { name, url: proc(name).baseUrl };
    };
    const desks = [...deskKeys.keys()].slice(0, 4);
    const traders = desks.map((d) => trader(d, via, `roll-${d}`, (name) => down.has(name)));
    for (const n of NAMES) {
      down.add(n);
      await stopOmsProcess(proc(n));
      await start(n);
      down.delete(n);
      await settled(NAMES);
    }
    await Promise.all(traders.map((t) => t.stop()));
    expect(traders.flatMap((t) => t.unexpected)).toEqual([]);
    for (const [i, d] of desks.entries()) {
      expect(traders[i].acked.length).toBeGreaterThan(0);
      await verify(d, traders[i].acked);
    }
  });
});
