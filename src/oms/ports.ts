import type { AuditRecord, OrderRecord, OrderStatus, PortfolioState, TradeRecord, TradingSession } from './model.js';
import type { FeeSchedule } from './fees.js';
import type { PortfolioRisk, RiskState, StoredRisk } from './risk-model.js';
import type { Side, OrderType, TimeInForce } from '../engine/index.js';

/** Everything one group commit writes, as the in-memory state stood when the batch closed. */
export interface BatchRows {
  readonly orders: OrderRow[];
  /**
   * Ids among `orders` that an earlier batch has already committed: only their changing columns
   * need writing. An order not listed is written whole (inserted, or updated if it is there).
   */
  readonly storedOrders?: ReadonlySet<number>;
  readonly trades: TradeRecord[];
  readonly positions: PositionRow[];
  readonly portfolios: { id: number; cash: bigint; startingCash: bigint; feesPaid: bigint }[];
  readonly instruments: { symbol: string; referencePrice: number; lastPrice: number | null }[];
  readonly audits: AuditRecord[];
  readonly portfolioEvents: PortfolioEventRow[];
}

/**
 * Cash given to or taken from a portfolio (CASH: `amount` added, negative for a withdrawal), or its
 * fresh start (RESET: cash set to `amount`, every position cleared). Its place among the trades is
 * `tradesBefore`, how many of the batch's trades were applied before it: the commit turns that into
 * the id of the trade it follows, so the reconciliation folds it exactly where the OMS applied it.
 */
export interface PortfolioEventRow {
  readonly portfolioId: number;
  readonly kind: 'CASH' | 'RESET';
  readonly amount: bigint;
  readonly reason: string | null;
  readonly tradesBefore: number;
  readonly keyId: number | null;
  readonly at: Date;
}

export type OrderRow = Omit<OrderRecord, 'reservedCash' | 'reservedQty' | 'countedBuy'>;

export interface PositionRow {
  readonly portfolioId: number;
  readonly symbol: string;
  readonly quantity: number;
  readonly costBasis: bigint;
  readonly realizedPnl: bigint;
}

export interface InstrumentRow {
  readonly symbol: string;
  readonly name: string;
  readonly tickSize: number;
  readonly lotSize: number;
  readonly referencePrice: number;
  readonly lastPrice: number | null;
  /** Default `24/7`. */
  readonly session?: TradingSession;
}

export interface LoadedState {
  readonly instruments: InstrumentRow[];
  readonly portfolios: PortfolioState[];
  /** Open orders (NEW / PARTIALLY_FILLED) in book priority within each symbol, and those PENDING_APPROVAL. */
  readonly openOrders: OrderRow[];
}

export interface StoredOrder extends OrderRow {
  readonly portfolioName: string;
}

/**
 * A commit refused because another OMS has since started on the same database and taken over
 * writing it: nothing of the batch was written, and nothing more will be from this process.
 */
export class WriterReplacedError extends Error {
  constructor(readonly writer: number) {
    super(`another OMS took over this database (this one was writer ${writer})`);
    this.name = 'WriterReplacedError';
  }
}

/**
 * A desk's write refused because this process no longer holds the desk's lease at the epoch it
 * loaded the desk under (a cluster of OMS processes): another process serves the desk now, and
 * nothing of the batch was written. For this desk the same as a takeover: it takes nothing more.
 */
export class DeskMovedError extends WriterReplacedError {
  constructor(
    readonly deskId: number,
    readonly epoch: number,
  ) {
    super(epoch);
    this.message = `desk ${deskId} moved to another OMS process (this one held it at epoch ${epoch})`;
    this.name = 'DeskMovedError';
  }
}

/** The persistence the OMS needs; db/ implements it over PostgreSQL. */
export interface OmsStore {
  /** Takes over writing the database (a previous writer is fenced off), then reads its state. */
  loadState(): Promise<LoadedState>;
  /**
   * Writes a batch in one transaction; assigns the trades their ids as the batch closes, in the order
   * they happened, each above every id the desk gave before (ids of a refused batch are never given
   * again; they need not be consecutive). `close`
   * is called once, when the transaction starts, and hands over the rows marked until then: the
   * store chooses when a batch closes, so what piles up while it writes goes into the next one.
   * Rejects with what `close` throws.
   */
  commit(close: () => BatchRows): Promise<void>;
  /** Reserves `count` consecutive ids of a named sequence; returns the first. */
  reserveIds(sequence: 'order', count: number): Promise<number>;
  findOrder(id: number): Promise<StoredOrder | null>;
  findOrderByClientId(portfolioId: number, clientOrderId: string): Promise<StoredOrder | null>;
  /** The trade a portfolio booked with this client_order_id (POST /trade with a gmv), if any. */
  findBookedTrade(portfolioId: number, clientOrderId: string): Promise<TradeRecord | null>;
  insertInstrument(row: InstrumentRow): Promise<void>;
  /** Sets an instrument's trading session (the deployment's: one row for every desk). */
  updateInstrumentSession(symbol: string, session: TradingSession): Promise<void>;
  /** The desk's own fee schedule, or null when it charges the deployment's defaults. */
  loadFees(): Promise<FeeSchedule | null>;
  /** Stores the desk's fee schedule (outside the group commit, fenced like it). */
  saveFees(fees: FeeSchedule): Promise<void>;
  /** The desk's trading state and its portfolios' states and limits. */
  loadRisk(): Promise<StoredRisk>;
  /** Stores the desk's trading state (outside the group commit, fenced like it). */
  saveDeskRisk(state: RiskState): Promise<void>;
  /** Stores a portfolio's state and limits (outside the group commit, fenced like it). */
  savePortfolioRisk(portfolioId: number, risk: PortfolioRisk): Promise<void>;
  insertPortfolio(p: { name: string; cash: bigint; allowShort: boolean; isHouse: boolean; createdBy: string | null }): Promise<PortfolioState>;
}

export type { Side, OrderType, TimeInForce, OrderStatus };
