import { z } from 'zod';

/** What the bot needs to run; built from the environment by `parseSlackConfig`. */
export interface SlackConfig {
  readonly signingSecret: string;
  /** Single-workspace mode: the one workspace's bot token. Unset when `oauth` is set. */
  readonly botToken: string | undefined;
  /**
   * Set: the app installs in many workspaces over OAuth (/slack/install, /slack/oauth_redirect),
   * each workspace with a desk of its own. Unset: one workspace, with `botToken`, on the key's desk.
   */
  readonly oauth: SlackOAuthConfig | undefined;
  /** Set: Socket Mode (no public URL needed). Unset: HTTP mode on `/slack/events`. */
  readonly appToken: string | undefined;
  /** Slack Web API base, always with a trailing slash (the WebClient appends method names to it). */
  readonly slackApiUrl: string;
  /** OMS base URL without a trailing slash. */
  readonly omsUrl: string;
  readonly omsApiKey: string;
  readonly databaseUrl: string;
  readonly defaultPortfolio: string | undefined;
  readonly fillPollMs: number;
  /** Port of the standalone bot service (`src/slack/main.ts`). */
  readonly port: number;
  /** How the bot retries Slack while it cannot connect: from `minMs`, doubling, at most `maxMs` apart. */
  readonly retry: { readonly minMs: number; readonly maxMs: number };
}

export interface SlackOAuthConfig {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Signs the OAuth state; the key that encrypts tokens and desk keys at rest is derived from it. */
  readonly stateSecret: string;
}

/** Installing in many workspaces takes all three; any of them alone is a mistake worth stopping for. */
export const OAUTH_VARIABLES = ['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET'] as const;

export type EnvSource = Readonly<Record<string, string | undefined>>;

const blankToUndefined = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optional = z.preprocess(blankToUndefined, z.string().optional());
const required = (what: string) => z.preprocess(blankToUndefined, z.string({ error: `is missing (${what})` }));

export const slackEnvSchema = z.object({
  SLACK_SIGNING_SECRET: required('the app\'s "Signing Secret"'),
  SLACK_BOT_TOKEN: required('the "Bot User OAuth Token", xoxb-...; or, to install in many workspaces, SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET').pipe(
    z.string().regex(/^xoxb-/, 'must be a bot token starting with xoxb-'),
  ),
  SLACK_APP_TOKEN: optional.pipe(
    z.string().regex(/^xapp-/, 'must be an app-level token starting with xapp-').optional(),
  ),
  SLACK_API_URL: z.preprocess(
    blankToUndefined,
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://slack.com/api/'),
  ),
  OMS_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  SLACK_OMS_API_KEY: required('the OMS API key of the bot; OMS_API_KEY is used when unset'),
  SLACK_DATABASE_URL: required('PostgreSQL URL of the bot state; DATABASE_URL is used when unset').pipe(
    z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }),
  ),
  SLACK_DEFAULT_PORTFOLIO: optional,
  SLACK_CLIENT_ID: optional,
  SLACK_CLIENT_SECRET: optional,
  SLACK_STATE_SECRET: optional.pipe(z.string().min(32, 'must be at least 32 characters (it also derives the key that encrypts stored tokens)').optional()),
  SLACK_FILL_POLL_MS: z.preprocess(
    blankToUndefined,
    z.coerce.number({ error: 'must be a number' }).int('must be an integer').min(20, 'must be at least 20').default(250),
  ),
  SLACK_PORT: z.preprocess(
    blankToUndefined,
    z.coerce.number({ error: 'must be a number' }).int().min(0).max(65535, 'must be a port number').default(3001),
  ),
  SLACK_RETRY_MIN_MS: z.preprocess(
    blankToUndefined,
    z.coerce.number({ error: 'must be a number' }).int('must be an integer').min(10, 'must be at least 10').default(1000),
  ),
  SLACK_RETRY_MAX_MS: z.preprocess(
    blankToUndefined,
    z.coerce.number({ error: 'must be a number' }).int('must be an integer').max(3_600_000, 'must be at most 3600000 (an hour)').default(60_000),
  ),
});

export class SlackConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlackConfigError';
  }
}

/** True when the environment carries Slack credentials, i.e. the bot should run. */
export function slackConfigured(env: EnvSource): boolean {
  return Boolean((env.SLACK_BOT_TOKEN?.trim() || oauthRequested(env)) && env.SLACK_SIGNING_SECRET?.trim());
}

/** Any of the OAuth variables set: the operator means to install in many workspaces. */
export function oauthRequested(env: EnvSource): boolean {
  return OAUTH_VARIABLES.some((name) => Boolean(env[name]?.trim()));
}

/** The OAuth variables missing from a partial set (empty: all set, or none). */
function missingOAuthVariables(env: EnvSource): string[] {
  return oauthRequested(env) ? OAUTH_VARIABLES.filter((name) => !env[name]?.trim()) : [];
}

/**
 * Parses the bot's settings from an environment object (process.env by default). Fallbacks:
 * SLACK_OMS_API_KEY <- OMS_API_KEY, SLACK_DATABASE_URL <- DATABASE_URL, OMS_URL <- the local OMS port.
 * Throws a SlackConfigError whose message is one line naming each bad variable, never echoing a value
 * (tokens and keys must not end up in logs).
 */
export function parseSlackConfig(env: EnvSource = process.env): SlackConfig {
  const port = env.PORT?.trim() || '3000';
  const withOAuth = oauthRequested(env);
  const missing = missingOAuthVariables(env);
  if (missing.length > 0) {
    throw new SlackConfigError(
      `invalid Slack bot configuration: installing in many workspaces needs ${OAUTH_VARIABLES.join(', ')} together; missing ${missing.join(', ')}`,
    );
  }
  if (withOAuth && env.SLACK_BOT_TOKEN?.trim()) {
    throw new SlackConfigError(
      'invalid Slack bot configuration: SLACK_BOT_TOKEN (one workspace) and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET/SLACK_STATE_SECRET (installs in many workspaces) exclude each other; unset one',
    );
  }
  if (withOAuth && env.SLACK_APP_TOKEN?.trim()) {
    throw new SlackConfigError(
      'invalid Slack bot configuration: installs in many workspaces need HTTP mode (a public URL for /slack/oauth_redirect and /slack/events); unset SLACK_APP_TOKEN',
    );
  }
  const result = slackEnvSchema.safeParse({
    ...env,
    // OAuth mode has no bot token of its own: each workspace's comes with its installation.
    ...(withOAuth ? { SLACK_BOT_TOKEN: 'xoxb-per-installation' } : {}),
    OMS_URL: env.OMS_URL?.trim() || `http://127.0.0.1:${port}`,
    SLACK_OMS_API_KEY: env.SLACK_OMS_API_KEY?.trim() || env.OMS_API_KEY,
    SLACK_DATABASE_URL: env.SLACK_DATABASE_URL?.trim() || env.DATABASE_URL,
  });
  const problems = result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
  if (result.success && result.data.SLACK_RETRY_MAX_MS < result.data.SLACK_RETRY_MIN_MS) {
    problems.push('SLACK_RETRY_MAX_MS must be at least SLACK_RETRY_MIN_MS');
  }
  if (!result.success || problems.length > 0) {
    throw new SlackConfigError(`invalid Slack bot configuration: ${problems.join('; ')}`);
  }
  const e = result.data;
  return {
    signingSecret: e.SLACK_SIGNING_SECRET,
    botToken: withOAuth ? undefined : e.SLACK_BOT_TOKEN,
    oauth:
      withOAuth && e.SLACK_CLIENT_ID && e.SLACK_CLIENT_SECRET && e.SLACK_STATE_SECRET
        ? { clientId: e.SLACK_CLIENT_ID.trim(), clientSecret: e.SLACK_CLIENT_SECRET.trim(), stateSecret: e.SLACK_STATE_SECRET }
        : undefined,
    appToken: e.SLACK_APP_TOKEN,
    slackApiUrl: e.SLACK_API_URL.endsWith('/') ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`,
    omsUrl: e.OMS_URL.replace(/\/+$/, ''),
    omsApiKey: e.SLACK_OMS_API_KEY,
    databaseUrl: e.SLACK_DATABASE_URL,
    defaultPortfolio: e.SLACK_DEFAULT_PORTFOLIO?.trim(),
    fillPollMs: e.SLACK_FILL_POLL_MS,
    port: e.SLACK_PORT,
    retry: { minMs: e.SLACK_RETRY_MIN_MS, maxMs: e.SLACK_RETRY_MAX_MS },
  };
}
