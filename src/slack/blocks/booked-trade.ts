import type { Trade } from '../oms-types.js';
import { escapeMrkdwn, money, quantity } from './format.js';
import { type MessageContent, mrkdwn } from './message.js';

/**
 * The confirmation of a `gmv` trade. It is booked at once, off the book and with no order behind it,
 * so this one message is both the confirmation and the fill: nothing is threaded under it.
 */
export function buildBookedTrade(trade: Trade, portfolio: string, user?: string): MessageContent {
  const side = trade.buy_portfolio === portfolio ? 'BUY' : 'SELL';
  const line = `${side} ${quantity(trade.quantity)} ${trade.symbol} @ ${money(trade.price)}`;
  return {
    text: `Booked: ${line} in ${portfolio} (GMV ${money(trade.gmv)}, trade ${trade.trade_id})`,
    blocks: [
      {
        type: 'section',
        block_id: `booked_${trade.trade_id}`,
        text: mrkdwn(`:white_check_mark: *Booked ${line}*\nPortfolio *${escapeMrkdwn(portfolio)}*${user ? ` · by <@${user}>` : ''}`),
      },
      { type: 'context', elements: [mrkdwn(`Trade \`${trade.trade_id}\` · GMV ${money(trade.gmv)} · at gmv ÷ quantity`)] },
    ],
  };
}
