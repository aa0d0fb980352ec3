import { Router } from 'express';
import { actorOf, assertTradePortfolio, keyOf, requireScope } from './auth.js';
import { deskOf } from './desk-of.js';
import { portfolioNameOf } from './portfolio-scope.js';
import { parse, parseQuery } from './validate.js';
import { undecodableParams } from './path-params.js';
import { assertClientPortfolio, visiblePortfolioIds } from './portfolio-scope.js';
import { listTradesQuery, noQuery, simpleTradeBody, tradeIdParams } from './schemas.js';
import { notFound } from '../oms/errors.js';
import { formatUnits } from '../oms/units.js';
import { tradeJson, type TradeLike } from '../wire/serializers.js';
import type { ApiDeps } from './deps.js';

export function tradesRoutes({ history }: ApiDeps): Router {
  const r = Router();

  /**
   * The simple paper trade: at market now, or booked at gmv / quantity when gmv is given. With a
   * client_order_id, a retry answers 200 with the original outcome instead of trading again.
   */
  r.post('/trade', requireScope('trade'), async (req, res) => {
    const oms = deskOf(res);
    const nameOf = portfolioNameOf(oms);
    parseQuery(noQuery, req);
    const body = parse(simpleTradeBody, req.body);
    assertTradePortfolio(keyOf(res), body.portfolio_name);
    assertClientPortfolio(oms, body.portfolio_name);
    const actor = actorOf(res);
    const clientOrderId = body.client_order_id ?? null;
    if (body.gmv !== undefined) {
      const { trade, created } = await oms.bookTrade(
        {
          symbol: body.symbol,
          side: body.side,
          quantity: body.quantity,
          gmv: body.gmv,
          portfolioName: body.portfolio_name,
          clientOrderId,
          userId: body.user_id ?? null,
        },
        actor,
      );
      const json = { ...tradeJson(trade, nameOf), fee: formatUnits(body.side === 'BUY' ? trade.buyFee : trade.sellFee) };
      res.status(created ? 201 : 200).json({
        success: true,
        trade_id: json.trade_id,
        message: `${trade.aggressorSide} ${trade.quantity} ${trade.symbol} booked at ${json.price} (gmv ${json.gmv})`,
        trade: json,
      });
      return;
    }
    const result = await oms.placeOrder(
      {
        symbol: body.symbol,
        side: body.side,
        type: 'MARKET',
        quantity: body.quantity,
        limitPrice: null,
        stopPrice: null,
        tif: 'IOC',
        portfolioName: body.portfolio_name,
        clientOrderId,
        userId: body.user_id ?? null,
        origin: null,
      },
      actor,
    );
    const order = result.order;
    // A retry's fills are those the first request made, read back oldest first.
    const trades: TradeLike[] = result.created
      ? result.fills.map((f) => f.trade)
      : (await history.trades({ deskId: oms.desk.id, orderId: order.id, limit: 500 })).data.reverse();
    const feeOf = (t: TradeLike): bigint => (order.side === 'BUY' ? t.buyFee : t.sellFee);
    const fills = trades.map((t) => ({ ...tradeJson(t, nameOf), fee: formatUnits(feeOf(t)) }));
    const status = result.created ? 201 : 200;
    if (order.status === 'PENDING_APPROVAL') {
      res.status(result.created ? 202 : 200).json({
        success: false,
        trade_id: null,
        message: `order ${order.id} awaits approval: it is above portfolio ${body.portfolio_name}'s approval threshold`,
        trade: null,
      });
      return;
    }
    if (fills.length === 0) {
      res.status(200).json({
        success: false,
        trade_id: null,
        message: `no liquidity for ${order.symbol}: nothing was executed`,
        trade: null,
      });
      return;
    }
    const gmv = trades.reduce((s, t) => s + t.gmv, 0n);
    const avg = formatUnits((gmv * 2n + BigInt(order.filled)) / (2n * BigInt(order.filled)));
    const trade =
      fills.length === 1
        ? fills[0]
        : {
            ...fills[0],
            price: avg,
            quantity: order.filled,
            gmv: formatUnits(gmv),
            // Summed like the gmv: what the fills together cost each side.
            buy_fee: formatUnits(trades.reduce((s, t) => s + t.buyFee, 0n)),
            sell_fee: formatUnits(trades.reduce((s, t) => s + t.sellFee, 0n)),
            fee: formatUnits(trades.reduce((s, t) => s + feeOf(t), 0n)),
            fills,
          };
    res.status(status).json({
      success: true,
      trade_id: fills[0].trade_id,
      message:
        order.filled === order.quantity
          ? `${order.side} ${order.filled} ${order.symbol} at ${avg}`
          : `${order.side} ${order.filled} of ${order.quantity} ${order.symbol} at ${avg}; the rest found no liquidity`,
      trade,
    });
  });

  r.get('/trades', requireScope('read'), async (req, res) => {
    const oms = deskOf(res);
    const nameOf = portfolioNameOf(oms);
    const q = parseQuery(listTradesQuery, req);
    const key = keyOf(res);
    const portfolioIds = visiblePortfolioIds(oms, key, q.portfolio);
    const page = await history.trades({
      deskId: oms.desk.id,
      portfolioIds,
      symbol: q.symbol,
      orderId: q.order_id === undefined ? undefined : Number(q.order_id),
      sinceId: q.since_id === undefined ? undefined : BigInt(q.since_id),
      userId: q.user_id,
      cursor: q.cursor === undefined ? undefined : BigInt(q.cursor),
      limit: q.limit,
    });
    res.json({ data: page.data.map((t) => tradeJson(t, nameOf)), next_cursor: page.nextCursor });
  });

  r.get('/trades/:trade_id', requireScope('read'), async (req, res) => {
    const oms = deskOf(res);
    const nameOf = portfolioNameOf(oms);
    const id = BigInt(parse(tradeIdParams, req.params).trade_id);
    parseQuery(noQuery, req);
    const trade = await history.trade(id, oms.desk.id);
    const key = keyOf(res);
    if (!trade || (key.portfolios.length > 0 && !key.portfolios.includes(trade.buyPortfolio) && !key.portfolios.includes(trade.sellPortfolio))) {
      throw notFound('TRADE_NOT_FOUND', `no trade ${id}`);
    }
    res.json(tradeJson(trade, nameOf));
  });

  r.use(undecodableParams(r));
  return r;
}
