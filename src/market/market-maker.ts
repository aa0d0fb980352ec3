import type { Oms } from '../oms/oms.js';
import type { InstrumentState, OrderRecord } from '../oms/model.js';
import { OPEN_STATUSES } from '../oms/model.js';
import type { Logger } from 'pino';

export interface MarketMakerConfig {
  readonly levels: number;
  readonly spreadBps: number;
  readonly stepBps: number;
  readonly size: number;
}

const HOUSE = 'HOUSE';
/** Its re-quotes are not audited (see Actor.audited); its trades are in the trades table. */
const ACTOR = { keyId: null, name: 'house-market-maker', audited: false };

/**
 * The house keeps `levels` quotes each side of the reference price. It re-quotes by modifying its
 * standing orders (so the orders table does not grow with every tick) and replaces filled ones.
 */
export class MarketMaker {
  private busy = new Set<string>();

  constructor(
    private readonly oms: Oms,
    private readonly config: MarketMakerConfig,
    private readonly logger: Logger,
    /** The real market's top of book, where a market data feed has one. */
    private readonly realQuote: (symbol: string) => { bid: number | null; ask: number | null } | null = () => null,
  ) {}

  async quote(instrument: InstrumentState): Promise<void> {
    if (this.busy.has(instrument.symbol)) return;
    this.busy.add(instrument.symbol);
    try {
      await this.requote(instrument);
    } catch (error) {
      this.logger.warn({ err: error, symbol: instrument.symbol }, 'house re-quote failed');
    } finally {
      this.busy.delete(instrument.symbol);
    }
  }

  private async requote(instrument: InstrumentState): Promise<void> {
    const house = this.oms.portfolio(HOUSE);
    if (!house) return;
    const mine = this.oms.openOrdersOf(house.id).filter((o) => o.symbol === instrument.symbol);
    // No trusted price (the source went quiet, or the market is closed): the house pulls its quotes.
    const quoting = this.oms.marketOf(instrument.symbol).status === 'live';
    // Every change is applied now, in order, and all ride the same group commit: a re-quote costs
    // one commit, not one per level.
    const changes: Promise<unknown>[] = [];
    for (const side of ['BUY', 'SELL'] as const) {
      const targets = quoting ? this.targets(instrument, side) : [];
      const standing = mine.filter((o) => o.side === side).sort((a, b) => a.id - b.id);
      for (let i = 0; i < targets.length; i++) {
        const price = targets[i];
        const o = standing[i];
        if (o && OPEN_STATUSES.has(o.status)) {
          if (o.limitPrice !== price || o.quantity - o.filled !== this.config.size) {
            changes.push(this.oms.modifyOrder(o.id, { limitPrice: price, quantity: o.filled + this.config.size }, ACTOR));
          }
        } else {
          changes.push(this.oms.placeOrder(this.order(instrument, side, price), ACTOR));
        }
      }
      for (const extra of standing.slice(targets.length)) {
        if (OPEN_STATUSES.has(extra.status)) changes.push(this.oms.cancelOrder(extra.id, ACTOR));
      }
    }
    const refused = (await Promise.allSettled(changes)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refused) throw refused.reason;
  }

  /** Quote prices, nearest first, rounded away from the reference onto the tick grid. */
  private targets(i: InstrumentState, side: 'BUY' | 'SELL'): number[] {
    const ref = i.referencePrice;
    const out: number[] = [];
    for (let level = 0; level < this.config.levels; level++) {
      const offset = Math.max(i.tickSize, Math.round((ref * (this.config.spreadBps / 2 + level * this.config.stepBps)) / 10_000));
      const raw = side === 'BUY' ? ref - offset : ref + offset;
      const price = side === 'BUY' ? Math.floor(raw / i.tickSize) * i.tickSize : Math.ceil(raw / i.tickSize) * i.tickSize;
      if (price > 0 && !out.includes(price)) out.push(price);
    }
    // Never better than the real market: a house bid above the real bid (or ask below the real ask)
    // would hand users a free trade. The whole ladder moves back behind the real quote.
    const real = this.realQuote(i.symbol);
    const bound = side === 'BUY' ? real?.bid : real?.ask;
    if (bound != null && out.length > 0) {
      const edge = side === 'BUY' ? Math.floor(bound / i.tickSize) * i.tickSize : Math.ceil(bound / i.tickSize) * i.tickSize;
      const shift = side === 'BUY' ? Math.max(0, out[0] - edge) : Math.max(0, edge - out[0]);
      return out.map((p) => (side === 'BUY' ? p - shift : p + shift)).filter((p) => p > 0);
    }
    return out;
  }

  private order(i: InstrumentState, side: 'BUY' | 'SELL', price: number) {
    return {
      symbol: i.symbol,
      side,
      type: 'LIMIT' as const,
      quantity: this.config.size,
      limitPrice: price,
      stopPrice: null,
      tif: 'GTC' as const,
      portfolioName: HOUSE,
      clientOrderId: null,
      userId: 'house',
      origin: null,
    };
  }
}

export type { OrderRecord };
