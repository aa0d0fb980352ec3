import { describe, expect, it } from '@jest/globals';
import { feeScheduleOf, fillFee, hasFees, NO_FEES, parseBps, worstCaseFee, type FeeSchedule } from '../../src/oms/fees.js';

/** The fee of a fill, exact in units of 0.0001 (bps in ten-thousandths of a basis point). */
const schedule = (perShare: bigint, bpsE4: bigint, minPerOrder: bigint): FeeSchedule => ({ perShare, bpsE4, minPerOrder });

describe('fillFee', () => {
  it('charges per share plus basis points of the notional', () => {
    // 100 x 0.0050 = 0.50, and 1 bps of 10,000.00 = 1.00.
    expect(fillFee(schedule(50n, 10_000n, 0n), 100, 100_000_000n, true)).toBe(15_000n);
  });

  it('rounds the fee up to the next 0.0001, never down', () => {
    // 1.5 bps of 1,000.10 is 0.150015: charged 0.1501.
    expect(fillFee(schedule(0n, 15_000n, 0n), 10, 10_001_000n, false)).toBe(1_501n);
    // 0.3 bps of 0.0001 is far below a unit: still one unit.
    expect(fillFee(schedule(0n, 3_000n, 0n), 1, 1n, false)).toBe(1n);
    // Exact amounts stay exact.
    expect(fillFee(schedule(0n, 10_000n, 0n), 1, 10_000n, false)).toBe(1n);
  });

  it('applies the minimum to the first fill of an order only', () => {
    const s = schedule(50n, 0n, 10_000n);
    // 10 shares: 0.05, below the 1.00 minimum.
    expect(fillFee(s, 10, 1_000_000n, true)).toBe(10_000n);
    expect(fillFee(s, 10, 1_000_000n, false)).toBe(500n);
    // Above the minimum, the fee itself.
    expect(fillFee(s, 1_000, 100_000_000n, true)).toBe(50_000n);
  });

  it('charges nothing without a schedule, whatever the fill', () => {
    expect(fillFee(NO_FEES, 1_000_000, 10n ** 15n, true)).toBe(0n);
    expect(hasFees(NO_FEES)).toBe(false);
    expect(hasFees(schedule(0n, 0n, 1n))).toBe(true);
  });

  it('stays exact for notionals beyond 2^53', () => {
    const notional = 123_456_789_012_345_678_901n;
    // 2.5 bps: notional x 25,000 / 10^8, rounded up.
    const expected = (notional * 25_000n + 99_999_999n) / 100_000_000n;
    expect(fillFee(schedule(0n, 25_000n, 0n), 1, notional, false)).toBe(expected);
    // 123,456,789,012,345,678,901 / 4,000 = 30,864,197,253,086,419.725: up to ...420.
    expect(expected).toBe(30_864_197_253_086_420n);
  });
});

describe('worstCaseFee', () => {
  it('bounds what an order can pay however it fills: the minimum, the whole fee, and a unit of rounding per later fill', () => {
    const s = schedule(50n, 15_000n, 10_000n);
    // 10 @ 100.00: 0.05 + 0.15 = 0.20, + 1.00 minimum, + 9 units.
    expect(worstCaseFee(s, 10, 10_000_000n)).toBe(12_009n);
    // One fill of 1 share at a time, each rounded up, the first at the minimum: never more.
    let paid = 0n;
    for (let i = 0; i < 10; i++) paid += fillFee(s, 1, 1_000_000n, i === 0);
    expect(paid).toBeLessThanOrEqual(worstCaseFee(s, 10, 10_000_000n));
    expect(worstCaseFee(NO_FEES, 10, 10_000_000n)).toBe(0n);
    // A minimum alone rounds nothing.
    expect(worstCaseFee(schedule(0n, 0n, 10_000n), 10, 10_000_000n)).toBe(10_000n);
  });
});

describe('reading a schedule', () => {
  it('reads basis points with up to 4 decimals exactly', () => {
    expect(parseBps('1.5')).toBe(15_000n);
    expect(parseBps('0.0001')).toBe(1n);
    expect(parseBps('12')).toBe(120_000n);
    expect(parseBps('1.23456')).toBeNull();
    expect(parseBps('-1')).toBeNull();
    expect(parseBps('1e2')).toBeNull();
  });

  it('takes the environment texts as units, or refuses them whole', () => {
    expect(feeScheduleOf('0.005', '1.5', '1.00')).toEqual(schedule(50n, 15_000n, 10_000n));
    expect(feeScheduleOf('0', '0', '0')).toEqual(NO_FEES);
    expect(feeScheduleOf('-0.01', '0', '0')).toBeNull();
    expect(feeScheduleOf('0', 'x', '0')).toBeNull();
  });
});
