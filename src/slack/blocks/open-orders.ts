import type { Order } from '../oms-types.js';
import { cancelButton } from './cancel-button.js';
import { describeOrder, describeStatus, escapeMrkdwn } from './format.js';
import { type Block, type MessageContent, mrkdwn, plain } from './message.js';

/** Slack allows 50 blocks per message; a header, a context line and 45 orders fit. */
export const MAX_LISTED_ORDERS = 45;

/** One line per open order with its Cancel button; shared by `/orders` and App Home. */
export function openOrderBlocks(orders: readonly Order[]): Block[] {
  return orders.slice(0, MAX_LISTED_ORDERS).map((o) => ({
    type: 'section',
    block_id: `open_order_${o.id}`,
    text: mrkdwn(`*${describeOrder(o)}*\n\`${o.id}\` · ${escapeMrkdwn(o.portfolio_name)} · ${describeStatus(o)}`),
    accessory: cancelButton(o.id),
  }));
}

/** `/orders`: the open orders of a portfolio, newest first as the OMS lists them. */
export function buildOpenOrders(orders: readonly Order[], portfolio: string, more = false): MessageContent {
  const title = `Open orders: ${portfolio}`.slice(0, 150);
  if (orders.length === 0) {
    return {
      text: `No open orders in ${portfolio}.`,
      blocks: [{ type: 'header', text: plain(title) }, { type: 'context', elements: [mrkdwn('No open orders.')] }],
    };
  }
  const hidden = more || orders.length > MAX_LISTED_ORDERS;
  return {
    text: `${orders.length}${hidden ? '+' : ''} open orders in ${portfolio}`,
    blocks: [
      { type: 'header', text: plain(title) },
      ...openOrderBlocks(orders),
      ...(hidden ? [{ type: 'context' as const, elements: [mrkdwn(`Showing the newest ${Math.min(orders.length, MAX_LISTED_ORDERS)}.`)] }] : []),
    ],
  };
}
