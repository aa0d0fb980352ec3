import type { webApi } from '@slack/bolt';
import { buildOrderConfirmation } from '../blocks/order-confirmation.js';
import type { SlackDeps } from '../deps.js';
import type { Order } from '../oms-types.js';
import { findOrderMessage } from '../store/order-messages.js';

/** Re-renders an order's in-channel confirmation (after a cancel); a no-op for orders not placed from Slack. */
export async function refreshConfirmation(deps: SlackDeps, client: webApi.WebClient, order: Order): Promise<void> {
  try {
    const message = await findOrderMessage(deps.db, order.id);
    if (!message?.messageTs) return;
    await client.chat.update({ channel: message.channelId, ts: message.messageTs, ...buildOrderConfirmation(order) });
  } catch (e) {
    // Cosmetic: the action itself succeeded; the next fill notice updates the message again.
    deps.logger.warn({ err: e, orderId: order.id }, 'confirmation not refreshed');
  }
}
