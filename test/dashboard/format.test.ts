// The dashboard's pure formatting: exact decimals from the feed's strings, symbols in reading order,
// and tape times that say the day when it is not today.

import { beforeAll, describe, expect, it } from '@jest/globals';

// Browser JavaScript without type declarations: imported by a non-literal path, typed here.
interface FormatModule {
  price(value: unknown): string;
  money(value: unknown, options?: { signed?: boolean }): string;
  bySymbol(a: string, b: string): number;
  tapeTime(value: unknown, now?: Date): string;
}
const FORMAT_MODULE_PATH: string = '../../src/dashboard/public/format.js';
let fmt: FormatModule;

beforeAll(async () => {
  fmt = (await import(FORMAT_MODULE_PATH)) as FormatModule;
});

describe('dashboard formatting', () => {
  it('shows prices exactly as the feed sent them, padded to 2 decimals', () => {
    expect(fmt.price('12.3456')).toBe('12.3456');
    expect(fmt.price('1234567.8912')).toBe('1234567.8912');
    expect(fmt.price('101')).toBe('101.00');
    expect(fmt.price(null)).toBe('—');
    expect(fmt.money('488477781.1234')).toBe('488,477,781.1234');
  });

  it('sorts symbols in reading order: SYM2 before SYM10', () => {
    expect(['SYM10', 'SYM2', 'AAPL', 'SYM1', 'SYM11'].sort(fmt.bySymbol)).toEqual(['AAPL', 'SYM1', 'SYM2', 'SYM10', 'SYM11']);
  });

  it('gives a tape time today, and the date for an earlier day', () => {
    const now = new Date(2026, 10, 23, 15, 0, 0);
    expect(fmt.tapeTime(new Date(2026, 10, 23, 9, 5, 7).toISOString(), now)).toBe('09:05:07');
    expect(fmt.tapeTime(new Date(2026, 10, 22, 23, 59, 59).toISOString(), now)).toBe('11-22');
    expect(fmt.tapeTime('not a time', now)).toBe('');
  });
});
