import { describe, expect, it } from '@jest/globals';
import { OrderBook } from '../../src/engine/index.js';
import { estimateMarketBuy } from '../../src/oms/risk-check.js';
import type { InstrumentState } from '../../src/oms/model.js';

/** Prices in units of 0.0001: 100.00 is 1_000_000. */
function instrument(referencePrice: number, asks: [price: number, quantity: number][]): InstrumentState {
  const book = new OrderBook({ tickSize: 100, lotSize: 1 });
  asks.forEach(([price, quantity], i) => {
    book.submit({ type: 'NEW', id: i + 1, owner: 99, side: 'SELL', orderType: 'LIMIT', tif: 'GTC', quantity, price });
  });
  return { symbol: 'X', name: 'X', tickSize: 100, lotSize: 1, referencePrice, lastPrice: null, session: '24/7', book };
}

describe('estimateMarketBuy', () => {
  it('is exact for what the visible asks cover, best first', () => {
    const i = instrument(1_000_000, [[1_010_000, 10], [1_000_000, 5]]);
    expect(estimateMarketBuy(i, 8, 500)).toBe(5n * 1_000_000n + 3n * 1_010_000n);
  });

  it('prices what the asks lack at the worst ask plus the collar', () => {
    const i = instrument(1_000_000, [[1_000_000, 5], [1_020_000, 5]]);
    // 5 at 100, 5 at 102, then 10 at 102 x 1.05 = 1,071,000 each.
    expect(estimateMarketBuy(i, 20, 500)).toBe(5n * 1_000_000n + 5n * 1_020_000n + 10n * 1_071_000n);
  });

  it('with no ask, prices the whole quantity at the reference plus the collar, rounded up', () => {
    const i = instrument(1_000_001, []);
    // 3 x 100.0001 x 1.05 = 315.000315 -> 3,150,003.15 units, rounded up to 3,150,004.
    expect(estimateMarketBuy(i, 3, 500)).toBe(3_150_004n);
  });

  it('uses the reference when it is above the worst visible ask', () => {
    const i = instrument(2_000_000, [[1_000_000, 1]]);
    expect(estimateMarketBuy(i, 2, 0)).toBe(1_000_000n + 2_000_000n);
  });

  it('walks a book deeper than one look at it', () => {
    const asks: [number, number][] = Array.from({ length: 300 }, (_, k) => [1_000_000 + k * 100, 1]);
    const i = instrument(1_000_000, asks);
    const expected = asks.reduce((sum, [p]) => sum + BigInt(p), 0n);
    expect(estimateMarketBuy(i, 300, 500)).toBe(expected);
  });
});
