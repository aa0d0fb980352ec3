import type { Logger } from 'pino';
import type { Desks } from '../oms/desks.js';
import type { MarketStatus } from '../oms/model.js';
import type { Bar, FeedState, MarketDataSink, MarketDataSource, Quote, TradePrint } from './market-data.js';
import type { BarBuilder } from './bar-builder.js';

export interface LiveMarketOptions {
  /** A symbol with no message for this long is `stale`. */
  readonly staleMs: number;
  /**
   * The shortest time between two passes that apply new prices (default 0: as soon as the previous
   * price of a symbol is committed). Prints meanwhile are conflated to the latest either way.
   */
  readonly flushMs?: number;
  /** A print further than this outside the current quote (basis points) is a bad tick, ignored. */
  readonly badTickBps?: number;
  /** Tick size of an instrument the source follows but the catalogue lacks (added at its first print). */
  readonly newInstrumentTick?: number;
  /**
   * Puts a symbol's new price in every desk together with the house's re-quote around it, in one
   * commit per desk (the paper market's moveAndQuote). Without it the price alone is set.
   */
  readonly moveAndQuote?: (symbol: string, price: number) => Promise<void>;
  readonly now?: () => number;
  /** Builds the instruments' bars from the prints taken (bad ticks are not prices). */
  readonly bars?: BarBuilder;
}

interface SymbolState {
  bid: number | null;
  ask: number | null;
  /** The latest accepted print not yet applied to the desks. */
  pending: number | null;
  /** A price of the symbol is being applied (until its commit): the next one waits, conflating. */
  applying: boolean;
  lastMessageAt: number;
  status: MarketStatus;
}

const ACTOR = { keyId: null, name: 'market data', audited: false };

/**
 * The desks' side of a market data source: takes its trades, quotes and bars, keeps each symbol's
 * top of book and status, and applies the latest trade as the reference price of every desk (the
 * house re-quotes around it in the same commit, and stops trigger on it). A symbol's price is applied
 * as soon as its previous one is committed, and prints meanwhile are conflated to the latest: however
 * many messages a second the source sends, the desks commit its prices back to back, each commit
 * carrying every symbol that moved meanwhile, and a price waits at most for the commit in flight.
 */
export class LiveMarket implements MarketDataSink {
  private readonly symbols = new Map<string, SymbolState>();
  private feedState: FeedState = 'connecting';
  private staleTimer: NodeJS.Timeout | null = null;
  /** A pass is due (setImmediate or, within flushMs of the last, a timer). */
  private flushDue: NodeJS.Immediate | NodeJS.Timeout | null = null;
  private lastFlushAt = -Infinity;
  private running = false;
  /** Prices being applied, for stop() to wait for. */
  private readonly applying = new Set<Promise<void>>();
  private readonly now: () => number;
  readonly counts = { trades: 0, quotes: 0, bars: 0, badTicks: 0, skipped: 0 };

  constructor(
    private readonly source: MarketDataSource,
    private readonly desks: Desks,
    private readonly followed: readonly string[],
    private readonly logger: Logger,
    private readonly options: LiveMarketOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The link's state for /health. */
  get linkState(): FeedState {
    return this.feedState;
  }

  /** Whether the symbol's data flows (`live`) or went quiet (`stale`), as this feed sees it. */
  statusOf(symbol: string): MarketStatus {
    return this.symbols.get(symbol)?.status ?? 'live';
  }

  /** The real market's top of book, for the house. */
  quoteOf(symbol: string): { bid: number | null; ask: number | null } | null {
    const s = this.symbols.get(symbol);
    return s ? { bid: s.bid, ask: s.ask } : null;
  }

  async start(): Promise<void> {
    const at = this.now();
    for (const symbol of this.followed) {
      this.symbols.set(symbol, { bid: null, ask: null, pending: null, applying: false, lastMessageAt: at, status: 'live' });
      this.mark(symbol, 'live');
    }
    // A desk that arrives later (made, or taken over from another process) shows the feed's status too.
    this.desks.onAdded(async (desk) => {
      for (const [symbol, s] of this.symbols) if (desk.marketOf(symbol).status !== 'closed') desk.setMarket(symbol, { source: this.source.name, status: s.status });
    });
    this.running = true;
    this.staleTimer = setInterval(() => this.checkStale(), Math.max(50, Math.floor(this.options.staleMs / 4)));
    this.staleTimer.unref();
    await this.source.start(this.followed, this);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.staleTimer) clearInterval(this.staleTimer);
    await this.source.stop();
    this.cancelFlush();
    await Promise.all(this.applying);
  }

  // ---- MarketDataSink ------------------------------------------------------------------------

  trade(print: TradePrint): void {
    const s = this.heard(print.symbol);
    if (!s) return;
    this.counts.trades++;
    if (this.badTick(s, print.price)) {
      this.counts.badTicks++;
      return;
    }
    s.pending = print.price;
    this.wake(s);
    this.options.bars?.print(print.symbol, print.price, print.size, print.time);
  }

  quote(quote: Quote): void {
    const s = this.heard(quote.symbol);
    if (!s) return;
    this.counts.quotes++;
    s.bid = quote.bid;
    s.ask = quote.ask;
  }

  bar(bar: Bar): void {
    const s = this.heard(bar.symbol);
    if (!s) return;
    this.counts.bars++;
    if (this.badTick(s, bar.close)) return;
    s.pending = bar.close;
    this.wake(s);
    this.options.bars?.bar(bar);
  }

  state(state: FeedState, detail?: string): void {
    if (state === this.feedState) return;
    this.feedState = state;
    const log = state === 'ok' ? this.logger.info.bind(this.logger) : state === 'connecting' ? this.logger.warn.bind(this.logger) : this.logger.error.bind(this.logger);
    log({ source: this.source.name, detail }, `market data ${this.source.name}: ${state}`);
  }

  skipped(reason: string): void {
    this.counts.skipped++;
    // Counted, never fatal; one line per thousand keeps a flood of bad frames out of the log.
    if (this.counts.skipped % 1000 === 1) this.logger.warn({ source: this.source.name, reason, skipped: this.counts.skipped }, 'market data frame skipped');
  }

  // ---- applying ------------------------------------------------------------------------------

  /** A message for a followed symbol: it is live again if it was stale. */
  private heard(symbol: string): SymbolState | undefined {
    const s = this.symbols.get(symbol);
    if (!s) {
      this.skipped(`a message for ${symbol}, which is not followed`);
      return undefined;
    }
    s.lastMessageAt = this.now();
    if (s.status === 'stale') {
      s.status = 'live';
      this.mark(symbol, 'live');
      this.logger.info({ symbol }, 'market data flows again');
    }
    return s;
  }

  /** A print far outside the real quote is an error of the source, not a price. */
  private badTick(s: SymbolState, price: number): boolean {
    const band = this.options.badTickBps ?? 1000;
    if (s.bid !== null && price * 10_000 < s.bid * (10_000 - band)) return true;
    if (s.ask !== null && price * 10_000 > s.ask * (10_000 + band)) return true;
    return false;
  }

  private checkStale(): void {
    const limit = this.now() - this.options.staleMs;
    for (const [symbol, s] of this.symbols) {
      if (s.status === 'live' && s.lastMessageAt < limit) {
        s.status = 'stale';
        this.mark(symbol, 'stale');
        this.logger.warn({ symbol, staleMs: this.options.staleMs }, 'market data went quiet: the symbol is stale');
      }
    }
  }

  private mark(symbol: string, status: MarketStatus): void {
    for (const desk of this.desks.all()) {
      // A closed session is the session schedule's to lift at the open, whatever the data does meanwhile.
      if (desk.marketOf(symbol).status === 'closed') continue;
      desk.setMarket(symbol, { source: this.source.name, status });
    }
  }

  /** A symbol has a new price: a pass to apply it is due, unless its previous price is still being applied. */
  private wake(s: SymbolState): void {
    if (s.applying || this.flushDue || !this.running) return;
    const wait = this.lastFlushAt + (this.options.flushMs ?? 0) - performance.now();
    this.flushDue = wait > 0 ? setTimeout(() => this.flush(), wait) : setImmediate(() => this.flush());
  }

  private cancelFlush(): void {
    if (!this.flushDue) return;
    clearTimeout(this.flushDue as NodeJS.Timeout);
    clearImmediate(this.flushDue as NodeJS.Immediate);
    this.flushDue = null;
  }

  /**
   * Applies the latest print of each symbol whose previous price is committed, all at once (each
   * desk commits them together, with the house's re-quotes). A symbol whose price is still in flight
   * is not waited for: its prints conflate meanwhile and it goes again as soon as that one is
   * committed. The pass is scheduled rather than run at each print, so that every print delivered
   * in one go lands before it; under load, commits set the pace and each carries many prints.
   */
  private flush(): void {
    this.flushDue = null;
    if (!this.running) return;
    this.lastFlushAt = performance.now();
    for (const [symbol, s] of this.symbols) if (s.pending !== null && !s.applying) this.applyPending(symbol, s);
  }

  private applyPending(symbol: string, s: SymbolState): void {
    const price = s.pending!;
    s.pending = null;
    s.applying = true;
    const applied: Promise<void> = this.apply(symbol, price)
      .catch((error: unknown) => this.logger.warn({ err: error, symbol }, 'could not apply a market data price'))
      .finally(() => {
        s.applying = false;
        this.applying.delete(applied);
        if (s.pending === null || !this.running) return;
        // Right away, in the step its commit is heard: the desk's next batch closes in the next
        // turn of the event loop, and this price rides it instead of waiting for the one after.
        if (performance.now() >= this.lastFlushAt + (this.options.flushMs ?? 0)) this.applyPending(symbol, s);
        else this.wake(s);
      });
    this.applying.add(applied);
  }

  /** Sets the price in every desk with the house's re-quote (an instrument added at its first print is quoted already). */
  private async apply(symbol: string, price: number): Promise<void> {
    // A process of a cluster that serves no desk right now has nothing to price.
    if (this.desks.all().length === 0) return;
    const main = this.desks.main;
    let instrument = main.instrument(symbol);
    if (!instrument) {
      // Followed but not in the catalogue (BTC-USD): added at its first print, priced by it.
      const tick = this.options.newInstrumentTick ?? 100;
      const rounded = Math.max(tick, Math.round(price / tick) * tick);
      const row = { symbol, name: symbol, tickSize: tick, lotSize: 1, referencePrice: rounded, lastPrice: null };
      try {
        await this.desks.addInstrument(row, ACTOR, main);
      } catch (error) {
        // In a cluster every process hears the same first print: one adds the instrument to the
        // deployment's catalogue, the others' inserts fail on its symbol and they take it in as is.
        this.logger.info({ symbol, reason: error instanceof Error ? error.message.slice(0, 200) : String(error) }, 'instrument added by another OMS process: taking it in');
        for (const desk of this.desks.all()) await desk.adoptInstrument(row);
      }
      this.mark(symbol, this.symbols.get(symbol)!.status);
      return;
    }
    const rounded = Math.max(instrument.tickSize, Math.round(price / instrument.tickSize) * instrument.tickSize);
    if (rounded === instrument.referencePrice) return;
    if (this.options.moveAndQuote) await this.options.moveAndQuote(symbol, rounded);
    else await this.desks.setReferencePrice(symbol, rounded, null, main);
  }
}
