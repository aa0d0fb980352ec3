import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { deriveSlackBotKey, SLACK_BOT_KEY_NAME } from '../../src/slack-bot-key.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TEST_ADMIN_KEY } from '../support/oms.js';
import { runDesk, type RunningDesk, slackEnv } from './support/running-deployment.js';
import { SlackStandIn, waitFor } from './support/slack-stand-in.js';

/**
 * The OMS key of the bot that `npm start` runs beside the OMS: made once, found again by every later
 * start, never minted per start, never logged.
 */
let standIn: SlackStandIn;
let running: RunningDesk | undefined;
const databases: TestDatabase[] = [];

beforeAll(async () => {
  standIn = await SlackStandIn.start();
});

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

afterAll(async () => {
  await standIn?.stop();
  for (const db of databases) await db.drop();
});

async function freshDatabase(): Promise<string> {
  const db = await createTestDatabase();
  databases.push(db);
  return db.url;
}

async function restart(databaseUrl: string, env: Record<string, string>): Promise<RunningDesk> {
  await running?.stop();
  running = await runDesk(databaseUrl, env);
  await running.desk.bot?.connected();
  return running;
}

/** A command that needs the OMS: its reply shows whether the bot's key works. */
async function quoteWorks(r: RunningDesk, id: string): Promise<void> {
  expect((await r.command('/quote', 'AAPL', standIn.responseUrl(id))).status).toBe(200);
  const reply = await standIn.waitForResponse(id);
  expect(reply.body.text).toMatch(/^AAPL: /);
}

const botKeys = <K extends { name: string }>(keys: K[]): K[] => keys.filter((k) => k.name === SLACK_BOT_KEY_NAME);

describe("the bot's OMS key beside the OMS (no SLACK_OMS_API_KEY)", () => {
  it('three restarts with the same settings leave the active keys as they were, and the bot trades with its key each time', async () => {
    const url = await freshDatabase();
    const env = slackEnv(standIn.apiUrl);
    let r = await restart(url, env);
    const first = await r.activeKeys();
    expect(first).toEqual([
      expect.objectContaining({ name: 'bootstrap admin (OMS_API_KEY)', scopes: ['admin', 'operator'] }),
      expect.objectContaining({ name: SLACK_BOT_KEY_NAME, scopes: ['read', 'trade', 'approve', 'act_as'] }),
    ]);
    await quoteWorks(r, 'quote-0');
    for (const n of [1, 2, 3]) {
      r = await restart(url, env);
      expect(await r.activeKeys()).toEqual(first);
      await quoteWorks(r, `quote-${n}`);
    }
  }, 60_000);

  it('revokes the keys earlier versions minted on each start, and the key of a replaced signing secret', async () => {
    const url = await freshDatabase();
    // What earlier versions left behind: a key of that name per start, which nobody holds.
    const r0 = await restart(url, {});
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${r0.baseUrl}/api/v1/keys`, {
        method: 'POST',
        headers: { 'x-api-key': TEST_ADMIN_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ name: SLACK_BOT_KEY_NAME, scopes: ['read', 'trade'] }),
      });
      expect(res.status).toBe(201);
    }
    const leftovers = botKeys(await r0.activeKeys()).map((k) => k.id);
    expect(leftovers).toHaveLength(3);

    const r1 = await restart(url, slackEnv(standIn.apiUrl));
    const [own] = botKeys(await r1.activeKeys());
    expect(botKeys(await r1.activeKeys())).toEqual([own]);
    expect(leftovers).not.toContain(own.id);
    expect(r1.logs).toContainEqual(expect.objectContaining({ msg: "revoked the Slack bot's earlier OMS keys", revoked: leftovers }));

    // A new signing secret: a new key, and the old one goes.
    const r2 = await restart(url, slackEnv(standIn.apiUrl, { SLACK_SIGNING_SECRET: 'a-rotated-signing-secret' }));
    const [rotated] = botKeys(await r2.activeKeys());
    expect(botKeys(await r2.activeKeys())).toEqual([rotated]);
    expect(rotated.id).not.toBe(own.id);
    await quoteWorks(r2, 'quote-rotated');
  }, 60_000);

  it('never logs the key, nor any other secret of the settings', async () => {
    const url = await freshDatabase();
    const r = await restart(url, slackEnv(standIn.apiUrl));
    await quoteWorks(r, 'quote-logs');
    await waitFor(() => r.logs.some((l) => l.msg === 'connected to Slack'), 5000, 'the connected line');
    const text = JSON.stringify(r.logs);
    const keys = await fetch(`${r.baseUrl}/api/v1/keys`, { headers: { 'x-api-key': TEST_ADMIN_KEY } }).then((res) => res.json() as Promise<{ data: { name: string; prefix: string }[] }>);
    const prefix = keys.data.find((k) => k.name === SLACK_BOT_KEY_NAME)!.prefix;
    const key = deriveSlackBotKey('test-signing-secret');
    expect(key.startsWith(prefix)).toBe(true);
    expect(text).not.toContain(prefix);
    for (const secret of ['test-signing-secret', 'xoxb-test-token', TEST_ADMIN_KEY]) expect(text).not.toContain(secret);
  }, 30_000);
});

describe('with SLACK_OMS_API_KEY', () => {
  it('makes no key: the bot uses the one given, which needs act_as to act for each Slack user', async () => {
    const url = await freshDatabase();
    const r0 = await restart(url, {});
    const make = (scopes: string[]) =>
      fetch(`${r0.baseUrl}/api/v1/keys`, {
        method: 'POST',
        headers: { 'x-api-key': TEST_ADMIN_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'slack bot (own key)', scopes }),
      }).then((res) => res.json() as Promise<{ key: string }>);
    const made = await make(['read', 'trade', 'act_as']);
    const withoutActAs = await make(['read', 'trade']);
    const before = await r0.activeKeys();

    // A key of the days before roles: every command is refused, saying which scope it lacks.
    const old = await restart(url, slackEnv(standIn.apiUrl, { SLACK_OMS_API_KEY: withoutActAs.key }));
    expect((await old.command('/quote', 'AAPL', standIn.responseUrl('quote-old'))).status).toBe(200);
    expect((await standIn.waitForResponse('quote-old')).body.text).toContain('this API key lacks the act_as scope: it cannot act for a desk member');

    const r = await restart(url, slackEnv(standIn.apiUrl, { SLACK_OMS_API_KEY: made.key }));
    expect(await r.activeKeys()).toEqual(before);
    expect(botKeys(before)).toEqual([]);
    await quoteWorks(r, 'quote-own');
  }, 30_000);
});
