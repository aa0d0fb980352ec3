import type { RejectReason } from '../engine/index.js';

/**
 * The one catalogue of the OMS's error codes: each code, what it means, and its kind. The kind,
 * never the code, decides how an edge words or numbers it (api/error-mapper.ts gives each kind its
 * HTTP status). Codes that only make sense on a transport (malformed JSON, a missing API key, a rate
 * limit, an unknown route) belong to that transport's adapter, not here.
 *
 * Codes are a stable contract: scripts and the Slack bot branch on them. Rename one only with every
 * client, the docs' errors tables and the Slack help (tests hold those to this table).
 */
export type ErrorKind =
  /** The request does not say a well-formed thing: `details` names each field. */
  | 'validation'
  /** What the request names does not exist (or the caller may not know it does). */
  | 'not_found'
  /** The request clashes with the state it meets: it was valid, and may be right later or elsewhere. */
  | 'conflict'
  /** A business rule refuses a well-formed request (unknown symbol, not enough cash, ...). */
  | 'rejected'
  /** The OMS cannot do anything now: nothing of the request was applied; retry later. */
  | 'unavailable'
  /** The caller (a desk member acting through the bot) lacks the role or grant the request needs. */
  | 'forbidden';

interface CatalogueEntry {
  readonly kind: ErrorKind;
  readonly meaning: string;
}

export const ERROR_CATALOGUE = {
  VALIDATION_ERROR: { kind: 'validation', meaning: 'a field is missing, unknown or malformed; `details` names each one' },

  ORDER_NOT_FOUND: { kind: 'not_found', meaning: 'no order with that id, or one of a portfolio the key may not use' },
  TRADE_NOT_FOUND: { kind: 'not_found', meaning: 'no trade with that id the key may see' },
  PORTFOLIO_NOT_FOUND: { kind: 'not_found', meaning: 'no portfolio by that name the key may see' },
  KEY_NOT_FOUND: { kind: 'not_found', meaning: 'no API key with that id' },

  ORDER_NOT_OPEN: { kind: 'conflict', meaning: 'the order is already filled, canceled, rejected or expired' },
  CLIENT_ORDER_ID_IN_USE: { kind: 'conflict', meaning: 'the client_order_id already names a different order or booking in this portfolio' },
  PORTFOLIO_EXISTS: { kind: 'conflict', meaning: 'a portfolio by that name already exists' },
  DESK_EXISTS: { kind: 'conflict', meaning: 'a desk by that name already exists' },
  INSTRUMENT_EXISTS: { kind: 'conflict', meaning: 'an instrument with that symbol already exists' },
  KEY_REVOKED: { kind: 'conflict', meaning: 'the API key is already revoked' },
  LAST_ADMIN_KEY: { kind: 'conflict', meaning: 'the last active admin key cannot be revoked' },
  ORDER_NOT_PENDING: { kind: 'conflict', meaning: 'the order does not await approval (already approved, rejected, expired or canceled)' },

  UNKNOWN_SYMBOL: { kind: 'rejected', meaning: 'no instrument with that symbol is traded' },
  UNKNOWN_PORTFOLIO: { kind: 'rejected', meaning: 'no portfolio by that name (names are case-sensitive)' },
  HOUSE_PORTFOLIO: { kind: 'rejected', meaning: "the market maker's portfolio takes no client orders or bookings" },
  INSUFFICIENT_CASH: { kind: 'rejected', meaning: 'the portfolio lacks the buying power (cash not held by open BUY orders)' },
  SHORT_NOT_ALLOWED: { kind: 'rejected', meaning: 'the portfolio may not sell more than it holds (shares not held by open SELL orders)' },
  PRICE_OFF_TICK: { kind: 'rejected', meaning: "a price is not a multiple of the instrument's tick size" },
  QUANTITY_OFF_LOT: { kind: 'rejected', meaning: "the quantity is not a multiple of the instrument's lot size" },
  INVALID_MODIFY: { kind: 'rejected', meaning: 'the order cannot be changed that way (quantity at or below the filled, a price its type has not)' },
  PRICE_OUTSIDE_BAND: { kind: 'rejected', meaning: 'a booked trade priced further from the reference price than the band allows' },
  MARKET_DATA_STALE: { kind: 'rejected', meaning: "the instrument's market data has gone quiet: market orders wait until it returns" },
  MARKET_CLOSED: { kind: 'rejected', meaning: "the instrument's session is closed: market, IOC and FOK orders wait for the open; limit and stop orders rest" },
  ORDER_REJECTED: { kind: 'rejected', meaning: "the matching engine refused the order or change, for a reason the OMS's own checks did not catch" },
  DESK_HALTED: { kind: 'rejected', meaning: 'the desk is halted: no new order (nor a change that adds to one) until it is resumed; cancels go through' },
  PORTFOLIO_HALTED: { kind: 'rejected', meaning: 'the portfolio is halted: no new order (nor a change that adds to one) until it is resumed; cancels go through' },
  REDUCE_ONLY: { kind: 'rejected', meaning: 'the desk or portfolio is reduce-only: the order would not shrink a position (with its open orders on the same side)' },
  RISK_LIMIT: { kind: 'rejected', meaning: "the order would break one of the portfolio's limits; `details` names the limit, its value and the would-be value" },
  APPROVAL_NOT_ALLOWED: { kind: 'rejected', meaning: 'an order awaiting approval is decided by another person with the approve scope (approver or admin), never its placer' },

  // Desk members and roles (members.ts).
  MEMBER_NOT_FOUND: { kind: 'not_found', meaning: 'no member of the desk by that id' },
  LAST_DESK_ADMIN: { kind: 'conflict', meaning: "the desk's last admin member cannot be removed or given another role" },
  ROLE_REQUIRED: { kind: 'forbidden', meaning: "the member's role does not allow the request; the message names the role needed and the desk's admins, who can grant it" },
  NOT_A_MEMBER: { kind: 'forbidden', meaning: 'the Slack user is not a member of the desk; a desk admin can add them' },
  PORTFOLIO_NOT_GRANTED: { kind: 'forbidden', meaning: 'neither the member nor the channel has a grant to trade that portfolio; a desk admin can grant it' },
  CHANNEL_NOT_ALLOWED: { kind: 'forbidden', meaning: "the desk trades only from its listed channels, and the request came from another (or named none)" },

  UNAVAILABLE: {
    kind: 'unavailable',
    meaning: 'nothing was applied: a commit failed, another OMS took over the database, the database is unreachable, or the OMS is stopping',
  },
} as const satisfies Record<string, CatalogueEntry>;

export type OmsErrorCode = keyof typeof ERROR_CATALOGUE;

/** The codes of one kind: `rejected('NOT_A_CODE', ...)`, or a not-found code given to it, does not compile. */
export type CodeOfKind<K extends ErrorKind> = {
  [C in OmsErrorCode]: (typeof ERROR_CATALOGUE)[C]['kind'] extends K ? C : never;
}[OmsErrorCode];

export const OMS_ERROR_CODES = Object.keys(ERROR_CATALOGUE) as OmsErrorCode[];

export function isOmsErrorCode(code: string): code is OmsErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, code);
}

/**
 * The engine's reasons for refusing a command, as catalogue codes. The OMS checks ticks, lots and
 * modifies itself first, so the engine agreeing with it keeps the same code; any other refusal means
 * a check the OMS lacks, told apart by the message rather than by a code per engine rule.
 */
export function codeOfEngineRefusal(reason: RejectReason): CodeOfKind<'rejected'> {
  switch (reason) {
    case 'PRICE_OFF_TICK':
    case 'QUANTITY_OFF_LOT':
    case 'INVALID_MODIFY':
      return reason;
    default:
      return 'ORDER_REJECTED';
  }
}
