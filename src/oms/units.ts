/**
 * Exact decimal money and prices as integers of 0.0001 (1 unit = 1/10,000 of the currency).
 * Prices fit in a JS number (the engine's price units); cash and notionals use bigint because
 * price x quantity can pass 2^53.
 */
export const UNIT_DECIMALS = 4;
export const UNITS_PER_ONE = 10_000n;

const DECIMAL = /^(-)?(\d{1,15})(?:\.(\d{1,4}))?$/;

/** Parses "175.25", "175", 175.25 into units; null when not a decimal with at most 4 places. */
export function parseUnits(value: string | number): bigint | null {
  const text = typeof value === 'number' ? numberToPlainString(value) : value.trim();
  if (text === null) return null;
  const m = DECIMAL.exec(text);
  if (!m) return null;
  const whole = BigInt(m[2]);
  const frac = BigInt((m[3] ?? '').padEnd(UNIT_DECIMALS, '0'));
  const units = whole * UNITS_PER_ONE + frac;
  return m[1] ? -units : units;
}

/**
 * A JSON number is parsed by JS into a double; its shortest round-trip text ("175.25") is what the
 * client wrote, so we read that text rather than doing arithmetic on the double.
 */
function numberToPlainString(n: number): string | null {
  if (!Number.isFinite(n)) return null;
  const s = String(n);
  return /e/i.test(s) ? null : s;
}

/** Units to a decimal string with at least 2 and at most 4 decimals: 1752500n -> "175.25". */
export function formatUnits(units: bigint | number): string {
  // Every order, trade and position of a commit passes here: amounts within 2^53 take integer
  // arithmetic on numbers, exact there and several times cheaper than bigint division.
  const n = typeof units === 'number' ? units : units >= -SAFE && units <= SAFE ? Number(units) : NaN;
  if (!Number.isSafeInteger(n)) return formatBigUnits(typeof units === 'bigint' ? units : BigInt(units));
  const abs = n < 0 ? -n : n;
  const frac = abs % 10_000;
  const whole = (abs - frac) / 10_000;
  return `${n < 0 ? '-' : ''}${whole}.${fraction(frac)}`;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function formatBigUnits(u: bigint): string {
  const abs = u < 0n ? -u : u;
  return `${u < 0n ? '-' : ''}${abs / UNITS_PER_ONE}.${fraction(Number(abs % UNITS_PER_ONE))}`;
}

/** 0..9999 ten-thousandths as 2 to 4 decimals: 2500 -> "25", 5 -> "0005", 0 -> "00". */
function fraction(frac: number): string {
  if (frac % 100 === 0) {
    const hundredths = frac / 100;
    return hundredths < 10 ? `0${hundredths}` : String(hundredths);
  }
  const text = frac < 10 ? `000${frac}` : frac < 100 ? `00${frac}` : frac < 1000 ? `0${frac}` : String(frac);
  return frac % 10 === 0 ? text.slice(0, 3) : text;
}

/** Integer division rounding half away from zero: the one rounding rule for money. */
export function divRound(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new Error('division by zero');
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const q = (n + d / 2n) / d;
  return negative ? -q : q;
}

/** A Prisma Decimal / pg numeric string ("175.2500") to units. */
export function decimalToUnits(value: { toString(): string } | string): bigint {
  const units = parseUnits(value.toString().replace(/^(-?\d+\.\d{4})\d*$/, '$1'));
  if (units === null) throw new Error(`not a decimal with 4 places: ${value.toString()}`);
  return units;
}

/** Units to the text PostgreSQL reads into a NUMERIC exactly. */
export function unitsToSql(units: bigint | number): string {
  return formatUnits(units);
}
