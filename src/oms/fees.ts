import { parseUnits } from './units.js';

/**
 * A desk's fee schedule and the arithmetic of one fill's fee, exact in bigint. Money is in units of
 * 0.0001; basis points are held in ten-thousandths of a basis point so "0.5" bps is exact too.
 */
export interface FeeSchedule {
  /** Units per share filled. */
  readonly perShare: bigint;
  /** Ten-thousandths of a basis point of the fill's notional (1 bps = 10_000). */
  readonly bpsE4: bigint;
  /** Units: the least the first fill of an order is charged. */
  readonly minPerOrder: bigint;
}

export const NO_FEES: FeeSchedule = { perShare: 0n, bpsE4: 0n, minPerOrder: 0n };

/** One basis point is 1/10,000 of the notional; bpsE4 adds four more decimal places. */
const BPS_DENOMINATOR = 10_000n * 10_000n;

const BPS = /^(\d{1,5})(?:\.(\d{1,4}))?$/;

/** "1.25" bps -> 12_500n; null when not a non-negative decimal with at most 4 places. */
export function parseBps(text: string): bigint | null {
  const m = BPS.exec(text.trim());
  if (!m) return null;
  return BigInt(m[1]) * 10_000n + BigInt((m[2] ?? '').padEnd(4, '0'));
}

export function hasFees(s: FeeSchedule): boolean {
  return s.perShare > 0n || s.bpsE4 > 0n || s.minPerOrder > 0n;
}

/** The per-share and bps part of a fee on `quantity` shares worth `notional` units, rounded up to a unit. */
function variableFee(s: FeeSchedule, quantity: number, notional: bigint): bigint {
  const scaled = s.perShare * BigInt(quantity) * BPS_DENOMINATOR + notional * s.bpsE4;
  return (scaled + BPS_DENOMINATOR - 1n) / BPS_DENOMINATOR;
}

/**
 * The fee of one fill: per share plus bps of its notional, rounded up to 0.0001; the first fill of
 * an order pays at least the minimum (so the minimum is charged once per order, not per fill).
 */
export function fillFee(s: FeeSchedule, quantity: number, notional: bigint, firstFill: boolean): bigint {
  const fee = variableFee(s, quantity, notional);
  return firstFill && fee < s.minPerOrder ? s.minPerOrder : fee;
}

/**
 * The most a new order of `quantity` shares worth at most `notional` can pay in fees however it
 * fills: the minimum on a first fill too small to reach it, plus the variable fee of the whole
 * order, plus a unit of rounding for every fill after the first (at worst one share each).
 */
export function worstCaseFee(s: FeeSchedule, quantity: number, notional: bigint): bigint {
  if (!hasFees(s)) return 0n;
  const rounding = s.perShare > 0n || s.bpsE4 > 0n ? BigInt(Math.max(quantity - 1, 0)) : 0n;
  return s.minPerOrder + variableFee(s, quantity, notional) + rounding;
}

/** A schedule from its decimal texts (as the environment gives them, already checked); null if one is not. */
export function feeScheduleOf(perShare: string, bps: string, minPerOrder: string): FeeSchedule | null {
  const share = parseUnits(perShare);
  const bpsE4 = parseBps(bps);
  const min = parseUnits(minPerOrder);
  if (share === null || share < 0n || bpsE4 === null || min === null || min < 0n) return null;
  return { perShare: share, bpsE4, minPerOrder: min };
}
