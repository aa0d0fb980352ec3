import type { Queryable } from './db.js';

/**
 * slack_fill_notices: one row per (trade, order) to announce. The row is written before posting and
 * its primary key is the dedupe guard: a fill seen twice (by the placer and by the notifier, or again
 * after a restart) is recorded once and posted once. `posted_at` is set when Slack accepted the reply.
 */
export interface FillNotice {
  readonly tradeId: string;
  readonly orderId: string;
}

export interface PendingNotice extends FillNotice {
  readonly channelId: string;
  readonly messageTs: string;
}

export async function recordFillNotices(db: Queryable, notices: readonly FillNotice[]): Promise<void> {
  if (notices.length === 0) return;
  await db.query(
    `INSERT INTO slack_fill_notices (trade_id, order_id)
     SELECT * FROM unnest($1::bigint[], $2::bigint[]) ON CONFLICT DO NOTHING`,
    [notices.map((n) => n.tradeId), notices.map((n) => n.orderId)],
  );
}

/** Unposted notices whose confirmation exists (a thread needs its parent), oldest trade first. */
/** `team` set: only the notices of orders placed from that workspace (installs in many workspaces). */
export async function pendingFillNotices(db: Queryable, limit: number, team?: string): Promise<PendingNotice[]> {
  const { rows } = await db.query<{ trade_id: string; order_id: string; channel_id: string; message_ts: string }>(
    `SELECT n.trade_id, n.order_id, m.channel_id, m.message_ts
       FROM slack_fill_notices n JOIN slack_order_messages m ON m.order_id = n.order_id
      WHERE n.posted_at IS NULL AND m.message_ts IS NOT NULL AND ($2::text IS NULL OR m.team_id = $2)
      ORDER BY n.trade_id, n.order_id
      LIMIT $1`,
    [limit, team ?? null],
  );
  return rows.map((r) => ({ tradeId: r.trade_id, orderId: r.order_id, channelId: r.channel_id, messageTs: r.message_ts }));
}

export async function markFillPosted(db: Queryable, notice: FillNotice): Promise<void> {
  await db.query('UPDATE slack_fill_notices SET posted_at = now() WHERE trade_id = $1 AND order_id = $2', [notice.tradeId, notice.orderId]);
}
