import type { types } from '@slack/bolt';
import { plain } from './message.js';

/**
 * One action id for every Cancel button (order lists, confirmations, App Home); the order id travels
 * as the button's value, so one handler serves them all.
 */
export const CANCEL_ORDER_ACTION = 'cancel_order';

export function cancelButton(orderId: string): types.Button {
  return {
    type: 'button',
    action_id: CANCEL_ORDER_ACTION,
    value: orderId,
    style: 'danger',
    text: plain('Cancel'),
    confirm: {
      title: plain('Cancel this order?'),
      text: plain(`Order ${orderId} will be canceled if it is still open.`),
      confirm: plain('Cancel order'),
      deny: plain('Keep it'),
    },
  };
}
