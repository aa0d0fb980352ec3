import { divRound, formatUnits } from '../oms/units.js';
import { isLive, type InstrumentState, type OrderRecord, type PortfolioState, type TradeRecord } from '../oms/model.js';
import { valuePosition } from '../oms/portfolio-ledger.js';
import type { InstrumentMarket } from '../oms/model.js';
import type { Fill } from '../oms/oms.js';
import type { StoredTrade } from '../db/history-queries.js';
import type { OrderRow } from '../oms/ports.js';
import type { ApiKeyRecord } from '../db/api-key.repository.js';
import type { FeeSchedule } from '../oms/fees.js';
import type { ChannelGrants, Member } from '../oms/members.js';
import type { BookOut, ChannelOut, FeesOut, MemberOut, FillOut, InstrumentOut, KeyOut, OrderOut, PortfolioSummaryOut, PublicTradeOut, TradeOut } from './response-schemas.js';

/** An API key as admins see it: never the key, nor its hash. */
export function keyJson(k: ApiKeyRecord): KeyOut {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    portfolios: k.portfolios,
    created_at: k.createdAt.toISOString(),
    revoked_at: k.revokedAt === null ? null : k.revokedAt.toISOString(),
  };
}

export function memberJson(m: Member): MemberOut {
  return { member: m.id, role: m.role, portfolios: [...m.portfolios], created_at: m.createdAt.toISOString(), updated_at: m.updatedAt.toISOString() };
}

export function channelJson(c: ChannelGrants): ChannelOut {
  return { channel: c.channel, portfolios: [...c.portfolios], trading: c.trading };
}

export function deskJson(d: { id: number; name: string; createdAt: Date }): { id: number; name: string; created_at: string } {
  return { id: d.id, name: d.name, created_at: d.createdAt.toISOString() };
}

/** A desk's fee schedule; bps to four decimals, which is the scale of units. */
export function feesJson(s: FeeSchedule): FeesOut {
  return { per_share: formatUnits(s.perShare), bps: formatUnits(s.bpsE4), min_per_order: formatUnits(s.minPerOrder) };
}

/** The JSON shapes scripts, the feed and the dashboard depend on (docs/api.md): snake_case, decimal strings. */

const price = (units: number | null): string | null => (units === null ? null : formatUnits(units));

export function orderJson(o: OrderRow, portfolioName: string): OrderOut {
  return {
    id: String(o.id),
    client_order_id: o.clientOrderId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    quantity: o.quantity,
    filled_quantity: o.filled,
    remaining_quantity: isLive(o.status) ? o.quantity - o.filled : 0,
    limit_price: price(o.limitPrice),
    stop_price: price(o.stopPrice),
    time_in_force: o.tif,
    status: o.status,
    reason: o.reason,
    triggered: o.stopPrice === null ? null : !o.waiting,
    avg_fill_price: o.filled > 0 ? formatUnits(divRound(o.filledNotional, BigInt(o.filled))) : null,
    portfolio_name: portfolioName,
    user_id: o.userId,
    // Always a JSON object when set: the order schema takes nothing else.
    origin: (o.origin ?? null) as Record<string, unknown> | null,
    created_at: o.createdAt.toISOString(),
    updated_at: o.updatedAt.toISOString(),
  };
}

export type TradeLike = TradeRecord | StoredTrade;

export function tradeJson(t: TradeLike, portfolioName: (id: number) => string): TradeOut {
  const isRecord = 'buyPortfolioId' in t;
  return {
    trade_id: String(t.id),
    symbol: t.symbol,
    price: formatUnits(t.price),
    quantity: t.quantity,
    gmv: formatUnits(t.gmv),
    aggressor_side: t.aggressorSide,
    buy_order_id: t.buyOrderId === null ? null : String(t.buyOrderId),
    sell_order_id: t.sellOrderId === null ? null : String(t.sellOrderId),
    buy_portfolio: isRecord ? portfolioName(t.buyPortfolioId) : t.buyPortfolio,
    sell_portfolio: isRecord ? portfolioName(t.sellPortfolioId) : t.sellPortfolio,
    kind: t.kind,
    buy_fee: formatUnits(t.buyFee),
    sell_fee: formatUnits(t.sellFee),
    executed_at: t.createdAt.toISOString(),
  };
}

/** A trade on the public tape: built field by field, so that nothing about its parties can slip in. */
export function publicTradeJson(t: TradeLike): PublicTradeOut {
  return {
    trade_id: String(t.id),
    price: formatUnits(t.price),
    quantity: t.quantity,
    aggressor_side: t.aggressorSide,
    executed_at: t.createdAt.toISOString(),
  };
}

export function fillJson(f: Fill, portfolioName: (id: number) => string): FillOut {
  return { ...tradeJson(f.trade, portfolioName), side: f.side, liquidity: f.liquidity, fee: formatUnits(f.side === 'BUY' ? f.trade.buyFee : f.trade.sellFee) };
}

/** A stored trade as a fill of one of its two orders, from that order's view (like fillJson). */
export function orderFillJson(t: StoredTrade, orderId: number, portfolioName: (id: number) => string): FillOut {
  const side = t.buyOrderId === orderId ? 'BUY' : 'SELL';
  return { ...tradeJson(t, portfolioName), side, liquidity: t.aggressorSide === side ? 'TAKER' : 'MAKER', fee: formatUnits(side === 'BUY' ? t.buyFee : t.sellFee) };
}

export function instrumentJson(i: InstrumentState, market: InstrumentMarket): InstrumentOut {
  return {
    symbol: i.symbol,
    name: i.name,
    tick_size: formatUnits(i.tickSize),
    lot_size: i.lotSize,
    reference_price: formatUnits(i.referencePrice),
    last_price: price(i.lastPrice),
    best_bid: price(i.book.bestBid()),
    best_ask: price(i.book.bestAsk()),
    source: market.source,
    market_status: market.status,
    session: i.session,
  };
}

/**
 * An instrument on the ticker channel: its prices and market status, so a watcher without a key can
 * tell a stale or closed price from a live one.
 */
export function tickerEntry(i: InstrumentState, market: InstrumentMarket) {
  const j = instrumentJson(i, market);
  return { symbol: j.symbol, reference_price: j.reference_price, last_price: j.last_price, best_bid: j.best_bid, best_ask: j.best_ask, market_status: j.market_status };
}

export function bookJson(i: InstrumentState, depth: number): BookOut {
  const d = i.book.depth(depth);
  const level = (l: { price: number; quantity: number; orders: number }) => ({
    price: formatUnits(l.price),
    quantity: l.quantity,
    orders: l.orders,
  });
  return {
    symbol: i.symbol,
    bids: d.bids.map(level),
    asks: d.asks.map(level),
    last_price: price(i.lastPrice),
    reference_price: formatUnits(i.referencePrice),
  };
}

/** Cash, equity and P&L, with positions marked at each instrument's reference price. */
export function portfolioSummaryJson(p: PortfolioState, instrument: (symbol: string) => InstrumentState | undefined): PortfolioSummaryOut {
  let marketValue = 0n;
  let gmv = 0n;
  let unrealized = 0n;
  let realized = 0n;
  const positions = [];
  for (const pos of [...p.positions.values()].sort((a, b) => a.symbol.localeCompare(b.symbol))) {
    realized += pos.realizedPnl;
    if (pos.quantity === 0 && pos.realizedPnl === 0n) continue;
    const ref = instrument(pos.symbol)?.referencePrice ?? 0;
    const v = valuePosition(pos, ref);
    marketValue += v.marketValue;
    gmv += v.gmv;
    unrealized += v.unrealizedPnl;
    positions.push({
      symbol: pos.symbol,
      quantity: pos.quantity,
      avg_cost: pos.quantity === 0 ? null : formatUnits(divRound(pos.costBasis, BigInt(pos.quantity))),
      cost_basis: formatUnits(pos.costBasis),
      reference_price: formatUnits(ref),
      market_value: formatUnits(v.marketValue),
      gmv: formatUnits(v.gmv),
      unrealized_pnl: formatUnits(v.unrealizedPnl),
      realized_pnl: formatUnits(pos.realizedPnl),
    });
  }
  return {
    name: p.name,
    cash: formatUnits(p.cash),
    starting_cash: formatUnits(p.startingCash),
    equity: formatUnits(p.cash + marketValue),
    market_value: formatUnits(marketValue),
    gmv: formatUnits(gmv),
    unrealized_pnl: formatUnits(unrealized),
    realized_pnl: formatUnits(realized),
    fees_paid: formatUnits(p.feesPaid),
    total_pnl: formatUnits(unrealized + realized),
    allow_short: p.allowShort,
    open_orders: p.openOrders,
    positions,
    as_of: new Date().toISOString(),
  };
}

