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

/**
 * A provider's price text ("43210.125", "0.00001234", "175") as units of 0.0001, rounded half up at
 * the fourth decimal (exact: digit by digit, never through a float); null for anything that is not a
 * positive decimal (1 to 15 digits, then optionally a point and at least one digit). Read character
 * by character: a replay parses three of these per line, a million lines a run.
 */
export function priceUnits(input: string): number | null {
  const text = isDigit(input.charCodeAt(0)) && isDigit(input.charCodeAt(input.length - 1)) ? input : input.trim();
  const end = text.length;
  let whole = 0;
  let i = 0;
  for (; i < end && isDigit(text.charCodeAt(i)); i++) whole = whole * 10 + (text.charCodeAt(i) - 48);
  if (i < 1 || i > 15) return null;
  let frac = 0;
  let fracDigits = 0;
  let roundUp = 0;
  if (i < end) {
    if (text.charCodeAt(i) !== 46 /* '.' */) return null;
    for (i++; i < end; i++, fracDigits++) {
      const c = text.charCodeAt(i);
      if (!isDigit(c)) return null;
      if (fracDigits < 4) frac = frac * 10 + (c - 48);
      else if (fracDigits === 4 && c >= 53 /* '5' */) roundUp = 1;
    }
    if (fracDigits === 0) return null;
  }
  for (let k = Math.min(fracDigits, 4); k < 4; k++) frac *= 10;
  const units = whole * 10_000 + frac + roundUp;
  return units > 0 && Number.isSafeInteger(units) ? units : null;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * Reconnect delays: exponential from `minMs` to `maxMs`, each drawn in the upper half of its step
 * (jitter), so many clients dropped at once do not come back at once.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + (random() * step) / 2);
}
