import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { CANCEL_ORDER_ACTION } from '../../blocks/cancel-button.js';
import type { SlackDeps } from '../../deps.js';
import { cancelOrderAction } from './cancel-order.js';
import { APPROVE_ORDER_ACTION, REJECT_ORDER_ACTION } from '../../blocks/approval-buttons.js';
import { decideOrderAction } from './decide-order.js';

export function register(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>(CANCEL_ORDER_ACTION, cancelOrderAction(deps));
  app.action<BlockAction<ButtonAction>>(APPROVE_ORDER_ACTION, decideOrderAction(deps, 'approve'));
  app.action<BlockAction<ButtonAction>>(REJECT_ORDER_ACTION, decideOrderAction(deps, 'reject'));
}
