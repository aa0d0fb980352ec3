import { Router } from 'express';
import { assertTradePortfolio, actorOf, canUsePortfolio, keyOf, requireScope } from './auth.js';
import { deskOf } from './desk-of.js';
import { portfolioNameOf } from './portfolio-scope.js';
import { parse, parseQuery } from './validate.js';
import { undecodableParams } from './path-params.js';
import { assertClientPortfolio, visiblePortfolioIds } from './portfolio-scope.js';
import { idParams, listOrdersQuery, modifyOrderBody, noQuery, placeOrderBody } from './schemas.js';
import { notFound } from '../oms/errors.js';
import { fillJson, orderFillJson, orderJson } from '../wire/serializers.js';
import type { ApiDeps } from './deps.js';

export function ordersRoutes({ history }: ApiDeps): Router {
  const r = Router();
  r.post('/orders', requireScope('trade'), async (req, res) => {
    const oms = deskOf(res);
    const nameOf = portfolioNameOf(oms);
    parseQuery(noQuery, req);
    const body = parse(placeOrderBody, req.body);
    assertTradePortfolio(keyOf(res), body.portfolio_name);
    assertClientPortfolio(oms, body.portfolio_name);
    const result = await oms.placeOrder(
      {
        symbol: body.symbol,
        side: body.side,
        type: body.type,
        quantity: body.quantity,
        limitPrice: body.limit_price === undefined ? null : Number(body.limit_price),
        stopPrice: body.stop_price === undefined ? null : Number(body.stop_price),
        tif: body.time_in_force,
        portfolioName: body.portfolio_name,
        clientOrderId: body.client_order_id ?? null,
        userId: body.user_id ?? null,
        origin: body.origin ?? null,
      },
      actorOf(res),
    );
    const fills = result.created
      ? result.fills.map((f) => fillJson(f, nameOf))
      : (await history.trades({ deskId: oms.desk.id, orderId: result.order.id, limit: 500 })).data.map((t) => orderFillJson(t, result.order.id, nameOf));
    // 202: accepted, waiting for an approver (not in the book yet).
    const created = result.order.status === 'PENDING_APPROVAL' ? 202 : 201;
    res.status(result.created ? created : 200).json({ ...orderJson(result.order, nameOf(result.order.portfolioId)), fills });
  });

  r.get('/orders', requireScope('read'), async (req, res) => {
    const oms = deskOf(res);
    const q = parseQuery(listOrdersQuery, req);
    const key = keyOf(res);
    const portfolioIds = visiblePortfolioIds(oms, key, q.portfolio);
    const page = await history.orders({
      deskId: oms.desk.id,
      portfolioIds,
      symbol: q.symbol,
      statuses: q.status === undefined ? undefined : q.status === 'OPEN' ? ['NEW', 'PARTIALLY_FILLED'] : [q.status],
      userId: q.user_id,
      cursor: q.cursor === undefined ? undefined : Number(q.cursor),
      limit: q.limit,
    });
    res.json({ data: page.data.map((o) => orderJson(o, o.portfolioName)), next_cursor: page.nextCursor });
  });

  r.get('/orders/:id', requireScope('read'), async (req, res) => {
    const oms = deskOf(res);
    const nameOf = portfolioNameOf(oms);
    const id = Number(parse(idParams, req.params).id);
    parseQuery(noQuery, req);
    const order = await history.order(id, oms.desk.id);
    if (!order || !canUsePortfolio(keyOf(res), order.portfolioName)) throw notFound('ORDER_NOT_FOUND', `no order ${id}`);
    const fills = await history.trades({ deskId: oms.desk.id, orderId: id, limit: 500 });
    res.json({ ...orderJson(order, order.portfolioName), fills: fills.data.map((t) => orderFillJson(t, id, nameOf)) });
  });

  r.patch('/orders/:id', requireScope('trade'), async (req, res) => {
    const oms = deskOf(res);
    const nameOf = portfolioNameOf(oms);
    const id = Number(parse(idParams, req.params).id);
    parseQuery(noQuery, req);
    const body = parse(modifyOrderBody, req.body);
    const result = await oms.modifyOrder(
      id,
      {
        quantity: body.quantity,
        limitPrice: body.limit_price === undefined ? undefined : Number(body.limit_price),
        stopPrice: body.stop_price === undefined ? undefined : Number(body.stop_price),
      },
      actorOf(res),
    );
    res.json({ ...orderJson(result.order, nameOf(result.order.portfolioId)), fills: result.fills.map((f) => fillJson(f, nameOf)) });
  });

  r.delete('/orders/:id', requireScope('trade'), async (req, res) => {
    const oms = deskOf(res);
    const nameOf = portfolioNameOf(oms);
    const id = Number(parse(idParams, req.params).id);
    parseQuery(noQuery, req);
    const order = await oms.cancelOrder(id, actorOf(res));
    res.json(orderJson(order, nameOf(order.portfolioId)));
  });

  r.use(undecodableParams(r));
  return r;
}
