/**
 * Slack bot benchmark (`npm run bench:slack`). A real OMS on embedded PostgreSQL, the bot in HTTP mode,
 * the Slack Web API replaced by the local stand-in. At each concurrency level (1, 10, 50) it:
 * 1. opens that many connections to the bot (a `/trade help` on each, not timed), then sends signed
 *    `/trade buy 1 AAPL @ 100 gtc` commands over them, that many in flight at once, and records the
 *    ack latency (HTTP response time of the command request);
 * 2. fills each of those resting orders with a script's sell, at the same concurrency, and records the
 *    delay from the fill's commit (the trade's executed_at) to the stand-in receiving the thread reply.
 * Baseline: the same commands, at the same concurrency, to a bare Bolt app that only acks
 * (bench/slack/bare-bolt-child.ts); the table prints the bot's ack p99 over the bare app's.
 * One command in five goes to portfolio Gated, whose approval threshold it exceeds: the bot posts it as
 * an approval request. Then, per level, orders awaiting approval (placed by a script's trader key, so
 * that the bot's key, the approver, is not their placer) are approved with signed Approve button
 * clicks, that many at once, timing the click to the order's NEW on the feed's orders:Gated (it is
 * published after the commit that puts it in the book); the baseline is the same number approved
 * over REST (the OMS alone) at the same concurrency, timed the same way.
 * Everything runs on 127.0.0.1 and stops by itself. Usage: npm run bench:slack [-- commands-per-level]
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import globalSetup from '../../test/support/global-setup.js';
import globalTeardown from '../../test/support/global-teardown.js';
import { createTestDatabase } from '../../test/support/database.js';
import { SIGNING_SECRET } from '../../test/slack/support/bot-harness.js';
import { blockActions, CHANNEL, type SignedRequest, slashCommand } from '../../test/slack/support/signed-request.js';
import { APPROVE_ORDER_ACTION } from '../../src/slack/blocks/approval-buttons.js';
import { SlackStandIn, waitFor } from '../../test/slack/support/slack-stand-in.js';

const LEVELS = [1, 10, 50];
/** Every GATED_EVERY-th command exceeds portfolio Gated's approval threshold. */
const GATED_EVERY = 5;
const PER_LEVEL = Number(process.argv[2] ?? 200);
const POLL_MS = Number(process.env.SLACK_FILL_POLL_MS ?? 250);
const rootDir = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/**
 * Forks one of the bench's services (a script next to this one), passing it `env`; resolves with what
 * it reports over IPC once listening, and a stop that waits for its exit.
 */
async function forkService<T>(script: string, env: Record<string, string>): Promise<T & { stop(): Promise<void> }> {
  // fork inherits this process's execArgv, hence tsx's loader.
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), { env: { ...process.env, ...env } });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<T>((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before listening`)));
  });
  return {
    ...ready,
    async stop() {
      if (child.connected) child.send('stop');
      await exited;
    },
  };
}

/**
 * Slack's side of the wire, as a load generator has it: at most `sockets` kept-alive connections, each
 * virtual user reusing one. fetch's pool would open a new connection whenever the others are still
 * finishing their previous answer, and a connection set up mid-level by this busy process (it also plays
 * the Slack stand-in) would count against the bot's ack time.
 */
function commandSender(sockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  return {
    /** Sends a signed request; resolves with the status and the time to the whole answer, ms. */
    send(url: string, request: SignedRequest): Promise<{ status: number; ms: number }> {
      const started = performance.now();
      return new Promise((resolve, reject) => {
        const req = http.request(url, { method: 'POST', agent, headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) } }, (res) => {
          res.resume();
          res.once('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
          res.once('error', reject);
        });
        req.once('error', reject);
        req.end(request.body);
      });
    },
    /** Opens `count` connections (one request each, in flight together) before anything is timed. */
    async open(url: string, count: number, request: () => SignedRequest): Promise<void> {
      await Promise.all(Array.from({ length: count }, () => this.send(url, request())));
    },
    close: () => agent.destroy(),
  };
}

/** Runs `count` tasks with at most `concurrency` in flight. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

async function main(): Promise<void> {
  await globalSetup({ rootDir });
  // Three processes, as in production three services: the OMS, the bot, and (here) Slack with its
  // users, i.e. the stand-in and this load generator.
  const db = await createTestDatabase();
  const oms = await forkService<{ baseUrl: string; adminKey: string }>('./oms-child.ts', { BENCH_OMS_DATABASE_URL: db.url });
  const standIn = await SlackStandIn.start();
  const bot = await forkService<{ eventsUrl: string }>('./bot-child.ts', {
    BENCH_BOT: JSON.stringify({ apiUrl: standIn.apiUrl, omsUrl: oms.baseUrl, omsApiKey: oms.adminKey, databaseUrl: db.url, fillPollMs: POLL_MS }),
  });
  const bare = await forkService<{ eventsUrl: string }>('./bare-bolt-child.ts', {});
  const rest = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${oms.baseUrl}/api/v1${path}`, {
      method,
      headers: { 'x-api-key': oms.adminKey, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };

  // Indexes the stand-in's calls as they arrive: scanning them all on every poll would load the very
  // event loop being measured.
  const seen = { scanned: 0, confirmations: 0, replyAt: new Map<string, number>() };
  const indexer = setInterval(() => {
    for (; seen.scanned < standIn.calls.length; seen.scanned++) {
      const c = standIn.calls[seen.scanned];
      if (c.method !== 'chat.postMessage' || c.outcome !== 'ok') continue;
      const trade = /trade (\d+)\)$/.exec(String(c.body.text))?.[1];
      if (!c.body.thread_ts) seen.confirmations++;
      else if (trade && !seen.replyAt.has(trade)) seen.replyAt.set(trade, c.at);
    }
  }, 20);

  // Orders of Gated waiting for their approval click, each with its click's start time; resolved by
  // the feed frame that shows them NEW (in the book).
  const approving = new Map<string, { started: number; done: (ms: number) => void }>();
  const feed = new WebSocket(`${oms.baseUrl.replace(/^http/, 'ws')}/ws`);
  await new Promise<void>((resolve, reject) => {
    feed.onopen = () => resolve();
    feed.onerror = () => reject(new Error('the OMS feed did not open'));
  });
  feed.onmessage = (event) => {
    const frame = JSON.parse(String(event.data)) as { type: string; channel?: string; data?: { orders?: { id: string; status: string }[] } };
    if (frame.type !== 'update' || frame.channel !== 'orders:Gated') return;
    for (const o of frame.data?.orders ?? []) {
      const waiting = approving.get(o.id);
      if (waiting && o.status === 'NEW') {
        approving.delete(o.id);
        waiting.done(performance.now() - waiting.started);
      }
    }
  };
  const feedAnswer = (id: string) =>
    new Promise<void>((resolve) => {
      const listener = (event: MessageEvent) => {
        if ((JSON.parse(String(event.data)) as { id?: string }).id !== id) return;
        feed.removeEventListener('message', listener);
        resolve();
      };
      feed.addEventListener('message', listener);
    });

  try {
    await rest('POST', '/portfolios', { name: 'Bench', starting_cash: '100000000' });
    await rest('POST', '/portfolios', { name: 'Street', starting_cash: '100000000', allow_short: true });
    await rest('POST', '/portfolios', { name: 'Gated', starting_cash: '100000000' });
    await rest('PUT', '/portfolios/Gated/limits', { approval_threshold: '500' });
    const trader = (await rest('POST', '/keys', { name: 'bench trader', scopes: ['read', 'trade'] })).key as string;
    let answered = feedAnswer('auth');
    feed.send(JSON.stringify({ op: 'auth', api_key: oms.adminKey, id: 'auth' }));
    await answered;
    answered = feedAnswer('sub');
    feed.send(JSON.stringify({ op: 'subscribe', channel: 'orders:Gated', id: 'sub' }));
    await answered;
    const approvalRows: string[] = [];
    console.log(`Slack bot bench: ${PER_LEVEL} commands per level, fill poll ${POLL_MS} ms, Node ${process.version}`);
    console.log('(processes: the OMS; the bot; the Slack stand-in with this load generator)');
    console.log('concurrency | ack p50 | ack p99 | bare Bolt p50 | bare Bolt p99 | p99 bot/bare | fill->Slack p50 | fill->Slack p99 | commands/s');

    const commands = commandSender(Math.max(...LEVELS));
    for (const level of LEVELS) {
      const connect = () => slashCommand(SIGNING_SECRET, { command: '/trade', text: 'help', response_url: standIn.responseUrl('bench-connect') });
      await commands.open(bare.eventsUrl, level, connect);
      await commands.open(bot.eventsUrl, level, connect);
      // The same commands, first to the bare Bolt app, then to the bot.
      const timeAcks = async (eventsUrl: string, tag: string): Promise<number[]> => {
        const acks: number[] = [];
        await pool(PER_LEVEL, level, async (i) => {
          const res = await commands.send(
            eventsUrl,
            slashCommand(SIGNING_SECRET, {
              command: '/trade',
              // 10 x 100.00 = 1000.00 is above Gated's threshold: an approval request.
              text: i % GATED_EVERY === 0 ? 'buy 10 AAPL @ 100 gtc in Gated' : 'buy 1 AAPL @ 100 gtc in Bench',
              response_url: standIn.responseUrl(`${tag}-${level}-${i}`),
            }),
          );
          if (res.status !== 200) throw new Error(`command answered ${res.status}`);
          acks.push(res.ms);
        });
        return acks;
      };
      const bareAcks = await timeAcks(bare.eventsUrl, 'bare');
      const started = performance.now();
      const acks = await timeAcks(bot.eventsUrl, 'bench');
      const rate = PER_LEVEL / ((performance.now() - started) / 1000);
      const expected = LEVELS.slice(0, LEVELS.indexOf(level) + 1).length * PER_LEVEL;
      await waitFor(() => seen.confirmations >= expected || undefined, 60_000, 'every confirmation');

      const tradeIds: string[] = [];
      // Gated's orders wait for approval, out of the book: only Bench's get these sells.
      const benchOrders = PER_LEVEL - Math.ceil(PER_LEVEL / GATED_EVERY);
      await pool(benchOrders, level, async () => {
        const sell = await rest('POST', '/orders', { portfolio_name: 'Street', symbol: 'AAPL', side: 'SELL', type: 'LIMIT', limit_price: '100', quantity: 1, time_in_force: 'IOC' });
        for (const f of sell.fills ?? []) tradeIds.push(String(f.trade_id));
      });
      await waitFor(() => tradeIds.every((id) => seen.replyAt.has(id)) || undefined, 60_000, 'every fill reply');

      const delays: number[] = [];
      for (const id of tradeIds) {
        const trade = await rest('GET', `/trades/${id}`);
        delays.push(seen.replyAt.get(id)! - Date.parse(trade.executed_at));
      }
      const f = (n: number) => n.toFixed(1).padStart(7);
      console.log(
        `${String(level).padStart(11)} | ${f(percentile(acks, 50))} | ${f(percentile(acks, 99))} | ${f(percentile(bareAcks, 50)).padStart(13)} | ${f(percentile(bareAcks, 99)).padStart(13)} | ${`${(percentile(acks, 99) / percentile(bareAcks, 99)).toFixed(2)}x`.padStart(12)} | ${f(percentile(delays, 50)).padStart(15)} | ${f(percentile(delays, 99)).padStart(15)} | ${rate.toFixed(0).padStart(10)}`,
      );

      // Approvals: 10 x 99.00 rests below the sells above, so the fills stay Bench's. Placed by a
      // script's trader key; approved by Approve clicks through the bot, and (the baseline: the OMS
      // alone) by POST /orders/{id}/approve with the admin key, at the same concurrency.
      const placePending = async (): Promise<string[]> => {
        const ids: string[] = [];
        await pool(PER_LEVEL, level, async () => {
          const res = await fetch(`${oms.baseUrl}/api/v1/orders`, {
            method: 'POST',
            headers: { 'x-api-key': trader, 'content-type': 'application/json' },
            body: JSON.stringify({ portfolio_name: 'Gated', symbol: 'AAPL', side: 'BUY', type: 'LIMIT', limit_price: '99', quantity: 10, time_in_force: 'GTC' }),
          });
          const order = (await res.json()) as { id: string; status: string };
          if (order.status !== 'PENDING_APPROVAL') throw new Error(`a Gated order is ${order.status}, not PENDING_APPROVAL`);
          ids.push(order.id);
        });
        return ids;
      };
      const timeApprovals = async (ids: string[], approve: (id: string, i: number) => Promise<void>): Promise<number[]> => {
        const times: number[] = [];
        await pool(ids.length, level, async (i) => {
          const inBook = new Promise<number>((done) => approving.set(ids[i], { started: performance.now(), done }));
          await approve(ids[i], i);
          times.push(await inBook);
        });
        return times;
      };
      const restApprovals = await timeApprovals(await placePending(), async (id) => {
        await rest('POST', `/orders/${id}/approve`, {});
      });
      const clicks = await timeApprovals(await placePending(), async (id, i) => {
        const click = blockActions(SIGNING_SECRET, {
          actionId: APPROVE_ORDER_ACTION,
          value: id,
          user_id: 'UAPPROVER',
          channel_id: CHANNEL,
          container: { type: 'message', message_ts: `${1_700_000_000 + i}.000100` },
          response_url: standIn.responseUrl(`approve-${level}-${i}`),
        });
        const res = await commands.send(bot.eventsUrl, click);
        if (res.status !== 200) throw new Error(`the click answered ${res.status}`);
      });
      approvalRows.push(
        `${String(level).padStart(11)} | ${String(clicks.length).padStart(6)} | ${f(percentile(clicks, 50)).padStart(15)} | ${f(percentile(clicks, 99)).padStart(15)} | ${f(percentile(restApprovals, 50)).padStart(16)} | ${f(percentile(restApprovals, 99)).padStart(16)} | ${`${(percentile(clicks, 99) / percentile(restApprovals, 99)).toFixed(2)}x`.padStart(15)}`,
      );
    }
    console.log('');
    console.log('Approval: Approve button click to the order NEW in the book (on the feed), p99 target under 200 ms');
    console.log('concurrency | clicks | click->book p50 | click->book p99 | REST approve p50 | REST approve p99 | p99 click/REST');
    for (const row of approvalRows) console.log(row);
    console.log('(ms; ack is the time to the whole HTTP answer on an open connection; fill->Slack is trade executed_at to the stand-in receiving its chat.postMessage)');
    commands.close();
  } finally {
    feed.close();
    clearInterval(indexer);
    await bot.stop();
    await bare.stop();
    await standIn.stop();
    await oms.stop();
    await db.drop();
    await globalTeardown();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
