import type { Logger } from 'pino';
import type { Oms } from '../oms/oms.js';
import type { PriceSource } from './price-source.js';
import type { MarketMaker } from './market-maker.js';

/**
 * Drives the paper market: every interval, each instrument gets a new reference price from the
 * source (when enabled) and the house re-quotes around it (when enabled).
 */
export class PaperMarket {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly oms: Oms,
    private readonly source: PriceSource | null,
    private readonly maker: MarketMaker | null,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  /** Starts ticking; resolves once the first tick is committed (the house's first quotes: ready to trade). */
  start(): Promise<void> {
    if (this.maker) {
      const maker = this.maker;
      // A new instrument is quoted before its creation is answered, not at the next tick.
      this.oms.onInstrumentAdded((i) => maker.quote(i));
    }
    if (!this.source && !this.maker) return Promise.resolve();
    const first = (this.running = this.tick());
    this.timer = setInterval(() => {
      // An OMS that takes no more work (a failed commit, or another OMS took over) said why once;
      // ticking on would only log the same refusal every interval.
      if (!this.running && this.oms.healthy) this.running = this.tick();
    }, this.intervalMs);
    this.timer.unref();
    return first;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async tick(): Promise<void> {
    try {
      for (const i of this.oms.listInstruments()) {
        if (!this.timer && this.running) break;
        if (this.source) {
          const next = this.source.next(i.symbol, i.referencePrice, i.tickSize);
          if (next !== null) await this.oms.setReferencePrice(i.symbol, next, null);
        }
        if (this.maker) await this.maker.quote(i);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'paper market tick failed');
    } finally {
      this.running = null;
    }
  }
}
