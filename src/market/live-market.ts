import type { Logger } from 'pino';
import type { Desks } from '../oms/desks.js';
import type { MarketStatus } from '../oms/model.js';
import type { Bar, FeedState, MarketDataSink, MarketDataSource, Quote, TradePrint } from './market-data.js';
import type { BarBuilder } from './bar-builder.js';

export interface LiveMarketOptions {
  /** A symbol with no message for this long is `stale`. */
  readonly staleMs: number;
  /**
   * Runs `fn` just before the desks' next commit statement takes their batches (the group commit's
   * SharedCommit.beforeNextStatement), so the prices it applies ride that statement. Default: the
   * next turn of the event loop.
   */
  readonly beforeNextStatement?: (fn: () => void) => void;
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
  /** The instrument is being added to the catalogue (its first print): later prints wait, conflating. */
  adding: boolean;
  lastMessageAt: number;
  status: MarketStatus;
}

const ACTOR = { keyId: null, name: 'market data', audited: false };

/**
 * The desks' side of a market data source: takes its trades, quotes and bars, keeps each symbol's
 * top of book and status, and applies the latest trade as the reference price of every desk (the
 * house re-quotes around it in the same commit, and stops trigger on it). Prints are conflated to
 * the latest of each symbol and applied just before the desks' next commit statement closes their
 * batches: however many messages a second the source sends, each statement carries one price (and
 * one re-quote) per symbol that moved, and a print waits for the statement in flight and its own.
 */
export class LiveMarket implements MarketDataSink {
  private readonly symbols = new Map<string, SymbolState>();
  private feedState: FeedState = 'connecting';
  private staleTimer: NodeJS.Timeout | null = null;
  /** A pass is due before the next statement. */
  private flushDue = false;
  /** Symbols with a print not yet applied. */
  private readonly dirty = new Set<string>();
  /**
   * The latest price of each symbol applied while a desk was reloading after a failed commit: that
   * desk passed it by and comes back on the last price committed, so it goes again once every desk
   * is back (a quiet symbol would otherwise stay on the old price until its next print).
   */
  private readonly missed = new Map<string, number>();
  private running = false;
  /** Prices applied and not yet committed, for stop() to wait for. */
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
      this.symbols.set(symbol, { bid: null, ask: null, pending: null, adding: false, lastMessageAt: at, status: 'live' });
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
    this.wake(print.symbol);
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
    this.wake(bar.symbol);
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
    if (this.missed.size > 0 && this.desks.degraded().length === 0) {
      for (const [symbol, price] of this.missed) {
        const s = this.symbols.get(symbol)!;
        s.pending ??= price;
        this.wake(symbol);
      }
      this.missed.clear();
    }
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

  /** A symbol has a new price: a pass applies it before the next statement. */
  private wake(symbol: string): void {
    this.dirty.add(symbol);
    if (this.flushDue || !this.running) return;
    this.flushDue = true;
    (this.options.beforeNextStatement ?? setImmediate)(() => this.flush());
  }

  /**
   * Applies the latest print of each symbol that moved since the last pass, all at once: the prices
   * and the house's re-quotes go into the desks now, synchronously, and each desk commits them with
   * the statement about to start. Nothing waits for a previous price's commit.
   */
  private flush(): void {
    this.flushDue = false;
    if (!this.running) return;
    for (const symbol of this.dirty) {
      const s = this.symbols.get(symbol)!;
      // Its first print is still adding the instrument: the latest print goes once it is in.
      if (s.adding || s.pending === null) continue;
      this.dirty.delete(symbol);
      const price = s.pending;
      s.pending = null;
      const applied: Promise<void> = this.apply(symbol, s, price)
        .catch((error: unknown) => this.logger.warn({ err: error, symbol }, 'could not apply a market data price'))
        .finally(() => this.applying.delete(applied));
      this.applying.add(applied);
    }
  }

  /** Sets the price in every desk with the house's re-quote (an instrument added at its first print is quoted already). */
  private async apply(symbol: string, s: SymbolState, price: number): Promise<void> {
    // A process of a cluster that serves no desk right now has nothing to price.
    if (this.desks.all().length === 0) return;
    const main = this.desks.main;
    if (this.desks.degraded().length > 0) this.missed.set(symbol, price);
    else this.missed.delete(symbol);
    // Reloading, main's catalogue is empty until loaded: the symbol is not new, its price waits.
    if (main.health === 'degraded') return;
    let instrument = main.instrument(symbol);
    if (!instrument) {
      // Followed but not in the catalogue (BTC-USD): added at its first print, priced by it.
      const tick = this.options.newInstrumentTick ?? 100;
      const rounded = Math.max(tick, Math.round(price / tick) * tick);
      const row = { symbol, name: symbol, tickSize: tick, lotSize: 1, referencePrice: rounded, lastPrice: null };
      s.adding = true;
      try {
        await this.desks.addInstrument(row, ACTOR, main);
      } catch (error) {
        // In a cluster every process hears the same first print: one adds the instrument to the
        // deployment's catalogue, the others' inserts fail on its symbol and they take it in as is.
        this.logger.info({ symbol, reason: error instanceof Error ? error.message.slice(0, 200) : String(error) }, 'instrument added by another OMS process: taking it in');
        for (const desk of this.desks.all()) await desk.adoptInstrument(row);
      } finally {
        s.adding = false;
        // Prints that came meanwhile move it from its first price.
        if (s.pending !== null) this.wake(symbol);
      }
      this.mark(symbol, s.status);
      return;
    }
    const rounded = Math.max(instrument.tickSize, Math.round(price / instrument.tickSize) * instrument.tickSize);
    // Every desk's: one back from a reload may lag the others.
    if (this.desks.all().every((d) => (d.instrument(symbol)?.referencePrice ?? rounded) === rounded)) return;
    if (this.options.moveAndQuote) await this.options.moveAndQuote(symbol, rounded);
    else await this.desks.setReferencePrice(symbol, rounded, null, main);
  }
}
