import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type RunningBot, startBot } from './support/bot-harness.js';
import { CHANNEL, TEAM, USER } from './support/signed-request.js';
import { SlackStandIn } from './support/slack-stand-in.js';

/** With SLACK_APP_TOKEN the bot connects out over Socket Mode instead of serving /slack/events. */
let standIn: SlackStandIn;
let db: TestDatabase;
let running: RunningBot;

beforeAll(async () => {
  standIn = await SlackStandIn.start();
  db = await createTestDatabase();
  running = await startBot({ standIn, omsUrl: 'http://127.0.0.1:9', omsApiKey: 'unused-key', databaseUrl: db.url, appToken: 'xapp-1-test' });
});

afterAll(async () => {
  await running?.stop();
  await standIn?.stop();
  await db?.drop();
});

const command = (text: string, responseId: string) => ({
  token: 'deprecated',
  team_id: TEAM,
  channel_id: CHANNEL,
  user_id: USER,
  command: '/trade',
  text,
  response_url: standIn.responseUrl(responseId),
  trigger_id: `trigger-${responseId}`,
  api_app_id: 'A1',
});

describe('Socket Mode', () => {
  it('opens its connection with the app-level token at the configured Web API URL', async () => {
    const open = await standIn.waitForCall('apps.connections.open');
    expect(open.token).toBe('xapp-1-test');
    expect(standIn.socket).toBeDefined();
    expect(running.bot.receiver).toBeUndefined();
  });

  it('acks a slash command over the socket with its reply', async () => {
    const ack = await standIn.sendEnvelope('slash_commands', command('help', 'sm-help'));
    expect(ack).toEqual(expect.objectContaining({ response_type: 'ephemeral', text: expect.stringContaining('*How to trade*') }));
  });

  it('acks at once and reports later work through response_url', async () => {
    const ack = await standIn.sendEnvelope('slash_commands', command('buy 1 AAPL in Tech', 'sm-trade'));
    expect(ack).toEqual({});
    const reply = await standIn.waitForResponse('sm-trade');
    expect(reply.body.text).toMatch(/^The trading desk is unreachable right now/);
  });
});
