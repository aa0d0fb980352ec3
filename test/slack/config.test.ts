import { describe, expect, it } from '@jest/globals';
import { parseSlackConfig, SlackConfigError, slackConfigured } from '../../src/slack/config.js';

const base = {
  SLACK_SIGNING_SECRET: 'signing-secret-value',
  SLACK_BOT_TOKEN: 'xoxb-1-secret-token',
  OMS_API_KEY: 'oms-bootstrap-key-0123456789abcdef',
  DATABASE_URL: 'postgres://u:p@localhost:5432/desk',
};

function errorOf(env: Record<string, string | undefined>): string {
  try {
    parseSlackConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(SlackConfigError);
    return (e as Error).message;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('Slack bot configuration', () => {
  it('applies the documented defaults and fallbacks', () => {
    expect(parseSlackConfig({ ...base, PORT: '4000' })).toEqual({
      signingSecret: 'signing-secret-value',
      botToken: 'xoxb-1-secret-token',
      appToken: undefined,
      slackApiUrl: 'https://slack.com/api/',
      omsUrl: 'http://127.0.0.1:4000',
      omsApiKey: 'oms-bootstrap-key-0123456789abcdef',
      databaseUrl: 'postgres://u:p@localhost:5432/desk',
      defaultPortfolio: undefined,
      fillPollMs: 250,
      port: 3001,
      retry: { minMs: 1000, maxMs: 60_000 },
    });
    expect(parseSlackConfig(base).omsUrl).toBe('http://127.0.0.1:3000');
  });

  it('prefers the Slack-specific variables and normalises URLs', () => {
    const config = parseSlackConfig({
      ...base,
      SLACK_OMS_API_KEY: 'slack-own-key',
      SLACK_DATABASE_URL: 'postgresql://bot@db/slack',
      SLACK_API_URL: 'http://127.0.0.1:9999/api',
      OMS_URL: 'http://oms.internal:3000/',
      SLACK_APP_TOKEN: 'xapp-1-abc',
      SLACK_DEFAULT_PORTFOLIO: ' Tech Portfolio ',
      SLACK_FILL_POLL_MS: '100',
      SLACK_PORT: '0',
      SLACK_RETRY_MIN_MS: '50',
      SLACK_RETRY_MAX_MS: '400',
    });
    expect(config).toEqual(
      expect.objectContaining({
        omsApiKey: 'slack-own-key',
        databaseUrl: 'postgresql://bot@db/slack',
        slackApiUrl: 'http://127.0.0.1:9999/api/',
        omsUrl: 'http://oms.internal:3000',
        appToken: 'xapp-1-abc',
        defaultPortfolio: 'Tech Portfolio',
        fillPollMs: 100,
        port: 0,
        retry: { minMs: 50, maxMs: 400 },
      }),
    );
  });

  it('names each missing variable on one line', () => {
    const message = errorOf({ DATABASE_URL: base.DATABASE_URL });
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toMatch(/^invalid Slack bot configuration: /);
    expect(message).toContain('SLACK_SIGNING_SECRET is missing');
    expect(message).toContain('SLACK_BOT_TOKEN is missing');
    expect(message).toContain('SLACK_OMS_API_KEY is missing');
    expect(message).not.toContain('SLACK_DATABASE_URL');
  });

  it('names bad values without echoing them', () => {
    const message = errorOf({ ...base, SLACK_BOT_TOKEN: 'xoxp-user-token-secret', SLACK_APP_TOKEN: 'nope', SLACK_FILL_POLL_MS: 'fast', SLACK_DATABASE_URL: 'mysql://x' });
    expect(message).toContain('SLACK_BOT_TOKEN must be a bot token starting with xoxb-');
    expect(message).toContain('SLACK_APP_TOKEN must be an app-level token starting with xapp-');
    expect(message).toContain('SLACK_FILL_POLL_MS must be a number');
    expect(message).toContain('SLACK_DATABASE_URL must be a postgres:// URL');
    expect(message).not.toContain('xoxp-user-token-secret');
  });

  it('refuses a retry policy whose ceiling lies below its start, or that retries too fast', () => {
    expect(errorOf({ ...base, SLACK_RETRY_MIN_MS: '5000', SLACK_RETRY_MAX_MS: '1000' })).toBe(
      'invalid Slack bot configuration: SLACK_RETRY_MAX_MS must be at least SLACK_RETRY_MIN_MS',
    );
    expect(errorOf({ ...base, SLACK_RETRY_MIN_MS: '1' })).toContain('SLACK_RETRY_MIN_MS must be at least 10');
    expect(errorOf({ ...base, SLACK_RETRY_MAX_MS: 'soon' })).toContain('SLACK_RETRY_MAX_MS must be a number');
  });

  it('treats blank values as missing', () => {
    expect(errorOf({ ...base, SLACK_SIGNING_SECRET: '  ' })).toContain('SLACK_SIGNING_SECRET is missing');
  });

  it('tells whether Slack credentials are present', () => {
    expect(slackConfigured(base)).toBe(true);
    expect(slackConfigured({ SLACK_BOT_TOKEN: 'xoxb-1' })).toBe(false);
  });

  describe('installs in many workspaces', () => {
    const { SLACK_BOT_TOKEN: _token, ...withoutToken } = base;
    const oauth = {
      ...withoutToken,
      SLACK_CLIENT_ID: '1111.2222',
      SLACK_CLIENT_SECRET: 'client-secret-value',
      SLACK_STATE_SECRET: 'state-secret-value-0123456789abcdef0123',
    };

    it('takes the three OAuth variables instead of a bot token', () => {
      const config = parseSlackConfig(oauth);
      expect(config.botToken).toBeUndefined();
      expect(config.oauth).toEqual({ clientId: '1111.2222', clientSecret: 'client-secret-value', stateSecret: 'state-secret-value-0123456789abcdef0123' });
      expect(parseSlackConfig(base).oauth).toBeUndefined();
      expect(slackConfigured(oauth)).toBe(true);
    });

    it('stops at a partial set with one line naming what is missing, never a value', () => {
      for (const missing of ['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET'] as const) {
        const message = errorOf({ ...oauth, [missing]: ' ' });
        expect(message.split('\n')).toHaveLength(1);
        expect(message).toBe(
          `invalid Slack bot configuration: installing in many workspaces needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET together; missing ${missing}`,
        );
      }
      const two = errorOf({ ...withoutToken, SLACK_CLIENT_SECRET: 'client-secret-value' });
      expect(two).toContain('missing SLACK_CLIENT_ID, SLACK_STATE_SECRET');
      expect(two).not.toContain('client-secret-value');
    });

    it('refuses a bot token or Socket Mode beside them, and a short state secret', () => {
      expect(errorOf({ ...oauth, SLACK_BOT_TOKEN: 'xoxb-1-secret' })).toContain('SLACK_BOT_TOKEN (one workspace) and SLACK_CLIENT_ID');
      expect(errorOf({ ...oauth, SLACK_APP_TOKEN: 'xapp-1-secret' })).toContain('need HTTP mode');
      const short = errorOf({ ...oauth, SLACK_STATE_SECRET: 'too-short-secret' });
      expect(short).toContain('SLACK_STATE_SECRET must be at least 32 characters');
      expect(short).not.toContain('too-short-secret');
    });

    it('names the OAuth way out when neither a token nor the OAuth variables are set', () => {
      expect(errorOf(withoutToken)).toContain('SLACK_BOT_TOKEN is missing (the "Bot User OAuth Token", xoxb-...; or, to install in many workspaces, SLACK_CLIENT_ID');
    });
  });
});
