import { OmsError, rejected } from './errors.js';
import { formatUnits } from './units.js';
import { positionOf } from './portfolio-ledger.js';
import { type InstrumentState, type PortfolioState } from './model.js';
import type { DeskState } from './desk-state.js';
import type { PortfolioRisk } from './risk-model.js';
import type { OrderType, Side } from '../engine/index.js';

/** What an order would add to its portfolio's commitments if accepted (or changed). */
export interface Exposure {
  readonly side: Side;
  /** Extra cash a BUY needs beyond what the order already holds. */
  readonly cash: bigint;
  /** Extra quantity a SELL needs beyond what the order already holds. */
  readonly quantity: number;
}

/**
 * The risk step of the order path: one function, called before the engine sees a command, so
 * portfolio states (ACTIVE / REDUCING / HALTED) and notional limits slot in here later.
 * Throws an OmsError (HTTP 422) to refuse.
 */
export function checkRisk(portfolio: PortfolioState, instrument: InstrumentState, exposure: Exposure): void {
  if (portfolio.isHouse) return;
  if (exposure.side === 'BUY') {
    const available = portfolio.cash - portfolio.reservedCash;
    if (exposure.cash > available) {
      // The figures a trader needs to size the order again, like the shares of SHORT_NOT_ALLOWED.
      const left = formatUnits(available > 0n ? available : 0n);
      throw rejected('INSUFFICIENT_CASH', `portfolio ${portfolio.name} lacks buying power for this order (needs ${formatUnits(exposure.cash)}, ${left} available)`, 'quantity');
    }
    return;
  }
  if (portfolio.allowShort) return;
  const position = positionOf(portfolio, instrument.symbol);
  const available = position.quantity - position.reservedSell;
  if (exposure.quantity > available) {
    throw rejected(
      'SHORT_NOT_ALLOWED',
      `portfolio ${portfolio.name} may not sell more ${instrument.symbol} than it holds (${Math.max(available, 0)} available)`,
      'quantity',
    );
  }
}

/**
 * What a market buy of `quantity` may cost, priced for the whole quantity as a broker prices it:
 * the visible asks it would take, best first (exact: nothing runs between this check and the
 * match), and whatever they lack at the worst of them or the reference price, whichever is higher,
 * raised by the collar. So an order far beyond the portfolio's cash is refused instead of filling
 * whatever the book happens to hold.
 */
export function estimateMarketBuy(instrument: InstrumentState, quantity: number, collarBps: number): bigint {
  let left = quantity;
  let cost = 0n;
  let worst = instrument.referencePrice;
  let depth = 16;
  // The book's levels, enough of them for the quantity (each pass asks for four times as many).
  for (;;) {
    const asks = instrument.book.depth(depth).asks;
    left = quantity;
    cost = 0n;
    for (const level of asks) {
      const take = Math.min(left, level.quantity);
      cost += BigInt(take) * BigInt(level.price);
      worst = level.price;
      left -= take;
      if (left === 0) break;
    }
    if (left === 0 || asks.length < depth) break;
    depth *= 4;
  }
  if (left === 0) return cost;
  // The part no visible ask covers has no known price: the collar covers the market moving away.
  const beyond = BigInt(left) * BigInt(Math.max(worst, instrument.referencePrice));
  return cost + (beyond * BigInt(10_000 + collarBps) + 9_999n) / 10_000n;
}

/**
 * What a STOP BUY of `quantity` may cost: at its stop, but once the book's last price has reached the
 * stop it triggers at once and buys at the market, so then at least what a market buy would cost.
 */
export function estimateStopBuy(instrument: InstrumentState, stopPrice: number, quantity: number, collarBps: number): bigint {
  const atStop = BigInt(stopPrice) * BigInt(quantity);
  const last = instrument.book.marketPrice;
  if (last === null || stopPrice > last) return atStop;
  const atMarket = estimateMarketBuy(instrument, quantity, collarBps);
  return atMarket > atStop ? atMarket : atStop;
}

/** What the market may pay for a market sell of `quantity`: the visible bids it would hit, the rest at the reference price. */
export function estimateMarketSell(instrument: InstrumentState, quantity: number): bigint {
  let left = quantity;
  let proceeds = 0n;
  for (const level of instrument.book.depth(64).bids) {
    const take = Math.min(left, level.quantity);
    proceeds += BigInt(take) * BigInt(level.price);
    left -= take;
    if (left === 0) return proceeds;
  }
  return proceeds + BigInt(left) * BigInt(instrument.referencePrice);
}

/** The prices that say what an order is worth: a new order's, a stored one's, or one being modified. */
export interface PricedOrder {
  readonly side: Side;
  readonly type: OrderType;
  readonly limitPrice: number | null;
  readonly stopPrice: number | null;
}

/**
 * What `quantity` of an order is worth, as buying power, the limits and the approval threshold read
 * it: price x quantity; a STOP BUY as estimateStopBuy; a market BUY as its buying-power check prices
 * it (collar included), a market SELL at the bids it would hit.
 */
export function orderNotional(instrument: InstrumentState, order: PricedOrder, quantity: number, collarBps: number): bigint {
  if (order.side === 'BUY' && order.type === 'STOP') return estimateStopBuy(instrument, order.stopPrice!, quantity, collarBps);
  const price = order.type === 'MARKET' ? null : order.type === 'STOP' ? order.stopPrice : order.limitPrice;
  if (price !== null) return BigInt(price) * BigInt(quantity);
  return order.side === 'BUY' ? estimateMarketBuy(instrument, quantity, collarBps) : estimateMarketSell(instrument, quantity);
}

/** An order (or the growth of one) as the desk's risk policy sees it. */
export interface OrderIntent {
  readonly side: Side;
  /** Shares it may still trade (for a change: its remaining quantity after it). */
  readonly quantity: number;
  /** What the whole order is worth (a market order estimated as its buying-power check does). */
  readonly notional: bigint;
  /** The order itself when it is already live (an approval, a modify): not counted among the others. */
  readonly orderId?: number;
}

const abs = (n: bigint): bigint => (n < 0n ? -n : n);

/**
 * The desk's and the portfolio's trading states, then the portfolio's limits, for an order that adds
 * to what the portfolio may trade. Runs in the same synchronous step as the engine command, so a halt
 * set before it is never missed and one set after it is acknowledged only after this order's commit.
 * The house (the desk's market making) is exempt: a reduce-only desk still needs someone to trade with.
 */
export function checkRiskPolicy(state: DeskState, portfolio: PortfolioState, instrument: InstrumentState, intent: OrderIntent): void {
  if (portfolio.isHouse) return;
  if (state.deskRisk === 'HALTED') {
    throw rejected('DESK_HALTED', 'the desk is halted: no new orders until it is resumed (cancels still go through)', 'portfolio_name');
  }
  const risk = state.riskOf(portfolio.id);
  if (risk.state === 'HALTED') {
    throw rejected('PORTFOLIO_HALTED', `portfolio ${portfolio.name} is halted: no new orders until it is resumed (cancels still go through)`, 'portfolio_name');
  }
  const reducing = state.deskRisk === 'REDUCING' || risk.state === 'REDUCING';
  // The live orders on the order's side: counted only when a rule needs them.
  if (!reducing && risk.maxOrderNotional === null && risk.maxPosition === null && risk.maxGrossExposure === null) return;
  const sameSide = !reducing && risk.maxPosition === null && risk.maxGrossExposure === null ? 0 : sameSideOpen(state, portfolio, instrument.symbol, intent);
  const position = positionOf(portfolio, instrument.symbol).quantity;
  if (reducing) {
    const scope = risk.state === 'REDUCING' ? `portfolio ${portfolio.name} is` : 'the desk is';
    const shrinkable = intent.side === 'SELL' ? Math.max(position, 0) : Math.max(-position, 0);
    if (sameSide + intent.quantity > shrinkable) {
      const held = position === 0 ? `no ${instrument.symbol} position` : `${position > 0 ? 'long' : 'short'} ${Math.abs(position)} ${instrument.symbol}`;
      const pending = sameSide > 0 ? `, ${sameSide} already on open ${intent.side} orders` : '';
      throw rejected('REDUCE_ONLY', `${scope} reduce-only: a ${intent.side} of ${intent.quantity} would not shrink the position (${held}${pending})`, 'quantity');
    }
  }
  checkLimits(state, portfolio, instrument, intent, risk, position + (intent.side === 'BUY' ? 1 : -1) * (sameSide + intent.quantity));
}

function checkLimits(state: DeskState, portfolio: PortfolioState, instrument: InstrumentState, intent: OrderIntent, risk: PortfolioRisk, would: number): void {
  const position = positionOf(portfolio, instrument.symbol).quantity;
  const limitHit = (limit: string, value: string, wouldBe: string, what: string): never => {
    throw new OmsError('RISK_LIMIT', `portfolio ${portfolio.name}'s ${limit} is ${value}: ${what} would be ${wouldBe}`, [
      { path: limit, message: `limit ${value}, would be ${wouldBe}` },
    ]);
  };
  if (risk.maxOrderNotional !== null && intent.notional > risk.maxOrderNotional) {
    limitHit('max_order_notional', formatUnits(risk.maxOrderNotional), formatUnits(intent.notional), "this order's notional");
  }
  // A limit lowered below what is held still lets the portfolio shrink toward it.
  if (risk.maxPosition !== null && Math.abs(would) > risk.maxPosition && Math.abs(would) > Math.abs(position)) {
    limitHit('max_position', String(risk.maxPosition), String(Math.abs(would)), `its ${instrument.symbol} position with its open ${intent.side} orders filled`);
  }
  if (risk.maxGrossExposure !== null) {
    let others = 0n;
    for (const [symbol, p] of portfolio.positions) {
      if (symbol === instrument.symbol || p.quantity === 0) continue;
      others += abs(BigInt(p.quantity)) * BigInt(state.instruments.get(symbol)?.referencePrice ?? 0);
    }
    const price = BigInt(instrument.referencePrice);
    const gross = others + abs(BigInt(would)) * price;
    if (gross > risk.maxGrossExposure && gross > others + abs(BigInt(position)) * price) {
      limitHit('max_gross_exposure', formatUnits(risk.maxGrossExposure), formatUnits(gross), 'its gross exposure');
    }
  }
}

/** Shares the portfolio's live orders (open or awaiting approval) on the intent's side may still trade in the symbol. */
function sameSideOpen(state: DeskState, portfolio: PortfolioState, symbol: string, intent: OrderIntent): number {
  // Every live order counts its open quantity in its position (DeskState.reserve, approvals' hold):
  // no walk over the desk's orders. An order being changed counts without itself.
  const position = positionOf(portfolio, symbol);
  const self = intent.orderId === undefined ? undefined : state.orders.get(intent.orderId);
  return intent.side === 'SELL' ? position.reservedSell - (self?.reservedQty ?? 0) : position.openBuy - (self?.countedBuy ?? 0);
}
