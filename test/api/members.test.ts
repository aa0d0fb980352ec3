import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestOms } from '../support/oms.js';
import { anyIso, expectNoServerErrors, startApi, type ApiClient } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';

/**
 * Desk members and roles, enforced by the OMS: a key with act_as (the Slack bot's) names the member
 * in On-Behalf-Of, and the request then has that member's role and grants; keys acting as themselves
 * work as before. Each role is tried allowed and refused; channel grants and trading channels too.
 */
let oms: TestOms;
let admin: ApiClient;
let bot: ApiClient;
let plain: ApiClient;
let symbol: string;

const T = 'TDESK';
const id = (user: string) => `slack:${T}:${user}`;
const ADMIN = id('UADMIN');
const APPROVER = id('UAPPROVER');
const TRADER = id('UTRADER');
const VIEWER = id('UVIEWER');
const STRANGER = id('USTRANGER');

/** The bot's key acting for `member`, from `channel` if given. */
function asMember(member: string, channel?: string) {
  const headers = { 'On-Behalf-Of': member, ...(channel ? { 'On-Behalf-Channel': channel } : {}) };
  return {
    get: (path: string) => bot.get(path, { headers }),
    post: (path: string, body: unknown) => bot.post(path, body, { headers }),
    put: (path: string, body?: unknown) => bot.put(path, body, { headers }),
    delete: (path: string) => bot.delete(path, { headers }),
  };
}

const order = (portfolio: string) => ({ symbol, side: 'BUY', type: 'LIMIT', quantity: 1, limit_price: '1.00', time_in_force: 'GTC', portfolio_name: portfolio });
const summary = (res: { status: number; body: any }) => ({ status: res.status, code: res.body?.error?.code });

beforeAll(async () => {
  ({ oms, api: admin } = await startApi());
  await admin.createPortfolio('Alpha', '100000.00');
  await admin.createPortfolio('Beta', '100000.00');
  symbol = await admin.newSymbol('10.00');
  const made = await admin.post('/keys', { name: 'slack bot', scopes: ['read', 'trade', 'act_as'] });
  expect(made.status).toBe(201);
  bot = admin.as(made.body.key);
  plain = admin.as((await admin.post('/keys', { name: 'script', scopes: ['read', 'trade'] })).body.key);
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

describe('a desk without members', () => {
  it('acts as before roles existed: a member the bot names trades with the key\'s own scopes', async () => {
    expect((await admin.get('/members')).body).toEqual({ data: [] });
    const res = await asMember(STRANGER, 'CANY').post('/orders', order('Alpha'));
    expect(res.status).toBe(201);
    expect((await asMember(STRANGER).get(`/members/${STRANGER}`)).body).toEqual({ member: STRANGER, role: null, portfolios: [], admins: [], desk_has_members: false });
    // The key's own scopes still bound it: the bot's key is no admin.
    const refused = await asMember(STRANGER).put(`/members/${VIEWER}`, { role: 'viewer' });
    expect({ status: refused.status, code: refused.body.error.code, message: refused.body.error.message }).toEqual({
      status: 403,
      code: 'ROLE_REQUIRED',
      message: 'managing the desk needs the admin role, and this desk has no members yet: the first to claim it (/desk in Slack) becomes its admin',
    });
  });

  it("never hands a member the deployment's operator scope, even through an operator key", async () => {
    // The bootstrap key is admin and operator (so it may act for members): acting for one, it is an admin at most.
    const headers = { 'On-Behalf-Of': STRANGER };
    for (const res of [await admin.get('/desks', { headers }), await admin.post('/instruments', { symbol: 'MEMBR', reference_price: '1.00' }, { headers })]) {
      expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
    }
    expect((await admin.get('/desks')).status).toBe(200);
  });

  it('the first member may name only themselves, and only admin: the desk then has its admin', async () => {
    expect(summary(await asMember(ADMIN).put(`/members/${ADMIN}`, { role: 'trader' }))).toEqual({ status: 403, code: 'ROLE_REQUIRED' });
    const res = await asMember(ADMIN).put(`/members/${ADMIN}`, { role: 'admin' });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: { member: ADMIN, role: 'admin', portfolios: [], created_at: anyIso(), updated_at: anyIso() },
    });
    // Claimed once: a second user cannot claim it too.
    expect(summary(await asMember(STRANGER).put(`/members/${STRANGER}`, { role: 'admin' }))).toEqual({ status: 403, code: 'NOT_A_MEMBER' });
  });
});

describe('members and their roles', () => {
  beforeAll(async () => {
    // A member admin manages members through the bot, as /desk does.
    const admin_ = asMember(ADMIN);
    expect((await admin_.put(`/members/${APPROVER}`, { role: 'approver', portfolios: ['Alpha'] })).status).toBe(200);
    expect((await admin_.put(`/members/${TRADER}`, { role: 'trader', portfolios: ['Alpha'] })).status).toBe(200);
    expect((await admin_.put(`/members/${VIEWER}`, { role: 'viewer' })).status).toBe(200);
  });

  it('lists the members for admins, sorted, with their roles and grants', async () => {
    const res = await admin.get('/members');
    expect(res.body.data.map((m: { member: string; role: string; portfolios: string[] }) => [m.member, m.role, m.portfolios])).toEqual([
      [ADMIN, 'admin', []],
      [APPROVER, 'approver', ['Alpha']],
      [TRADER, 'trader', ['Alpha']],
      [VIEWER, 'viewer', []],
    ]);
    expect((await asMember(ADMIN).get('/members')).status).toBe(200);
  });

  it('a viewer reads, but may not trade: ROLE_REQUIRED names the trader role and the admins', async () => {
    const viewer = asMember(VIEWER, 'CGEN');
    expect((await viewer.get('/portfolio/Alpha')).status).toBe(200);
    expect((await viewer.get('/orders?portfolio=Alpha')).status).toBe(200);
    const res = await viewer.post('/orders', order('Alpha'));
    expect({ status: res.status, body: res.body }).toEqual({
      status: 403,
      body: {
        error: {
          code: 'ROLE_REQUIRED',
          message: `trading needs the trader role (${VIEWER} is viewer): a desk admin (${ADMIN}) can grant it`,
          details: [],
        },
      },
    });
    expect(summary(await viewer.post('/trade', { symbol, side: 'BUY', quantity: 1, portfolio_name: 'Alpha' }))).toEqual({ status: 403, code: 'ROLE_REQUIRED' });
  });

  it('a trader trades the portfolios granted to them, and no other: PORTFOLIO_NOT_GRANTED', async () => {
    const trader = asMember(TRADER, 'CGEN');
    const placed = await trader.post('/orders', order('Alpha'));
    expect(placed.status).toBe(201);
    const refused = await trader.post('/orders', order('Beta'));
    expect({ status: refused.status, body: refused.body }).toEqual({
      status: 403,
      body: {
        error: {
          code: 'PORTFOLIO_NOT_GRANTED',
          message: `neither ${TRADER} nor channel CGEN has a grant to trade portfolio Beta: a desk admin (${ADMIN}) can grant it`,
          details: [{ path: 'portfolio_name', message: `neither ${TRADER} nor channel CGEN has a grant to trade portfolio Beta: a desk admin (${ADMIN}) can grant it` }],
        },
      },
    });
    expect(summary(await trader.post('/trade', { symbol, side: 'BUY', quantity: 1, portfolio_name: 'Beta', gmv: '10.00' }))).toEqual({ status: 403, code: 'PORTFOLIO_NOT_GRANTED' });
    // An order of a portfolio they may read but not trade: the OMS refuses the cancel.
    const betaOrder = await admin.place(order('Beta'));
    expect(summary(await trader.delete(`/orders/${betaOrder.id}`))).toEqual({ status: 403, code: 'PORTFOLIO_NOT_GRANTED' });
    expect((await admin.get(`/orders/${betaOrder.id}`)).body.status).toBe('NEW');
    expect((await trader.delete(`/orders/${placed.body.id}`)).status).toBe(200);
    // Not the desk's admin: no members list, no roles, no fees.
    expect(summary(await trader.get('/members'))).toEqual({ status: 403, code: 'ROLE_REQUIRED' });
    expect(summary(await trader.put(`/members/${TRADER}`, { role: 'admin' }))).toEqual({ status: 403, code: 'ROLE_REQUIRED' });
    expect((await trader.get(`/members/${TRADER}`)).body).toMatchObject({ member: TRADER, role: 'trader', admins: [ADMIN], desk_has_members: true });
    expect(summary(await trader.get(`/members/${VIEWER}`))).toEqual({ status: 403, code: 'ROLE_REQUIRED' });
  });

  it("a channel's grant lets its traders trade the portfolio from that channel only", async () => {
    const grant = await admin.put('/channels/CBETA/portfolios/Beta');
    expect({ status: grant.status, body: grant.body }).toEqual({ status: 200, body: { channel: 'CBETA', portfolios: ['Beta'], trading: false } });
    expect((await asMember(TRADER, 'CBETA').post('/orders', order('Beta'))).status).toBe(201);
    expect(summary(await asMember(TRADER, 'CGEN').post('/orders', order('Beta')))).toEqual({ status: 403, code: 'PORTFOLIO_NOT_GRANTED' });
    expect(summary(await asMember(TRADER).post('/orders', order('Beta')))).toEqual({ status: 403, code: 'PORTFOLIO_NOT_GRANTED' });
    // A viewer in that channel is still a viewer.
    expect(summary(await asMember(VIEWER, 'CBETA').post('/orders', order('Beta')))).toEqual({ status: 403, code: 'ROLE_REQUIRED' });
    expect((await admin.delete('/channels/CBETA/portfolios/Beta')).body).toEqual({ channel: 'CBETA', portfolios: [], trading: false });
    expect(summary(await asMember(TRADER, 'CBETA').post('/orders', order('Beta')))).toEqual({ status: 403, code: 'PORTFOLIO_NOT_GRANTED' });
  });

  it('an approver trades like a trader and has the approve scope; an admin trades every portfolio', async () => {
    expect((await asMember(APPROVER, 'CGEN').post('/orders', order('Alpha'))).status).toBe(201);
    expect(summary(await asMember(APPROVER, 'CGEN').post('/orders', order('Beta')))).toEqual({ status: 403, code: 'PORTFOLIO_NOT_GRANTED' });
    expect(summary(await asMember(APPROVER).get('/members'))).toEqual({ status: 403, code: 'ROLE_REQUIRED' });
    expect((await asMember(ADMIN, 'CGEN').post('/orders', order('Beta'))).status).toBe(201);
    expect((await asMember(ADMIN).put('/fees', { per_share: '0', bps: '0', min_per_order: '0' })).status).toBe(200);
  });

  it('once the desk lists trading channels, members trade only from those: CHANNEL_NOT_ALLOWED', async () => {
    expect((await asMember(ADMIN).put('/channels/CTRADE/trading')).body).toEqual({ channel: 'CTRADE', portfolios: [], trading: true });
    const refused = await asMember(TRADER, 'CGEN').post('/orders', order('Alpha'));
    expect({ status: refused.status, code: refused.body.error.code, message: refused.body.error.message }).toEqual({
      status: 403,
      code: 'CHANNEL_NOT_ALLOWED',
      message: `this desk trades only in its trading channels (CTRADE) and channel CGEN is not one of them: a desk admin (${ADMIN}) can allow a channel`,
    });
    expect(summary(await asMember(TRADER).post('/orders', order('Alpha')))).toEqual({ status: 403, code: 'CHANNEL_NOT_ALLOWED' });
    expect(summary(await asMember(ADMIN, 'CGEN').post('/orders', order('Alpha')))).toEqual({ status: 403, code: 'CHANNEL_NOT_ALLOWED' });
    expect((await asMember(TRADER, 'CTRADE').post('/orders', order('Alpha'))).status).toBe(201);
    // Reading is not trading: any channel reads.
    expect((await asMember(TRADER, 'CGEN').get('/portfolio/Alpha')).status).toBe(200);
    expect((await admin.get('/channels')).body).toEqual({ data: [{ channel: 'CTRADE', portfolios: [], trading: true }], trading_channels: ['CTRADE'] });
    expect((await asMember(ADMIN).delete('/channels/CTRADE/trading')).body).toEqual({ channel: 'CTRADE', portfolios: [], trading: false });
    expect((await asMember(TRADER, 'CGEN').post('/orders', order('Alpha'))).status).toBe(201);
  });

  it('a Slack user who is no member is refused everything: NOT_A_MEMBER says who can add them', async () => {
    const res = await asMember(STRANGER, 'CGEN').get('/portfolios');
    expect({ status: res.status, body: res.body }).toEqual({
      status: 403,
      body: { error: { code: 'NOT_A_MEMBER', message: `${STRANGER} is not a member of this desk: a desk admin (${ADMIN}) can add them with a role`, details: [] } },
    });
    expect(summary(await asMember(STRANGER, 'CGEN').post('/orders', order('Alpha')))).toEqual({ status: 403, code: 'NOT_A_MEMBER' });
    expect((await asMember(STRANGER).get(`/members/${STRANGER}`)).body).toEqual({ member: STRANGER, role: null, portfolios: [], admins: [ADMIN], desk_has_members: true });
  });

  it('a role change applies to the next request; the last admin stays admin', async () => {
    expect((await asMember(ADMIN).put(`/members/${VIEWER}`, { role: 'trader', portfolios: ['Beta'] })).body).toMatchObject({ role: 'trader', portfolios: ['Beta'] });
    expect((await asMember(VIEWER, 'CGEN').post('/orders', order('Beta'))).status).toBe(201);
    // The role alone: the grants are kept.
    expect((await asMember(ADMIN).put(`/members/${VIEWER}`, { role: 'viewer' })).body).toMatchObject({ role: 'viewer', portfolios: ['Beta'] });
    expect(summary(await asMember(VIEWER, 'CGEN').post('/orders', order('Beta')))).toEqual({ status: 403, code: 'ROLE_REQUIRED' });

    const last = await asMember(ADMIN).put(`/members/${ADMIN}`, { role: 'trader' });
    expect({ status: last.status, code: last.body.error.code }).toEqual({ status: 409, code: 'LAST_DESK_ADMIN' });
    expect(summary(await admin.delete(`/members/${ADMIN}`))).toEqual({ status: 409, code: 'LAST_DESK_ADMIN' });
    const removed = await admin.delete(`/members/${VIEWER}`);
    expect({ status: removed.status, member: removed.body.member }).toEqual({ status: 200, member: VIEWER });
    expect(summary(await admin.delete(`/members/${VIEWER}`))).toEqual({ status: 404, code: 'MEMBER_NOT_FOUND' });
    expect(summary(await asMember(VIEWER).get('/portfolios'))).toEqual({ status: 403, code: 'NOT_A_MEMBER' });
  });

  it('refuses what cannot be stored: an unknown portfolio, a malformed member or header', async () => {
    expect(summary(await admin.put(`/members/${TRADER}`, { role: 'trader', portfolios: ['Nope'] }))).toEqual({ status: 422, code: 'UNKNOWN_PORTFOLIO' });
    expect(summary(await admin.put('/channels/C1/portfolios/Nope'))).toEqual({ status: 422, code: 'UNKNOWN_PORTFOLIO' });
    expect(summary(await admin.put(`/members/${TRADER}`, { role: 'owner' }))).toEqual({ status: 400, code: 'VALIDATION_ERROR' });
    expect(summary(await admin.put('/members/U123', { role: 'trader' }))).toEqual({ status: 400, code: 'VALIDATION_ERROR' });
    const bad = await bot.get('/portfolios', { headers: { 'On-Behalf-Of': 'someone' } });
    expect({ status: bad.status, code: bad.body.error.code, paths: bad.body.error.details.map((d: { path: string }) => d.path) }).toEqual({
      status: 400,
      code: 'VALIDATION_ERROR',
      paths: ['On-Behalf-Of'],
    });
  });
});

describe('keys acting as themselves', () => {
  it('work as before, whatever the members: a plain key trades every portfolio from anywhere', async () => {
    await admin.put('/channels/CTRADE/trading');
    expect((await plain.post('/orders', order('Beta'))).status).toBe(201);
    expect((await bot.post('/orders', order('Alpha'))).status).toBe(201);
    await admin.delete('/channels/CTRADE/trading');
  });

  it('an admin key limited to some portfolios may not change members, grants or trading channels (403): a role or a grant reaches every portfolio', async () => {
    const limited = admin.as((await admin.post('/keys', { name: 'alpha admin', scopes: ['admin'], portfolios: ['Alpha'] })).body.key);
    const before = (await admin.get('/members')).body;
    for (const res of [
      await limited.put(`/members/${id('UESCALATE')}`, { role: 'admin' }),
      await limited.delete(`/members/${TRADER}`),
      await limited.put('/channels/CESC/portfolios/Beta'),
      await limited.delete('/channels/CBETA/portfolios/Beta'),
      await limited.put('/channels/CESC/trading'),
      await limited.delete('/channels/CESC/trading'),
    ]) {
      expect({ status: res.status, code: res.body.error.code, message: res.body.error.message }).toEqual({
        status: 403,
        code: 'FORBIDDEN',
        message: "this API key is limited to some portfolios: it may not change the desk's members, grants or trading channels",
      });
    }
    expect((await admin.get('/members')).body).toEqual(before);
    expect((await limited.get('/members')).status).toBe(200);
  });

  it("an approver member sets limits but not the approval threshold, which binds their own orders: that is an admin's", async () => {
    await admin.put(`/members/${id('UAPPROVER2')}`, { role: 'approver' });
    const approver = asMember(id('UAPPROVER2'));
    expect((await approver.put('/portfolios/Alpha/limits', { max_position: 1000 })).status).toBe(200);
    const refused = await approver.put('/portfolios/Alpha/limits', { approval_threshold: null });
    expect({ status: refused.status, code: refused.body.error.code, message: refused.body.error.message }).toEqual({
      status: 403,
      code: 'ROLE_REQUIRED',
      message: expect.stringContaining(`managing the desk needs the admin role (${id('UAPPROVER2')} is approver): a desk admin (`),
    });
    expect((await asMember(ADMIN).put('/portfolios/Alpha/limits', { max_position: null, approval_threshold: null })).status).toBe(200);
    expect((await admin.delete(`/members/${id('UAPPROVER2')}`)).status).toBe(200);
  });

  it('only a key with act_as may name a member; a desk admin cannot give act_as', async () => {
    const res = await plain.get('/portfolios', { headers: { 'On-Behalf-Of': ADMIN } });
    expect({ status: res.status, code: res.body.error.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
    const deskAdmin = admin.as((await admin.post('/keys', { name: 'desk admin', scopes: ['admin'] })).body.key);
    expect(summary(await deskAdmin.get('/portfolios', { headers: { 'On-Behalf-Of': ADMIN } }))).toEqual({ status: 403, code: 'FORBIDDEN' });
    expect(summary(await deskAdmin.post('/keys', { name: 'impersonator', scopes: ['act_as'] }))).toEqual({ status: 403, code: 'FORBIDDEN' });
  });
});

describe('kept across a restart', () => {
  it('members, roles and grants are stored', async () => {
    await admin.put('/channels/CKEEP/portfolios/Beta');
    const before = (await admin.get('/members')).body;
    const port = oms.port;
    const databaseUrl = oms.databaseUrl;
    await oms.stop();
    ({ oms } = await startApi({ port, databaseUrl }, admin.seen));
    expect((await admin.get('/members')).body).toEqual(before);
    expect((await admin.get('/channels')).body.data).toContainEqual({ channel: 'CKEEP', portfolios: ['Beta'], trading: false });
    expect(summary(await asMember(TRADER, 'CGEN').post('/orders', order('Beta')))).toEqual({ status: 403, code: 'PORTFOLIO_NOT_GRANTED' });
    expect((await asMember(TRADER, 'CKEEP').post('/orders', order('Beta'))).status).toBe(201);
  }, 60_000);

  it('no answer was a 5xx, and every answer has its documented shape', () => {
    expectNoServerErrors(admin.seen);
    expectDocumentedAnswers(admin.seen);
  });
});

describe('SLACK_ADMIN_USERS', () => {
  it('names the main desk\'s admins: nobody else can claim it, and a listed user is admin from their first command', async () => {
    const { oms: other, api } = await startApi({ env: { SLACK_ADMIN_USERS: 'UBOSS, UDEPUTY' } });
    try {
      const key = (await api.post('/keys', { name: 'slack bot', scopes: ['read', 'trade', 'act_as'] })).body.key;
      const botOf = api.as(key);
      const headers = (user: string) => ({ headers: { 'On-Behalf-Of': `slack:T7:${user}` } });
      const claim = await botOf.put('/members/slack:T7:UFIRST', { role: 'admin' }, headers('UFIRST'));
      expect({ status: claim.status, code: claim.body.error.code, message: claim.body.error.message }).toEqual({
        status: 403,
        code: 'NOT_A_MEMBER',
        message: 'slack:T7:UFIRST is not a member of this desk: a desk admin (slack:*:UBOSS, slack:*:UDEPUTY) can add them with a role',
      });
      expect((await botOf.get('/members/slack:T7:UBOSS', headers('UBOSS'))).body).toEqual({
        member: 'slack:T7:UBOSS',
        role: 'admin',
        portfolios: [],
        admins: ['slack:*:UDEPUTY', 'slack:T7:UBOSS'],
        desk_has_members: true,
      });
      expect((await botOf.put('/members/slack:T7:UFIRST', { role: 'trader' }, headers('UBOSS'))).status).toBe(200);
    } finally {
      await other.stop();
    }
  }, 60_000);

  it('refuses anything but Slack user ids at start, naming the variable', async () => {
    await expect(startApi({ env: { SLACK_ADMIN_USERS: 'UBOSS,@deputy' } })).rejects.toThrow(/SLACK_ADMIN_USERS.*: must be Slack user ids such as U0123ABCD/);
  });
});
