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
});
