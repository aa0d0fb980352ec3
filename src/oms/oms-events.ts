import { EventEmitter } from 'node:events';
import type { InstrumentState, OrderRecord, PortfolioState, TradeRecord } from './model.js';

/**
 * What the OMS tells its listeners (the feed, the house market maker) — always after the commit that
 * made it true. Payloads are the live records; listeners serialize what they need synchronously.
 */
export interface OmsEventMap {
  trades: [instrument: InstrumentState, trades: TradeRecord[]];
  book: [instrument: InstrumentState];
  ticker: [instruments: InstrumentState[]];
  orders: [portfolio: PortfolioState, orders: OrderRecord[]];
  portfolio: [portfolio: PortfolioState];
  /** A trading state or limits changed: a portfolio's, or the desk's (null). Emitted after its commit. */
  risk: [portfolio: PortfolioState | null];
}

export class OmsEvents extends EventEmitter<OmsEventMap> {
  /**
   * While state events are emitted at batch close, listeners queue their sends here instead of
   * sending: the payloads are read from the state the batch commits, and go out only after the commit.
   */
  pending: (() => void)[] | null = null;

  constructor() {
    super();
    // Every feed channel and the market maker listen; the default cap of 10 would warn.
    this.setMaxListeners(0);
  }

  /** Sends now, or after the commit when called during a batch-close emission. */
  send(fn: () => void): void {
    if (this.pending) this.pending.push(fn);
    else fn();
  }
}

/** Collects what one command changed, then publishes it once the batch holding it commits. */
export class ChangeSet {
  readonly trades = new Map<InstrumentState, TradeRecord[]>();
  readonly books = new Set<InstrumentState>();
  readonly tickers = new Set<InstrumentState>();
  readonly orders = new Map<PortfolioState, Set<OrderRecord>>();
  readonly portfolios = new Set<PortfolioState>();

  trade(i: InstrumentState, t: TradeRecord): void {
    let list = this.trades.get(i);
    if (!list) this.trades.set(i, (list = []));
    list.push(t);
  }

  order(p: PortfolioState, o: OrderRecord): void {
    let set = this.orders.get(p);
    if (!set) this.orders.set(p, (set = new Set()));
    set.add(o);
  }

  /**
   * Called when the batch holding these changes closes, so book, order, portfolio and ticker
   * payloads show exactly the state that batch commits (never a later, uncommitted one). Returns
   * what to run after the commit: the queued sends, then the trades (whose ids the commit assigns).
   */
  capture(events: OmsEvents): () => void {
    const pending: (() => void)[] = [];
    events.pending = pending;
    try {
      for (const i of this.books) events.emit('book', i);
      if (this.tickers.size > 0) events.emit('ticker', [...this.tickers]);
      for (const [p, orders] of this.orders) events.emit('orders', p, [...orders]);
      for (const p of this.portfolios) events.emit('portfolio', p);
    } finally {
      events.pending = null;
    }
    return () => {
      for (const [i, trades] of this.trades) events.emit('trades', i, trades);
      for (const fn of pending) fn();
    };
  }
}
