import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const optionalNonEmpty = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const feeAmount = z.string().trim().regex(/^\d{1,12}(\.\d{1,4})?$/, 'must be a decimal amount (at most 4 decimals)').default('0');

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
  MARKET_DATA: z.enum(['simulator', 'replay', 'alpaca', 'coinbase']).default('simulator'),
  MARKET_DATA_SYMBOLS: optionalNonEmpty,
  MARKET_DATA_STREAM_URL: optionalNonEmpty.pipe(z.url({ protocol: /^wss?$/ }).optional()),
  MARKET_DATA_REST_URL: optionalNonEmpty.pipe(z.url({ protocol: /^https?$/ }).optional()),
  MARKET_DATA_STALE_MS: z.coerce.number().int().min(100).default(60_000),
  MARKET_DATA_RETRY_MIN_MS: z.coerce.number().int().min(1).max(600_000).default(1_000),
  MARKET_DATA_RETRY_MAX_MS: z.coerce.number().int().min(1).max(3_600_000).default(60_000),
  REPLAY_FILE: optionalNonEmpty,
  REPLAY_SPEED: z.coerce.number().min(0).max(1_000_000).default(1),
  REPLAY_START: optionalNonEmpty.pipe(z.iso.datetime({ offset: true }).optional()),
  ALPACA_DATA_FEED: z.string().regex(/^[a-z_]+$/, 'must be a feed name such as iex or sip').default('iex'),
  APCA_API_KEY_ID: optionalNonEmpty,
  APCA_API_SECRET_KEY: optionalNonEmpty,
  MARKET_ORDER_COLLAR_BPS: z.coerce.number().int().min(0).max(10_000).default(500),
  APPROVAL_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(7 * 24 * 3600).default(900),
  FEE_PER_SHARE: feeAmount,
  FEE_BPS: z.string().trim().regex(/^\d{1,5}(\.\d{1,4})?$/, 'must be basis points such as 1 or 0.5 (at most 4 decimals)').default('0'),
  FEE_MIN_PER_ORDER: feeAmount,
  EQUITY_SNAPSHOT_SECONDS: z.coerce.number().int('must be a whole number of seconds').min(1).max(86_400).default(300),
  SLACK_ADMIN_USERS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((u) => u.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[A-Z0-9]{1,32}$/, 'must be Slack user ids such as U0123ABCD, separated by commas'))),
  CLUSTER_MODE: bool.default(false),
  OMS_INTERNAL_URL: optionalNonEmpty.pipe(z.url({ protocol: /^https?$/ }).optional()),
  CLUSTER_LEASE_MS: z.coerce.number().int().min(500).max(60_000).default(2000),
  CLUSTER_MEMBER_ID: optionalNonEmpty.pipe(z.string().max(64).regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, dot, dash or underscore').optional()),
});

export type Env = z.infer<typeof envSchema>;

/** Settings that only make sense together: checked after each variable on its own. */
function checkTogether(env: Env): string[] {
  const problems: string[] = [];
  if (env.MARKET_DATA === 'replay' && !env.REPLAY_FILE) problems.push('REPLAY_FILE: required when MARKET_DATA=replay');
  if (env.MARKET_DATA === 'alpaca' && !(env.APCA_API_KEY_ID && env.APCA_API_SECRET_KEY)) {
    problems.push('APCA_API_KEY_ID, APCA_API_SECRET_KEY: required when MARKET_DATA=alpaca (your Alpaca key pair)');
  }
  if (env.CLUSTER_MODE && !env.DATABASE_URL) problems.push('DATABASE_URL: required when CLUSTER_MODE=on (the processes of a cluster share one PostgreSQL)');
  return problems;
}

/** Parses the environment; on failure throws one line per bad variable, naming it and never echoing its value. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  if (result.success) {
    const problems = checkTogether(result.data);
    if (problems.length === 0) return result.data;
    throw new ConfigError(problems.join('\n'));
  }
  const lines = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(lines.join('\n'));
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(`invalid configuration: ${message}`);
    this.name = 'ConfigError';
  }
}
