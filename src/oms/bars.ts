/**
 * Bars (candles): one minute of one instrument as the market applied its prices, the port that
 * stores them and the one that tells their changes. Shared by the market (which builds them), the
 * database (which keeps them) and the feed (which shows them).
 */

export const MINUTE_MS = 60_000;
/** Sizes are kept in units of 1e-8: crypto sizes are fractional, and this is what the table stores. */
export const VOLUME_DECIMALS = 8;
const VOLUME_ONE = 10n ** BigInt(VOLUME_DECIMALS);

/** One minute of one instrument: prices in units of 0.0001, volume in units of 1e-8. */
export interface MinuteBar {
  readonly symbol: string;
  /** The start of the minute, epoch milliseconds. */
  readonly start: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: bigint;
}

/** Where finished and current bars go, in small batches. */
export interface BarStore {
  /**
   * Upserts the bars. `replace`: as given (a source's own bars). Otherwise merged with what the table
   * holds for the minute (first open kept, highest high, lowest low, this close, the larger volume),
   * so that rewriting a bar is harmless and a restart in the middle of a minute does not lose its
   * open or its extremes.
   */
  write(bars: readonly MinuteBar[], replace: boolean): Promise<void>;
}

/** The bars being built, as the feed follows them. */
export interface BarChanges {
  /** Called at each change of a bar (the minute being built, or a source's bar). */
  onChange(listener: (bar: MinuteBar) => void): void;
  /** The minute being built for the symbol (the latest), if any. */
  latest(symbol: string): MinuteBar | undefined;
}

/** The start of the minute holding the time, epoch milliseconds. */
export function minuteOf(time: Date): number {
  const ms = time.getTime();
  return ms - (((ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
}

const SIZE_TEXT = /^(\d{1,20})(?:\.(\d+))?$/;

/** A provider's size text ("100", "0.00123456789") in units of 1e-8, rounded half up; null if not a size. */
export function volumeUnits(text: string): bigint | null {
  const m = SIZE_TEXT.exec(text.trim());
  if (!m) return null;
  const frac = m[2] ?? '';
  let units = BigInt(m[1]) * VOLUME_ONE + BigInt(frac.slice(0, VOLUME_DECIMALS).padEnd(VOLUME_DECIMALS, '0'));
  if (frac.length > VOLUME_DECIMALS && frac.charCodeAt(VOLUME_DECIMALS) >= 53 /* '5' */) units += 1n;
  return units;
}

/** Volume units as a plain decimal string without trailing zeros: 15000000000n -> "150", 123000n -> "0.00123". */
export function formatVolume(units: bigint): string {
  const whole = units / VOLUME_ONE;
  const frac = (units % VOLUME_ONE).toString().padStart(VOLUME_DECIMALS, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}
