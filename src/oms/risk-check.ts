import { rejected } from './errors.js';
import { formatUnits } from './units.js';
import { positionOf } from './portfolio-ledger.js';
import type { InstrumentState, PortfolioState } from './model.js';
import type { Side } from '../engine/index.js';

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

/** Cost of buying `quantity` now against the book's asks, best first; beyond its depth, at the worst ask. */
export function estimateMarketBuy(instrument: InstrumentState, quantity: number): bigint {
  const asks = instrument.book.depth(100).asks;
  let left = quantity;
  let cost = 0n;
  let worst = 0;
  for (const level of asks) {
    const take = Math.min(left, level.quantity);
    cost += BigInt(take) * BigInt(level.price);
    worst = level.price;
    left -= take;
    if (left === 0) break;
  }
  if (left > 0 && worst > 0 && asks.length === 100) cost += BigInt(left) * BigInt(worst);
  return cost;
}
