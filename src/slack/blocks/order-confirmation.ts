import { OPEN_STATUSES, type Order } from '../oms-types.js';
import { cancelButton } from './cancel-button.js';
import { describeOrder, describeStatus, escapeMrkdwn } from './format.js';
import { type MessageContent, mrkdwn } from './message.js';

/** "slack:T1:U1" -> "U1": orders placed from Slack carry their Slack user in the OMS user id. */
export function slackUserOf(userId: string | null): string | undefined {
  const m = /^slack:[^:]+:([^:]+)$/.exec(userId ?? '');
  return m?.[1];
}

/**
 * The in-channel confirmation of an order placed from Slack. The fill notifier rebuilds it with the
 * order's newer state and chat.update's it, so it must depend on the order alone.
 */
export function buildOrderConfirmation(order: Order): MessageContent {
  const user = slackUserOf(order.user_id);
  const status = describeStatus(order);
  const by = user ? ` · by <@${user}>` : '';
  const open = OPEN_STATUSES.has(order.status);
  return {
    text: `${describeOrder(order)} in ${order.portfolio_name}: ${status} (order ${order.id})`,
    blocks: [
      {
        type: 'section',
        block_id: `confirmation_${order.id}`,
        text: mrkdwn(`*${describeOrder(order)}*\nPortfolio *${escapeMrkdwn(order.portfolio_name)}*${by}`),
        ...(open ? { accessory: cancelButton(order.id) } : {}),
      },
      { type: 'context', elements: [mrkdwn(`Order \`${order.id}\` · *${status}*`)] },
    ],
  };
}
