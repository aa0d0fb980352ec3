import type { z } from 'zod';
import type {
  deskRiskChangeOut,
  portfolioRiskChangeOut,
  bookWithTradesOut,
  equityCurveOut,
  fillOut,
  instrumentOut,
  leaderboardOut,
  orderOut,
  portfolioListOut,
  portfolioSummaryOut,
  positionOut,
  simpleTradeOut,
  tradeOut,
} from '../wire/response-schemas.js';

/**
 * The OMS REST objects as the bot sees them on the wire (docs/api.md): the types of the response
 * schemas the OMS's answers are held to (src/wire), so a field the OMS adds, drops or renames changes
 * them here too. The bot is a client: it takes the wire's shapes, never the OMS's own types (it does
 * not import src/oms). Ids are strings of digits; prices and money are decimal strings; quantities
 * are integers.
 */

export type Order = z.output<typeof orderOut> & {
  /** Present on the answers that carry them (placing, fetching one order, modifying). */
  readonly fills?: OrderFill[];
};
export type OrderFill = z.output<typeof fillOut>;
export type Trade = z.output<typeof tradeOut>;
export type SimpleTradeResult = z.output<typeof simpleTradeOut>;
export type Position = z.output<typeof positionOut>;
export type PortfolioSummary = z.output<typeof portfolioSummaryOut>;
export type PortfolioListItem = z.output<typeof portfolioListOut>['data'][number];
/** The book with its latest trades, anonymous: no portfolio or order id in them. */
export type BookSnapshot = z.output<typeof bookWithTradesOut>;
export type Instrument = z.output<typeof instrumentOut>;
export type DeskRiskChange = z.output<typeof deskRiskChangeOut>;
export type PortfolioRiskChange = z.output<typeof portfolioRiskChangeOut>;
export type RiskState = DeskRiskChange['state'];

/** The Slack member a command acts for, and where: sent as On-Behalf-Of / On-Behalf-Channel. */
export interface OnBehalf {
  readonly member: string;
  readonly channel: string;
}

export type Side = Order['side'];
export type OrderType = Order['type'];
export type TimeInForce = Order['time_in_force'];
export type OrderStatus = Order['status'];

export const OPEN_STATUSES: ReadonlySet<string> = new Set<OrderStatus>(['NEW', 'PARTIALLY_FILLED']);
/** Above its portfolio's approval threshold: waiting for another approver, not in the book. */
export const PENDING_APPROVAL: OrderStatus = 'PENDING_APPROVAL';

export interface Page<T> {
  readonly data: T[];
  readonly next_cursor: string | null;
}

export interface SlackOrigin {
  readonly slack: { readonly team: string; readonly channel: string; readonly user: string };
}

// Requests: the OMS's request schemas live in its API adapter, which the bot may not import; these
// are the subsets of them the bot sends (docs/api.md), and the Slack integration tests send them to
// the real OMS.

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

export interface SimpleTrade {
  readonly symbol: string;
  readonly quantity: number;
  readonly side: Side;
  readonly portfolio_name: string;
  readonly user_id: string;
  readonly gmv?: string;
  readonly client_order_id?: string;
}

/** GET /leaderboard and GET /portfolios/{name}/equity. */
export type Leaderboard = z.output<typeof leaderboardOut>;
export type EquityCurve = z.output<typeof equityCurveOut>;
export type Role = 'viewer' | 'trader' | 'approver' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'trader', 'approver', 'admin'];

/** A desk member (GET /members). */
export interface Member {
  readonly member: string;
  readonly role: Role;
  readonly portfolios: string[];
}

/** GET /members/{member}: role null for a Slack user who is not a member. */
export interface MemberView {
  readonly member: string;
  readonly role: Role | null;
  readonly portfolios: string[];
  readonly admins: string[];
  readonly desk_has_members: boolean;
}

export interface ChannelGrants {
  readonly channel: string;
  readonly portfolios: string[];
  readonly trading: boolean;
}
