import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { BookSide, WINDOW_TICKS } from '../../src/engine/book-side.js';
import type { PriceLevel } from '../../src/engine/price-level.js';

/** Prices best first, as the side walks them. */
function walk(side: BookSide): number[] {
  const prices: number[] = [];
  side.forEachBestFirst((level) => {
    prices.push(level.price);
    return true;
  });
  return prices;
}

describe('BookSide', () => {
  // Levels are created and dropped at prices near the touch, far behind it (outside the window) and
  // far ahead of it (the touch jumps), so the window moves, falls back to the search, and is rebuilt
  // while levels it must forget or pick up exist on both sides of its edges.
  it('finds, creates and drops levels like a sorted map, wherever the prices fall', () => {
    const span = WINDOW_TICKS * 3;
    const op = fc.record({
      // A third of the steps drop an existing level (the `pick`-th known price).
      remove: fc.integer({ min: 0, max: 2 }).map((k) => k === 0),
      pick: fc.nat(),
      // Mostly near one of a few anchors, sometimes anywhere in three windows' worth of ticks.
      anchor: fc.constantFrom(0, 1, 2, 3),
      offset: fc.oneof(fc.integer({ min: -40, max: 40 }), fc.integer({ min: -span, max: span })),
    });
    fc.assert(
      fc.property(fc.boolean(), fc.constantFrom(1, 5, 100), fc.array(op, { minLength: 100, maxLength: 400 }), (isBid, tick, ops) => {
        const side = new BookSide(isBid, tick);
        const model = new Map<number, PriceLevel>();
        const anchors = [10 * span, 10 * span + WINDOW_TICKS, 10 * span - 2 * WINDOW_TICKS, 10 * span + 5];
        for (const { remove, pick, anchor, offset } of ops) {
          if (remove && model.size === 0) continue;
          const price = remove ? [...model.keys()][pick % model.size] : (anchors[anchor] + offset) * tick;
          const known = model.get(price);
          if (remove) {
            side.removeLevel(known!);
            model.delete(price);
          } else {
            const level = side.getOrCreate(price);
            if (known !== undefined) expect(level).toBe(known);
            expect(level.price).toBe(price);
            model.set(price, level);
          }
          const sorted = [...model.keys()].sort((a, b) => (isBid ? b - a : a - b));
          expect(walk(side)).toEqual(sorted);
          expect(side.best()?.price).toBe(sorted[0]);
          expect(side.levelCount).toBe(model.size);
          for (const probe of [price, price + tick, price - tick, sorted[0] ?? 0]) {
            expect(side.get(probe)).toBe(model.get(probe));
          }
        }
        for (const [price, level] of model) expect(side.get(price)).toBe(level);
      }),
      { seed: 11, numRuns: 50 },
    );
  });

  it('keeps the window behind a moving touch and leaves far prices to the search', () => {
    const bids = new BookSide(true, 5);
    const touch = 1_000_000;
    bids.getOrCreate(touch);
    const behind = bids.getOrCreate(touch - 10 * 5); // not the best: places the window
    // Three quarters of the window behind the best bid, the rest above it.
    expect(bids.windowRange).toEqual({ low: touch - (WINDOW_TICKS * 3 / 4) * 5, high: touch + (WINDOW_TICKS / 4 - 1) * 5 });

    // Far behind the touch, outside the window: found by search, the window stays where it is.
    const far = bids.getOrCreate(touch - 2 * WINDOW_TICKS * 5);
    expect(bids.get(touch - 2 * WINDOW_TICKS * 5)).toBe(far);
    expect(bids.windowRange.low).toBe(touch - (WINDOW_TICKS * 3 / 4) * 5);

    // The touch jumps past the window's end; the next price outside the window moves it there.
    const jump = touch + 2 * WINDOW_TICKS * 5;
    bids.getOrCreate(jump);
    const nearJump = bids.getOrCreate(jump - 5);
    expect(bids.windowRange.low).toBe(jump - (WINDOW_TICKS * 3 / 4) * 5);
    expect(bids.get(jump - 5)).toBe(nearJump);
    // Levels that were in the old window are still found (now by search), dropped ones are gone.
    expect(bids.get(touch - 10 * 5)).toBe(behind);
    bids.removeLevel(behind);
    expect(bids.get(touch - 10 * 5)).toBeUndefined();
    expect(walk(bids)).toEqual([jump, jump - 5, touch, touch - 2 * WINDOW_TICKS * 5]);
  });

  it('mirrors the window for asks: it lies above the best ask', () => {
    const asks = new BookSide(false, 1);
    asks.getOrCreate(500_000);
    asks.getOrCreate(500_007);
    // Three quarters of the window above the best ask, the rest below it.
    expect(asks.windowRange).toEqual({ low: 500_000 - (WINDOW_TICKS / 4 - 1), high: 500_000 + WINDOW_TICKS * 3 / 4 });
    expect(asks.get(500_007)?.price).toBe(500_007);
    expect(walk(asks)).toEqual([500_000, 500_007]);
  });
});
