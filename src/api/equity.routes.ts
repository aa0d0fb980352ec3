import { Router } from 'express';
import { caseHint } from '../oms/name-hint.js';
import { canUsePortfolio, keyOf, requireScope } from './auth.js';
import { deskOf } from './desk-of.js';
import { parse, parseQuery } from './validate.js';
import { undecodableParams } from './path-params.js';
import { equityPeriodQuery, nameParams } from './schemas.js';
import { notFound } from '../oms/errors.js';
import { basePoint, equityOf, periodStart, rankByReturn, standingOf, type EquityPoint, type EquityStore } from '../oms/equity.js';
import { equityCurveJson, leaderboardEntryJson } from '../wire/equity-json.js';
import type { Oms } from '../oms/oms.js';
import type { PortfolioState } from '../oms/model.js';

/** The most points an equity curve answers with: a longer period is thinned evenly over time. */
const MAX_CURVE_POINTS = 500;

const equityNow = (oms: Oms, p: PortfolioState): bigint => equityOf(p, (s) => oms.instrument(s)?.referencePrice);

/**
 * The leaderboard (the desk's portfolios the key may read, by return over a period) and a
 * portfolio's equity curve, from the equity snapshots and the equity now.
 */
export function equityRoutes(equity: Pick<EquityStore, 'startingPoints' | 'curve'>): Router {
  const r = Router();

  /** Each portfolio's start of the period: its snapshot, or its starting cash (all, or none taken yet). */
  const startsOf = async (oms: Oms, portfolios: readonly PortfolioState[], from: Date | null): Promise<Map<number, EquityPoint>> => {
    const found = from ? await equity.startingPoints(oms.desk.id, portfolios.map((p) => p.id), from) : new Map<number, EquityPoint>();
    return new Map(portfolios.map((p) => [p.id, found.get(p.id) ?? basePoint(p)]));
  };

  r.get('/leaderboard', requireScope('read'), async (req, res) => {
    const oms = deskOf(res);
    const { period } = parseQuery(equityPeriodQuery, req);
    const key = keyOf(res);
    const asOf = new Date();
    const from = periodStart(period, asOf);
    const portfolios = oms.listPortfolios().filter((p) => !p.isHouse && canUsePortfolio(key, p.name));
    const starts = await startsOf(oms, portfolios, from);
    // Marked after the read: the equity now is as of the answer, not of the request.
    const standings = portfolios.map((p) => standingOf(p, starts.get(p.id)!, equityNow(oms, p)));
    res.json({
      period,
      from: from?.toISOString() ?? null,
      as_of: asOf.toISOString(),
      data: rankByReturn(standings).map((s, i) => leaderboardEntryJson(s, i + 1)),
    });
  });

  r.get('/portfolios/:name/equity', requireScope('read'), async (req, res) => {
    const oms = deskOf(res);
    const { name } = parse(nameParams, req.params);
    const { period } = parseQuery(equityPeriodQuery, req);
    const key = keyOf(res);
    const p = oms.portfolio(name);
    if (!p || p.isHouse || !canUsePortfolio(key, name)) {
      const readable = [...oms.portfolioNames()].filter((n) => canUsePortfolio(key, n));
      throw notFound('PORTFOLIO_NOT_FOUND', `no portfolio ${name}${caseHint(name, readable)}`);
    }
    const asOf = new Date();
    const from = periodStart(period, asOf);
    const start = (await startsOf(oms, [p], from)).get(p.id)!;
    // From the start point on: `all` starts at the starting cash, before the first snapshot.
    const after = from === null ? null : start.at;
    const snapshots = await equity.curve(oms.desk.id, p.id, after, asOf, MAX_CURVE_POINTS);
    const now: EquityPoint = { at: asOf, equity: equityNow(oms, p), cash: p.cash };
    const standing = standingOf(p, start, now.equity);
    res.json(equityCurveJson(standing, period, from, asOf, [start, ...snapshots, now]));
  });

  r.use(undecodableParams(r));
  return r;
}
