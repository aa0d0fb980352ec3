import type { webApi } from '@slack/bolt';
import { buildBookedTrade } from '../blocks/booked-trade.js';
import type { MessageContent } from '../blocks/message.js';
import type { GmvIntent } from '../commands/trade-grammar.js';
import type { SlackDeps } from '../deps.js';
import { OmsClientError } from '../oms-client.js';
import type { Trade } from '../oms-types.js';
import { clientOrderId, type SlackRequester, slackUserId } from './place-order.js';
import { postConfirmation } from './post-confirmation.js';

export interface Booking {
  readonly trade: Trade;
  readonly message: MessageContent;
  /** replayed: a repeat of a request already booked (and confirmed by its first delivery). */
  readonly confirmation: 'posted' | 'pending' | 'failed' | 'replayed';
  readonly slackError?: string;
}

/**
 * `gmv` trades: booked at once through POST /trade, with no order, so there is nothing to follow.
 * The request's client_order_id comes from the Slack request, so a redelivery books nothing more.
 */
export async function bookFromSlack(deps: SlackDeps, client: webApi.WebClient, intent: GmvIntent, portfolio: string, who: SlackRequester): Promise<Booking> {
  const { result, replayed } = await deps.oms.as(who).trade({
    symbol: intent.symbol,
    side: intent.side,
    quantity: intent.quantity,
    portfolio_name: portfolio,
    user_id: slackUserId(who.team, who.user),
    gmv: intent.gmv,
    client_order_id: clientOrderId(who.requestKey),
  });
  if (!result.success || !result.trade) throw new OmsClientError('TRADE_NOT_DONE', result.message || 'the trade was not done');
  const message = buildBookedTrade(result.trade, portfolio, who.user);
  if (replayed) return { trade: result.trade, message, confirmation: 'replayed' };
  const posted = await postConfirmation(deps, client, who.channel, message);
  return { trade: result.trade, message, confirmation: posted.outcome, ...(posted.slackError ? { slackError: posted.slackError } : {}) };
}
