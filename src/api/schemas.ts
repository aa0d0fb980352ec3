import { z } from 'zod';
import { parseUnits } from '../oms/units.js';
import { TRADING_SESSIONS } from '../oms/model.js';
import { EQUITY_PERIODS } from '../oms/equity.js';
import { jsonObject, text } from '../wire/text.js';
import { CHANNEL_ID, MEMBER_ID, ROLES, type Role } from '../oms/members.js';

/**
 * One zod schema per input: validation, the TypeScript types (z.infer) and the OpenAPI document
 * all come from here.
 */

const upper = <T extends string>(values: readonly [T, ...T[]]) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.toUpperCase() : v),
    // A missing field says so; zod would only list the options.
    z.enum(values, { error: (issue) => (issue.input === undefined ? `required: one of ${values.join(', ')}` : undefined) }),
  );

/** A price or amount: JSON number or decimal string, at most 4 decimals, read exactly (never via float math). */
export const decimal = (what: string) =>
  z
    .union([text({ max: 64 }), z.number()])
    .transform((v, ctx) => {
      const units = parseUnits(v);
      if (units === null) {
        const tooLarge = /^-?\d{16,}(\.\d*)?$/.test(String(v).trim());
        ctx.addIssue({ code: 'custom', message: tooLarge ? `${what} is too large` : `${what} must be a decimal with at most 4 places` });
        return z.NEVER;
      }
      return units;
    })
    .meta({ example: '175.25', description: `${what}: a decimal string (exact) or number` });

export const positiveDecimal = (what: string) =>
  decimal(what).refine((u) => u > 0n, { message: `${what} must be positive` });

/** The largest price the engine takes (its units must stay a safe integer); beyond any real price. */
const MAX_PRICE_UNITS = BigInt(Number.MAX_SAFE_INTEGER);

/** A price or tick size: positive, and small enough for the engine's integer price units. */
export const priceDecimal = (what: string) =>
  positiveDecimal(what).refine((u) => u <= MAX_PRICE_UNITS, { message: `${what} is too large` });

export const quantity = z
  .number({ error: 'quantity must be a number' })
  .int('quantity must be a whole number')
  .positive('quantity must be positive')
  .max(1_000_000_000, 'quantity is too large');

export const sideSchema = upper(['BUY', 'SELL']);
export const orderTypeSchema = upper(['MARKET', 'LIMIT', 'STOP', 'STOP_LIMIT']);
export const tifSchema = upper(['DAY', 'GTC', 'IOC', 'FOK']);
/**
 * Every text input is `text()` (src/wire/text.ts): no control characters, unpaired surrogates or
 * bidi controls, bounded by the width of the column that stores it.
 */
const portfolioName = (field?: string) => text({ min: 1, max: 100, trim: true, ...(field === undefined ? {} : { required: `${field} is required` }) });
const symbol = text({ min: 1, max: 16, trim: true }).transform((s) => s.toUpperCase());
/** Chosen by the client, unique per portfolio: a retry with the same one acts at most once. */
const clientOrderId = text({ min: 1, max: 64, trim: true }).optional();
/** Whoever the client says placed it (a Slack user, a strategy): stored and shown, never interpreted. */
const userId = text({ max: 128 }).optional();
/** Ids are at most 15 digits (safe integers), so a query never casts an out-of-range bigint. */
const digits = (what: string) => text({ max: 64, pattern: { regex: /^\d{1,15}$/, message: `${what} must be 1 to 15 digits` } });

export const placeOrderBody = z
  .object({
    symbol,
    side: sideSchema,
    type: orderTypeSchema,
    quantity,
    limit_price: priceDecimal('limit_price').optional(),
    stop_price: priceDecimal('stop_price').optional(),
    time_in_force: tifSchema.default('DAY'),
    portfolio_name: portfolioName('portfolio_name'),
    client_order_id: clientOrderId,
    user_id: userId,
    /** Free-form JSON for the client's own routing (Slack: team, channel, user), stored as given. */
    origin: jsonObject({ depth: 8, keyMax: 64, stringMax: 1000 }).optional(),
  })
  .strict();
export type PlaceOrderBody = z.infer<typeof placeOrderBody>;

export const modifyOrderBody = z
  .object({
    quantity: quantity.optional(),
    limit_price: priceDecimal('limit_price').optional(),
    stop_price: priceDecimal('stop_price').optional(),
  })
  .strict()
  .refine((b) => b.quantity !== undefined || b.limit_price !== undefined || b.stop_price !== undefined, {
    message: 'give at least one of quantity, limit_price, stop_price',
  });

export const simpleTradeBody = z
  .object({
    symbol,
    quantity,
    side: sideSchema,
    portfolio_name: portfolioName('portfolio_name'),
    user_id: userId,
    gmv: positiveDecimal('gmv').optional(),
    client_order_id: clientOrderId,
  })
  .strict();

export const createPortfolioBody = z
  .object({
    name: text({ min: 1, max: 100, trim: true, pattern: { regex: /^[\w .\-]+$/, message: 'name may hold letters, digits, space, . _ -' } }),
    starting_cash: positiveDecimal('starting_cash').optional(),
    allow_short: z.boolean().default(false),
  })
  .strict();

/** A deposit (positive) or a withdrawal (negative), with why: both are audited. */
export const portfolioCashBody = z
  .object({
    amount: decimal('amount')
      .refine((u) => u !== 0n, { message: 'amount must not be zero' })
      .meta({ example: '2500.00', description: 'amount: a decimal string (exact) or number; positive deposits, negative withdraws' }),
    reason: text({ min: 1, max: 200, trim: true, required: 'reason is required' }),
  })
  .strict();

/** A fresh start; without starting_cash, the portfolio's current one. */
export const resetPortfolioBody = z
  .object({
    starting_cash: positiveDecimal('starting_cash').optional(),
  })
  .strict();

export const createInstrumentBody = z
  .object({
    symbol: text({ max: 16, trim: true, pattern: { regex: /^[A-Za-z][A-Za-z0-9.]{0,15}$/, message: 'symbol must be 1-16 letters/digits' } }).transform((s) =>
      s.toUpperCase(),
    ),
    name: text({ max: 100, trim: true }).default(''),
    tick_size: priceDecimal('tick_size').optional(),
    lot_size: z.number().int().positive().max(1_000_000_000).default(1),
    reference_price: priceDecimal('reference_price'),
  })
  .strict();

export const setPriceBody = z.object({ price: priceDecimal('price') }).strict();

/** What an admin may change of an instrument: when it trades. */
export const patchInstrumentBody = z
  .object({
    session: z
      .enum(TRADING_SESSIONS, { error: (issue) => (issue.input === undefined ? `required: one of ${TRADING_SESSIONS.join(', ')}` : `must be one of ${TRADING_SESSIONS.join(', ')}`) })
      .meta({ description: '`24/7` (around the clock), or `us-equities` (09:30-16:00 New York time on NYSE trading days, 13:00 on early closes)' }),
  })
  .strict();

/** A desk's name: any safe text, unique in the deployment. */
export const createDeskBody = z
  .object({
    name: text({ min: 1, max: 64, trim: true, required: 'name is required' }),
    /** The first key may also act for the desk's members (the key of a chat bot serving the desk). */
    act_as: z.boolean({ error: 'act_as must be true or false' }).default(false),
  })
  .strict();

export const createKeyBody = z
  .object({
    name: text({ min: 1, max: 100, trim: true, required: 'name is required' }),
    scopes: z.array(z.enum(['read', 'trade', 'admin', 'operator', 'act_as', 'approve'])).min(1, 'give at least one scope').default(['read', 'trade']),
    /** Empty: every portfolio. */
    portfolios: z.array(portfolioName()).max(100).default([]),
  })
  .strict();

const limit = z.coerce.number().int().min(1).max(500).default(100);
const cursor = text({ max: 64, pattern: { regex: /^\d{1,15}$/, message: 'cursor must come from next_cursor' } }).optional();

/**
 * Query strings are strict like bodies: a parameter the endpoint does not know is a 400 naming it,
 * never silently ignored (a misspelt filter would otherwise list everything).
 */
export const listOrdersQuery = z
  .object({
    portfolio: text({ min: 1, max: 100 }).optional(),
    symbol: text({ min: 1, max: 16 }).transform((s) => s.toUpperCase()).optional(),
    status: upper(['OPEN', 'NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED', 'PENDING_APPROVAL']).optional(),
    user_id: text({ min: 1, max: 128 }).optional(),
    cursor,
    limit,
  })
  .strict();

export const listTradesQuery = z
  .object({
    portfolio: text({ min: 1, max: 100 }).optional(),
    symbol: text({ min: 1, max: 16 }).transform((s) => s.toUpperCase()).optional(),
    order_id: digits('order_id').optional(),
    since_id: digits('since_id').optional(),
    user_id: text({ min: 1, max: 128 }).optional(),
    cursor,
    limit,
  })
  .strict();

export const bookQuery = z.object({ depth: z.coerce.number().int().min(1).max(100).default(20) }).strict();

/** The query of an endpoint that takes none: any parameter is refused, by name. */
export const noQuery = z.object({}).strict();

export const idParam = digits('id');
/** Route parameters (`/orders/:id`), parsed as an object so a 400 names the parameter. */
export const idParams = z.object({ id: idParam });
/** A trade's id is `trade_id` in the path, as in the trade object. */
export const tradeIdParams = z.object({ trade_id: digits('trade_id') });
export const nameParams = z.object({ name: portfolioName('name') });
export const symbolParams = z.object({ symbol: symbol });

/** A time of GET /bars: ISO 8601 with its zone (or a date, midnight UTC), or Unix seconds. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;
const instant = (name: string) =>
  text({ min: 1, max: 40, trim: true, pattern: { regex: /^(?:\d{1,11}|\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-][\d:]+))?)$/, message: `${name} must be an ISO 8601 time with its zone (2024-06-14T13:30:00Z) or Unix seconds` } })
    .transform((value, ctx) => {
      const ms = /^\d+$/.test(value) ? Number(value) * 1000 : ISO_TIME.test(value) ? Date.parse(value) : NaN;
      // Date.parse rolls 2024-02-31 over into March: a date that is not the one written is refused.
      if (!Number.isFinite(ms) || (!/^\d+$/.test(value) && !sameDay(value, ms))) {
        ctx.addIssue({ code: 'custom', message: `${name} is not a valid time: ${value}` });
        return z.NEVER;
      }
      return new Date(ms);
    });
const sameDay = (value: string, ms: number): boolean => {
  const zoned = /([+-])(\d{2}):?(\d{2})$/.exec(value);
  const offset = zoned && value.includes('T') ? (zoned[1] === '-' ? -1 : 1) * (Number(zoned[2]) * 60 + Number(zoned[3])) * 60_000 : 0;
  return new Date(ms + offset).toISOString().slice(0, 10) === value.slice(0, 10);
};
export const BAR_INTERVAL_NAMES = ['1m', '5m', '1h', '1d'] as const;
export const barsQuery = z
  .object({
    interval: z.enum(BAR_INTERVAL_NAMES, { error: `interval must be one of ${BAR_INTERVAL_NAMES.join(', ')}` }).default('1m'),
    from: instant('from').optional(),
    to: instant('to').optional(),
    limit: z.coerce.number().int().min(1).max(5000).default(500),
  })
  .strict()
  .superRefine((q, ctx) => {
    // Runs even when a time was refused: only two times that were read are compared.
    if (q.from instanceof Date && q.to instanceof Date && q.from.getTime() >= q.to.getTime()) ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must be after from' });
  });
/** A fee amount: zero or more, at most a million (the columns hold far more; no real fee comes near). */
const feeAmount = (what: string) =>
  decimal(what)
    .refine((u) => u >= 0n, { message: `${what} must not be negative` })
    .refine((u) => u <= 10_000_000_000n, { message: `${what} must be at most 1000000` });

/** PUT /fees: the desk's whole schedule (0 turns a part off); bps read to 4 decimals, like amounts. */
export const deskFeesBody = z
  .object({
    per_share: feeAmount('per_share'),
    bps: decimal('bps')
      .refine((u) => u >= 0n, { message: 'bps must not be negative' })
      .refine((u) => u <= 100_000_000n, { message: 'bps must be at most 10000 (the whole notional)' })
      .meta({ example: '1.5', description: 'bps: basis points of each fill\'s notional, a decimal string (exact) or number' }),
    min_per_order: feeAmount('min_per_order'),
  })
  .strict();

/** GET /leaderboard and GET /portfolios/{name}/equity: the period, a UTC calendar one (or all). */
export const equityPeriodQuery = z
  .object({ period: z.enum(EQUITY_PERIODS, { error: `period must be one of ${EQUITY_PERIODS.join(', ')}` }).default('day') })
  .strict();

// ---- desk members, channel grants, trading channels (members.routes.ts) -------------------------

/** `slack:TEAM:USER`, as Slack writes its ids (upper-case letters and digits). */
const memberId = text({ max: 100, trim: true, pattern: { regex: MEMBER_ID, message: 'member must be slack:TEAM:USER (Slack ids, e.g. slack:T0123:U0456)' } });
const channelId = text({ max: 32, trim: true, pattern: { regex: CHANNEL_ID, message: 'channel must be a Slack channel id such as C0123ABCD' } });

export const memberParams = z.object({ member: memberId });
export const channelParams = z.object({ channel: channelId });
export const channelPortfolioParams = z.object({ channel: channelId, portfolio: portfolioName('portfolio') });

/** PUT /members/{member}: the role, and optionally the member's own portfolio grants (replaced; absent: kept). */
export const putMemberBody = z
  .object({
    role: z.enum(ROLES as [Role, ...Role[]], { error: (issue) => (issue.input === undefined ? `required: one of ${ROLES.join(', ')}` : undefined) }),
    portfolios: z.array(portfolioName()).max(100).optional(),
  })
  .strict();

/** PUT /desk/risk-state and /portfolios/{name}/risk-state. */
export const riskStateBody = z
  .object({
    state: upper(['ACTIVE', 'REDUCING', 'HALTED']),
    /** With HALTED: cancel the scope's open orders and reject those awaiting approval. */
    cancel_open_orders: z.boolean().default(false),
  })
  .strict();

/** A limit: a positive amount, or null for none; left out, it keeps its value. */
const moneyLimit = (what: string) => positiveDecimal(what).nullable().optional();

/** PUT /portfolios/{name}/limits. */
export const portfolioLimitsBody = z
  .object({
    max_order_notional: moneyLimit('max_order_notional'),
    max_position: z.number().int('max_position must be a whole number of shares').positive('max_position must be positive').max(1_000_000_000_000, 'max_position is too large').nullable().optional(),
    max_gross_exposure: moneyLimit('max_gross_exposure'),
    approval_threshold: moneyLimit('approval_threshold'),
  })
  .strict();

/** POST /orders/{id}/approve and /reject: an optional reason (a rejection's is the order's reason). */
export const orderDecisionBody = z
  .object({
    reason: text({ min: 1, max: 64, trim: true }).optional(),
  })
  .strict();
