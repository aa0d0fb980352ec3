import { type Bar, priceUnits, type Quote, type TradePrint } from '../market-data.js';

/**
 * Alpaca's market data wire format (stream v2 and the REST snapshots), read into the port's types.
 * Pure: no sockets, no clock. Every JSON number is kept as the text the provider wrote, so prices
 * go through `priceUnits` exactly and sizes stay decimal strings.
 */

/** What one stream frame said, item by item. */
export type StreamMessage =
  | { readonly kind: 'trade'; readonly print: TradePrint }
  | { readonly kind: 'quote'; readonly quote: Quote }
  | { readonly kind: 'bar'; readonly bar: Bar }
  | { readonly kind: 'success'; readonly msg: string }
  | { readonly kind: 'subscription' }
  | { readonly kind: 'error'; readonly code: number; readonly msg: string }
  | { readonly kind: 'skipped'; readonly reason: string };

type Fields = Record<string, unknown>;

/**
 * The product names crypto pairs `BASE-QUOTE` (BTC-USD); Alpaca writes them `BTC/USD` and streams
 * them from their own endpoint. Stocks never carry a dash (Alpaca writes share classes as BRK.B).
 */
export function isCrypto(symbol: string): boolean {
  return symbol.includes('-');
}

export function alpacaSymbol(symbol: string): string {
  return symbol.replace('-', '/');
}

export function productSymbol(alpaca: string): string {
  return alpaca.replace('/', '-');
}

/**
 * JSON.parse, numbers as their source text. Node 24's reviver gets the number's original text in
 * `context.source`; going through the double instead would turn 187.35494999999999999999 into
 * 187.35495 and round it the other way.
 */
export function parseExact(text: string): unknown {
  return JSON.parse(text, (_key: string, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && context?.source !== undefined ? context.source : value,
  );
}

/** One stream frame (a JSON array of messages); a frame that is not one becomes a single skip. */
export function readFrame(text: string): StreamMessage[] {
  let parsed: unknown;
  try {
    parsed = parseExact(text);
  } catch {
    return [{ kind: 'skipped', reason: 'malformed frame: not JSON' }];
  }
  if (!Array.isArray(parsed)) return [{ kind: 'skipped', reason: 'malformed frame: not an array of messages' }];
  return parsed.map(readMessage);
}

function readMessage(item: unknown): StreamMessage {
  if (!isFields(item) || typeof item.T !== 'string') return { kind: 'skipped', reason: 'malformed message: no type' };
  switch (item.T) {
    case 't':
    case 'q':
    case 'b': {
      if (typeof item.S !== 'string' || item.S === '') return { kind: 'skipped', reason: `malformed message: ${item.T} without a symbol` };
      return readData(item.T, productSymbol(item.S), item);
    }
    case 'success':
      return { kind: 'success', msg: String(item.msg ?? '') };
    case 'subscription':
      return { kind: 'subscription' };
    case 'error':
      return { kind: 'error', code: Number(item.code), msg: String(item.msg ?? '') };
    default:
      return { kind: 'skipped', reason: `unknown message type ${JSON.stringify(item.T).slice(0, 40)}` };
  }
}

/** A trade, quote or bar of `symbol` (the product's name), or why it cannot be used. */
export function readData(type: 't' | 'q' | 'b', symbol: string, f: Fields): StreamMessage {
  const time = readTime(f.t);
  if (time === null) return { kind: 'skipped', reason: `${symbol}: bad timestamp` };
  if (type === 't') {
    const price = readPrice(f.p);
    if (price === null || !isDecimal(f.s)) return { kind: 'skipped', reason: `${symbol}: bad trade price or size` };
    return { kind: 'trade', print: { symbol, price, size: f.s, time } };
  }
  if (type === 'q') {
    const bid = readSide(f.bp);
    const ask = readSide(f.ap);
    if (bid === undefined || ask === undefined) return { kind: 'skipped', reason: `${symbol}: bad quote price` };
    return { kind: 'quote', quote: { symbol, bid, ask, time } };
  }
  const [open, high, low, close] = [f.o, f.h, f.l, f.c].map(readPrice);
  if (open == null || high == null || low == null || close == null || !isDecimal(f.v)) {
    return { kind: 'skipped', reason: `${symbol}: bad bar price or volume` };
  }
  return { kind: 'bar', bar: { symbol, time, open, high, low, close, volume: f.v } };
}

/**
 * The first prices from a snapshots answer: its latest trade and latest quote per symbol. Stocks
 * answer `{ "AAPL": {...} }`, crypto `{ "snapshots": { "BTC/USD": {...} } }`.
 */
export function readSnapshots(text: string, crypto: boolean): StreamMessage[] {
  let parsed: unknown;
  try {
    parsed = parseExact(text);
  } catch {
    return [{ kind: 'skipped', reason: 'snapshots: not JSON' }];
  }
  const bySymbol = crypto && isFields(parsed) ? parsed.snapshots : parsed;
  if (!isFields(bySymbol)) return [{ kind: 'skipped', reason: 'snapshots: unexpected shape' }];
  const out: StreamMessage[] = [];
  for (const [alpaca, snapshot] of Object.entries(bySymbol)) {
    if (!isFields(snapshot)) continue;
    const symbol = productSymbol(alpaca);
    if (isFields(snapshot.latestTrade)) out.push(readData('t', symbol, snapshot.latestTrade));
    if (isFields(snapshot.latestQuote)) out.push(readData('q', symbol, snapshot.latestQuote));
  }
  return out;
}

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDecimal(value: unknown): value is string {
  return typeof value === 'string' && /^\d+(\.\d+)?$/.test(value);
}

function readPrice(value: unknown): number | null {
  return typeof value === 'string' ? priceUnits(value) : null;
}

/** A quote side: null when empty (Alpaca sends 0 for "no active bid/ask"), undefined when unreadable. */
function readSide(value: unknown): number | null | undefined {
  if (value === undefined || (typeof value === 'string' && /^0(\.0*)?$/.test(value))) return null;
  return readPrice(value) ?? undefined;
}

/** RFC 3339 with up to nanoseconds; Date keeps the milliseconds. */
function readTime(value: unknown): Date | null {
  if (typeof value !== 'string' || !/^\d{4}-\d\d-\d\dT/.test(value)) return null;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? null : time;
}
