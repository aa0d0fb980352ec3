import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { startSlackService, type SlackService } from '../../src/slack/service.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { SIGNING_SECRET } from './support/bot-harness.js';
import { closedPort } from './support/running-deployment.js';
import { send, slashCommand } from './support/signed-request.js';
import { SlackStandIn, waitFor } from './support/slack-stand-in.js';

/**
 * `npm run start:slack` (the same start function, in this process): the bot as its own service serves
 * /health at once and keeps trying Slack instead of exiting.
 */
let db: TestDatabase;
let service: SlackService | undefined;
let standIn: SlackStandIn | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterEach(async () => {
  await service?.stop();
  service = undefined;
  await standIn?.stop();
  standIn = undefined;
});

afterAll(async () => {
  await db?.drop();
});

async function start(apiUrl: string, extra: Record<string, string> = {}): Promise<SlackService> {
  service = await startSlackService(
    {
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: apiUrl,
      OMS_URL: `http://127.0.0.1:${await closedPort()}`,
      SLACK_OMS_API_KEY: 'unused-key',
      SLACK_DATABASE_URL: db.url,
      SLACK_PORT: '0',
      SLACK_RETRY_MIN_MS: '20',
      SLACK_RETRY_MAX_MS: '200',
      ...extra,
    },
    pino({ level: 'silent' }),
  );
  return service;
}

async function health(s: SlackService): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${s.port}/health`);
  return { status: res.status, body: await res.json() };
}

const becomes = (s: SlackService, slack: string) =>
  waitFor(async () => JSON.stringify(await health(s)) === JSON.stringify({ status: 200, body: { status: 'ok', slack } }), 10_000, `/health slack: "${slack}"`);

describe('the bot as its own service', () => {
  it('serves /health while Slack is unreachable, refuses Slack requests with 503, and serves them once Slack answers', async () => {
    const port = await closedPort();
    const s = await start(`http://127.0.0.1:${port}/api/`);
    await becomes(s, 'unreachable');
    const eventsUrl = `http://127.0.0.1:${s.port}/slack/events`;
    const refused = await send(eventsUrl, slashCommand(SIGNING_SECRET, { command: '/trade', text: 'help', response_url: 'http://127.0.0.1:9/unused' }));
    expect(refused.status).toBe(503);
    expect(refused.json().error.code).toBe('UNAVAILABLE');

    standIn = await SlackStandIn.start({ port });
    await becomes(s, 'ok');
    const help = await send(eventsUrl, slashCommand(SIGNING_SECRET, { command: '/trade', text: 'help', response_url: standIn.responseUrl('help') }));
    expect(help.status).toBe(200);
    expect(help.json().text).toContain('*How to trade*');
  }, 30_000);

  it('in Socket Mode serves /health too, and says invalid_auth when Slack refuses the app token', async () => {
    standIn = await SlackStandIn.start();
    standIn.failNext('apps.connections.open', 1_000_000, { error: 'invalid_auth' });
    const s = await start(standIn.apiUrl, { SLACK_APP_TOKEN: 'xapp-1-revoked' });
    await becomes(s, 'invalid_auth');
    expect(standIn.callsTo('apps.connections.open', 'error')[0].token).toBe('xapp-1-revoked');
    // No /slack/events in Socket Mode: Slack's requests come over the socket.
    expect((await fetch(`http://127.0.0.1:${s.port}/slack/events`, { method: 'POST', body: '' })).status).toBe(404);

    standIn.failNext('apps.connections.open', 0, { error: 'invalid_auth' });
    await becomes(s, 'ok');
  }, 30_000);
});
