import type { Trade } from '../oms-types.js';
import { money, quantity } from './format.js';
import { type MessageContent, mrkdwn } from './message.js';

/** Slack renders `<!date^epoch^format|fallback>` in each reader's own time zone. */
function slackDate(iso: string): string {
  const epoch = Math.floor(Date.parse(iso) / 1000);
  return Number.isFinite(epoch) ? `<!date^${epoch}^{date_short} {time_secs}|${iso}>` : iso;
}

/** The thread reply for one fill of one order (an order can be on either side of the trade). */
export function buildFillReply(trade: Trade, orderId: string): MessageContent {
  const side = trade.buy_order_id === orderId ? 'Bought' : 'Sold';
  const line = `${side} ${quantity(trade.quantity)} ${trade.symbol} @ ${money(trade.price)}`;
  return {
    text: `Fill: ${line} (GMV ${money(trade.gmv)}, trade ${trade.trade_id})`,
    blocks: [
      { type: 'section', text: mrkdwn(`:white_check_mark: *${line}*  ·  GMV ${money(trade.gmv)}`) },
      { type: 'context', elements: [mrkdwn(`Trade \`${trade.trade_id}\` · order \`${orderId}\` · ${slackDate(trade.executed_at)}`)] },
    ],
  };
}
