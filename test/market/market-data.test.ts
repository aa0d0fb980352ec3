import { describe, expect, it } from '@jest/globals';
import { backoffDelay, priceUnits } from '../../src/market/market-data.js';

describe('priceUnits', () => {
  it('reads provider text exactly, rounding half up at the fourth decimal', () => {
    expect(priceUnits('175.25')).toBe(1_752_500);
    expect(priceUnits('175')).toBe(1_750_000);
    expect(priceUnits('43210.12345')).toBe(432_101_235);
    expect(priceUnits('43210.12344')).toBe(432_101_234);
    expect(priceUnits('0.00005')).toBe(1);
    expect(priceUnits('0.1 ')).toBe(1_000);
  });

  it('refuses what is not a positive decimal', () => {
    for (const bad of ['', '-1', '1e5', 'abc', '0', '0.00004', '1.2.3', 'NaN', '9999999999999999']) expect(priceUnits(bad)).toBeNull();
  });
});

describe('backoffDelay', () => {
  it('doubles up to the cap, within the upper half of each step', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 100, 1000, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 100, 1000, () => 0.999999))).toEqual([100, 200, 400, 800, 1000]);
  });
});
