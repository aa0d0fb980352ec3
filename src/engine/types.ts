// The matching engine's contract: commands in, a result code and events out.
// Everything here is plain data with integer prices (price units) and integer quantities, so a
// command stream can be replayed, stored or compared byte for byte.

export type Side = 'BUY' | 'SELL';
export type OrderType = 'MARKET' | 'LIMIT' | 'STOP' | 'STOP_LIMIT';
export type TimeInForce = 'DAY' | 'GTC' | 'IOC' | 'FOK';

/** Per-instrument rules. Prices are integers in price units; tickSize and lotSize are in the same units. */
export interface BookConfig {
  readonly tickSize: number;
  readonly lotSize: number;
  /**
   * How many live orders to allocate for when the book is made (default 256). A book that holds more
   * still works, allocating as it goes; this only moves the allocation ahead. See OrderBook's pool.
   */
  readonly capacity?: number;
}

export interface NewOrderCommand {
  readonly type: 'NEW';
  readonly id: number;
  /** The portfolio that owns the order; orders of one owner never trade with each other. */
  readonly owner: number;
  readonly side: Side;
  readonly orderType: OrderType;
  readonly tif: TimeInForce;
  readonly quantity: number;
  /** Required for LIMIT and STOP_LIMIT, ignored otherwise. */
  readonly price?: number;
  /** Required for STOP and STOP_LIMIT, ignored otherwise. */
  readonly stopPrice?: number;
}

export interface CancelCommand {
  readonly type: 'CANCEL';
  readonly id: number;
}

/**
 * Changes a live order. `quantity` is the new total quantity (filled included), as in FIX OrderQty.
 * Time priority is kept only when the quantity goes down and the price is unchanged.
 */
export interface ModifyCommand {
  readonly type: 'MODIFY';
  readonly id: number;
  readonly quantity?: number;
  readonly price?: number;
  readonly stopPrice?: number;
}

/** A reference (market-data) price; pending stops compare against it like a last trade. */
export interface ReferencePriceCommand {
  readonly type: 'REFERENCE_PRICE';
  readonly price: number;
}

/** End of the trading day: every DAY order, resting or waiting as a stop, expires. */
export interface ExpireDayCommand {
  readonly type: 'EXPIRE_DAY';
}

export type Command =
  | NewOrderCommand
  | CancelCommand
  | ModifyCommand
  | ReferencePriceCommand
  | ExpireDayCommand;

export type ResultCode = 'OK' | 'REJECTED';

export type RejectReason =
  | 'DUPLICATE_ORDER_ID'
  | 'UNKNOWN_ORDER'
  | 'INVALID_QUANTITY'
  | 'QUANTITY_OFF_LOT'
  | 'INVALID_PRICE'
  | 'PRICE_OFF_TICK'
  | 'MISSING_PRICE'
  | 'MISSING_STOP_PRICE'
  | 'INVALID_STOP_PRICE'
  | 'INVALID_MODIFY';

export type CancelReason =
  /** A cancel command. */
  | 'USER'
  /** IOC remainder, or a MARKET order's remainder when liquidity ran out. */
  | 'UNFILLED'
  /** FOK order that could not fill completely at once: nothing traded. */
  | 'FOK_UNFILLABLE'
  /** The next resting order belonged to the incoming order's own owner. */
  | 'SELF_TRADE';

export interface AcceptedEvent {
  readonly type: 'ACCEPTED';
  readonly seq: number;
  readonly orderId: number;
}

export interface RejectedEvent {
  readonly type: 'REJECTED';
  readonly seq: number;
  readonly orderId: number;
  readonly reason: RejectReason;
}

export interface TradeEvent {
  readonly type: 'TRADE';
  readonly seq: number;
  readonly price: number;
  readonly quantity: number;
  readonly aggressorSide: Side;
  readonly takerOrderId: number;
  readonly takerOwner: number;
  readonly makerOrderId: number;
  readonly makerOwner: number;
  /** Quantity still open on each side after this trade (0 = fully filled). */
  readonly takerRemaining: number;
  readonly makerRemaining: number;
}

export interface CanceledEvent {
  readonly type: 'CANCELED';
  readonly seq: number;
  readonly orderId: number;
  /** The quantity that was open and is now canceled. */
  readonly quantity: number;
  readonly reason: CancelReason;
}

export interface ExpiredEvent {
  readonly type: 'EXPIRED';
  readonly seq: number;
  readonly orderId: number;
  readonly quantity: number;
}

export interface TriggeredEvent {
  readonly type: 'TRIGGERED';
  readonly seq: number;
  readonly orderId: number;
  /** The market price (last trade or reference) that crossed the stop. */
  readonly marketPrice: number;
}

export interface ModifiedEvent {
  readonly type: 'MODIFIED';
  readonly seq: number;
  readonly orderId: number;
  readonly quantity: number;
  readonly price: number | null;
  readonly stopPrice: number | null;
  readonly keptPriority: boolean;
}

/** The order now rests in the book at `price`; this event's seq is its time priority. */
export interface RestedEvent {
  readonly type: 'RESTED';
  readonly seq: number;
  readonly orderId: number;
  readonly price: number;
  readonly remaining: number;
}

export type EngineEvent =
  | AcceptedEvent
  | RejectedEvent
  | TradeEvent
  | CanceledEvent
  | ExpiredEvent
  | TriggeredEvent
  | ModifiedEvent
  | RestedEvent;

export interface CommandResult {
  readonly code: ResultCode;
  readonly events: EngineEvent[];
}

/** A live order as the book holds it. */
export interface OrderState {
  readonly id: number;
  readonly owner: number;
  readonly side: Side;
  readonly orderType: OrderType;
  readonly tif: TimeInForce;
  readonly quantity: number;
  readonly filled: number;
  /** Limit price; null for a waiting STOP. */
  readonly price: number | null;
  readonly stopPrice: number | null;
  /** True while a STOP / STOP_LIMIT waits for its trigger. */
  readonly waiting: boolean;
  /**
   * The seq of the event that gave the order its place in its queue: RESTED for a resting order,
   * ACCEPTED (or a MODIFIED that lost priority) for a waiting stop. Lower is earlier.
   */
  readonly priority: number;
}

export interface Level {
  readonly price: number;
  readonly quantity: number;
  readonly orders: number;
}

export interface Depth {
  readonly bids: Level[];
  readonly asks: Level[];
}

/**
 * Everything needed to rebuild a book: resting orders and waiting stops with their priorities.
 * Restoring it gives a book that answers every later command exactly as the original would.
 */
export interface BookSnapshot {
  readonly config: BookConfig;
  readonly seq: number;
  readonly marketPrice: number | null;
  readonly orders: OrderState[];
}
