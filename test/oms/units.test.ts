import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decimalToUnits, divRound, formatUnits, parseUnits } from '../../src/oms/units.js';

/** The plain definition: the digits of |units|, a point before the last four, trailing zeros cut to two decimals. */
function reference(units: bigint): string {
  const digits = (units < 0n ? -units : units).toString().padStart(5, '0');
  let frac = digits.slice(-4);
  while (frac.length > 2 && frac.endsWith('0')) frac = frac.slice(0, -1);
  return `${units < 0n ? '-' : ''}${digits.slice(0, -4)}.${frac}`;
}

describe('formatUnits', () => {
  it('writes 2 to 4 decimals', () => {
    expect(formatUnits(1_752_500n)).toBe('175.25');
    expect(formatUnits(1_752_510n)).toBe('175.251');
    expect(formatUnits(1_752_511n)).toBe('175.2511');
    expect(formatUnits(5n)).toBe('0.0005');
    expect(formatUnits(0n)).toBe('0.00');
    expect(formatUnits(-10_000)).toBe('-1.00');
    expect(formatUnits(-1)).toBe('-0.0001');
  });

  it('agrees with the plain definition for numbers and bigints, inside and beyond 2^53', () => {
    const edges = [0n, 1n, 9_999n, 10_000n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 10n ** 20n + 7n];
    const units = fc.oneof(
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
      fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }),
      fc.constantFrom(...edges, ...edges.map((e) => -e)),
    );
    fc.assert(
      fc.property(units, (u) => {
        expect(formatUnits(u)).toBe(reference(u));
        if (u >= -(2n ** 53n) + 1n && u <= 2n ** 53n - 1n) expect(formatUnits(Number(u))).toBe(reference(u));
      }),
      { seed: 11, numRuns: 2000 },
    );
  });

  it('round-trips through parseUnits', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 19n - 1n), max: 10n ** 19n - 1n }), (u) => {
        expect(parseUnits(formatUnits(u))).toBe(u);
      }),
      { seed: 12, numRuns: 1000 },
    );
  });
});

describe('parseUnits', () => {
  it('reads decimals with at most 4 places, from text or a JSON number', () => {
    expect(parseUnits('175.25')).toBe(1_752_500n);
    expect(parseUnits(' 175 ')).toBe(1_750_000n);
    expect(parseUnits(175.25)).toBe(1_752_500n);
    expect(parseUnits('-0.0001')).toBe(-1n);
  });

  it('refuses what is not such a decimal', () => {
    for (const bad of ['175.25001', '1e3', 'abc', '', '1.', '.5', '1,5']) expect(parseUnits(bad)).toBeNull();
    expect(parseUnits(1e21)).toBeNull();
    expect(parseUnits(Number.NaN)).toBeNull();
  });
});

describe('decimalToUnits and divRound', () => {
  it('reads numeric text with extra places cut to 4', () => {
    expect(decimalToUnits('175.250000')).toBe(1_752_500n);
    expect(() => decimalToUnits('abc')).toThrow(/not a decimal/);
  });

  it('rounds half away from zero', () => {
    expect(divRound(5n, 2n)).toBe(3n);
    expect(divRound(-5n, 2n)).toBe(-3n);
    expect(divRound(4n, 3n)).toBe(1n);
    expect(() => divRound(1n, 0n)).toThrow();
  });
});
