import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { startTestOms } from '../../support/oms.js';
import { CLIENT_ID, CLIENT_SECRET, OAuthBot, STATE_SECRET } from '../support/oauth-bot.js';
import { SlackStandIn, waitFor } from '../support/slack-stand-in.js';

/**
 * The bot installed in many workspaces: each install goes /slack/install -> Slack's consent page
 * (state cookie) -> /slack/oauth_redirect with a code the stand-in exchanges, gets a desk of its own,
 * and is served with its own token and desk key; uninstalling stops its Slack traffic.
 */
type TestOms = Awaited<ReturnType<typeof startTestOms>>;
let oms: TestOms;
let standIn: SlackStandIn;
let bot: OAuthBot;

const ALPHA = { id: 'TALPHA', name: 'Alpha Traders' };
const BETA = { id: 'TBETA', name: 'Beta Capital' };
/** Who installed each workspace: its desk's first admin, who gives the commands below. */
const INSTALLER: Record<string, string> = { TALPHA: 'UALICE', TBETA: 'UBOB', TGAMMA: 'UCAROL' };

beforeAll(async () => {
  oms = await startTestOms();
  standIn = await SlackStandIn.start();
  standIn.acceptOAuth({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  // The bootstrap key: admin of desk main and the deployment's operator (it makes desks).
  bot = await OAuthBot.start({ standIn, omsUrl: oms.baseUrl, omsApiKey: oms.adminKey, databaseUrl: oms.databaseUrl });
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await standIn?.stop();
  await oms?.stop();
});

/** A state as the bot's own are made (an HS256 JWT), but signed with another secret. */
function forgedState(payload: object, secret: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** The OMS REST API with a given key. */
async function rest(key: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${oms.baseUrl}/api/v1${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function deskKeyOf(team: string): Promise<string> {
  const ws = await bot.bot.workspaces!.get(team);
  if (!ws) throw new Error(`workspace ${team} is not served`);
  return ws.desk.deskKey;
}

/** `/trade` from a workspace; resolves with the confirmation the bot posted there and the order id. */
async function trade(team: string, text: string): Promise<{ call: any; orderId: string }> {
  const before = standIn.callsTo('chat.postMessage', 'any').length;
  const res = await bot.command(team, '/trade', text, `trade-${team}-${Math.random()}`, { user_id: INSTALLER[team] });
  expect([res.status, res.text]).toEqual([200, '']);
  const call = await waitFor(() => standIn.callsTo('chat.postMessage', 'any').slice(before).find((c) => !c.body.thread_ts), 10_000, `the confirmation of ${text}`);
  expect(call.outcome).toBe('ok');
  return { call, orderId: /\(order (\d+)\)$/.exec(call.body.text)![1] };
}

describe('installing in two workspaces', () => {
  it('sends the installer to the consent page with the scopes, a signed state and its cookie', async () => {
    const started = await bot.startInstall();
    expect(started.status).toBe(302);
    expect(`${started.location.origin}${started.location.pathname}`).toBe(`${standIn.baseUrl}/oauth/v2/authorize`);
    expect(started.location.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(started.location.searchParams.get('scope')?.split(',')).toEqual(['commands', 'chat:write', 'chat:write.public', 'files:write']);
    expect(started.state).not.toBe('');
    expect(started.cookie).toBe(`slack-app-oauth-state=${started.state}`);
  });

  it('gives each workspace a desk of its own; tokens and keys are stored encrypted', async () => {
    const a = await bot.install(ALPHA, 'UALICE');
    expect(a.status).toBe(200);
    expect(a.html).toContain('Paper Desk is installed in <b>Alpha Traders</b>');
    const b = await bot.install(BETA, 'UBOB');
    expect(b.status).toBe(200);

    const desks = (await rest(oms.adminKey, 'GET', '/desks')).json.data.map((d: { name: string }) => d.name);
    expect(desks).toEqual(expect.arrayContaining(['main', 'slack:TALPHA', 'slack:TBETA']));

    const { rows } = await bot.bot.db.query('SELECT team_id, enterprise_id, bot_user_id, installer_user_id, token_expires_at, secret FROM slack_installations ORDER BY team_id');
    expect(rows.map((r) => [r.team_id, r.bot_user_id, r.installer_user_id, r.token_expires_at])).toEqual([
      ['TALPHA', 'UBOTTALPHA', 'UALICE', null],
      ['TBETA', 'UBOTTBETA', 'UBOB', null],
    ]);
    const alphaToken = standIn.tokensOf('TALPHA')[0].token;
    expect(rows[0].secret).toMatch(/^v1\./);
    expect(rows[0].secret).not.toContain(alphaToken);
    const keys = await bot.bot.db.query('SELECT team_id, desk_name, desk_key FROM slack_workspace_desks ORDER BY team_id');
    expect(keys.rows.map((r) => r.desk_name)).toEqual(['slack:TALPHA', 'slack:TBETA']);
    expect(keys.rows[0].desk_key).not.toContain(await deskKeyOf('TALPHA'));
    // Each desk key is an admin key of its own desk, and of nothing else.
    expect((await rest(await deskKeyOf('TALPHA'), 'GET', '/desks')).status).toBe(403);
    // The installer is the first admin of their workspace's desk, and a member of no other.
    expect((await rest(await deskKeyOf('TALPHA'), 'GET', '/members')).json.data).toEqual([expect.objectContaining({ member: 'slack:TALPHA:UALICE', role: 'admin' })]);
    expect((await rest(await deskKeyOf('TBETA'), 'GET', '/members')).json.data).toEqual([expect.objectContaining({ member: 'slack:TBETA:UBOB', role: 'admin' })]);
  });

  it('keeps the workspaces apart: a /trade in one is in neither the other\'s /portfolio nor its desk', async () => {
    const alphaKey = await deskKeyOf('TALPHA');
    const betaKey = await deskKeyOf('TBETA');
    expect((await rest(alphaKey, 'POST', '/portfolios', { name: 'Fund', starting_cash: '100000' })).status).toBe(201);
    expect((await rest(betaKey, 'POST', '/portfolios', { name: 'Fund', starting_cash: '50000' })).status).toBe(201);

    const { call, orderId } = await trade('TALPHA', 'buy 10 AAPL @ 100 gtc in Fund');
    // Posted in Alpha with Alpha's token.
    expect(call.token).toBe(standIn.tokensOf('TALPHA')[0].token);
    expect((await rest(alphaKey, 'GET', `/orders/${orderId}`)).json).toEqual(expect.objectContaining({ status: 'NEW', user_id: 'slack:TALPHA:UALICE' }));
    // Beta's desk does not know the order, and its Fund is untouched.
    expect((await rest(betaKey, 'GET', `/orders/${orderId}`)).status).toBe(404);
    expect((await rest(betaKey, 'GET', '/orders?limit=500')).json.data).toEqual([]);

    await bot.command('TBETA', '/portfolio', 'Fund', 'beta-portfolio', { user_id: 'UBOB' });
    const betaView = await standIn.waitForResponse('beta-portfolio');
    await bot.command('TALPHA', '/portfolio', 'Fund', 'alpha-portfolio', { user_id: 'UALICE' });
    const alphaView = await standIn.waitForResponse('alpha-portfolio');
    const textOf = (r: { body: Record<string, any> }) => JSON.stringify(r.body);
    expect(textOf(betaView)).toContain('50,000.00');
    expect(textOf(betaView)).not.toContain('1,000.00'); // Alpha's reserved cash for its order
    expect(textOf(alphaView)).toContain('100,000.00');
    expect(textOf(betaView)).not.toContain('100,000.00');

    // Roles are each desk's own: Alpha's admin is nobody in Beta, and a stranger in Alpha is refused,
    // told to ask Alpha's admin.
    await bot.command('TALPHA', '/portfolio', 'Fund', 'alpha-stranger', { user_id: 'UNOBODY' });
    const refused = JSON.stringify((await standIn.waitForResponse('alpha-stranger')).body);
    expect(refused).toContain('<@UALICE>');
    expect(refused).not.toContain('100,000.00');
    await bot.command('TBETA', '/portfolio', 'Fund', 'beta-from-alice', { user_id: 'UALICE' });
    expect(JSON.stringify((await standIn.waitForResponse('beta-from-alice')).body)).toContain('<@UBOB>');
  });
});

describe('uninstalling', () => {
  it('stops posting to that workspace; its desk and data stay; the other workspace goes on', async () => {
    const alphaKey = await deskKeyOf('TALPHA');
    const betaKey = await deskKeyOf('TBETA');
    await rest(alphaKey, 'POST', '/portfolios', { name: 'Street', starting_cash: '1000000', allow_short: true });
    await rest(betaKey, 'POST', '/portfolios', { name: 'Street', starting_cash: '1000000', allow_short: true });
    const alphaOrder = await trade('TALPHA', 'buy 5 MSFT @ 300 gtc in Fund');
    const betaOrder = await trade('TBETA', 'buy 5 MSFT @ 300 gtc in Fund');

    const res = await bot.event('TALPHA', { type: 'app_uninstalled' });
    expect(res.status).toBe(200);
    standIn.revokeTokensOf('TALPHA'); // what Slack does on an uninstall
    await waitFor(async () => (await bot.bot.db.query("SELECT 1 FROM slack_installations WHERE team_id = 'TALPHA'")).rowCount === 0, 5000, 'the installation removed');

    // Both orders fill, Alpha's first; Beta's fill reply comes, Alpha's never does.
    const sell = { symbol: 'MSFT', side: 'SELL', type: 'LIMIT', time_in_force: 'GTC', quantity: 5, limit_price: '300', portfolio_name: 'Street' };
    expect((await rest(alphaKey, 'POST', '/orders', sell)).json.status).toBe('FILLED');
    expect((await rest(betaKey, 'POST', '/orders', sell)).json.status).toBe('FILLED');
    await standIn.waitForCall('chat.postMessage', (c) => c.body.thread_ts === betaOrder.call.response.ts, 10_000);
    // And Beta's confirmation updated after it: Alpha's notifier, had it still run, would have posted by now.
    await standIn.waitForCall('chat.update', (c) => c.body.ts === betaOrder.call.response.ts, 10_000);
    expect(standIn.calls.filter((c) => c.body.thread_ts === alphaOrder.call.response.ts || c.body.ts === alphaOrder.call.response.ts)).toEqual([]);

    // The desk keeps its data; the bot no longer acts for Alpha.
    expect((await rest(alphaKey, 'GET', `/orders/${alphaOrder.orderId}`)).json.status).toBe('FILLED');
    expect((await rest(oms.adminKey, 'GET', '/desks')).json.data.map((d: { name: string }) => d.name)).toContain('slack:TALPHA');
    expect(await bot.bot.workspaces!.get('TALPHA')).toBeUndefined();
  });

  it('a reinstall finds the workspace\'s desk again, with its data', async () => {
    const page = await bot.install(ALPHA, 'UALICE');
    expect(page.status).toBe(200);
    const { rows } = await bot.bot.db.query("SELECT desk_name FROM slack_workspace_desks WHERE team_id = 'TALPHA'");
    expect(rows).toEqual([{ desk_name: 'slack:TALPHA' }]);
    await bot.command('TALPHA', '/portfolio', 'Fund', 'alpha-again', { user_id: 'UALICE' });
    expect(JSON.stringify((await standIn.waitForResponse('alpha-again')).body)).toContain('MSFT');
  });
});

describe('a desk key that can no longer be read', () => {
  it('gets the workspace a new desk at its next install; the old desk keeps its data', async () => {
    const EPSILON = { id: 'TEPSILON', name: 'Epsilon' };
    expect((await bot.install(EPSILON, 'UERIN')).status).toBe(200);
    // As if sealed under another SLACK_STATE_SECRET.
    await bot.bot.db.query("UPDATE slack_workspace_desks SET desk_key = 'v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE team_id = 'TEPSILON'");
    const again = await bot.install(EPSILON, 'UERIN');
    expect(again.status).toBe(200);
    expect(again.html).toContain('which trades on a desk of its own, <code>slack:TEPSILON:2</code>');
    const { rows } = await bot.bot.db.query("SELECT desk_name FROM slack_workspace_desks WHERE team_id = 'TEPSILON'");
    expect(rows).toEqual([{ desk_name: 'slack:TEPSILON:2' }]);
    const desks = (await rest(oms.adminKey, 'GET', '/desks')).json.data.map((d: { name: string }) => d.name);
    expect(desks).toEqual(expect.arrayContaining(['slack:TEPSILON', 'slack:TEPSILON:2']));
    expect(bot.logs.join('')).toContain("the workspace's desk key cannot be read");
  });
});

describe('tokens_revoked', () => {
  it('removes the installation when it names the bot\'s token, not when only users\' tokens go', async () => {
    const DELTA = { id: 'TDELTA', name: 'Delta' };
    expect((await bot.install(DELTA, 'UDAVE')).status).toBe(200);
    const installed = async () => (await bot.bot.db.query("SELECT 1 FROM slack_installations WHERE team_id = 'TDELTA'")).rowCount === 1;
    expect((await bot.event('TDELTA', { type: 'tokens_revoked', tokens: { oauth: ['UDAVE'] } })).status).toBe(200);
    // Served after that event was taken: a command of the workspace still gets its answer.
    await bot.command('TDELTA', '/portfolio', 'Nothing Here', 'delta-after-user-tokens', { user_id: 'UDAVE' });
    await standIn.waitForResponse('delta-after-user-tokens');
    expect(await installed()).toBe(true);
    expect((await bot.event('TDELTA', { type: 'tokens_revoked', tokens: { bot: ['UBOTTDELTA'] } })).status).toBe(200);
    await waitFor(async () => !(await installed()), 5000, 'the installation removed');
    expect(await bot.bot.workspaces!.get('TDELTA')).toBeUndefined();
    expect((await bot.bot.db.query("SELECT desk_name FROM slack_workspace_desks WHERE team_id = 'TDELTA'")).rows).toEqual([{ desk_name: 'slack:TDELTA' }]);
  });
});

describe('the daily digest', () => {
  it('posts each workspace\'s leaderboard with its own desk and token', async () => {
    await rest(await deskKeyOf('TALPHA'), 'POST', '/portfolios', { name: 'Alpha Only', starting_cash: '1000' });
    await rest(await deskKeyOf('TBETA'), 'POST', '/portfolios', { name: 'Beta Only', starting_cash: '1000' });
    const later = new Date(Date.now() + 2 * 3600_000);
    const hhmm = `${String(later.getUTCHours()).padStart(2, '0')}:${String(later.getUTCMinutes()).padStart(2, '0')}`;
    const dueAt = new Date(Date.UTC(later.getUTCFullYear(), later.getUTCMonth(), later.getUTCDate(), later.getUTCHours(), later.getUTCMinutes()));
    await bot.command('TBETA', '/pnl', `digest ${hhmm}`, 'beta-digest', { user_id: 'UBOB', channel_id: 'CBETA' });
    expect((await standIn.waitForResponse('beta-digest')).body.response_type).toBe('in_channel');
    expect(await bot.bot.digest.check(dueAt)).toBe(1);
    const post = standIn.callsTo('chat.postMessage').find((c) => c.body.channel === 'CBETA' && String(c.body.text).startsWith('Daily digest'))!;
    expect(post.token).toBe(standIn.tokensOf('TBETA')[0].token);
    expect(JSON.stringify(post.body.blocks)).toContain('Beta Only');
    expect(JSON.stringify(post.body.blocks)).not.toContain('Alpha Only');
  });
});

describe('token rotation', () => {
  it('refreshes a workspace\'s expiring token before it expires, and acts with the new one', async () => {
    standIn.acceptOAuth({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tokenLifetimeSec: 3 });
    const GAMMA = { id: 'TGAMMA', name: 'Gamma' };
    expect((await bot.install(GAMMA, 'UCAROL')).status).toBe(200);
    const first = standIn.tokensOf('TGAMMA')[0];
    const { rows } = await bot.bot.db.query("SELECT token_expires_at FROM slack_installations WHERE team_id = 'TGAMMA'");
    expect(Math.abs(rows[0].token_expires_at.getTime() - first.expiresAt!)).toBeLessThan(1500);

    // Refreshed ahead of time, with no request from Slack asking for it.
    const refresh = await standIn.waitForCall('oauth.v2.access', (c) => c.body.grant_type === 'refresh_token' && c.response.team?.id === 'TGAMMA', 10_000);
    expect(refresh.at).toBeLessThan(first.expiresAt!);
    expect(refresh.body.client_secret).toBe(CLIENT_SECRET);

    // Once the first token is dead, the workspace is still served, with a live token.
    await waitFor(() => Date.now() > first.expiresAt! + 100, 10_000, 'the first token to expire');
    const gammaKey = await deskKeyOf('TGAMMA');
    await rest(gammaKey, 'POST', '/portfolios', { name: 'Fund', starting_cash: '1000' });
    const { call } = await trade('TGAMMA', 'buy 1 AAPL @ 10 gtc in Fund');
    expect(call.token).not.toBe(first.token);
    expect(standIn.issued.get(call.token)?.team.id).toBe('TGAMMA');
    const later = await bot.bot.db.query("SELECT token_expires_at FROM slack_installations WHERE team_id = 'TGAMMA'");
    expect(later.rows[0].token_expires_at.getTime()).toBeGreaterThan(first.expiresAt!);
    standIn.acceptOAuth({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  });
});

describe('a bad or forged state', () => {
  const installs = async () => (await bot.bot.db.query('SELECT team_id FROM slack_installations ORDER BY team_id')).rows.map((r) => r.team_id);

  it('is refused with a page that says to start again, and installs nothing', async () => {
    const before = await installs();
    const codeExchanges = () => standIn.callsTo('oauth.v2.access', 'any').filter((c) => c.body.grant_type !== 'refresh_token').length;
    const exchanges = codeExchanges();
    const code = standIn.grantCode({ id: 'TEVIL', name: 'Evil' }, 'UMALLORY');
    const started = await bot.startInstall();
    const forged = forgedState({ installOptions: { scopes: ['commands'] }, now: new Date().toJSON(), random: 1 }, 'not-the-state-secret');
    const attempts = [
      await bot.redirect({ code, state: 'made-up' }), // no cookie, no valid state
      await bot.redirect({ code, state: forged }, `slack-app-oauth-state=${forged}`), // signed with another secret
      await bot.redirect({ code, state: started.state }), // a real state, but not this browser's
      await bot.redirect({ code, state: `${started.state}x` }, started.cookie), // altered
      await bot.redirect({ code }), // no state at all
    ];
    for (const page of attempts) {
      expect(page.status).toBe(400);
      expect(page.html).toContain('This install link is not valid');
      expect(page.html).toContain('href="/slack/install"');
      expect(page.html).not.toMatch(/Error:|at .*\.js/);
    }
    expect(codeExchanges()).toBe(exchanges);
    expect(await installs()).toEqual(before);
    // Cancel on Slack's page: said as such, nothing installed.
    const cancelled = await bot.redirect({ error: 'access_denied', state: started.state }, started.cookie);
    expect([cancelled.status, cancelled.html.includes('The install was cancelled')]).toEqual([200, true]);
    expect(await installs()).toEqual(before);
    // Still serving: the real state with its cookie goes through.
    expect((await bot.redirect({ code, state: started.state }, started.cookie)).status).toBe(200);
  });
});

describe('secrets', () => {
  it('never reach the log, at debug level, through installs, rotation, uninstall and refusals', async () => {
    const deskKeys = (await Promise.all(['TALPHA', 'TBETA', 'TGAMMA'].map((t) => bot.bot.workspaces!.get(t)))).flatMap((ws) => (ws ? [ws.desk.deskKey] : []));
    const tokens = [...standIn.issued.values()].flatMap((t) => [t.token, ...(t.refreshToken ? [t.refreshToken] : [])]);
    expect(deskKeys.length).toBeGreaterThanOrEqual(2);
    expect(tokens.length).toBeGreaterThanOrEqual(6);
    const log = bot.logs.join('');
    expect(bot.logs.length).toBeGreaterThan(100);
    for (const secret of [CLIENT_SECRET, STATE_SECRET, oms.adminKey, ...deskKeys, ...tokens]) expect(log).not.toContain(secret);
  });
});

describe('a restart of the bot', () => {
  it('serves the installed workspaces again from its tables, fills of orders placed before it included', async () => {
    const betaKey = await deskKeyOf('TBETA');
    const resting = await trade('TBETA', 'buy 3 MSFT @ 290 gtc in Fund');
    await bot.stop();
    bot = await OAuthBot.start({ standIn, omsUrl: oms.baseUrl, omsApiKey: oms.adminKey, databaseUrl: oms.databaseUrl });
    const sell = { symbol: 'MSFT', side: 'SELL', type: 'LIMIT', time_in_force: 'GTC', quantity: 3, limit_price: '290', portfolio_name: 'Street' };
    expect((await rest(betaKey, 'POST', '/orders', sell)).json.status).toBe('FILLED');
    const reply = await standIn.waitForCall('chat.postMessage', (c) => c.body.thread_ts === resting.call.response.ts, 10_000);
    expect(reply.token).toBe(standIn.tokensOf('TBETA')[0].token);
    await bot.command('TBETA', '/portfolio', 'Fund', 'beta-after-restart', { user_id: 'UBOB' });
    expect(JSON.stringify((await standIn.waitForResponse('beta-after-restart')).body)).toContain('MSFT');
  });
});

describe('approvals in a workspace', () => {
  it('a request decided over REST on the workspace\'s desk is updated there, with its token', async () => {
    const betaKey = await deskKeyOf('TBETA');
    expect((await rest(betaKey, 'POST', '/portfolios', { name: 'Gated', starting_cash: '100000' })).status).toBe(201);
    expect((await rest(betaKey, 'PUT', '/portfolios/Gated/limits', { approval_threshold: '1000' })).status).toBe(200);
    const { call, orderId } = await trade('TBETA', 'buy 20 AAPL @ 160 gtc in Gated');
    expect((await rest(betaKey, 'GET', `/orders/${orderId}`)).json.status).toBe('PENDING_APPROVAL');
    expect((await rest(betaKey, 'POST', `/orders/${orderId}/reject`, { reason: 'too big today' })).status).toBe(200);
    const update = await standIn.waitForCall('chat.update', (c) => c.body.ts === call.response.ts, 10_000);
    expect(update.token).toBe(standIn.tokensOf('TBETA')[0].token);
    expect(update.body.text).toBe(`BUY 20 AAPL limit $160.00 GTC in Gated: Rejected (too big today) (order ${orderId})`);
  });
});
