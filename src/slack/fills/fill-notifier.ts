import type { webApi } from '@slack/bolt';
import type pg from 'pg';
import type { Logger } from 'pino';
import { buildFillReply } from '../blocks/fill-reply.js';
import { buildOrderConfirmation } from '../blocks/order-confirmation.js';
import { isOmsError, type OmsClient } from '../oms-client.js';
import type { Trade } from '../oms-types.js';
import { classifySlackFailure, type SlackFailure } from '../slack-failure.js';
import { advanceCursor, getCursor, initCursor } from '../store/cursors.js';
import { withTransaction } from '../store/db.js';
import { type PendingNotice, markFillPosted, pendingFillNotices, recordFillNotices } from '../store/fill-notices.js';
import { allOrderIds, forgetOrder, setConfirmationTs, slackOrderIdsAmong, unconfirmedOrders } from '../store/order-messages.js';
import { WorkQueue } from '../work-queue.js';

export interface FillNotifierOptions {
  readonly oms: OmsClient;
  readonly db: pg.Pool;
  /** A client, or how to get one per pass (a workspace's token rotates: see workspaces/token-refresher.ts). */
  readonly slack: webApi.WebClient | (() => Promise<webApi.WebClient>);
  readonly logger: Logger;
  readonly pollMs: number;
  /**
   * Installs in many workspaces: the workspace whose orders this notifier follows, on its desk (its
   * own cursor and lock). Unset: every order the bot placed (one workspace).
   */
  readonly team?: string;
}

const CURSOR = 'fills';
const PAGE = 500;
/** Bounds one pass so a backlog cannot starve the rest; a full batch makes the next pass start at once. */
const MAX_PAGES_PER_PASS = 20;
const NOTICES_PER_PASS = 200;
const CONFIRMATIONS_PER_PASS = 20;
/** Threads posted at once; within a thread replies go one by one, in trade order. */
const PARALLEL_THREADS = 8;
/**
 * Confirmation updates under way at once. They are cosmetic, and each costs an OMS read and a Slack
 * call: in a burst of fills they wait their turn rather than slow down the fill replies themselves.
 */
const PARALLEL_REFRESHES = 2;
const MAX_BACKOFF_MS = 10_000;
/** One pass at a time across every bot process sharing the database. */
const PASS_LOCK = "hashtext('paper-desk:slack-fill-notifier')";
/** A workspace's notifier locks its own key: workspaces do not wait for each other. */
const passLockOf = (team: string | undefined) => (team === undefined ? PASS_LOCK : `hashtext('paper-desk:slack-fill-notifier:' || $1::text)`);

/**
 * Threads every fill of every order placed from Slack under that order's confirmation, exactly once,
 * across restarts and Slack outages. Each pass:
 * 1. reads the OMS trade stream after the cursor, and in ONE transaction records a notice row per
 *    (trade, Slack order) and moves the cursor past the page: a trade is "handled" once its notices
 *    are durable, so a crash can neither skip a fill nor record it twice (the row's key dedupes);
 * 2. posts confirmations that could not be posted when the order was placed;
 * 3. posts unposted notices as thread replies, oldest first per order, marking each when Slack took it,
 *    then chat.update's the confirmation with the order's new status.
 * A Slack failure leaves the notice unposted for a later pass (after Retry-After for a 429); nothing
 * blocks the listeners, which never wait for this loop.
 * Several bot processes may run: a PostgreSQL advisory lock lets one pass run at a time.
 */
export class FillNotifier {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  /** Epoch ms before which Slack asked us (429 Retry-After) not to post. */
  private pausedUntil = 0;
  private cursor: string | undefined;
  /** Consecutive failed passes: the poll backs off so a down database or OMS is not hammered. */
  private failures = 0;
  /** Confirmation refreshes under way, by order, and the orders to refresh again once theirs ends. */
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly refreshAgain = new Map<string, PendingNotice>();
  private readonly refreshWork = new WorkQueue(PARALLEL_REFRESHES);
  /** Trades read in step 1 of a pass, so step 3 of the same pass need not fetch them again. */
  private readonly trades = new Map<string, Trade>();

  private slackClient: webApi.WebClient | undefined;
  private readonly cursorName: string;

  constructor(private readonly o: FillNotifierOptions) {
    this.cursorName = o.team === undefined ? CURSOR : `${CURSOR}:${o.team}`;
    if (typeof o.slack !== 'function') this.slackClient = o.slack;
  }

  /** The Web API client of this pass. */
  private get slack(): webApi.WebClient {
    return this.slackClient!;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs a pass now, or right after the current one. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    while (this.refreshing.size > 0) await Promise.all(this.refreshing.values());
  }

  /** One pass (what the timer runs), after the current one if any; resolves when done, never throws. */
  async runOnce(): Promise<void> {
    while (this.running) await this.running;
    this.running = this.pass().finally(() => {
      this.running = undefined;
    });
    await this.running;
  }

  /**
   * Polls at a fixed rate (a long pass does not push the next one a whole interval further), at once
   * when woken or when a pass left work behind, and backs off while passes fail.
   */
  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const started = Date.now();
      void this.runOnce().then(() => {
        if (this.stopped) return;
        const rerun = this.again;
        this.again = false;
        if (this.failures > 0) this.schedule(Math.min(this.o.pollMs * 2 ** this.failures, MAX_BACKOFF_MS));
        else this.schedule(rerun ? 0 : Math.max(0, this.o.pollMs - (Date.now() - started)));
      });
    }, delayMs);
  }

  private async pass(): Promise<void> {
    let lock: pg.PoolClient | undefined;
    try {
      lock = await this.o.db.connect();
      const lockKey = passLockOf(this.o.team);
      const lockArgs = this.o.team === undefined ? [] : [this.o.team];
      const { rows } = await lock.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${lockKey}) AS ok`, lockArgs);
      if (!rows[0]?.ok) return;
      try {
        if (typeof this.o.slack === 'function') this.slackClient = await this.o.slack();
        await this.readTrades();
        if (Date.now() < this.pausedUntil) return;
        await this.postMissingConfirmations();
        await this.postNotices();
        this.failures = 0;
      } finally {
        this.trades.clear();
        await lock.query(`SELECT pg_advisory_unlock(${lockKey})`, lockArgs);
      }
    } catch (e) {
      // Logged on the first failure of a run of them, not on every backed-off retry.
      if (this.failures++ === 0) this.o.logger.warn({ err: e }, 'fill notifier pass failed; retrying with backoff');
    } finally {
      lock?.release();
    }
  }

  private async readTrades(): Promise<void> {
    this.cursor ??= await this.loadCursor();
    for (let page = 0; page < MAX_PAGES_PER_PASS; page++) {
      const { data } = await this.o.oms.listTrades({ since_id: this.cursor, limit: PAGE });
      if (data.length === 0) return;
      const orderIds = [...new Set(data.flatMap((t) => [t.buy_order_id, t.sell_order_id]).filter((id): id is string => id !== null))];
      const ours = await slackOrderIdsAmong(this.o.db, orderIds);
      const notices = data.flatMap((t) =>
        [t.buy_order_id, t.sell_order_id].filter((id): id is string => id !== null && ours.has(id)).map((orderId) => ({ tradeId: t.trade_id, orderId })),
      );
      const last = data[data.length - 1].trade_id;
      await withTransaction(this.o.db, async (tx) => {
        await recordFillNotices(tx, notices);
        await advanceCursor(tx, this.cursorName, last);
      });
      for (const t of data) if (ours.has(t.buy_order_id ?? '') || ours.has(t.sell_order_id ?? '')) this.trades.set(t.trade_id, t);
      this.cursor = last;
      if (data.length < PAGE) return;
    }
    this.again = true;
  }

  /**
   * First start ever: begin at the newest trade, not at the dawn of history. Orders placed before this
   * point (possible: commands are served before the first pass ends) may have traded before it too,
   * so their fills are read from the orders themselves, after the cursor is set. Later rows are safe:
   * their placement records the fills made until then, and the scan the ones after.
   */
  private async loadCursor(): Promise<string> {
    const saved = await getCursor(this.o.db, this.cursorName);
    if (saved !== undefined) return saved;
    const newest = (await this.o.oms.listTrades({ limit: 1 })).data[0]?.trade_id ?? '0';
    const cursor = await initCursor(this.o.db, this.cursorName, newest);
    for (const orderId of await allOrderIds(this.o.db, this.o.team)) {
      const order = await this.o.oms.getOrder(orderId).catch((e: unknown) => {
        if (isOmsError(e) && e.status === 404) return undefined;
        throw e;
      });
      await recordFillNotices(this.o.db, (order?.fills ?? []).map((f) => ({ tradeId: f.trade_id, orderId })));
    }
    return cursor;
  }

  private async postMissingConfirmations(): Promise<void> {
    for (const m of await unconfirmedOrders(this.o.db, CONFIRMATIONS_PER_PASS, this.o.team)) {
      let order;
      try {
        order = await this.o.oms.getOrder(m.orderId);
      } catch (e) {
        if (isOmsError(e) && e.status === 404) await forgetOrder(this.o.db, m.orderId);
        else throw e;
        continue;
      }
      try {
        const posted = await this.slack.chat.postMessage({ channel: m.channelId, ...buildOrderConfirmation(order) });
        if (posted.ts) await setConfirmationTs(this.o.db, m.orderId, posted.ts);
      } catch (e) {
        if (this.mustRetry(classifySlackFailure(e), { orderId: m.orderId })) return;
        await forgetOrder(this.o.db, m.orderId);
      }
    }
  }

  private async postNotices(): Promise<void> {
    const pending = await pendingFillNotices(this.o.db, NOTICES_PER_PASS, this.o.team);
    if (pending.length === NOTICES_PER_PASS) this.again = true;
    const byOrder = new Map<string, PendingNotice[]>();
    for (const n of pending) byOrder.set(n.orderId, [...(byOrder.get(n.orderId) ?? []), n]);
    const threads = [...byOrder.values()];
    let next = 0;
    const worker = async () => {
      while (next < threads.length && Date.now() >= this.pausedUntil) {
        const thread = threads[next++];
        // Confirmation updates are cosmetic: they hold up neither the next thread's replies nor the
        // next pass (whose fills would otherwise wait for them); stop() waits for them.
        if (await this.postThread(thread)) this.refreshSoon(thread[0]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_THREADS, threads.length) }, worker));
  }

  /** One refresh at a time per order, so an older status can never overwrite a newer one. */
  private refreshSoon(n: PendingNotice): void {
    if (this.refreshing.has(n.orderId)) {
      this.refreshAgain.set(n.orderId, n);
      return;
    }
    const run = this.refreshWork.run(() => this.refreshConfirmation(n)).finally(() => {
      this.refreshing.delete(n.orderId);
      const again = this.refreshAgain.get(n.orderId);
      if (again) {
        this.refreshAgain.delete(n.orderId);
        this.refreshSoon(again);
      }
    });
    this.refreshing.set(n.orderId, run);
  }

  /**
   * One order's notices, in trade order; stops at the first failure so the thread stays in order.
   * Returns whether anything was posted (the confirmation then needs its new status).
   */
  private async postThread(notices: readonly PendingNotice[]): Promise<boolean> {
    let posted = false;
    for (const n of notices) {
      if (Date.now() < this.pausedUntil) break;
      const trade = this.trades.get(n.tradeId) ?? (await this.o.oms.getTrade(n.tradeId));
      try {
        await this.slack.chat.postMessage({ channel: n.channelId, thread_ts: n.messageTs, ...buildFillReply(trade, n.orderId) });
        posted = true;
      } catch (e) {
        if (this.mustRetry(classifySlackFailure(e), { tradeId: n.tradeId, orderId: n.orderId })) break;
        // Slack will never take this reply: it is marked as handled rather than retried forever.
      }
      await markFillPosted(this.o.db, n);
    }
    return posted;
  }

  private async refreshConfirmation(n: PendingNotice): Promise<void> {
    try {
      const order = await this.o.oms.getOrder(n.orderId);
      await this.slack.chat.update({ channel: n.channelId, ts: n.messageTs, ...buildOrderConfirmation(order) });
    } catch (e) {
      // Cosmetic: the next fill or cancel updates it again.
      this.o.logger.warn({ err: e, orderId: n.orderId }, 'confirmation not updated');
    }
  }

  /** Logs a failed Slack call; true when it is worth retrying later (429 also pauses all posting). */
  private mustRetry(failure: SlackFailure, context: object): boolean {
    if (failure.kind === 'rate_limited') {
      this.pausedUntil = Math.max(this.pausedUntil, Date.now() + failure.retryAfterMs);
      this.o.logger.info({ ...context, retryAfterMs: failure.retryAfterMs }, 'Slack rate limit; pausing posts');
      return true;
    }
    this.o.logger.warn({ ...context, slackError: failure.code, kind: failure.kind }, 'Slack post failed');
    return failure.kind === 'transient';
  }
}
