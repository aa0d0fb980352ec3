import { Router } from 'express';
import { actorOf, canUsePortfolio, keyOf, requireScope, requireWholeDesk } from './auth.js';
import { deskOf } from './desk-of.js';
import { parse, parseQuery } from './validate.js';
import { undecodableParams } from './path-params.js';
import { idParams, nameParams, noQuery, orderDecisionBody, portfolioLimitsBody, riskStateBody } from './schemas.js';
import { notFound } from '../oms/errors.js';
import { hasScope } from '../oms/access.js';
import { scopeRefusal } from '../oms/members.js';
import { HttpError } from './http-errors.js';
import { caseHint } from '../oms/name-hint.js';
import { limitsJson } from '../oms/risk-states.js';
import { fillJson, orderJson } from '../wire/serializers.js';
import { portfolioNameOf } from './portfolio-scope.js';
import type { PortfolioRiskOut } from '../wire/response-schemas.js';
import type { Oms } from '../oms/oms.js';
import type { PortfolioState } from '../oms/model.js';
import type { ApiDeps } from './deps.js';

export const portfolioRiskJson = (oms: Oms, p: PortfolioState): PortfolioRiskOut => {
  const risk = oms.riskOf(p);
  return { portfolio: p.name, state: risk.state, desk_state: oms.deskRisk, limits: limitsJson(risk) };
};

/**
 * Trading states, limits and approvals. Anyone of the desk reads the states; the approve scope
 * (approvers and admins) halts, resumes, sets reduce-only and limits, and decides orders awaiting
 * approval. The OMS checks again what only it knows (whose order it is).
 */
export function riskRoutes(_deps: ApiDeps): Router {
  const r = Router();

  r.get('/desk/risk-state', requireScope('read'), (req, res) => {
    parseQuery(noQuery, req);
    const oms = deskOf(res);
    res.json({ desk: oms.desk.name, state: oms.deskRisk });
  });

  // The whole desk is every portfolio: a key limited to some may not halt the others, nor may a
  // member acting through it (a halt cancels orders of portfolios the key never reaches).
  r.put('/desk/risk-state', requireScope('approve'), requireWholeDesk('the whole desk'), async (req, res) => {
    parseQuery(noQuery, req);
    const body = parse(riskStateBody, req.body);
    const oms = deskOf(res);
    const { canceled } = await oms.setRiskState(null, { state: body.state, cancelOpenOrders: body.cancel_open_orders }, actorOf(res));
    res.json({ desk: oms.desk.name, state: oms.deskRisk, canceled_orders: canceled });
  });

  r.get('/portfolios/:name/risk-state', requireScope('read'), (req, res) => {
    const { name } = parse(nameParams, req.params);
    parseQuery(noQuery, req);
    const oms = deskOf(res);
    res.json(portfolioRiskJson(oms, readable(oms, keyOf(res), name)));
  });

  r.put('/portfolios/:name/risk-state', requireScope('approve'), async (req, res) => {
    const { name } = parse(nameParams, req.params);
    parseQuery(noQuery, req);
    const body = parse(riskStateBody, req.body);
    const oms = deskOf(res);
    const { canceled } = await oms.setRiskState(name, { state: body.state, cancelOpenOrders: body.cancel_open_orders }, actorOf(res));
    res.json({ ...portfolioRiskJson(oms, oms.portfolio(name)!), canceled_orders: canceled });
  });

  r.put('/portfolios/:name/limits', requireScope('approve'), async (req, res) => {
    const { name } = parse(nameParams, req.params);
    parseQuery(noQuery, req);
    const body = parse(portfolioLimitsBody, req.body);
    // The threshold is the four-eyes rule an approver's own orders meet: lifting it is an admin's.
    const key = keyOf(res);
    if (body.approval_threshold !== undefined && !hasScope(key, 'admin')) {
      throw (
        scopeRefusal(key, 'admin', false) ??
        new HttpError('FORBIDDEN', 'changing approval_threshold takes the admin scope: an approver may not change the approval their own orders wait for', [
          { path: 'approval_threshold', message: 'admin only' },
        ])
      );
    }
    const oms = deskOf(res);
    await oms.setLimits(
      name,
      {
        maxOrderNotional: body.max_order_notional,
        maxPosition: body.max_position,
        maxGrossExposure: body.max_gross_exposure,
        approvalThreshold: body.approval_threshold,
      },
      actorOf(res),
    );
    res.json(portfolioRiskJson(oms, oms.portfolio(name)!));
  });

  r.post('/orders/:id/approve', requireScope('approve'), async (req, res) => {
    const oms = deskOf(res);
    const id = Number(parse(idParams, req.params).id);
    parseQuery(noQuery, req);
    parse(orderDecisionBody, req.body);
    const result = await oms.approveOrder(id, actorOf(res));
    const nameOf = portfolioNameOf(oms);
    res.json({ ...orderJson(result.order, nameOf(result.order.portfolioId)), fills: result.fills.map((f) => fillJson(f, nameOf)) });
  });

  r.post('/orders/:id/reject', requireScope('approve'), async (req, res) => {
    const oms = deskOf(res);
    const id = Number(parse(idParams, req.params).id);
    parseQuery(noQuery, req);
    const body = parse(orderDecisionBody, req.body);
    const order = await oms.rejectOrder(id, body.reason ?? null, actorOf(res));
    res.json(orderJson(order, portfolioNameOf(oms)(order.portfolioId)));
  });

  r.use(undecodableParams(r));
  return r;
}

function readable(oms: Oms, key: Parameters<typeof canUsePortfolio>[0], name: string): PortfolioState {
  const p = oms.portfolio(name);
  if (!p || p.isHouse || !canUsePortfolio(key, name)) {
    const names = [...oms.portfolioNames()].filter((n) => canUsePortfolio(key, n));
    throw notFound('PORTFOLIO_NOT_FOUND', `no portfolio ${name}${caseHint(name, names)}`);
  }
  return p;
}
