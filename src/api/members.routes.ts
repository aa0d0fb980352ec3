import { Router, type Request, type Response } from 'express';
import { caseHint } from '../oms/name-hint.js';
import { rejected } from '../oms/errors.js';
import { hasScope } from '../oms/access.js';
import { scopeRefusal, type ChannelGrants, type DeskMembers } from '../oms/members.js';
import { actorOf, keyOf, requireScope, wholeDeskRefusal } from './auth.js';
import { HttpError } from './http-errors.js';
import { deskOf } from './desk-of.js';
import { parse, parseQuery } from './validate.js';
import { undecodableParams } from './path-params.js';
import { channelParams, channelPortfolioParams, memberParams, noQuery, putMemberBody } from './schemas.js';
import { channelJson, memberJson } from '../wire/serializers.js';
import type { ApiDeps } from './deps.js';

/**
 * Desk members and roles, channel grants and trading channels: read by the desk, changed by its
 * admins (a key with admin, or a member with the admin role acting through the bot). Each change is
 * stored before it is answered, applies to the next request, and is audited.
 */
export function membersRoutes({ members }: ApiDeps): Router {
  const r = Router();
  const membersOf = (res: Response): Promise<DeskMembers> => members.of(keyOf(res).deskId);

  /**
   * A role or a channel grant reaches every portfolio the bot's key may use: a key limited to some
   * (acting as itself) may not hand them out. A member acting through the bot is bounded by its key.
   */
  const assertDeskWide = (res: Response): void => {
    const refusal = wholeDeskRefusal(keyOf(res), "the desk's members, grants or trading channels");
    if (refusal) throw refusal;
  };

  const assertPortfolioExists = (res: Response, name: string, path: string): void => {
    const oms = deskOf(res);
    if (!oms.portfolio(name)) throw rejected('UNKNOWN_PORTFOLIO', `there is no portfolio ${name}${caseHint(name, oms.portfolioNames())}`, path);
  };

  r.get('/members', requireScope('admin'), async (req, res) => {
    parseQuery(noQuery, req);
    res.json({ data: (await membersOf(res)).list().map(memberJson) });
  });

  r.get('/members/:member', async (req, res) => {
    const { member } = parse(memberParams, req.params);
    parseQuery(noQuery, req);
    const key = keyOf(res);
    // Anyone may ask the desk who they are (the bot does, to tell a stranger whom to ask).
    if (key.member?.id !== member) assertScope(res, 'admin');
    const desk = await membersOf(res);
    const found = desk.get(member);
    res.json({ member, role: found?.role ?? null, portfolios: [...(found?.portfolios ?? [])], admins: [...desk.admins()], desk_has_members: desk.hasMembers });
  });

  r.put('/members/:member', async (req, res) => {
    const { member } = parse(memberParams, req.params);
    parseQuery(noQuery, req);
    const body = parse(putMemberBody, req.body);
    const desk = await membersOf(res);
    const claim = desk.claimable(member, keyOf(res).member?.id, body.role);
    if (!claim) assertScope(res, 'admin');
    assertDeskWide(res);
    body.portfolios?.forEach((name, i) => assertPortfolioExists(res, name, `portfolios.${i}`));
    const before = desk.get(member);
    const after = await desk.setMember(member, body.role, body.portfolios);
    deskOf(res).audit(actorOf(res), claim ? 'member.claim' : 'member.role', member, 'ok', {
      before: before ? { role: before.role, portfolios: before.portfolios } : null,
      after: { role: after.role, portfolios: after.portfolios },
    });
    res.json(memberJson(after));
  });

  r.delete('/members/:member', requireScope('admin'), async (req, res) => {
    const { member } = parse(memberParams, req.params);
    parseQuery(noQuery, req);
    assertDeskWide(res);
    const removed = await (await membersOf(res)).removeMember(member);
    deskOf(res).audit(actorOf(res), 'member.remove', member, 'ok', { role: removed.role });
    res.json(memberJson(removed));
  });

  r.get('/channels', requireScope('read'), async (req, res) => {
    parseQuery(noQuery, req);
    const desk = await membersOf(res);
    res.json({ data: desk.channels().map(channelJson), trading_channels: [...desk.tradingChannels] });
  });

  /**
   * A change of a channel (a portfolio granted or taken back, a trading channel listed or not): by a
   * desk-wide admin, stored, audited as `action`, answered with the channel as it is now.
   */
  const channelChange =
    (action: string, change: (desk: DeskMembers, channel: string, portfolio: string | undefined) => Promise<ChannelGrants>, grants = false) =>
    async (req: Request, res: Response): Promise<void> => {
      const { channel, portfolio } = req.params.portfolio === undefined ? { ...parse(channelParams, req.params), portfolio: undefined } : parse(channelPortfolioParams, req.params);
      parseQuery(noQuery, req);
      assertDeskWide(res);
      // Only a grant must name a portfolio that exists: one taken back may have been removed since.
      if (grants) assertPortfolioExists(res, portfolio!, 'portfolio');
      const now = await change(await membersOf(res), channel, portfolio);
      deskOf(res).audit(actorOf(res), action, channel, 'ok', portfolio === undefined ? {} : { portfolio });
      res.json(channelJson(now));
    };

  r.put('/channels/:channel/portfolios/:portfolio', requireScope('admin'), channelChange('channel.grant', (d, c, p) => d.grant(c, p!), true));
  r.delete('/channels/:channel/portfolios/:portfolio', requireScope('admin'), channelChange('channel.revoke', (d, c, p) => d.revoke(c, p!)));
  r.put('/channels/:channel/trading', requireScope('admin'), channelChange('channel.allow', (d, c) => d.allow(c)));
  r.delete('/channels/:channel/trading', requireScope('admin'), channelChange('channel.deny', (d, c) => d.deny(c)));

  r.use(undecodableParams(r));
  return r;
}

function assertScope(res: Response, scope: 'admin'): void {
  const key = keyOf(res);
  const has = hasScope(key, scope);
  if (has) return;
  throw scopeRefusal(key, scope, has) ?? new HttpError('FORBIDDEN', `this API key lacks the ${scope} scope`);
}
