import type { AuditRecord, OrderRecord, PortfolioState, TradeRecord } from './model.js';
import type { BatchRows, OmsStore, OrderRow, PortfolioEventRow } from './ports.js';
import type { InstrumentState } from './model.js';

type AfterCommit = () => void;
type Waiter = { resolve: () => void; reject: (e: unknown) => void };
/** A batch as it closed: its rows, who waits for them, what runs once they are durable. */
type ClosedBatch = { rows: BatchRows; orders: OrderRecord[]; waiters: Waiter[]; after: AfterCommit[] };

/**
 * Group commit. Commands change the in-memory state synchronously and mark what they touched here;
 * one transaction at a time writes everything marked since the previous one. While a transaction is
 * in flight, new work piles up into the next batch, so under load each commit carries many commands
 * and the database stops being the ceiling. A command is acknowledged only when the batch holding
 * its changes has committed. The store decides when a batch closes (see OmsStore.commit).
 */
export class CommitBatcher {
  private orders = new Map<number, OrderRecord>();
  /**
   * Orders a committed batch of this desk wrote: the next batch updates only their changing
   * columns. Marked only once their commit succeeded, so an order is never taken as stored while
   * it is not; one whose commit is still settling is simply written whole again.
   */
  private readonly stored = new WeakSet<OrderRecord>();
  private trades: TradeRecord[] = [];
  private portfolios = new Set<PortfolioState>();
  private positions = new Map<string, { portfolio: PortfolioState; symbol: string }>();
  private instruments = new Set<InstrumentState>();
  private audits: AuditRecord[] = [];
  private portfolioEvents: PortfolioEventRow[] = [];
  private waiters: Waiter[] = [];
  private afterCommit: AfterCommit[] = [];
  private closers: (() => AfterCommit)[] = [];
  /** A commit asked of the store whose batch has not closed yet: whatever is marked now joins it. */
  private requested = false;
  /** Commits asked of the store and not yet settled here (one open, one being written, at most). */
  private readonly unsettled = new Set<Promise<void>>();
  /**
   * Set by a failed commit: memory is now ahead of the database for good, so nothing more is written
   * (until a restart reloads from the database) and whoever waits for durability hears so at once.
   */
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly store: OmsStore,
    private readonly onCommitFailure: (error: unknown) => void,
  ) {}

  order(o: OrderRecord): void {
    this.orders.set(o.id, o);
  }

  trade(t: TradeRecord): void {
    this.trades.push(t);
  }

  portfolio(p: PortfolioState): void {
    this.portfolios.add(p);
  }

  position(p: PortfolioState, symbol: string): void {
    this.positions.set(`${p.id}:${symbol}`, { portfolio: p, symbol });
  }

  instrument(i: InstrumentState): void {
    this.instruments.add(i);
  }

  /** A cash change or reset of a portfolio, placed after the trades marked so far. */
  portfolioEvent(e: Omit<PortfolioEventRow, 'tradesBefore'>): void {
    this.portfolioEvents.push({ ...e, tradesBefore: this.trades.length });
  }

  audit(a: AuditRecord): void {
    this.audits.push(a);
    this.schedule();
  }

  /** Runs after the current batch has committed (feed events: never before the data is durable). */
  onCommit(fn: AfterCommit): void {
    this.afterCommit.push(fn);
  }

  /**
   * Runs when the current batch closes (its rows are taken); what it returns runs after the commit.
   * Lets listeners read the state exactly as this batch writes it.
   */
  onClose(fn: () => AfterCommit): void {
    this.closers.push(fn);
  }

  /** Resolves once everything marked so far is durable. */
  durable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error);
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule();
    return p;
  }

  /** Waits for every pending batch (used at shutdown); after a failed commit, only for those asked already. */
  async drain(): Promise<void> {
    while (this.unsettled.size > 0 || (this.hasWork() && !this.failure)) {
      if (this.unsettled.size > 0) await Promise.all(this.unsettled);
      else await this.durable().catch(() => undefined);
    }
  }

  private hasWork(): boolean {
    return (
      this.waiters.length > 0 ||
      this.orders.size > 0 ||
      this.trades.length > 0 ||
      this.audits.length > 0 ||
      this.portfolioEvents.length > 0 ||
      this.portfolios.size > 0 ||
      this.instruments.size > 0
    );
  }

  /**
   * Asks the store for a commit. The batch closes when the store starts writing it, not now: the
   * store writes one transaction at a time (for every desk at once), so everything marked while
   * the previous one is in flight, here and in the other desks, goes into the next.
   */
  private schedule(): void {
    if (this.requested || this.failure) return;
    this.requested = true;
    let closed: ClosedBatch | null = null;
    const settled = this.store
      .commit(() => {
        closed = this.close();
        return closed.rows;
      })
      .then(
        () => {
          for (const o of closed!.orders) this.stored.add(o);
          for (const w of closed!.waiters) w.resolve();
          for (const fn of closed!.after) fn();
          // Marks that asked for no commit (they follow a command that will) still get written.
          if (this.hasWork()) this.schedule();
        },
        (error: unknown) => this.failed(error, closed),
      )
      .finally(() => this.unsettled.delete(settled));
    this.unsettled.add(settled);
  }

  /** Closes the batch: what was marked until now is its rows, who waited until now its waiters. */
  private close(): ClosedBatch {
    this.requested = false;
    // A commit refused meanwhile: what is marked builds on it and must never be written.
    if (this.failure) throw this.failure.error;
    const orders = [...this.orders.values()];
    const rows = this.takeRows(orders);
    const waiters = this.waiters;
    const after = [...this.closers.map((close) => close()), ...this.afterCommit];
    this.waiters = [];
    this.afterCommit = [];
    this.closers = [];
    return { rows, orders, waiters, after };
  }

  private failed(error: unknown, closed: ClosedBatch | null): void {
    // Refused before it closed (a batch of this desk before it failed): nothing of it was taken.
    if (!closed) this.requested = false;
    const first = this.failure === null;
    this.failure ??= { error };
    // The next batch's commands were applied in memory on top of the refused one: writing them now
    // would make durable a state that includes what was refused. They fail with it.
    const pending = this.waiters;
    this.waiters = [];
    for (const w of [...(closed?.waiters ?? []), ...pending]) w.reject(error);
    if (first) this.onCommitFailure(error);
  }

  /** Snapshots the marked state synchronously, so later commands cannot leak into this batch. */
  private takeRows(records: readonly OrderRecord[]): BatchRows {
    const orders = records.map(orderRow);
    const storedOrders = new Set<number>();
    for (const o of records) if (this.stored.has(o)) storedOrders.add(o.id);
    const positions = [...this.positions.values()].map(({ portfolio, symbol }) => {
      const p = portfolio.positions.get(symbol)!;
      return {
        portfolioId: portfolio.id,
        symbol,
        quantity: p.quantity,
        costBasis: p.costBasis,
        realizedPnl: p.realizedPnl,
      };
    });
    const rows: BatchRows = {
      orders,
      storedOrders,
      trades: this.trades,
      positions,
      portfolios: [...this.portfolios].map((p) => ({ id: p.id, cash: p.cash, startingCash: p.startingCash, feesPaid: p.feesPaid })),
      instruments: [...this.instruments].map((i) => ({
        symbol: i.symbol,
        referencePrice: i.referencePrice,
        lastPrice: i.lastPrice,
      })),
      audits: this.audits,
      portfolioEvents: this.portfolioEvents,
    };
    this.orders = new Map();
    this.trades = [];
    this.portfolios = new Set();
    this.positions = new Map();
    this.instruments = new Set();
    this.audits = [];
    this.portfolioEvents = [];
    return rows;
  }
}

/** The order as its row (a copy: the order changes on after the batch closes); field by field, the hot path of every commit. */
function orderRow(o: OrderRecord): OrderRow {
  return {
    id: o.id,
    clientOrderId: o.clientOrderId,
    portfolioId: o.portfolioId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    tif: o.tif,
    quantity: o.quantity,
    filled: o.filled,
    filledNotional: o.filledNotional,
    limitPrice: o.limitPrice,
    stopPrice: o.stopPrice,
    status: o.status,
    reason: o.reason,
    waiting: o.waiting,
    priority: o.priority,
    userId: o.userId,
    origin: o.origin,
    placedBy: o.placedBy,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
}
