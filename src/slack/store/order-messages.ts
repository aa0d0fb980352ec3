import type { Queryable } from './db.js';

/**
 * slack_order_messages: where each order placed from Slack was confirmed. `message_ts` is null while
 * the confirmation is not posted yet (Slack refused or was unreachable); the fill notifier posts it.
 */
export interface OrderMessage {
  readonly orderId: string;
  readonly channelId: string;
  readonly messageTs: string | null;
  /** The workspace it came from, when the app is installed in many. */
  readonly teamId?: string;
}

interface Row {
  order_id: string;
  channel_id: string;
  message_ts: string | null;
}
const toMessage = (r: Row): OrderMessage => ({ orderId: r.order_id, channelId: r.channel_id, messageTs: r.message_ts });

/** Returns false when the order was already remembered (a repeated delivery of the same command). */
export async function rememberOrderMessage(db: Queryable, m: OrderMessage): Promise<boolean> {
  const { rowCount } = await db.query(
    'INSERT INTO slack_order_messages (order_id, channel_id, message_ts, team_id) VALUES ($1, $2, $3, $4) ON CONFLICT (order_id) DO NOTHING',
    [m.orderId, m.channelId, m.messageTs, m.teamId ?? null],
  );
  return rowCount === 1;
}

export async function findOrderMessage(db: Queryable, orderId: string): Promise<OrderMessage | undefined> {
  const { rows } = await db.query<Row>('SELECT order_id, channel_id, message_ts FROM slack_order_messages WHERE order_id = $1', [orderId]);
  return rows[0] ? toMessage(rows[0]) : undefined;
}

/** Which of these order ids were placed from Slack. */
export async function slackOrderIdsAmong(db: Queryable, orderIds: readonly string[]): Promise<Set<string>> {
  if (orderIds.length === 0) return new Set();
  const { rows } = await db.query<{ order_id: string }>('SELECT order_id FROM slack_order_messages WHERE order_id = ANY($1::bigint[])', [
    orderIds,
  ]);
  return new Set(rows.map((r) => r.order_id));
}

export async function allOrderIds(db: Queryable, team?: string): Promise<string[]> {
  const { rows } = await db.query<{ order_id: string }>(
    'SELECT order_id FROM slack_order_messages WHERE ($1::text IS NULL OR team_id = $1) ORDER BY order_id',
    [team ?? null],
  );
  return rows.map((r) => r.order_id);
}

export async function unconfirmedOrders(db: Queryable, limit: number, team?: string): Promise<OrderMessage[]> {
  const { rows } = await db.query<Row>(
    'SELECT order_id, channel_id, message_ts FROM slack_order_messages WHERE message_ts IS NULL AND ($2::text IS NULL OR team_id = $2) ORDER BY order_id LIMIT $1',
    [limit, team ?? null],
  );
  return rows.map(toMessage);
}

export async function setConfirmationTs(db: Queryable, orderId: string, ts: string): Promise<void> {
  await db.query('UPDATE slack_order_messages SET message_ts = $2 WHERE order_id = $1', [orderId, ts]);
}

/** Stops following an order whose confirmation Slack will never accept (channel gone, bot removed). */
export async function forgetOrder(db: Queryable, orderId: string): Promise<void> {
  await db.query('DELETE FROM slack_fill_notices WHERE order_id = $1', [orderId]);
  await db.query('DELETE FROM slack_order_messages WHERE order_id = $1', [orderId]);
}
