import type { BookSnapshot } from '../oms-types.js';
import { money, quantity } from './format.js';
import { type MessageContent, mrkdwn } from './message.js';

/** `/quote`: top of book, last trade and reference price. */
export function buildQuote(book: BookSnapshot): MessageContent {
  const bid = book.bids[0];
  const ask = book.asks[0];
  const side = (level: { price: string; quantity: number } | undefined) => (level ? `${money(level.price)} × ${quantity(level.quantity)}` : '—');
  return {
    text: `${book.symbol}: bid ${side(bid)}, ask ${side(ask)}, last ${money(book.last_price)}, reference ${money(book.reference_price)}`,
    blocks: [
      {
        type: 'section',
        block_id: 'quote',
        text: mrkdwn(`*${book.symbol}*`),
        fields: [
          mrkdwn(`*Bid*\n${side(bid)}`),
          mrkdwn(`*Ask*\n${side(ask)}`),
          mrkdwn(`*Last*\n${money(book.last_price)}`),
          mrkdwn(`*Reference*\n${money(book.reference_price)}`),
        ],
      },
    ],
  };
}
