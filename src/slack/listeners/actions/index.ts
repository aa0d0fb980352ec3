import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { CANCEL_ORDER_ACTION } from '../../blocks/cancel-button.js';
import type { SlackDeps } from '../../deps.js';
import { cancelOrderAction } from './cancel-order.js';

export function register(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>(CANCEL_ORDER_ACTION, cancelOrderAction(deps));
}
