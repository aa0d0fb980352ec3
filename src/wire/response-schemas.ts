import { z } from 'zod';

/**
 * Every JSON answer of the REST API, one zod schema each. The serializers are typed by them (an
 * undocumented or missing field does not compile), the OpenAPI document describes answers with them,
 * and the API tests check real answers against them. Objects are strict: a field that is not here is
 * an error, not a surprise for scripts.
 */

const decimal = z.string().regex(/^-?\d+\.\d{2,4}$/).meta({ example: '175.25', description: 'exact decimal string' });
const digits = z.string().regex(/^\d+$/).meta({ example: '42' });
const timestamp = z.iso.datetime().meta({ example: '2026-01-02T14:30:00.000Z' });
const side = z.enum(['BUY', 'SELL']);

export const orderOut = z.strictObject({
  id: digits,
  client_order_id: z.string().nullable(),
  symbol: z.string(),
  side,
  type: z.enum(['MARKET', 'LIMIT', 'STOP', 'STOP_LIMIT']),
  quantity: z.number().int(),
  filled_quantity: z.number().int(),
  remaining_quantity: z.number().int(),
  limit_price: decimal.nullable(),
  stop_price: decimal.nullable(),
  time_in_force: z.enum(['DAY', 'GTC', 'IOC', 'FOK']),
  /** PENDING_APPROVAL: above its portfolio's approval threshold, holding its cash or shares, not in the book. */
  status: z.enum(['NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED', 'PENDING_APPROVAL']),
  reason: z.string().nullable(),
  /** Stops only: false while waiting for the trigger, true after it; null for other orders. */
  triggered: z.boolean().nullable(),
  avg_fill_price: decimal.nullable(),
  portfolio_name: z.string(),
  user_id: z.string().nullable(),
  origin: z.record(z.string(), z.unknown()).nullable(),
  created_at: timestamp,
  updated_at: timestamp,
});

export const tradeOut = z.strictObject({
  trade_id: digits,
  symbol: z.string(),
  price: decimal,
  quantity: z.number().int(),
  gmv: decimal,
  aggressor_side: side,
  buy_order_id: digits.nullable(),
  sell_order_id: digits.nullable(),
  buy_portfolio: z.string(),
  sell_portfolio: z.string(),
  kind: z.enum(['MATCH', 'BOOKED']),
  /** What each side paid on this fill (the desk's fee schedule): seen by the desk, never on public market data. */
  buy_fee: decimal,
  sell_fee: decimal,
  executed_at: timestamp,
});

/** A trade as one of its orders' fills. */
export const fillOut = tradeOut.extend({ side, liquidity: z.enum(['MAKER', 'TAKER']), fee: decimal });

export const orderWithFillsOut = orderOut.extend({ fills: z.array(fillOut) });

const page = <T extends z.ZodType>(item: T) => z.strictObject({ data: z.array(item), next_cursor: digits.nullable() });

export const orderPageOut = page(orderOut);
export const tradePageOut = page(tradeOut);

/** POST /trade: one fill, or the aggregate of several (average price, first fill's id) with them. */
export const simpleTradeOut = z.strictObject({
  success: z.boolean(),
  trade_id: digits.nullable(),
  message: z.string(),
  // `fee`: what the caller's side paid (the sum of its fills' fees for an aggregate).
  trade: z.union([tradeOut.extend({ fee: decimal }), tradeOut.extend({ fee: decimal, fills: z.array(tradeOut.extend({ fee: decimal })) })]).nullable(),
});

export const positionOut = z.strictObject({
  symbol: z.string(),
  quantity: z.number().int(),
  avg_cost: decimal.nullable(),
  cost_basis: decimal,
  reference_price: decimal,
  market_value: decimal,
  gmv: decimal,
  unrealized_pnl: decimal,
  realized_pnl: decimal,
});

export const portfolioSummaryOut = z.strictObject({
  name: z.string(),
  cash: decimal,
  starting_cash: decimal,
  equity: decimal,
  market_value: decimal,
  gmv: decimal,
  unrealized_pnl: decimal,
  realized_pnl: decimal,
  /** Fees charged on its fills since it was created or last reset; P&L figures are gross of them. */
  fees_paid: decimal,
  total_pnl: decimal,
  allow_short: z.boolean(),
  open_orders: z.number().int(),
  positions: z.array(positionOut),
  as_of: timestamp,
});

export const portfolioListOut = z.strictObject({
  data: z.array(
    z.strictObject({
      name: z.string(),
      cash: decimal,
      starting_cash: decimal,
      allow_short: z.boolean(),
      /** The house market maker's portfolio. */
      is_house: z.boolean(),
      created_at: timestamp,
    }),
  ),
});

export const instrumentOut = z.strictObject({
  symbol: z.string(),
  name: z.string(),
  tick_size: decimal,
  lot_size: z.number().int(),
  reference_price: decimal,
  last_price: decimal.nullable(),
  best_bid: decimal.nullable(),
  best_ask: decimal.nullable(),
  /** Where its prices come from: simulator, replay, alpaca, coinbase. */
  source: z.string(),
  /** live; stale (the source went quiet: no house quotes, market orders refused); closed. */
  market_status: z.enum(['live', 'stale', 'closed']),
  /** When it trades: `24/7`, or `us-equities` (NYSE hours and holidays); outside it `market_status` is `closed`. */
  session: z.enum(['24/7', 'us-equities']),
});

export const instrumentListOut = z.strictObject({ data: z.array(instrumentOut) });

const levelOut = z.strictObject({ price: decimal, quantity: z.number().int(), orders: z.number().int() });

export const bookOut = z.strictObject({
  symbol: z.string(),
  bids: z.array(levelOut),
  asks: z.array(levelOut),
  last_price: decimal.nullable(),
  reference_price: decimal,
});

/**
 * A trade as public market data shows it (GET /book, the trades:SYMBOL feed channel): what printed
 * and when, never who traded: no portfolio, no order id. Those stay with the keys that may see them
 * (GET /trades, an order's fills, orders:PORTFOLIO).
 */
export const publicTradeOut = z.strictObject({
  trade_id: digits,
  price: decimal,
  quantity: z.number().int(),
  aggressor_side: side,
  executed_at: timestamp,
});

export const bookWithTradesOut = bookOut.extend({ trades: z.array(publicTradeOut) });

export const keyOut = z.strictObject({
  id: z.number().int(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.enum(['read', 'trade', 'admin', 'operator', 'act_as', 'approve'])),
  /** Empty: every portfolio. */
  portfolios: z.array(z.string()),
  created_at: timestamp,
  revoked_at: timestamp.nullable(),
});

export const keyListOut = z.strictObject({ data: z.array(keyOut) });

/** The only answer that shows a key: the one that creates it. */
export const keyCreatedOut = keyOut.extend({ key: z.string() });

export const healthOut = z.strictObject({
  status: z.literal('ok'),
  database: z.literal('ok'),
  slack: z.enum(['ok', 'connecting', 'unreachable', 'invalid_auth', 'off']).optional(),
  /** The market data source's link: ok (the simulator always), connecting, stale, invalid_auth, connection_limit, ended. */
  market_data: z.enum(['ok', 'connecting', 'stale', 'invalid_auth', 'connection_limit', 'ended']).optional(),
  /** In a cluster of OMS processes: how many desks this process owns now. */
  desks_owned: z.number().int().optional(),
});

/**
 * /health while the OMS cannot trade yet or for a moment: starting (books and first quotes), or
 * degraded (a desk reloading its committed state after a failed commit; back by itself).
 */
export const healthNotReadyOut = z.strictObject({
  status: z.enum(['starting', 'degraded']),
  database: z.literal('ok'),
  slack: z.enum(['ok', 'connecting', 'unreachable', 'invalid_auth', 'off']).optional(),
  market_data: z.enum(['ok', 'connecting', 'stale', 'invalid_auth', 'connection_limit', 'ended']).optional(),
  degraded_desks: z.array(z.string()).optional(),
  desks_owned: z.number().int().optional(),
  detail: z.string(),
});

export const deskOut = z.strictObject({ id: z.number().int(), name: z.string(), created_at: timestamp });
export const deskListOut = z.strictObject({ data: z.array(deskOut) });
/** The only answer that shows the new desk's first admin key. */
export const deskCreatedOut = z.strictObject({ desk: deskOut, admin_key: z.string() });

/** An instrument's bars (GET /bars/{symbol}): volume is shares or coins, fractional for crypto. */
export const barOut = z.strictObject({
  time: timestamp,
  open: decimal,
  high: decimal,
  low: decimal,
  close: decimal,
  volume: z.string().regex(/^\d+(\.\d{1,8})?$/).meta({ example: '1250', description: 'exact decimal string' }),
});
export const barListOut = z.strictObject({ symbol: z.string(), interval: z.enum(['1m', '5m', '1h', '1d']), data: z.array(barOut) });
/** A desk's fee schedule (GET and PUT /fees); bps to 4 decimals like amounts. */
export const feesOut = z.strictObject({ per_share: decimal, bps: decimal, min_per_order: decimal });

/** GET /leaderboard and GET /portfolios/{name}/equity. */
const returnPct = z.string().regex(/^-?\d+\.\d{2,4}$/).nullable().meta({ example: '2.50', description: 'return over the period in percent (exact, rounded half away from zero to 4 decimals); null when the period starts at no equity' });
const periodOut = z.enum(['day', 'week', 'month', 'all']);
const standingFields = {
  start_equity: decimal,
  equity: decimal,
  pnl: decimal,
  return_pct: returnPct,
};
export const leaderboardOut = z.strictObject({
  period: periodOut,
  /** Where the period starts; null for all. */
  from: z.iso.datetime().nullable(),
  as_of: z.iso.datetime(),
  data: z.array(z.strictObject({ rank: z.number().int().min(1), portfolio_name: z.string(), ...standingFields, started_at: z.iso.datetime() })),
});
export const equityCurveOut = z.strictObject({
  portfolio_name: z.string(),
  period: periodOut,
  from: z.iso.datetime().nullable(),
  as_of: z.iso.datetime(),
  ...standingFields,
  data: z.array(z.strictObject({ at: z.iso.datetime(), equity: decimal, cash: decimal })),
});

export const errorOut = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    details: z.array(z.strictObject({ path: z.string(), message: z.string() })),
  }),
});

const role = z.enum(['viewer', 'trader', 'approver', 'admin']);

/** A desk member: a Slack user (`slack:TEAM:USER`), their role and their own portfolio grants. */
export const memberOut = z.strictObject({
  member: z.string(),
  role,
  portfolios: z.array(z.string()),
  created_at: timestamp,
  updated_at: timestamp,
});
export const memberListOut = z.strictObject({ data: z.array(memberOut) });

/** GET /members/{member}: the desk's view of a Slack user, member or not, and who can change it. */
export const memberViewOut = z.strictObject({
  member: z.string(),
  /** Null: not a member. */
  role: role.nullable(),
  portfolios: z.array(z.string()),
  /** The desk's admins (`slack:*:USER` for one named by SLACK_ADMIN_USERS who has not acted yet). */
  admins: z.array(z.string()),
  /** False: the desk has no member yet, and the first to claim it becomes its admin. */
  desk_has_members: z.boolean(),
});

/** A channel's grants: the portfolios it may trade, and whether it is one of the desk's trading channels. */
export const channelOut = z.strictObject({ channel: z.string(), portfolios: z.array(z.string()), trading: z.boolean() });
export const channelListOut = z.strictObject({
  data: z.array(channelOut),
  /** The desk's trading channels; empty: trading from any channel. */
  trading_channels: z.array(z.string()),
});

export type OrderOut = z.output<typeof orderOut>;
export type TradeOut = z.output<typeof tradeOut>;
export type PublicTradeOut = z.output<typeof publicTradeOut>;
export type FillOut = z.output<typeof fillOut>;
export type FeesOut = z.output<typeof feesOut>;
export type InstrumentOut = z.output<typeof instrumentOut>;
export type BookOut = z.output<typeof bookOut>;
export type PortfolioSummaryOut = z.output<typeof portfolioSummaryOut>;
export type KeyOut = z.output<typeof keyOut>;
export type MemberOut = z.output<typeof memberOut>;
export type ChannelOut = z.output<typeof channelOut>;

const riskState = z.enum(['ACTIVE', 'REDUCING', 'HALTED']);
const limitMoney = decimal.nullable();

/** A portfolio's trading state and limits (null: no limit), with the desk's state, which applies too. */
export const portfolioRiskOut = z.strictObject({
  portfolio: z.string(),
  state: riskState,
  desk_state: riskState,
  limits: z.strictObject({
    max_order_notional: limitMoney,
    max_position: z.number().int().nullable(),
    max_gross_exposure: limitMoney,
    approval_threshold: limitMoney,
  }),
});

/** The desk's trading state. */
export const deskRiskOut = z.strictObject({ desk: z.string(), state: riskState });

/** A change of state: with how many open orders a halt canceled (and orders awaiting approval it rejected). */
export const portfolioRiskChangeOut = portfolioRiskOut.extend({ canceled_orders: z.number().int() });
export const deskRiskChangeOut = deskRiskOut.extend({ canceled_orders: z.number().int() });

export type PortfolioRiskOut = z.infer<typeof portfolioRiskOut>;

/**
 * GET /cluster (operator): the OMS processes and which owns each desk. `mode` single: one process
 * serves every desk (no leases). Heartbeats and lease ends are the database's clock.
 */
export const clusterOut = z.strictObject({
  mode: z.enum(['single', 'cluster']),
  /** The process that answered. */
  member_id: z.string().nullable(),
  members: z.array(
    z.strictObject({ id: z.string(), address: z.string(), heartbeat_at: timestamp, live: z.boolean(), desks_owned: z.array(z.number().int()) }),
  ),
  desks: z.array(
    z.strictObject({ id: z.number().int(), name: z.string(), owner: z.string().nullable(), epoch: z.number().int(), lease_expires_at: timestamp.nullable() }),
  ),
});
export type ClusterOut = z.infer<typeof clusterOut>;
