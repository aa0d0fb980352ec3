import { caseHint } from '../oms/name-hint.js';
import { Router } from 'express';
import { actorOf, assertTradePortfolio, canUsePortfolio, keyOf, requireScope } from './auth.js';
import { deskOf } from './desk-of.js';
import { parse, parseQuery } from './validate.js';
import { undecodableParams } from './path-params.js';
import { createPortfolioBody, nameParams, noQuery, portfolioCashBody, resetPortfolioBody } from './schemas.js';
import { notFound } from '../oms/errors.js';
import { formatUnits, parseUnits } from '../oms/units.js';
import { portfolioSummaryJson } from '../wire/serializers.js';
import type { ApiDeps } from './deps.js';
import type { Oms } from '../oms/oms.js';
import type { PortfolioState } from '../oms/model.js';

/** A portfolio's summary, its positions marked at the desk's reference prices. */
const summaryOf = (oms: Oms, p: PortfolioState) => portfolioSummaryJson(p, (symbol) => oms.instrument(symbol));

export function portfoliosRoutes({ env }: ApiDeps): Router {
  const r = Router();
  const defaultCash = parseUnits(env.DEFAULT_STARTING_CASH)!;

  r.get('/portfolios', requireScope('read'), (req, res) => {
    const oms = deskOf(res);
    parseQuery(noQuery, req);
    const key = keyOf(res);
    const data = oms
      .listPortfolios()
      .filter((p) => canUsePortfolio(key, p.name))
      .map((p) => ({
        name: p.name,
        cash: formatUnits(p.cash),
        starting_cash: formatUnits(p.startingCash),
        allow_short: p.allowShort,
        is_house: p.isHouse,
        created_at: p.createdAt.toISOString(),
      }));
    res.json({ data });
  });

  r.post('/portfolios', requireScope('trade'), async (req, res) => {
    const oms = deskOf(res);
    parseQuery(noQuery, req);
    const body = parse(createPortfolioBody, req.body);
    assertTradePortfolio(keyOf(res), body.name, 'name');
    const p = await oms.createPortfolio(
      { name: body.name, startingCash: body.starting_cash ?? defaultCash, allowShort: body.allow_short },
      actorOf(res),
    );
    res.status(201).json(summaryOf(oms, p));
  });

  r.get('/portfolio/:name', requireScope('read'), (req, res) => {
    const oms = deskOf(res);
    const { name } = parse(nameParams, req.params);
    parseQuery(noQuery, req);
    const p = oms.portfolio(name);
    const key = keyOf(res);
    if (!p || !canUsePortfolio(key, name)) {
      // A hint names only a portfolio this key may read.
      const readable = [...oms.portfolioNames()].filter((n) => canUsePortfolio(key, n));
      throw notFound('PORTFOLIO_NOT_FOUND', `no portfolio ${name}${caseHint(name, readable)}`);
    }
    res.json(summaryOf(oms, p));
  });

  r.post('/portfolios/:name/cash', requireScope('admin'), async (req, res) => {
    const oms = deskOf(res);
    const { name } = parse(nameParams, req.params);
    parseQuery(noQuery, req);
    const body = parse(portfolioCashBody, req.body);
    const p = await oms.changeCash(name, { amount: body.amount, reason: body.reason }, actorOf(res));
    res.json(summaryOf(oms, p));
  });

  r.post('/portfolios/:name/reset', requireScope('admin'), async (req, res) => {
    const oms = deskOf(res);
    const { name } = parse(nameParams, req.params);
    parseQuery(noQuery, req);
    const body = parse(resetPortfolioBody, req.body);
    const p = await oms.resetPortfolio(name, { startingCash: body.starting_cash }, actorOf(res));
    res.json(summaryOf(oms, p));
  });

  r.use(undecodableParams(r));
  return r;
}
