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
