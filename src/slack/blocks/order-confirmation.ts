import { OPEN_STATUSES, PENDING_APPROVAL, type Order } from '../oms-types.js';
import { approvalButtons } from './approval-buttons.js';
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
 * order's newer state and chat.update's it, so it must depend on the order alone (and `decision`, a
 * line an approval button adds: "Approved by @someone"). An order awaiting approval is also its
 * approval request: Approve and Reject buttons for the channel's approvers.
 */
export function buildOrderConfirmation(order: Order, decision?: string): MessageContent {
  const user = slackUserOf(order.user_id);
  const status = describeStatus(order);
  const by = user ? ` · by <@${user}>` : '';
  const pending = order.status === PENDING_APPROVAL;
  const open = OPEN_STATUSES.has(order.status) || pending;
  const context = `Order \`${order.id}\` · *${status}*${pending ? ' · above the portfolio\'s approval threshold: another approver decides' : ''}${decision ? ` · ${decision}` : ''}`;
  return {
    text: `${describeOrder(order)} in ${order.portfolio_name}: ${status} (order ${order.id})`,
    blocks: [
      {
        type: 'section',
        block_id: `confirmation_${order.id}`,
        text: mrkdwn(`*${describeOrder(order)}*\nPortfolio *${escapeMrkdwn(order.portfolio_name)}*${by}`),
        ...(open ? { accessory: cancelButton(order.id) } : {}),
      },
      { type: 'context', elements: [mrkdwn(context)] },
      ...(pending ? [approvalButtons(order.id)] : []),
    ],
  };
}
