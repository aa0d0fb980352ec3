import type { Logger } from 'pino';
import type { Desks } from '../oms/desks.js';
import type { MarketStatus } from '../oms/model.js';
import type { Bar, FeedState, MarketDataSink, MarketDataSource, Quote, TradePrint } from './market-data.js';
import type { BarBuilder } from './bar-builder.js';

export interface LiveMarketOptions {
  /** A symbol with no message for this long is `stale`. */
  readonly staleMs: number;
  /** How often new prices are applied to the desks: prints in between are conflated to the latest. */
  readonly flushMs?: number;
  /** A print further than this outside the current quote (basis points) is a bad tick, ignored. */
  readonly badTickBps?: number;
  /** Tick size of an instrument the source follows but the catalogue lacks (added at its first print). */
  readonly newInstrumentTick?: number;
  /** Runs once a symbol's new price is in every desk: the house re-quotes it then, not at its next tick. */
  readonly requote?: (symbol: string) => Promise<void>;
  readonly now?: () => number;
  /** Builds the instruments' bars from the prints taken (bad ticks are not prices). */
  readonly bars?: BarBuilder;
}

interface SymbolState {
  bid: number | null;
  ask: number | null;
  /** The latest accepted print not yet applied to the desks. */
  pending: number | null;
  lastMessageAt: number;
  status: MarketStatus;
}

const ACTOR = { keyId: null, name: 'market data', audited: false };

/**
 * The desks' side of a market data source: takes its trades, quotes and bars, keeps each symbol's
 * top of book and status, and applies the latest trade as the reference price of every desk (the
 * house re-quotes around it and stops trigger on it). Prints are conflated between flushes, so a
 * source of many messages a second costs the desks one commit per symbol per flush.
 */
export class LiveMarket implements MarketDataSink {
  private readonly symbols = new Map<string, SymbolState>();
  private feedState: FeedState = 'connecting';
  private flushTimer: NodeJS.Timeout | null = null;
  private staleTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
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
      this.symbols.set(symbol, { bid: null, ask: null, pending: null, lastMessageAt: at, status: 'live' });
      this.mark(symbol, 'live');
    }
    this.flushTimer = setInterval(() => void this.flush(), this.options.flushMs ?? 100);
    this.flushTimer.unref();
    this.staleTimer = setInterval(() => this.checkStale(), Math.max(50, Math.floor(this.options.staleMs / 4)));
    this.staleTimer.unref();
    await this.source.start(this.followed, this);
  }

  async stop(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.staleTimer) clearInterval(this.staleTimer);
    await this.source.stop();
    await this.flushing;
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

  /**
   * Applies each symbol's latest print to every desk, all symbols at once (each desk commits them
   * together), then has the house re-quote each; never two flushes at once.
   */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    const moves: [string, number][] = [];
    for (const [symbol, s] of this.symbols) {
      if (s.pending === null) continue;
      moves.push([symbol, s.pending]);
      s.pending = null;
    }
    if (moves.length === 0) return;
    this.flushing = Promise.all(
      moves.map(async ([symbol, price]) => {
        try {
          if (await this.apply(symbol, price)) await this.options.requote?.(symbol);
        } catch (error) {
          this.logger.warn({ err: error, symbol }, 'could not apply a market data price');
        }
      }),
    )
      .then(() => undefined)
      .finally(() => {
        this.flushing = null;
      });
    await this.flushing;
  }

  /** True when a desk's price moved (an instrument added at its first print is quoted already). */
  private async apply(symbol: string, price: number): Promise<boolean> {
    const main = this.desks.main;
    let instrument = main.instrument(symbol);
    if (!instrument) {
      // Followed but not in the catalogue (BTC-USD): added at its first print, priced by it.
      const tick = this.options.newInstrumentTick ?? 100;
      const rounded = Math.max(tick, Math.round(price / tick) * tick);
      instrument = await this.desks.addInstrument({ symbol, name: symbol, tickSize: tick, lotSize: 1, referencePrice: rounded, lastPrice: null }, ACTOR, main);
      this.mark(symbol, this.symbols.get(symbol)!.status);
      return false;
    }
    const rounded = Math.max(instrument.tickSize, Math.round(price / instrument.tickSize) * instrument.tickSize);
    if (rounded === instrument.referencePrice) return false;
    await this.desks.setReferencePrice(symbol, rounded, null, main);
    return true;
  }
}
