import type { App, ViewSubmitAction } from '@slack/bolt';
import { TRADE_TICKET_CALLBACK } from '../../blocks/trade-ticket.js';
import type { SlackDeps } from '../../deps.js';
import { tradeTicketSubmission } from './trade-ticket-submission.js';

export function register(app: App, deps: SlackDeps): void {
  app.view<ViewSubmitAction>(TRADE_TICKET_CALLBACK, tradeTicketSubmission(deps));
}
