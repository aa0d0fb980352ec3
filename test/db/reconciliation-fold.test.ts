import { describe, expect, it } from '@jest/globals';
import { foldLedger, type FoldEvent, type FoldTrade } from '../../src/db/reconciliation.js';

/**
 * The reconciliation's fold of trades with cash changes and resets: each event lands exactly after
 * the trade it names, whatever portfolio the trades around it belong to. Amounts in units (0.0001).
 */
const A = 1;
const B = 2;
const trade = (id: number, buyer: number, seller: number, quantity: number, gmv: bigint, symbol = 'X'): FoldTrade => ({
  id: BigInt(id),
  symbol,
  quantity,
  gmv,
  buyPortfolioId: buyer,
  sellPortfolioId: seller,
  buyFee: 0n,
  sellFee: 0n,
});
const event = (afterTradeId: number, portfolioId: number, kind: 'CASH' | 'RESET', amount: bigint): FoldEvent => ({ portfolioId, kind, amount, afterTradeId: BigInt(afterTradeId) });
const start = new Map([
  [A, 1_000_000n],
  [B, 1_000_000n],
]);

describe('foldLedger', () => {
  it('adds cash changes wherever they fall', () => {
    const { cash } = foldLedger(start, [trade(1, A, B, 10, 100_000n)], [event(0, A, 'CASH', 50_000n), event(1, A, 'CASH', -20_000n)]);
    expect(Object.fromEntries(cash)).toEqual({ [A]: 930_000n, [B]: 1_100_000n });
  });

  it('a reset clears what came before it and keeps what comes after, for its portfolio only', () => {
    const trades = [trade(1, A, B, 10, 100_000n), trade(2, A, B, 4, 44_000n, 'Y'), trade(3, A, B, 5, 60_000n)];
    const { cash, positions } = foldLedger(start, trades, [event(2, A, 'RESET', 300_000n)]);
    expect(Object.fromEntries(cash)).toEqual({ [A]: 240_000n, [B]: 1_204_000n });
    expect(Object.fromEntries(positions)).toEqual({
      [`${A}:X`]: { quantity: 5, costBasis: 60_000n, realizedPnl: 0n },
      [`${B}:X`]: { quantity: -15, costBasis: -160_000n, realizedPnl: 0n },
      [`${B}:Y`]: { quantity: -4, costBasis: -44_000n, realizedPnl: 0n },
    });
  });

  it('events after the same trade fold in the order given; events after the last trade fold at the end', () => {
    const events = [event(1, A, 'CASH', 7n), event(1, A, 'RESET', 500n), event(1, A, 'CASH', 3n), event(9, B, 'RESET', 1n)];
    const { cash, positions } = foldLedger(start, [trade(1, A, B, 1, 10n)], events);
    expect(Object.fromEntries(cash)).toEqual({ [A]: 503n, [B]: 1n });
    expect(positions.get(`${A}:X`)).toBeUndefined();
    expect(positions.get(`${B}:X`)).toBeUndefined();
  });

  it('an event before any trade folds first', () => {
    const { cash, positions } = foldLedger(start, [trade(5, A, B, 2, 20n)], [event(4, A, 'RESET', 100n)]);
    expect(cash.get(A)).toBe(80n);
    expect(positions.get(`${A}:X`)).toEqual({ quantity: 2, costBasis: 20n, realizedPnl: 0n });
  });

  it('takes the fee of each side out of its cash and into its fees paid, positions untouched; a reset starts the fees afresh', () => {
    const trades = [{ ...trade(1, A, B, 10, 100_000n), buyFee: 1_000n, sellFee: 250n }, { ...trade(2, A, B, 5, 50_000n), buyFee: 3n, sellFee: 0n }];
    const { cash, feesPaid, positions } = foldLedger(start, trades, [event(1, B, 'RESET', 2_000_000n)]);
    expect(Object.fromEntries(cash)).toEqual({ [A]: 1_000_000n - 150_000n - 1_003n, [B]: 2_000_000n + 50_000n });
    expect(Object.fromEntries(feesPaid)).toEqual({ [A]: 1_003n, [B]: 0n });
    expect(positions.get(`${A}:X`)).toEqual({ quantity: 15, costBasis: 150_000n, realizedPnl: 0n });
  });
});
