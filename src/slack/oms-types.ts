/**
 * The OMS REST objects as the bot sees them on the wire (docs/api.md). Kept apart from the OMS's own
 * types on purpose: the bot is a client and must not import from src/oms. Ids are strings of digits;
 * prices and money are decimal strings; quantities are integers.
 */

export type Side = 'BUY' | 'SELL';
export type OrderType = 'MARKET' | 'LIMIT' | 'STOP' | 'STOP_LIMIT';
export type TimeInForce = 'DAY' | 'GTC' | 'IOC' | 'FOK';
export type OrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED';

export const OPEN_STATUSES: ReadonlySet<string> = new Set(['NEW', 'PARTIALLY_FILLED']);

export interface SlackOrigin {
  readonly slack: { readonly team: string; readonly channel: string; readonly user: string };
}

export interface OrderFill {
  readonly trade_id: string;
  readonly price: string;
  readonly quantity: number;
  readonly side?: Side;
  readonly liquidity?: 'MAKER' | 'TAKER';
  readonly executed_at?: string;
}

export interface Order {
  readonly id: string;
  readonly client_order_id: string | null;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: number;
  readonly filled_quantity: number;
  readonly remaining_quantity: number;
  readonly limit_price: string | null;
  readonly stop_price: string | null;
  readonly time_in_force: TimeInForce;
  readonly status: OrderStatus;
  readonly reason?: string | null;
  /** false while a stop waits for its trigger; null for orders without a stop. */
  readonly triggered?: boolean | null;
  readonly avg_fill_price: string | null;
  readonly portfolio_name: string;
  readonly user_id: string | null;
  readonly origin?: unknown;
  readonly created_at: string;
  readonly updated_at: string;
  readonly fills?: OrderFill[];
}

export interface NewOrder {
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: number;
  readonly limit_price?: string;
  readonly stop_price?: string;
  readonly time_in_force?: TimeInForce;
  readonly portfolio_name: string;
  readonly client_order_id?: string;
  readonly user_id?: string;
  readonly origin?: SlackOrigin;
}

export interface Trade {
  readonly trade_id: string;
  readonly symbol: string;
  readonly price: string;
  readonly quantity: number;
  readonly gmv: string;
  readonly aggressor_side: Side;
  readonly buy_order_id: string | null;
  readonly sell_order_id: string | null;
  readonly buy_portfolio: string;
  readonly sell_portfolio: string;
  readonly kind: string;
  readonly executed_at: string;
}

export interface SimpleTrade {
  readonly symbol: string;
  readonly quantity: number;
  readonly side: Side;
  readonly portfolio_name: string;
  readonly user_id: string;
  readonly gmv?: string;
  readonly client_order_id?: string;
}

export interface SimpleTradeResult {
  readonly success: boolean;
  readonly trade_id: string | null;
  readonly message: string;
  readonly trade: Trade | null;
}

export interface Position {
  readonly symbol: string;
  readonly quantity: number;
  /** null for a closed position (quantity 0) kept for its realized P&L. */
  readonly avg_cost: string | null;
  readonly cost_basis: string;
  readonly reference_price: string;
  readonly market_value: string;
  readonly gmv: string;
  readonly unrealized_pnl: string;
  readonly realized_pnl: string;
}

export interface PortfolioSummary {
  readonly name: string;
  readonly cash: string;
  readonly starting_cash: string;
  readonly equity: string;
  readonly market_value: string;
  readonly gmv: string;
  readonly unrealized_pnl: string;
  readonly realized_pnl: string;
  readonly total_pnl: string;
  readonly allow_short: boolean;
  readonly open_orders: number;
  readonly positions: Position[];
  readonly as_of: string;
}

export interface PortfolioListItem {
  readonly name: string;
  readonly cash: string;
  readonly starting_cash: string;
  readonly allow_short: boolean;
  readonly created_at: string;
}

export interface BookLevel {
  readonly price: string;
  readonly quantity: number;
}

export interface BookSnapshot {
  readonly symbol: string;
  readonly bids: BookLevel[];
  readonly asks: BookLevel[];
  readonly last_price: string | null;
  readonly reference_price: string | null;
  readonly trades?: Trade[];
}

export interface Page<T> {
  readonly data: T[];
  readonly next_cursor: string | null;
}
