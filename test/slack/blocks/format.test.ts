import { describe, expect, it } from '@jest/globals';
import { decimal, money, quantity, signedMoney } from '../../../src/slack/blocks/format.js';

describe('formatting decimal strings without floats', () => {
  it.each([
    ['0', '0.00'],
    ['5', '5.00'],
    ['175.5', '175.50'],
    ['175.2555', '175.2555'],
    ['1234567.1', '1,234,567.10'],
    ['-1234.5', '-1,234.50'],
    ['-0.00', '0.00'],
    ['9007199254740993.01', '9,007,199,254,740,993.01'],
  ])('decimal(%s) = %s', (input, out) => {
    expect(decimal(input)).toBe(out);
  });

  it('formats money and signed P&L', () => {
    expect(money('-1234.5')).toBe('-$1,234.50');
    expect(money(null)).toBe('—');
    expect(signedMoney('12')).toBe('+$12.00');
    expect(signedMoney('-3')).toBe('-$3.00');
    expect(signedMoney('0.00')).toBe('$0.00');
    expect(quantity(1234567)).toBe('1,234,567');
  });
});
