import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const optionalNonEmpty = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

/** Every environment variable the OMS reads; .env.example documents each one. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: optionalNonEmpty.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DATA_DIR: z.string().default('.data'),
  OMS_API_KEY: optionalNonEmpty.pipe(z.string().min(24, 'must be at least 24 characters').optional()),
  CORS_ORIGINS: z.string().default(''),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(6000),
  API_KEY_CACHE_MS: z.coerce.number().int().min(0).max(300_000).default(10_000),
  BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb').default('64kb'),
  SIMULATOR_ENABLED: bool.default(true),
  SIMULATOR_SEED: z.coerce.number().int().default(42),
  SIMULATOR_INTERVAL_MS: z.coerce.number().int().min(50).default(1000),
  MARKET_MAKER_ENABLED: bool.default(true),
  MARKET_MAKER_LEVELS: z.coerce.number().int().min(1).max(20).default(5),
  MARKET_MAKER_SPREAD_BPS: z.coerce.number().int().min(1).max(10000).default(10),
  MARKET_MAKER_STEP_BPS: z.coerce.number().int().min(1).max(10000).default(5),
  MARKET_MAKER_SIZE: z.coerce.number().int().positive().default(100),
  DAY_END_UTC: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (UTC)')
    .default('21:00'),
  DEFAULT_STARTING_CASH: z.string().regex(/^\d+(\.\d{1,4})?$/, 'must be a decimal amount').default('1000000.00'),
  BOOKED_PRICE_BAND_BPS: z.coerce.number().int().min(0).max(1_000_000).default(2000),
  MARKET_ORDER_COLLAR_BPS: z.coerce.number().int().min(0).max(10_000).default(500),
});

export type Env = z.infer<typeof envSchema>;

/** Parses the environment; on failure throws one line per bad variable, naming it and never echoing its value. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(lines.join('\n'));
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(`invalid configuration: ${message}`);
    this.name = 'ConfigError';
  }
}
