import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SLACK_BOT_KEY_NAME } from '../../src/slack-bot-key.js';
import { startDeployment } from '../../src/deployment.js';
import { SlackConfigError } from '../../src/slack/config.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TEST_ADMIN_KEY } from '../support/oms.js';
import { SIGNING_SECRET } from './support/bot-harness.js';
import { CLIENT_ID, CLIENT_SECRET, STATE_SECRET } from './support/oauth-bot.js';
import { runDesk, type RunningDesk } from './support/running-deployment.js';
import { send, slashCommand } from './support/signed-request.js';
import { SlackStandIn } from './support/slack-stand-in.js';

/**
 * `npm start` with the bot installed in many workspaces: the install pages on the OMS's own port, and
 * the bot's derived key able to make desks.
 */
let db: TestDatabase;
let standIn: SlackStandIn;
let running: RunningDesk | undefined;

const oauthEnv = () => ({
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_CLIENT_ID: CLIENT_ID,
  SLACK_CLIENT_SECRET: CLIENT_SECRET,
  SLACK_STATE_SECRET: STATE_SECRET,
  SLACK_API_URL: standIn.apiUrl,
});

beforeAll(async () => {
  db = await createTestDatabase();
  standIn = await SlackStandIn.start();
  standIn.acceptOAuth({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
}, 60_000);

afterAll(async () => {
  await running?.stop();
  await standIn?.stop();
  await db?.drop();
});

describe('npm start installing in many workspaces', () => {
  it('stops before anything starts when the OAuth settings are partial, naming what is missing', async () => {
    const { SLACK_STATE_SECRET: _missing, ...partial } = oauthEnv();
    await expect(startDeployment({ NODE_ENV: 'test', PORT: '0', DATABASE_URL: db.url, OMS_API_KEY: TEST_ADMIN_KEY, ...partial })).rejects.toThrow(
      new SlackConfigError(
        'invalid Slack bot configuration: installing in many workspaces needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET together; missing SLACK_STATE_SECRET',
      ),
    );
  });

  it('serves the install on the OMS port, makes the desk with its own operator key, and serves the workspace', async () => {
    running = await runDesk(db.url, oauthEnv());
    await running.desk.bot!.connected();
    expect((await running.health()).body.slack).toBe('ok');
    const own = (await running.activeKeys()).find((k) => k.name === SLACK_BOT_KEY_NAME);
    expect(own?.scopes).toEqual(['read', 'trade', 'approve', 'act_as', 'operator']);

    const started = await fetch(`${running.baseUrl}/slack/install`, { redirect: 'manual' });
    expect(started.status).toBe(302);
    const state = new URL(started.headers.get('location')!).searchParams.get('state')!;
    const cookie = started.headers.get('set-cookie')!.split(';')[0];
    const code = standIn.grantCode({ id: 'TDEPLOY', name: 'Deploy Co' }, 'UOWNER');
    const done = await fetch(`${running.baseUrl}/slack/oauth_redirect?${new URLSearchParams({ code, state })}`, { headers: { cookie } });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('<code>slack:TDEPLOY</code>');

    const desks = await fetch(`${running.baseUrl}/api/v1/desks`, { headers: { 'x-api-key': TEST_ADMIN_KEY } });
    expect(((await desks.json()) as { data: { name: string }[] }).data.map((d) => d.name)).toEqual(['main', 'slack:TDEPLOY']);

    // A command of the installer (the desk's first admin) is served on the new desk: a portfolio only it has.
    const deskKey = (await running.desk.bot!.workspaces!.get('TDEPLOY'))!.desk.deskKey;
    const made = await fetch(`${running.baseUrl}/api/v1/portfolios`, {
      method: 'POST',
      headers: { 'x-api-key': deskKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Deploy Fund', starting_cash: '25000' }),
    });
    expect(made.status).toBe(201);
    const res = await send(
      `${running.baseUrl}/slack/events`,
      slashCommand(SIGNING_SECRET, { command: '/portfolio', text: 'Deploy Fund', team_id: 'TDEPLOY', user_id: 'UOWNER', response_url: standIn.responseUrl('deploy-portfolio') }),
    );
    expect(res.status).toBe(200);
    const reply = await standIn.waitForResponse('deploy-portfolio');
    expect(reply.body.response_type).toBe('in_channel');
    expect(JSON.stringify(reply.body)).toContain('25,000.00');
  });
});
