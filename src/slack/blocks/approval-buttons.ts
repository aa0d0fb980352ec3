import type { types } from '@slack/bolt';
import { plain } from './message.js';

/**
 * The buttons of an approval request (an order above its portfolio's approval threshold): one action
 * id each, the order id as the value, so one handler serves every request.
 */
export const APPROVE_ORDER_ACTION = 'approve_order';
export const REJECT_ORDER_ACTION = 'reject_order';

export function approvalButtons(orderId: string): types.ActionsBlock {
  return {
    type: 'actions',
    block_id: `approval_${orderId}`,
    elements: [
      { type: 'button', action_id: APPROVE_ORDER_ACTION, value: orderId, style: 'primary', text: plain('Approve') },
      {
        type: 'button',
        action_id: REJECT_ORDER_ACTION,
        value: orderId,
        style: 'danger',
        text: plain('Reject'),
        confirm: {
          title: plain('Reject this order?'),
          text: plain(`Order ${orderId} will be rejected and will not trade.`),
          confirm: plain('Reject order'),
          deny: plain('Keep it waiting'),
        },
      },
    ],
  };
}
