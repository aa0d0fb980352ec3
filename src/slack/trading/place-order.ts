import { createHash } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import { withNote } from '../blocks/error-reply.js';
import { buildOrderConfirmation } from '../blocks/order-confirmation.js';
import type { OrderIntent } from '../commands/trade-grammar.js';
import type { SlackDeps } from '../deps.js';
import { OmsClientError } from '../oms-client.js';
import { OPEN_STATUSES, PENDING_APPROVAL, type Order, type OrderFill } from '../oms-types.js';
import type { Queryable } from '../store/db.js';
import { recordFillNotices } from '../store/fill-notices.js';
import { findOrderMessage, rememberOrderMessage } from '../store/order-messages.js';
import { postConfirmation } from './post-confirmation.js';

/** Who placed the order and where, from the Slack request. */
export interface SlackRequester {
  readonly team: string;
  readonly channel: string;
  readonly user: string;
  /**
   * Identifies the Slack request (a slash command's trigger_id, a modal's view id). A redelivery of
   * the same request carries the same key, hence the same client_order_id, and the OMS answers with
   * the original order instead of placing a second one.
   */
  readonly requestKey: string;
}

export interface Placement {
  readonly order: Order;
  /** posted: confirmation in the channel; pending: Slack refused for now, the fill notifier retries;
   *  direct: the channel refused it for good (e.g. the bot is not in it), so it went to the user's
   *  direct messages, where the fills follow; failed: refused there too; replayed: a repeat. */
  readonly confirmation: 'posted' | 'pending' | 'direct' | 'failed' | 'replayed';
  readonly slackError?: string;
}

export const slackUserId = (team: string, user: string): string => `slack:${team}:${user}`;

export function clientOrderId(requestKey: string): string {
  return `slack-${createHash('sha256').update(requestKey).digest('hex').slice(0, 40)}`;
}

/**
 * Places an order for a Slack user and confirms it in the channel. The order of the steps is what
 * makes fills reliable:
 * 1. the OMS places the order (idempotent by client_order_id);
 * 2. the confirmation is posted; if Slack refuses, the row is kept with no ts and the notifier posts it;
 * 3. the (order -> channel, ts) row is stored: from now on the fill notifier threads this order's fills;
 * 4. fills made before the row existed are recorded here from the order itself, because the notifier
 *    may have read those trades before it could know the order was ours.
 */
export async function placeFromSlack(
  deps: SlackDeps,
  client: webApi.WebClient,
  intent: OrderIntent,
  portfolio: string,
  who: SlackRequester,
): Promise<Placement> {
  const key = clientOrderId(who.requestKey);
  // Two deliveries of one request can run side by side; the first one here owns the confirmation.
  const owner = !deps.placing.has(key);
  if (owner) deps.placing.add(key);
  try {
    const { order, replayed } = await deps.oms.as(who).placeOrder({
      symbol: intent.symbol,
      side: intent.side,
      type: intent.type,
      quantity: intent.quantity,
      ...(intent.limitPrice !== undefined ? { limit_price: intent.limitPrice } : {}),
      ...(intent.stopPrice !== undefined ? { stop_price: intent.stopPrice } : {}),
      ...(intent.timeInForce !== undefined ? { time_in_force: intent.timeInForce } : {}),
      portfolio_name: portfolio,
      client_order_id: key,
      user_id: slackUserId(who.team, who.user),
      origin: { slack: { team: who.team, channel: who.channel, user: who.user } },
    });

    // A refused order is the author's business, not the channel's: it comes back as an error reply.
    if (order.status === 'REJECTED') throw new OmsClientError(order.reason ?? 'REJECTED', `order ${order.id} was rejected`);
    // A repeat confirms nothing, unless the original delivery died before confirming (no row, not running).
    if (replayed && (!owner || (await findOrderMessage(deps.db, order.id)))) return { order, confirmation: 'replayed' };

    const confirmation = buildOrderConfirmation(order);
    const posted = await postConfirmation(deps, client, who.channel, confirmation);
    let outcome: Placement['confirmation'] = posted.outcome;
    let where = { channel: who.channel, ts: posted.ts };
    if (posted.outcome === 'failed' && who.user !== who.channel) {
      // A resting order may fill hours later: its fills need a place to go, so the user's DM it is.
      const note = `I could not post in <#${who.channel}> (${posted.slackError ?? 'unknown error'}), so this order's confirmation and fills come here.`;
      const direct = await postConfirmation(deps, client, who.user, withNote(confirmation, note));
      if (direct.outcome === 'posted') {
        outcome = 'direct';
        where = { channel: direct.channel ?? who.user, ts: direct.ts };
      }
    }
    if (outcome !== 'failed') {
      // Before the row exists, so that no fill after it can reach the feed unnoticed.
      if (order.status === PENDING_APPROVAL) deps.awaitingApproval.add(order.id);
      if (OPEN_STATUSES.has(order.status) || order.status === PENDING_APPROVAL) deps.watchFills(order.portfolio_name);
      await rememberOrderMessage(deps.db, { orderId: order.id, channelId: where.channel, messageTs: where.ts ?? null, teamId: deps.workspaceTeam() });
      const early = await recordEarlyFills(deps, deps.db, order);
      // Something for the notifier to post now: early fills, or the confirmation Slack refused. A
      // resting order's later fills wake it through the feed (or its poll).
      if (early > 0 || outcome === 'pending') deps.wakeFillNotifier();
    }
    return { order, confirmation: outcome, ...(posted.slackError ? { slackError: posted.slackError } : {}) };
  } finally {
    if (owner) deps.placing.delete(key);
  }
}

/**
 * Step 4 above. A finished order can get no more fills, so the ones in the placement answer are all
 * of them; an open one may have traded since, so its fills are read again now that the row exists.
 */
async function recordEarlyFills(deps: SlackDeps, db: Queryable, order: Order): Promise<number> {
  let fills: readonly OrderFill[] = order.fills ?? [];
  if (OPEN_STATUSES.has(order.status)) {
    try {
      fills = (await deps.oms.getOrder(order.id)).fills ?? fills;
    } catch (e) {
      deps.logger.warn({ orderId: order.id, err: e }, 'could not re-read the order; relying on its placement fills');
    }
  }
  await recordFillNotices(db, fills.map((f) => ({ tradeId: f.trade_id, orderId: order.id })));
  return fills.length;
}
