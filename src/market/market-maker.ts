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
interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A symbol's re-quote in flight, whether it was asked for again meanwhile, and when the last is done. */
interface Run {
  again: Deferred | null;
  readonly finished: Deferred;
}

export class MarketMaker {
  private readonly runs = new Map<string, Run>();
  /** When each symbol was last asked for a re-quote by quote() (performance.now()): a new price, a new instrument. */
  private readonly asked = new Map<string, number>();
  /** Re-quotes applied and not yet committed, for settled(). */
  private readonly committing = new Set<Promise<void>>();

  constructor(
    private readonly oms: Oms,
    private readonly config: MarketMakerConfig,
    private readonly logger: Logger,
    /** The real market's top of book, where a market data feed has one. */
    private readonly realQuote: (symbol: string) => { bid: number | null; ask: number | null } | null = () => null,
  ) {}

  /**
   * Re-quotes the symbol around its current price; resolves once a re-quote that read the price as
   * it is now has committed. Asked while one is in flight (which read the price before), the symbol
   * is re-quoted once more as soon as that one is done, however many times it was asked meanwhile:
   * a new price is never left for the next tick, and the asks never queue up one commit each.
   */
  quote(instrument: InstrumentState): Promise<void> {
    this.asked.set(instrument.symbol, performance.now());
    return this.start(instrument);
  }

  /**
   * The periodic re-quote of a symbol whose price did not move (it replaces filled quotes and follows
   * the real quote): skipped when a re-quote of it is in flight, or when one was asked for within
   * `withinMs` (a new price), which did the same. A busy market data feed re-quotes its symbols at
   * every price, and the tick then stays out of their way instead of putting a re-quote of its own in
   * front of the next price's; a quiet symbol is refreshed every time, as before.
   */
  refresh(instrument: InstrumentState, withinMs: number): Promise<void> {
    if (this.runs.has(instrument.symbol)) return Promise.resolve();
    const last = this.asked.get(instrument.symbol);
    if (last !== undefined && performance.now() - last < withinMs) return Promise.resolve();
    return this.start(instrument);
  }

  private start(instrument: InstrumentState): Promise<void> {
    const symbol = instrument.symbol;
    const run = this.runs.get(symbol);
    if (run) return (run.again ??= deferred()).promise;
    const pass = this.pass(instrument);
    // Modifies and cancels are in the desk as soon as asked: a next re-quote reads them, so it may
    // start at once (with the next price, into the batch about to close). A new order is in the desk
    // only after its id is assigned, so a re-quote that places waits for it, lest it place twice.
    if (!pass.placing) return pass.committed;
    const fresh: Run = { again: null, finished: deferred() };
    this.runs.set(symbol, fresh);
    // Registered before the caller's: the symbol is free (or re-quoted again) by the time it hears.
    void pass.committed.then(() => this.next(symbol, fresh));
    return pass.committed;
  }

  /** Resolves once no re-quote is in flight (at a stop). */
  async settled(): Promise<void> {
    while (this.runs.size > 0 || this.committing.size > 0) {
      await Promise.all([...this.runs.values()].map((r) => r.finished.promise));
      await Promise.all(this.committing);
    }
  }

  private next(symbol: string, run: Run): void {
    const again = run.again;
    if (!again) {
      this.runs.delete(symbol);
      run.finished.resolve();
      return;
    }
    run.again = null;
    // The instrument as the desk holds it now (a reload replaces it).
    const current = this.oms.instrument(symbol);
    void (current ? this.pass(current).committed : Promise.resolve()).then(() => {
      again.resolve();
      this.next(symbol, run);
    });
  }

  /** One re-quote: applied now (but for new orders), committed later; a failure is logged, never thrown. */
  private pass(instrument: InstrumentState): { committed: Promise<void>; placing: boolean } {
    let changes: { placing: boolean; all: Promise<unknown>[] };
    try {
      changes = this.requote(instrument);
    } catch (error) {
      this.failed(error, instrument);
      return { committed: Promise.resolve(), placing: false };
    }
    const committed: Promise<void> = Promise.allSettled(changes.all).then((results) => {
      this.committing.delete(committed);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (refused) this.failed(refused.reason, instrument);
    });
    this.committing.add(committed);
    return { committed, placing: changes.placing };
  }

  private failed(error: unknown, instrument: InstrumentState): void {
    this.logger.warn({ err: error, symbol: instrument.symbol }, 'house re-quote failed');
  }

  /** Asks the desk for every change of the re-quote, in order, and returns them unawaited. */
  private requote(instrument: InstrumentState): { placing: boolean; all: Promise<unknown>[] } {
    const house = this.oms.portfolio(HOUSE);
    if (!house) return { placing: false, all: [] };
    const mine = this.oms.openOrdersOf(house.id).filter((o) => o.symbol === instrument.symbol);
    // No trusted price (the source went quiet, or the market is closed): the house pulls its quotes.
    const quoting = this.oms.marketOf(instrument.symbol).status === 'live';
    const targets = { BUY: quoting ? this.targets(instrument, 'BUY') : [], SELL: quoting ? this.targets(instrument, 'SELL') : [] };
    const standing = {
      BUY: mine.filter((o) => o.side === 'BUY').sort((a, b) => a.id - b.id),
      SELL: mine.filter((o) => o.side === 'SELL').sort((a, b) => a.id - b.id),
    };
    // The side moving away from the other goes first: bids raised past the house's own asks still
    // standing (a price jump wider than the spread) would cross them, and self-trade prevention
    // would cancel the house's own quotes.
    const bestBid = Math.max(...standing.BUY.map((o) => o.limitPrice ?? 0));
    const sides = targets.BUY.length > 0 && targets.BUY[0] > bestBid ? (['SELL', 'BUY'] as const) : (['BUY', 'SELL'] as const);
    // Every change is applied now, in order, and all ride the same group commit: a re-quote costs
    // one commit, not one per level.
    const all: Promise<unknown>[] = [];
    let placing = false;
    for (const side of sides) {
      for (let i = 0; i < targets[side].length; i++) {
        const price = targets[side][i];
        const o = standing[side][i];
        if (o && OPEN_STATUSES.has(o.status)) {
          if (o.limitPrice !== price || o.quantity - o.filled !== this.config.size) {
            all.push(this.oms.modifyOrder(o.id, { limitPrice: price, quantity: o.filled + this.config.size }, ACTOR));
          }
        } else {
          placing = true;
          all.push(this.oms.placeOrder(this.order(instrument, side, price), ACTOR));
        }
      }
      for (const extra of standing[side].slice(targets[side].length)) {
        if (OPEN_STATUSES.has(extra.status)) all.push(this.oms.cancelOrder(extra.id, ACTOR));
      }
    }
    return { placing, all };
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
