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
    for (const bad of ['', '-1', '1e5', 'abc', '0', '0.00004', '1.2.3', 'NaN', '9999999999999999', '12.', '.5', ' ', '+1', '1 2', '1.2a']) expect(priceUnits(bad)).toBeNull();
  });

  it('agrees with the decimal grammar, read by a regular expression, on many generated texts', () => {
    // The grammar as a pattern: the reference the character-by-character reader must match exactly.
    const reference = (input: string): number | null => {
      const m = /^(\d{1,15})(?:\.(\d+))?$/.exec(input.trim());
      if (!m) return null;
      const frac = m[2] ?? '';
      let units = Number(m[1]) * 10_000 + Number(frac.slice(0, 4).padEnd(4, '0'));
      if (frac.length > 4 && frac.charCodeAt(4) >= 53) units += 1;
      return units > 0 && Number.isSafeInteger(units) ? units : null;
    };
    const alphabet = ['0', '1', '5', '9', '.', ' ', '-', 'e', '4'];
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let n = 0; n < 20_000; n++) {
      const length = 1 + Math.floor(rnd() * 20);
      let text = '';
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(rnd() * alphabet.length)];
      expect([text, priceUnits(text)]).toEqual([text, reference(text)]);
    }
  });
});

describe('backoffDelay', () => {
  it('doubles up to the cap, within the upper half of each step', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 100, 1000, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 100, 1000, () => 0.999999))).toEqual([100, 200, 400, 800, 1000]);
  });
});
