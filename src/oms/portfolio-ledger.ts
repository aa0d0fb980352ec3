import { divRound } from './units.js';
import type { PortfolioState, PositionState } from './model.js';
import type { Side } from '../engine/index.js';

/**
 * Average-cost accounting, exact in units. The same fold runs live (every fill) and in the
 * reconciliation check (all trades from the database), so both must give identical numbers.
 */
export function applyFill(
  portfolio: PortfolioState,
  symbol: string,
  side: Side,
  quantity: number,
  notional: bigint,
): PositionState {
  const position = positionOf(portfolio, symbol);
  foldFill(position, side, quantity, notional);
  portfolio.cash += side === 'BUY' ? -notional : notional;
  return position;
}

export function positionOf(portfolio: PortfolioState, symbol: string): PositionState {
  let p = portfolio.positions.get(symbol);
  if (!p) {
    p = { symbol, quantity: 0, costBasis: 0n, realizedPnl: 0n, reservedSell: 0, openBuy: 0 };
    portfolio.positions.set(symbol, p);
  }
  return p;
}

/** Folds one fill into a position: opens/extends at cost, reduces with realized P&L, may flip. */
export function foldFill(
  position: { quantity: number; costBasis: bigint; realizedPnl: bigint },
  side: Side,
  quantity: number,
  notional: bigint,
): void {
  const sign = side === 'BUY' ? 1 : -1;
  const q = position.quantity;
  const signedNotional = side === 'BUY' ? notional : -notional;
  if (q === 0 || Math.sign(q) === sign) {
    position.quantity = q + sign * quantity;
    position.costBasis += signedNotional;
    return;
  }
  const closing = Math.min(quantity, Math.abs(q));
  const removedCost =
    closing === Math.abs(q) ? position.costBasis : divRound(position.costBasis * BigInt(closing), BigInt(Math.abs(q)));
  const closingNotional =
    closing === quantity ? signedNotional : divRound(signedNotional * BigInt(closing), BigInt(quantity));
  position.realizedPnl += -closingNotional - removedCost;
  position.costBasis -= removedCost;
  position.quantity = q + sign * closing;
  const opening = quantity - closing;
  if (opening > 0) {
    position.quantity = sign * opening;
    position.costBasis = signedNotional - closingNotional;
  }
}

export interface Valuation {
  readonly marketValue: bigint;
  readonly gmv: bigint;
  readonly unrealizedPnl: bigint;
}

/** Marks a position at a price (units): market value, gross market value and unrealized P&L. */
export function valuePosition(position: { quantity: number; costBasis: bigint }, price: number): Valuation {
  const marketValue = BigInt(position.quantity) * BigInt(price);
  return {
    marketValue,
    gmv: marketValue < 0n ? -marketValue : marketValue,
    unrealizedPnl: marketValue - position.costBasis,
  };
}
