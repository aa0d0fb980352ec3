import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TEST_ADMIN_KEY } from '../support/oms.js';
import { closedPort, type LogLine, runDesk, type RunningDesk, slackEnv } from './support/running-deployment.js';
import { SlackStandIn, waitFor } from './support/slack-stand-in.js';

/**
 * `npm start` with Slack configured but Slack down, refusing the token, or not configured at all:
 * the OMS serves regardless, /health says how the bot is doing, and the bot comes back by itself.
 */
let db: TestDatabase;
let running: RunningDesk | undefined;
let standIn: SlackStandIn | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterEach(async () => {
  await running?.stop();
  running = undefined;
  await standIn?.stop();
  standIn = undefined;
});

afterAll(async () => {
  await db?.drop();
});

const slackState = async (r: RunningDesk) => {
  const { status, body } = await r.health();
  expect(status).toBe(200);
  return body.slack;
};
const becomes = (r: RunningDesk, state: string) => waitFor(async () => (await slackState(r)) === state, 10_000, `/health slack: "${state}"`);
const stateChanges = (logs: LogLine[], state: string) => logs.filter((l) => l.slack === state);
const helpCommand = () => ({ command: '/trade', text: 'help', team_id: 'T1', channel_id: 'C1', user_id: 'U1', api_app_id: 'A1', response_url: 'http://127.0.0.1:9/unused', trigger_id: 'trigger-help' });
const failedAttempts = (logs: LogLine[]) => logs.filter((l) => l.msg === 'Slack connection attempt failed').length;

describe('Slack unreachable at start', () => {
  it('the OMS starts and trades; /health says unreachable; Slack requests get 503; once Slack answers the bot is ok, with no restart', async () => {
    const port = await closedPort();
    running = await runDesk(db.url, slackEnv(`http://127.0.0.1:${port}/api/`));
    const r = running;

    expect(['connecting', 'unreachable']).toContain(await slackState(r));
    await becomes(r, 'unreachable');
    expect((await r.health()).body).toEqual({ status: 'ok', database: 'ok', slack: 'unreachable', market_data: 'ok' });

    // The OMS serves as if Slack did not exist.
    const instruments = await fetch(`${r.baseUrl}/api/v1/instruments`, { headers: { 'x-api-key': TEST_ADMIN_KEY } });
    expect(instruments.status).toBe(200);
    const dashboard = await fetch(`${r.baseUrl}/`);
    expect(dashboard.status).toBe(200);

    // Slack's requests are refused honestly rather than acked with nothing done.
    const refused = await r.command('/trade', 'help', 'http://127.0.0.1:9/unused');
    expect(refused.status).toBe(503);
    expect(refused.json()).toEqual({
      error: { code: 'UNAVAILABLE', message: 'the Slack bot is not connected to Slack (unreachable); try again shortly', details: [] },
    });

    // It keeps trying, logging the outage once, not once per attempt.
    await waitFor(() => failedAttempts(r.logs) >= 4, 10_000, 'four failed attempts');
    // Nothing else warns either (Bolt's client would, for each failed call).
    expect(r.logs.filter((l) => l.level >= 40)).toEqual([
      expect.objectContaining({ level: 40, slack: 'unreachable', msg: 'Slack is unreachable; retrying with backoff', reason: expect.stringContaining('ECONNREFUSED') }),
    ]);

    // Slack comes back where the bot looks for it.
    standIn = await SlackStandIn.start({ port });
    await becomes(r, 'ok');
    expect(standIn.callsTo('auth.test')[0].token).toBe('xoxb-test-token');
    expect(stateChanges(r.logs, 'ok')).toEqual([expect.objectContaining({ level: 30, msg: 'connected to Slack' })]);
    const help = await r.command('/trade', 'help', standIn.responseUrl('after'));
    expect(help.status).toBe(200);
    expect(help.json().text).toContain('*How to trade*');
  }, 30_000);
});

describe('Slack refuses the token', () => {
  it('/health says invalid_auth, logged once; the bot retries slowly and recovers when Slack takes the token again', async () => {
    standIn = await SlackStandIn.start();
    standIn.failNext('auth.test', 1_000_000, { error: 'invalid_auth' });
    running = await runDesk(db.url, slackEnv(standIn.apiUrl));
    const r = running;
    const s = standIn;

    await becomes(r, 'invalid_auth');
    await waitFor(() => s.callsTo('auth.test', 'error').length >= 4, 10_000, 'four refused auth.test calls');
    expect(r.logs.filter((l) => l.level >= 40)).toEqual([
      expect.objectContaining({ level: 50, slack: 'invalid_auth', reason: 'invalid_auth', msg: expect.stringContaining("Slack refused the bot's credentials") }),
    ]);
    // Slowly: every retry waits at least half of SLACK_RETRY_MAX_MS (200 ms here), never the 20 ms start.
    const at = s.callsTo('auth.test', 'error').map((c) => c.at);
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeGreaterThanOrEqual(95);
    expect((await r.command('/trade', 'help', s.responseUrl('refused'))).status).toBe(503);

    s.failNext('auth.test', 0, { error: 'invalid_auth' });
    await becomes(r, 'ok');
    expect((await r.command('/trade', 'help', s.responseUrl('ok'))).status).toBe(200);
  }, 30_000);
});

describe('no Slack configured', () => {
  it('/health says off and /slack/events does not exist', async () => {
    running = await runDesk(db.url);
    expect((await running.health()).body).toEqual({ status: 'ok', database: 'ok', slack: 'off', market_data: 'ok' });
    const res = await fetch(`${running.baseUrl}/slack/events`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(404);
    expect(running.desk.bot).toBeNull();
  });
});

describe('Socket Mode', () => {
  it('survives Slack going away after connecting, says so on /health, and reconnects when Slack is back', async () => {
    const first = await SlackStandIn.start();
    standIn = first;
    const port = Number(new URL(first.baseUrl).port);
    running = await runDesk(db.url, slackEnv(first.apiUrl, { SLACK_APP_TOKEN: 'xapp-1-test' }));
    const r = running;
    await becomes(r, 'ok');
    expect(first.callsTo('apps.connections.open')).toHaveLength(1);
    expect(await first.sendEnvelope('slash_commands', helpCommand())).toEqual(
      expect.objectContaining({ text: expect.stringContaining('*How to trade*') }),
    );

    // Slack goes away: the socket closes and nothing answers any more.
    await first.stop();
    standIn = undefined;
    await waitFor(async () => ['connecting', 'unreachable'].includes((await slackState(r)) as string), 10_000, 'the bot to notice');
    await becomes(r, 'unreachable');
    expect((await fetch(`${r.baseUrl}/api/v1/instruments`, { headers: { 'x-api-key': TEST_ADMIN_KEY } })).status).toBe(200);

    // Back on the same address: a new socket, and commands flow again.
    const second = await SlackStandIn.start({ port });
    standIn = second;
    await becomes(r, 'ok');
    await waitFor(() => second.socket, 5000, 'the new socket');
    const ack = await second.sendEnvelope('slash_commands', helpCommand());
    expect(ack.text).toContain('*How to trade*');
    expect(stateChanges(r.logs, 'connecting')).toEqual([expect.objectContaining({ msg: 'the connection to Slack was lost; reconnecting' })]);
  }, 30_000);
});
