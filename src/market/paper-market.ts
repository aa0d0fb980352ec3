import type { Logger } from 'pino';
import type { Oms } from '../oms/oms.js';
import type { Desks } from '../oms/desks.js';
import type { PriceSource } from './price-source.js';
import { MarketMaker, type MarketMakerConfig } from './market-maker.js';
import type { BarBuilder } from './bar-builder.js';

/**
 * Drives the paper market: every interval, each instrument gets a new reference price from the
 * source (when enabled), the same in every desk, and each desk's house re-quotes around it (when
 * enabled).
 */
export class PaperMarket {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly makers = new Map<Oms, MarketMaker>();

  constructor(
    private readonly desks: Desks,
    private readonly source: PriceSource | null,
    private readonly maker: MarketMakerConfig | null,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    /** The real market's top of book where a market data feed has one: the house stays behind it. */
    private readonly realQuote: (symbol: string) => { bid: number | null; ask: number | null } | null = () => null,
    /** Builds the instruments' bars from the simulated prices (no volume: nothing traded at them). */
    private readonly bars: BarBuilder | null = null,
  ) {}

  /** Starts ticking; resolves once the first tick is committed (the house's first quotes: ready to trade). */
  start(): Promise<void> {
    for (const desk of this.desks.all()) this.takeIn(desk);
    // A desk created later is quoted before its creation is answered.
    this.desks.onAdded(async (desk) => {
      this.takeIn(desk);
      await this.quoteAll(desk);
    });
    if (!this.source && !this.maker) return Promise.resolve();
    const first = (this.running = this.tick());
    this.timer = setInterval(() => {
      // A desk that takes no work (reloading, or another OMS took over) is skipped by tick().
      if (!this.running && !this.desks.replaced) this.running = this.tick();
    }, this.intervalMs);
    this.timer.unref();
    return first;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    // A re-quote asked again while in flight runs after its callers have heard.
    await Promise.all([...this.makers.values()].map((m) => m.settled()));
  }

  private takeIn(desk: Oms): void {
    if (!this.maker || this.makers.has(desk)) return;
    const maker = new MarketMaker(desk, this.maker, this.logger, this.realQuote);
    this.makers.set(desk, maker);
    // A new instrument is quoted before its creation is answered, not at the next tick.
    desk.onInstrumentAdded((i) => maker.quote(i));
  }

  private async quoteAll(desk: Oms): Promise<void> {
    const maker = this.makers.get(desk);
    if (!maker) return;
    await Promise.all(desk.listInstruments().map((i) => maker.quote(i)));
  }

  private async tick(): Promise<void> {
    try {
      const main = this.desks.main;
      // In a cluster, a process holding no desk has nothing to move or quote.
      if (!main) return;
      // The next prices are drawn in catalogue order (the seeded path stays the same); then every
      // instrument moves and re-quotes at once, so each desk commits them together.
      const moves = main.listInstruments().map((i) => ({
        symbol: i.symbol,
        // In a cluster, prices are drawn once, by the process holding desk main; the others follow them.
        next: this.source && main.healthy && this.desks.hasMain ? this.source.next(i.symbol, i.referencePrice, i.tickSize) : null,
      }));
      await Promise.all(
        moves.map(async ({ symbol, next }) => {
          if (next !== null) this.bars?.print(symbol, next, '0', new Date());
          await this.moveAndQuote(symbol, next);
        }),
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'paper market tick failed');
    } finally {
      this.running = null;
    }
  }

  /**
   * A symbol's new price (if any) in every desk, and each desk's house quotes around it in the same
   * commit: the price is in the desk's memory as soon as it is set, so the re-quote that follows at
   * once reads it, and both are durable together (or neither, the batch failing as one).
   */
  async moveAndQuote(symbol: string, next: number | null): Promise<void> {
    await Promise.all(
      this.desks.all().map(async (desk) => {
        if (!desk.healthy) return;
        const moved = next !== null ? desk.setReferencePrice(symbol, next, null) : null;
        const instrument = desk.instrument(symbol);
        const maker = this.makers.get(desk);
        // Without a new price, a re-quote of the last interval did this one's work already.
        const quoted = instrument && maker ? (next !== null ? maker.quote(instrument) : maker.refresh(instrument, this.intervalMs)) : undefined;
        try {
          await moved;
        } catch (error) {
          // One desk's trouble (a failed commit: it reloads by itself) stays in it.
          this.logger.warn({ err: error, desk: desk.desk.name, symbol }, 'paper market tick failed for a desk');
        }
        // The house logs its own failures.
        await quoted;
      }),
    );
  }
}
