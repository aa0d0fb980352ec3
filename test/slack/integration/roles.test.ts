import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CANCEL_ORDER_ACTION } from '../../../src/slack/blocks/cancel-button.js';
import { TICKET, TRADE_TICKET_CALLBACK } from '../../../src/slack/blocks/trade-ticket.js';
import { ticketValues } from '../support/fixtures.js';
import { Desk } from '../support/desk.js';
import { waitFor } from '../support/slack-stand-in.js';

/**
 * Members and roles through Slack: signed commands to the real Bolt app, which calls the real OMS on
 * behalf of each user; the OMS decides by the user's role and grants, and a refusal comes back as an
 * ephemeral message naming what is missing and who can give it.
 */
let desk: Desk;
let n = 0;

const ADMIN = 'UADMIN';
const TRADER = 'UTRADER';
const VIEWER = 'UVIEWER';
const APPROVER = 'UAPPROVER';
const STRANGER = 'USTRANGER';
const ALPHA_ROOM = 'CALPHA';
const LOBBY = 'CLOBBY';

beforeAll(async () => {
  desk = await Desk.start();
  await desk.createPortfolio('Alpha', '100000');
  await desk.createPortfolio('Beta', '100000');
}, 60_000);

afterAll(async () => {
  await desk?.stop();
});

/** Sends a command as `user` from `channel` and returns the first reply to its response_url. */
async function as(user: string, channel: string, command: string, text: string): Promise<{ text: string; blocks: string; type: string }> {
  const replyId = `r${++n}`;
  const res = await desk.command(command, text, replyId, { user_id: user, channel_id: channel, trigger_id: `t${n}` });
  expect(res.status).toBe(200);
  if (res.text !== '') {
    // Answered in the ack itself (help, bad text).
    const body = JSON.parse(res.text);
    return { text: body.text, blocks: JSON.stringify(body.blocks), type: body.response_type };
  }
  const reply = await desk.standIn.waitForResponse(replyId, 10_000);
  return { text: reply.body.text, blocks: JSON.stringify(reply.body.blocks ?? []), type: reply.body.response_type };
}

/** `/trade` that must place: waits for the confirmation in the channel and returns the order. */
async function placed(user: string, channel: string, text: string): Promise<any> {
  const seen = desk.standIn.callsTo('chat.postMessage').length;
  const res = await desk.command('/trade', text, `r${++n}`, { user_id: user, channel_id: channel, trigger_id: `t${n}` });
  expect([res.status, res.text]).toEqual([200, '']);
  const confirmation = await waitFor(() => desk.standIn.callsTo('chat.postMessage').slice(seen).find((c) => c.body.channel === channel && !c.body.thread_ts), 10_000, `the confirmation of ${text}`).catch((e) => {
    throw new Error(`${e}: ${JSON.stringify(desk.standIn.responsesTo(`r${n}`))} ${JSON.stringify(desk.standIn.callsTo('chat.postMessage', 'any').slice(seen))}`);
  });
  return desk.rest('GET', `/orders/${/\(order (\d+)\)$/.exec(confirmation.body.text)![1]}`);
}

describe('/desk', () => {
  it('the first user to run it on a desk without members becomes its admin', async () => {
    const reply = await as(ADMIN, LOBBY, '/desk', '');
    expect(reply.type).toBe('ephemeral');
    expect(reply.text).toContain('This desk had no members, so you are its first, and its admin.');
    expect(reply.text).toContain('Your role on this desk: *admin*.');
    expect((await desk.rest('GET', '/members')).data.map((m: any) => [m.member, m.role])).toEqual([['slack:T1:UADMIN', 'admin']]);
    // Claimed once: the next user is no member, not a second admin.
    expect((await as(STRANGER, LOBBY, '/desk', '')).text).toContain(`You are not a member of this desk. Ask an admin to add you: <@${ADMIN}>.`);
  });

  it('an admin gives roles and channel grants with mentions', async () => {
    expect((await as(ADMIN, LOBBY, '/desk', `role <@${TRADER}|tina> trader`)).text).toBe(`<@${TRADER}> is now *trader* on this desk.`);
    expect((await as(ADMIN, LOBBY, '/desk', `role <@${VIEWER}|vic> viewer`)).text).toBe(`<@${VIEWER}> is now *viewer* on this desk.`);
    expect((await as(ADMIN, LOBBY, '/desk', `role <@${APPROVER}> approver`)).text).toBe(`<@${APPROVER}> is now *approver* on this desk.`);
    expect((await as(ADMIN, LOBBY, '/desk', `grant <#${ALPHA_ROOM}|alpha-room> Alpha`)).text).toBe(`<#${ALPHA_ROOM}> may now trade *Alpha*. Its traders trade *Alpha* from there.`);
    expect((await desk.rest('GET', '/channels')).data).toEqual([{ channel: ALPHA_ROOM, portfolios: ['Alpha'], trading: false }]);
    const members = await as(ADMIN, LOBBY, '/desk', 'members');
    expect(members.blocks).toContain(`<@${TRADER}>  ·  *trader*`);
    expect(members.blocks).toContain(`<@${ADMIN}>  ·  *admin*`);
  });

  it('refuses a trader managing the desk, naming the role needed and the admin who can grant it', async () => {
    const reply = await as(TRADER, LOBBY, '/desk', `role <@${TRADER}> admin`);
    expect(reply.type).toBe('ephemeral');
    expect(reply.text).toContain('Your role on this desk does not allow that.');
    expect(reply.text).toContain('managing the desk needs the admin role (slack:T1:UTRADER is trader): a desk admin (slack:T1:UADMIN) can grant it');
    expect(reply.blocks).toContain(`a desk admin (<@${ADMIN}>) can grant it`);
    expect((await as(APPROVER, LOBBY, '/desk', 'members')).text).toContain('managing the desk needs the admin role');
    expect((await as(VIEWER, LOBBY, '/desk', `grant <#${LOBBY}> Beta`)).text).toContain('managing the desk needs the admin role');
    expect((await desk.rest('GET', '/members')).data.find((m: any) => m.member === 'slack:T1:UTRADER').role).toBe('trader');
  });

  it('answers help and bad text at once with the usage', async () => {
    expect((await as(VIEWER, LOBBY, '/desk', 'help')).text).toContain('`/desk role @user viewer|trader|approver|admin`');
    const bad = await as(ADMIN, LOBBY, '/desk', 'role bob trader');
    expect(bad.text).toContain('Name the member with an @-mention');
  });
});

describe('/trade and /cancel by role', () => {
  it('a trader trades a portfolio granted to the channel, from that channel only', async () => {
    const order = await placed(TRADER, ALPHA_ROOM, 'buy 1 AAPL @ 1.00 gtc in Alpha');
    expect(order).toMatchObject({ portfolio_name: 'Alpha', user_id: 'slack:T1:UTRADER', status: 'NEW' });
    const refused = await as(TRADER, LOBBY, '/trade', 'buy 1 AAPL @ 1.00 gtc in Alpha');
    expect(refused.text).toContain('You may not trade that portfolio from here: neither you nor this channel has a grant for it.');
    expect(refused.text).toContain(`neither slack:T1:UTRADER nor channel ${LOBBY} has a grant to trade portfolio Alpha`);
    expect(refused.blocks).toContain(`<@${ADMIN}>`);
    expect((await as(TRADER, ALPHA_ROOM, '/trade', 'buy 1 AAPL @ 1.00 gtc in Beta')).text).toContain('You may not trade that portfolio from here');
    // Canceled by its trader; a viewer may not.
    const another = await placed(TRADER, ALPHA_ROOM, 'buy 2 AAPL @ 1.00 gtc in Alpha');
    const viewerCancel = await as(VIEWER, ALPHA_ROOM, '/cancel', another.id);
    expect(viewerCancel.text).toContain('trading needs the trader role (slack:T1:UVIEWER is viewer)');
    expect((await desk.rest('GET', `/orders/${another.id}`)).status).toBe('NEW');
    expect((await as(TRADER, ALPHA_ROOM, '/cancel', another.id)).text).toContain(`Canceled order \`${another.id}\``);
    expect((await desk.rest('GET', `/orders/${another.id}`)).status).toBe('CANCELED');
  });

  it('a viewer reads but may not trade; an approver trades like a trader', async () => {
    expect((await as(VIEWER, ALPHA_ROOM, '/portfolio', 'Alpha')).type).toBe('in_channel');
    const refused = await as(VIEWER, ALPHA_ROOM, '/trade', 'buy 1 AAPL @ 1.00 gtc in Alpha');
    expect(refused.type).toBe('ephemeral');
    expect(refused.text).toContain('Your role on this desk does not allow that. trading needs the trader role (slack:T1:UVIEWER is viewer): a desk admin (slack:T1:UADMIN) can grant it');
    expect((await placed(APPROVER, ALPHA_ROOM, 'buy 1 AAPL @ 1.00 gtc in Alpha')).user_id).toBe('slack:T1:UAPPROVER');
    expect((await as(APPROVER, LOBBY, '/trade', 'buy 1 AAPL @ 1.00 gtc in Beta')).text).toContain('You may not trade that portfolio from here');
  });

  it('/halt, /resume and /reduce-only by role: a viewer and a trader are refused with the role and what it is for; an approver halts and resumes', async () => {
    for (const [user, role] of [[VIEWER, 'viewer'], [TRADER, 'trader']]) {
      for (const [command, text] of [['/halt', ''], ['/halt', 'Alpha --cancel'], ['/resume', ''], ['/reduce-only', 'Alpha']]) {
        const refused = await as(user, ALPHA_ROOM, command, text);
        expect({ type: refused.type, text: refused.text }).toEqual({
          type: 'ephemeral',
          text: expect.stringContaining(`approving orders, halting or limiting trading needs the approver role (slack:T1:${user} is ${role}): a desk admin (slack:T1:UADMIN) can grant it`),
        });
      }
    }
    expect((await desk.rest('GET', '/desk/risk-state')).state).toBe('ACTIVE');
    expect((await desk.rest('GET', '/portfolios/Alpha/risk-state')).state).toBe('ACTIVE');
    expect((await as(APPROVER, ALPHA_ROOM, '/halt', 'Alpha')).text).toBe(`Trading is halted on portfolio *Alpha*: no new orders until \`/resume\`. Open orders can still be canceled. (by <@${APPROVER}>)`);
    expect((await as(APPROVER, ALPHA_ROOM, '/resume', 'Alpha')).text).toBe(`Trading resumed on portfolio *Alpha*. (by <@${APPROVER}>)`);
  });

  it("a user who is no member may not set up or stop a channel's daily digest (it posts the desk's leaderboard); a viewer may", async () => {
    for (const text of ['digest 08:30', 'digest off']) {
      const refused = await as(STRANGER, 'CDIGEST', '/pnl', text);
      expect({ type: refused.type, text: refused.text }).toEqual({ type: 'ephemeral', text: expect.stringContaining('You are not a member of this desk yet') });
    }
    expect((await as(VIEWER, 'CDIGEST', '/pnl', 'digest off')).text).toBe('This channel has no daily digest.');
    expect((await as(VIEWER, 'CDIGEST', '/pnl', 'digest 08:30')).text).toBe(`<@${VIEWER}> subscribed this channel to the daily digest: the leaderboard at 08:30 UTC every day. \`/pnl digest off\` stops it.`);
    expect((await as(STRANGER, 'CDIGEST', '/pnl', 'digest off')).text).toContain('You are not a member of this desk yet');
    expect((await as(VIEWER, 'CDIGEST', '/pnl', 'digest off')).text).toBe(`<@${VIEWER}> stopped this channel's daily digest.`);
  });

  it('an admin trades every portfolio; a user who is no member trades nothing and is told whom to ask', async () => {
    expect((await placed(ADMIN, LOBBY, 'buy 1 AAPL @ 1.00 gtc in Beta')).portfolio_name).toBe('Beta');
    const stranger = await as(STRANGER, ALPHA_ROOM, '/trade', 'buy 1 AAPL @ 1.00 gtc in Alpha');
    expect(stranger.text).toContain('You are not a member of this desk yet, so I cannot do that for you. slack:T1:USTRANGER is not a member of this desk: a desk admin (slack:T1:UADMIN) can add them with a role');
    expect(stranger.blocks).toContain(`<@${ADMIN}>`);
    expect((await as(STRANGER, ALPHA_ROOM, '/quote', 'AAPL')).text).toContain('You are not a member of this desk yet');
  });

  it('once the desk lists trading channels, trading elsewhere is refused, admins included', async () => {
    expect((await as(ADMIN, LOBBY, '/desk', `channels allow <#${ALPHA_ROOM}|alpha-room>`)).text).toBe(`<#${ALPHA_ROOM}> is now a trading channel. The desk trades only in <#${ALPHA_ROOM}>.`);
    const refused = await as(ADMIN, LOBBY, '/trade', 'buy 1 AAPL @ 1.00 gtc in Beta');
    expect(refused.text).toContain('This desk does not trade from this channel.');
    expect(refused.text).toContain(`this desk trades only in its trading channels (${ALPHA_ROOM}) and channel ${LOBBY} is not one of them`);
    expect((await placed(TRADER, ALPHA_ROOM, 'buy 1 AAPL @ 1.00 gtc in Alpha')).portfolio_name).toBe('Alpha');
    expect((await as(ADMIN, LOBBY, '/desk', `channels deny <#${ALPHA_ROOM}>`)).text).toContain('No trading channel is listed: the desk trades from any channel.');
    expect((await placed(ADMIN, LOBBY, 'buy 1 AAPL @ 1.00 gtc in Beta')).portfolio_name).toBe('Beta');
  });

  it('an admin removes a member, who then trades nothing; the last admin stays', async () => {
    expect((await as(ADMIN, LOBBY, '/desk', `remove <@${APPROVER}>`)).text).toBe(`<@${APPROVER}> is no longer a member of this desk (was *approver*).`);
    expect((await as(APPROVER, ALPHA_ROOM, '/trade', 'buy 1 AAPL @ 1.00 gtc in Alpha')).text).toContain('You are not a member of this desk yet');
    expect((await as(ADMIN, LOBBY, '/desk', `role <@${ADMIN}> trader`)).text).toContain("That is the desk's last admin");
  });
});

describe('the Cancel button and the trade ticket, by role', () => {
  const values = ticketValues;
  const ticket = { side: 'BUY', symbol: 'AAPL', quantity: '3', type: 'LIMIT', limitPrice: '1.00', timeInForce: 'GTC', portfolio: 'Alpha' } as const;

  it('Cancel pressed by a viewer is refused with the role needed; by the trader, it cancels', async () => {
    const order = await placed(TRADER, ALPHA_ROOM, 'buy 4 AAPL @ 1.00 gtc in Alpha');
    await desk.click({ actionId: CANCEL_ORDER_ACTION, value: order.id, replyId: 'viewer-cancel', user_id: VIEWER, channel_id: ALPHA_ROOM, container: { type: 'message', is_ephemeral: true } });
    const refused = (await desk.standIn.waitForResponse('viewer-cancel', 10_000)).body;
    expect(refused.text).toContain('trading needs the trader role (slack:T1:UVIEWER is viewer)');
    expect((await desk.rest('GET', `/orders/${order.id}`)).status).toBe('NEW');
    await desk.click({ actionId: CANCEL_ORDER_ACTION, value: order.id, replyId: 'trader-cancel', user_id: TRADER, channel_id: ALPHA_ROOM, container: { type: 'message', is_ephemeral: true } });
    await waitFor(async () => (await desk.rest('GET', `/orders/${order.id}`)).status === 'CANCELED', 10_000, 'the cancel');
  });

  it('a ticket submitted from a granted channel places for its trader; from another, the refusal is whispered there', async () => {
    await desk.submitView({ callbackId: TRADE_TICKET_CALLBACK, user_id: TRADER, privateMetadata: JSON.stringify({ team: 'T1', channel: ALPHA_ROOM }), values: values(ticket) });
    const confirmation = await desk.standIn.waitForCall('chat.postMessage', (c) => c.body.channel === ALPHA_ROOM && /^BUY 3 AAPL limit \$1\.00 GTC in Alpha/.test(c.body.text), 10_000);
    const id = /\(order (\d+)\)$/.exec(confirmation.body.text)![1];
    expect((await desk.rest('GET', `/orders/${id}`)).user_id).toBe('slack:T1:UTRADER');
    await desk.submitView({ callbackId: TRADE_TICKET_CALLBACK, user_id: TRADER, privateMetadata: JSON.stringify({ team: 'T1', channel: LOBBY }), values: values(ticket) });
    const whisper = await desk.standIn.waitForCall('chat.postEphemeral', (c) => c.body.channel === LOBBY && c.body.user === TRADER, 10_000);
    expect(whisper.body.text).toContain('You may not trade that portfolio from here');
  });
});

describe('App Home', () => {
  const home = async (user: string): Promise<string> => {
    const seen = desk.standIn.callsTo('views.publish').length;
    await desk.event({ type: 'app_home_opened', user, channel: 'D1', tab: 'home', event_ts: `${Date.now() / 1000}` });
    const publish = await waitFor(() => desk.standIn.callsTo('views.publish').slice(seen).find((c) => c.body.user_id === user), 10_000, `the Home of ${user}`);
    const view = typeof publish.body.view === 'string' ? JSON.parse(publish.body.view) : publish.body.view;
    return JSON.stringify(view.blocks);
  };

  it("shows the user's role, and the members to an admin only", async () => {
    const admin = await home(ADMIN);
    expect(admin).toContain('Your role on this desk: *admin*.');
    expect(admin).toContain(`<@${TRADER}>  ·  *trader*`);
    const viewer = await home(VIEWER);
    expect(viewer).toContain(`Your role on this desk: *viewer*. Admins: <@${ADMIN}>.`);
    expect(viewer).not.toContain('Members');
    expect(await home(STRANGER)).toContain(`You are not a member of this desk. Ask an admin to add you: <@${ADMIN}>.`);
  });
});
