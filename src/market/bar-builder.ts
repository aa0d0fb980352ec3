import type { Logger } from 'pino';
import type { Bar } from './market-data.js';
import { MINUTE_MS, minuteOf, volumeUnits, type BarChanges, type BarStore, type MinuteBar } from '../oms/bars.js';

export interface BarBuilderOptions {
  /** How often changed bars are written. */
  readonly flushMs?: number;
  /** The most bars one statement writes. */
  readonly batchSize?: number;
}

type Listener = (bar: MinuteBar) => void;

interface Dirty {
  bar: MinuteBar;
  replace: boolean;
}

/**
 * Builds one-minute bars from the reference price prints the market applies (a source's trades, the
 * simulator's prices) and takes a source's own bars as given. Bars are bucketed by the print's own
 * time (a replay's clock is its file's). Each symbol builds one minute at a time: a print older than
 * the minute being built is late and ignored (counted). A source that delivers its own bars sends
 * each with a trade at its close (a replayed bar file does): trades up to the end of the latest
 * given bar are in it already, not counted again. Changed bars are written in small batches
 * off the order path; listeners (the feed) hear every change at once.
 */
export class BarBuilder implements BarChanges {
  private readonly current = new Map<string, MinuteBar>();
  /** Bars changed since the last write, by symbol and minute: the latest state of each. */
  /** By symbol, then minute start (no string key to build at every print). */
  private dirty = new Map<string, Map<number, Dirty>>();
  private readonly listeners: Listener[] = [];
  /** Per symbol, the end of the latest bar a source gave: its trades up to then are in that bar already. */
  private readonly givenUntil = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  readonly counts = { prints: 0, given: 0, late: 0, covered: 0, written: 0, failedWrites: 0 };

  constructor(
    private readonly store: BarStore,
    private readonly logger: Logger,
    private readonly options: BarBuilderOptions = {},
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushMs ?? 1000);
    this.timer.unref();
  }

  /** Stops the timer and writes what is left. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** The minute being built for the symbol (the latest), if any. */
  latest(symbol: string): MinuteBar | undefined {
    return this.current.get(symbol);
  }

  /** A price the market applied; `size` as the source sent it ('0' for a simulated price). */
  print(symbol: string, price: number, size: string, time: Date): void {
    const start = minuteOf(time);
    const volume = volumeUnits(size) ?? 0n;
    const cur = this.current.get(symbol);
    if (time.getTime() <= (this.givenUntil.get(symbol) ?? -Infinity)) {
      this.counts.covered++;
      return;
    }
    if (cur && start < cur.start) {
      this.counts.late++;
      return;
    }
    this.counts.prints++;
    const bar: MinuteBar =
      cur && cur.start === start
        ? { symbol, start, open: cur.open, high: Math.max(cur.high, price), low: Math.min(cur.low, price), close: price, volume: cur.volume + volume }
        : { symbol, start, open: price, high: price, low: price, close: price, volume };
    this.current.set(symbol, bar);
    this.changed(bar, false);
  }

  /** A source's own bar, taken as given (it replaces whatever was built for that minute). */
  bar(given: Bar): void {
    const start = minuteOf(given.time);
    const bar: MinuteBar = {
      symbol: given.symbol,
      start,
      open: given.open,
      high: given.high,
      low: given.low,
      close: given.close,
      volume: volumeUnits(given.volume) ?? 0n,
    };
    this.counts.given++;
    this.givenUntil.set(given.symbol, Math.max(this.givenUntil.get(given.symbol) ?? -Infinity, start + MINUTE_MS));
    const cur = this.current.get(given.symbol);
    if (!cur || start >= cur.start) this.current.set(given.symbol, bar);
    this.changed(bar, true);
  }

  /** Writes every bar changed since the last write (one write at a time). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.dirty.size === 0) return;
    const taken = [...this.dirty.values()].flatMap((minutes) => [...minutes.values()]);
    this.dirty = new Map();
    this.flushing = this.write(taken).finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  private changed(bar: MinuteBar, replace: boolean): void {
    let minutes = this.dirty.get(bar.symbol);
    if (!minutes) this.dirty.set(bar.symbol, (minutes = new Map()));
    const before = minutes.get(bar.start);
    // A given bar not yet written stays a replacement when prints then extend it.
    if (before) {
      before.bar = bar;
      before.replace ||= replace;
    } else minutes.set(bar.start, { bar, replace });
    for (const listener of this.listeners) listener(bar);
  }

  private async write(taken: Dirty[]): Promise<void> {
    const batch = this.options.batchSize ?? 500;
    for (const replace of [true, false]) {
      const bars = taken.filter((d) => d.replace === replace).map((d) => d.bar);
      for (let i = 0; i < bars.length; i += batch) {
        const chunk = bars.slice(i, i + batch);
        try {
          await this.store.write(chunk, replace);
          this.counts.written += chunk.length;
        } catch (error) {
          this.counts.failedWrites++;
          this.logger.warn({ err: error, bars: chunk.length }, 'could not write bars: retrying at the next flush');
          // Written again next time, unless a newer state of the same bar is waiting already.
          for (const bar of chunk) {
            let minutes = this.dirty.get(bar.symbol);
            if (!minutes) this.dirty.set(bar.symbol, (minutes = new Map()));
            if (!minutes.has(bar.start)) minutes.set(bar.start, { bar, replace });
          }
        }
      }
    }
  }
}
