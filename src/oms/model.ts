import type { OrderBook, OrderType, Side, TimeInForce } from '../engine/index.js';

/** Order statuses; a string union so new ones (PENDING_APPROVAL, ...) slot in. */
export type OrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED' | 'PENDING_APPROVAL';

/** In the book (or waiting for its trigger there). */
export const OPEN_STATUSES: ReadonlySet<OrderStatus> = new Set(['NEW', 'PARTIALLY_FILLED']);

/**
 * Above its portfolio's approval threshold, waiting for a second person: it holds its cash or shares
 * as a resting order does, but is not in the book until approved.
 */
export const PENDING_APPROVAL: OrderStatus = 'PENDING_APPROVAL';

/** Open or waiting for approval: what still holds cash or shares and may yet trade. */
export const isLive = (status: OrderStatus): boolean => OPEN_STATUSES.has(status) || status === PENDING_APPROVAL;

export interface InstrumentState {
  readonly symbol: string;
  name: string;
  /** In price units (0.0001). */
  readonly tickSize: number;
  readonly lotSize: number;
  referencePrice: number;
  lastPrice: number | null;
  /** When it trades (shared by the desks; set by admins). */
  session: TradingSession;
  readonly book: OrderBook;
}

/**
 * When an instrument trades: around the clock (the simulator, crypto), or the US equities regular
 * session (NYSE hours and holidays, New York time); outside it the symbol is `closed`.
 */
export const TRADING_SESSIONS = ['24/7', 'us-equities'] as const;
export type TradingSession = (typeof TRADING_SESSIONS)[number];

/** What a portfolio is stored as; the rest of its state is rebuilt in memory. */
export interface PortfolioRecord {
  readonly id: number;
  readonly name: string;
  readonly cash: bigint;
  readonly startingCash: bigint;
  readonly allowShort: boolean;
  readonly isHouse: boolean;
  /** Fees paid since it was created or last reset; none stored yet reads as zero. */
  readonly feesPaid?: bigint;
  readonly createdAt: Date;
}

/** A stored portfolio as the desk holds it: no open orders or reservations yet, positions to add. */
export function portfolioState(row: PortfolioRecord): PortfolioState {
  return { ...row, feesPaid: row.feesPaid ?? 0n, reservedCash: 0n, openOrders: 0, positions: new Map() };
}

export interface PositionState {
  readonly symbol: string;
  quantity: number;
  /** Signed cost of the open quantity in units (negative for a short). */
  costBasis: bigint;
  realizedPnl: bigint;
  /** Open quantity of this portfolio's SELL orders, held against the position when shorting is off. */
  reservedSell: number;
  /** Open quantity of this portfolio's live BUY orders (awaiting approval too), for the position and exposure limits. */
  openBuy: number;
}

export interface PortfolioState {
  readonly id: number;
  readonly name: string;
  cash: bigint;
  /** What it was created with, or last reset to. */
  startingCash: bigint;
  readonly allowShort: boolean;
  readonly isHouse: boolean;
  /** Fees charged on its fills since it was created or last reset (already taken from its cash). */
  feesPaid: bigint;
  /** Cash held for open BUY orders (limit x open quantity). */
  reservedCash: bigint;
  openOrders: number;
  readonly positions: Map<string, PositionState>;
  readonly createdAt: Date;
}

export interface OrderRecord {
  readonly id: number;
  readonly clientOrderId: string | null;
  readonly portfolioId: number;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly tif: TimeInForce;
  quantity: number;
  filled: number;
  /** Sum of price x quantity of fills, units. */
  filledNotional: bigint;
  limitPrice: number | null;
  stopPrice: number | null;
  status: OrderStatus;
  reason: string | null;
  waiting: boolean;
  priority: number | null;
  readonly userId: string | null;
  readonly origin: unknown;
  /**
   * Who placed it, as the OMS knows them (a desk member, or `key:ID`), unlike userId which the
   * client states: an approval must come from someone else.
   */
  readonly placedBy?: string | null;
  readonly createdAt: Date;
  updatedAt: Date;
  /** Cash (BUY) or quantity (SELL) this order holds in its portfolio right now. */
  reservedCash: bigint;
  reservedQty: number;
  /** A live BUY's open quantity as counted in its position's openBuy (0 for a SELL, or once closed). */
  countedBuy: number;
}

export interface TradeRecord {
  /** Assigned by the commit that makes the trade durable (global sequence). */
  id: bigint;
  readonly symbol: string;
  readonly price: number;
  readonly quantity: number;
  readonly gmv: bigint;
  readonly aggressorSide: Side;
  readonly buyOrderId: number | null;
  readonly sellOrderId: number | null;
  readonly buyPortfolioId: number;
  readonly sellPortfolioId: number;
  readonly kind: 'MATCH' | 'BOOKED';
  /** A booking's client_order_id, which makes a retried booking answer with this trade. */
  readonly clientOrderId: string | null;
  /** What each side paid on this fill under the desk's fee schedule (the house and bookings: 0). */
  readonly buyFee: bigint;
  readonly sellFee: bigint;
  readonly createdAt: Date;
}

export interface AuditRecord {
  readonly at: Date;
  readonly keyId: number | null;
  readonly actor: string | null;
  readonly action: string;
  readonly target: string | null;
  readonly outcome: string;
  readonly details: unknown;
}

/** A fill from one order's point of view. */
export interface Fill {
  readonly trade: TradeRecord;
  readonly side: Side;
  readonly liquidity: 'MAKER' | 'TAKER';
}

/**
 * Where an instrument's prices come from and whether they flow: `live`, `stale` (the source went
 * quiet: the house pulls its quotes and market orders are refused until data returns) or `closed`.
 */
export type MarketStatus = 'live' | 'stale' | 'closed';

export interface InstrumentMarket {
  readonly source: string;
  readonly status: MarketStatus;
}
