/**
 * The Coinbase Exchange public feed's JSON (wss://ws-feed.exchange.coinbase.com), read into what the
 * source acts on. Pure: no socket here, so every frame the provider may send is readable in a test.
 *
 * Frames read: `subscriptions` (the ack of our subscribe), `error`, `ticker` (best bid/ask),
 * `match` and `last_match` (trades; `last_match` is the product's latest trade, sent after each
 * subscribe) and `heartbeat` (alive, nothing to deliver). Everything else is skipped.
 */
import { priceUnits, type Quote, type TradePrint } from '../market-data.js';

/** `heartbeat` keeps a quiet product's link busy, so a silent socket means a dead one. */
export const COINBASE_CHANNELS = ['ticker', 'matches', 'heartbeat'] as const;

export type CoinbaseEvent =
  | { readonly kind: 'subscribed' }
  | { readonly kind: 'error'; readonly detail: string; readonly connectionLimit: boolean }
  | { readonly kind: 'trade'; readonly print: TradePrint; readonly sequence: number | null }
  | { readonly kind: 'quote'; readonly quote: Quote; readonly sequence: number | null }
  | { readonly kind: 'alive' }
  | { readonly kind: 'skipped'; readonly reason: string };

export function subscribeMessage(products: readonly string[]): string {
  return JSON.stringify({ type: 'subscribe', product_ids: products, channels: COINBASE_CHANNELS });
}

/** The provider's wording for its limits ("too many connections", "rate limit exceeded", ...). */
const LIMIT_WORDING = /too many|rate.?limit|connection.?limit/i;

const SIZE_TEXT = /^\d+(?:\.\d+)?$/;

type Fields = Record<string, unknown>;

export function readFrame(text: string, products: ReadonlySet<string>): CoinbaseEvent {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return skip('malformed JSON');
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return skip('not a JSON object');
  const m = msg as Fields;
  switch (m.type) {
    case 'subscriptions':
      return { kind: 'subscribed' };
    case 'error': {
      const detail = [m.message, m.reason].filter((s) => typeof s === 'string' && s !== '').join(': ') || 'error';
      return { kind: 'error', detail, connectionLimit: LIMIT_WORDING.test(detail) };
    }
    case 'heartbeat':
      return { kind: 'alive' };
    case 'ticker':
    case 'match':
    case 'last_match':
      return readMarketData(m, products);
    default:
      return skip(`unknown message type ${JSON.stringify(m.type)}`);
  }
}

function readMarketData(m: Fields, products: ReadonlySet<string>): CoinbaseEvent {
  const symbol = m.product_id;
  if (typeof symbol !== 'string' || !products.has(symbol)) return skip(`${m.type} for a product not subscribed: ${JSON.stringify(symbol)}`);
  const time = typeof m.time === 'string' ? new Date(m.time) : null;
  if (!time || Number.isNaN(time.getTime())) return skip(`${m.type} ${symbol}: bad time ${JSON.stringify(m.time)}`);
  // Sequence numbers are per product; a frame without one cannot be ordered and is taken as it comes.
  const sequence = typeof m.sequence === 'number' && Number.isSafeInteger(m.sequence) ? m.sequence : null;

  if (m.type === 'ticker') {
    const bid = sidePrice(m.best_bid);
    const ask = sidePrice(m.best_ask);
    if (bid === undefined || ask === undefined) return skip(`ticker ${symbol}: bad best bid/ask ${JSON.stringify([m.best_bid, m.best_ask])}`);
    return { kind: 'quote', quote: { symbol, bid, ask, time }, sequence };
  }

  const price = typeof m.price === 'string' ? priceUnits(m.price) : null;
  if (price === null) return skip(`${m.type} ${symbol}: bad price ${JSON.stringify(m.price)}`);
  if (typeof m.size !== 'string' || !SIZE_TEXT.test(m.size)) return skip(`${m.type} ${symbol}: bad size ${JSON.stringify(m.size)}`);
  return { kind: 'trade', print: { symbol, price, size: m.size, time }, sequence };
}

/** A book side: null when the provider has none (absent, null or ""), undefined when unreadable. */
function sidePrice(value: unknown): number | null | undefined {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') return undefined;
  return priceUnits(value) ?? undefined;
}

function skip(reason: string): CoinbaseEvent {
  return { kind: 'skipped', reason };
}
