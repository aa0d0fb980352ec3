/**
 * Market data as a port: a source streams, per symbol, trades and top-of-book quotes (and bars where
 * it has them) into a sink, and says how its link to the provider is. Prices are integer units of
 * 0.0001 (the OMS's price units), read exactly from the provider's text, never through a double.
 */

/** The state of a source's link, for /health (`market_data`) and the log (once per change). */
export type FeedState =
  | 'ok'
  | 'connecting'
  /** The provider refused the credentials: retried slowly, logged once. */
  | 'invalid_auth'
  /** The provider refused another connection for this account. */
  | 'connection_limit'
  /** Connected, but nothing arrived for longer than the stale limit. */
  | 'stale'
  /** A replay that reached the end of its file. */
  | 'ended';

export interface TradePrint {
  readonly symbol: string;
  /** Units of 0.0001. */
  readonly price: number;
  /** Shares or coins as the provider sent them (a decimal string: crypto sizes are fractional). */
  readonly size: string;
  readonly time: Date;
}

export interface Quote {
  readonly symbol: string;
  /** Units of 0.0001; null when that side is empty. */
  readonly bid: number | null;
  readonly ask: number | null;
  readonly time: Date;
}

export interface Bar {
  readonly symbol: string;
  /** The bar's start. */
  readonly time: Date;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: string;
}

/** Where a source delivers. Calls are synchronous and cheap; the sink batches the desk's work. */
export interface MarketDataSink {
  trade(print: TradePrint): void;
  quote(quote: Quote): void;
  bar(bar: Bar): void;
  /** The link changed state (each change once). */
  state(state: FeedState, detail?: string): void;
  /** A frame that could not be read or is of no known kind: counted and skipped, never fatal. */
  skipped(reason: string): void;
}

export interface MarketDataSource {
  /** `simulator`, `replay`, `alpaca`, `coinbase`: shown per instrument as its source. */
  readonly name: string;
  /** Connects (or opens the file) and keeps streaming `symbols` into the sink, reconnecting by itself. */
  start(symbols: readonly string[], sink: MarketDataSink): Promise<void>;
  stop(): Promise<void>;
}

const DECIMAL_TEXT = /^(\d{1,15})(?:\.(\d+))?$/;

/**
 * A provider's price text ("43210.125", "0.00001234", "175") as units of 0.0001, rounded half up at
 * the fourth decimal by string arithmetic (exact); null for anything that is not a positive decimal.
 */
export function priceUnits(text: string): number | null {
  const m = DECIMAL_TEXT.exec(text.trim());
  if (!m) return null;
  const frac = m[2] ?? '';
  let units = Number(m[1]) * 10_000 + Number(frac.slice(0, 4).padEnd(4, '0'));
  if (frac.length > 4 && frac.charCodeAt(4) >= 53 /* '5' */) units += 1;
  return units > 0 && Number.isSafeInteger(units) ? units : null;
}

/**
 * Reconnect delays: exponential from `minMs` to `maxMs`, each drawn in the upper half of its step
 * (jitter), so many clients dropped at once do not come back at once.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + (random() * step) / 2);
}
