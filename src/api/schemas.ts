import { z } from 'zod';
import { parseUnits } from '../oms/units.js';

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
    .union([z.string(), z.number()])
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
const portfolioName = z.string().trim().min(1, 'portfolio_name is required').max(100);
const symbol = z.string().trim().min(1).max(16).transform((s) => s.toUpperCase());
/** Chosen by the client, unique per portfolio: a retry with the same one acts at most once. */
const clientOrderId = z.string().trim().min(1).max(64).optional();

export const placeOrderBody = z
  .object({
    symbol,
    side: sideSchema,
    type: orderTypeSchema,
    quantity,
    limit_price: priceDecimal('limit_price').optional(),
    stop_price: priceDecimal('stop_price').optional(),
    time_in_force: tifSchema.default('DAY'),
    portfolio_name: portfolioName,
    client_order_id: clientOrderId,
    user_id: z.string().max(128).optional(),
    origin: z.record(z.string(), z.unknown()).optional(),
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
    portfolio_name: portfolioName,
    user_id: z.string().max(128).optional(),
    gmv: positiveDecimal('gmv').optional(),
    client_order_id: clientOrderId,
  })
  .strict();

export const createPortfolioBody = z
  .object({
    name: z.string().trim().min(1).max(100).regex(/^[\w .\-]+$/, 'name may hold letters, digits, space, . _ -'),
    starting_cash: positiveDecimal('starting_cash').optional(),
    allow_short: z.boolean().default(false),
  })
  .strict();

export const createInstrumentBody = z
  .object({
    symbol: z.string().trim().regex(/^[A-Za-z][A-Za-z0-9.]{0,15}$/, 'symbol must be 1-16 letters/digits').transform((s) => s.toUpperCase()),
    name: z.string().trim().max(100).default(''),
    tick_size: priceDecimal('tick_size').optional(),
    lot_size: z.number().int().positive().max(1_000_000_000).default(1),
    reference_price: priceDecimal('reference_price'),
  })
  .strict();

export const setPriceBody = z.object({ price: priceDecimal('price') }).strict();

export const createKeyBody = z
  .object({
    name: z.string().trim().min(1, 'name is required').max(100),
    scopes: z.array(z.enum(['read', 'trade', 'admin'])).min(1, 'give at least one scope').default(['read', 'trade']),
    /** Empty: every portfolio. */
    portfolios: z.array(portfolioName).max(100).default([]),
  })
  .strict();

const limit = z.coerce.number().int().min(1).max(500).default(100);
// Ids are at most 15 digits (safe integers), so a query never casts an out-of-range bigint.
const cursor = z.string().regex(/^\d{1,15}$/, 'cursor must come from next_cursor').optional();

export const listOrdersQuery = z.object({
  portfolio: z.string().optional(),
  symbol: z.string().transform((s) => s.toUpperCase()).optional(),
  status: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(['OPEN', 'NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED']))
    .optional(),
  cursor,
  limit,
});

export const listTradesQuery = z.object({
  portfolio: z.string().optional(),
  symbol: z.string().transform((s) => s.toUpperCase()).optional(),
  order_id: z.string().regex(/^\d{1,15}$/, 'order_id must be 1 to 15 digits').optional(),
  since_id: z.string().regex(/^\d{1,15}$/, 'since_id must be 1 to 15 digits').optional(),
  cursor,
  limit,
});

export const bookQuery = z.object({ depth: z.coerce.number().int().min(1).max(100).default(20) });

export const idParam = z.string().regex(/^\d{1,15}$/, 'id must be 1 to 15 digits');
/** Route parameters (`/orders/:id`), parsed as an object so a 400 names the parameter. */
export const idParams = z.object({ id: idParam });
