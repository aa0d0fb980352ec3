import type { BookSnapshot, Instrument } from '../oms-types.js';
import { money, quantity } from './format.js';
import { type MessageContent, mrkdwn } from './message.js';

/** Where the prices come from, and whether they are current: `simulator · live · 24/7`. */
function provenance(instrument: Pick<Instrument, 'source' | 'market_status' | 'session'>): string {
  const status = instrument.market_status === 'live' ? 'live' : `*${instrument.market_status.toUpperCase()}*`;
  return `${instrument.source} · ${status} · ${instrument.session}`;
}

/** `/quote`: top of book, last trade and reference price, and where the prices come from. */
export function buildQuote(book: BookSnapshot, instrument: Pick<Instrument, 'source' | 'market_status' | 'session'> | null = null): MessageContent {
  const bid = book.bids[0];
  const ask = book.asks[0];
  const side = (level: { price: string; quantity: number } | undefined) => (level ? `${money(level.price)} × ${quantity(level.quantity)}` : '—');
  const from = instrument ? ` (${instrument.source}, ${instrument.market_status}, ${instrument.session})` : '';
  return {
    text: `${book.symbol}: bid ${side(bid)}, ask ${side(ask)}, last ${money(book.last_price)}, reference ${money(book.reference_price)}${from}`,
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
      ...(instrument ? [{ type: 'context' as const, block_id: 'quote-source', elements: [mrkdwn(`Prices: ${provenance(instrument)}`)] }] : []),
    ],
  };
}
