import { divRound } from './units.js';
import type { PortfolioState } from './model.js';
import { valuePosition } from './portfolio-ledger.js';

/**
 * Equity and returns: a portfolio's equity is its cash plus its positions marked at the reference
 * prices, exact in units. The leaderboard ranks portfolios by return over a period: from the equity
 * the period starts at (a snapshot) to the equity now.
 */

export const EQUITY_PERIODS = ['day', 'week', 'month', 'all'] as const;
export type EquityPeriod = (typeof EQUITY_PERIODS)[number];

const DAY_MS = 86_400_000;

/**
 * Where a period starts (UTC calendar: today's 00:00, Monday's, the 1st of the month); null for
 * `all`, which runs from the portfolio's starting cash.
 */
export function periodStart(period: EquityPeriod, now: Date): Date | null {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  switch (period) {
    case 'day':
      return new Date(midnight);
    case 'week':
      // getUTCDay: Sunday 0; a week starts on Monday.
      return new Date(midnight - ((now.getUTCDay() + 6) % 7) * DAY_MS);
    case 'month':
      return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    case 'all':
      return null;
  }
}

/** Cash plus every position at its reference price (a symbol the desk no longer knows counts as 0). */
export function equityOf(portfolio: PortfolioState, referencePrice: (symbol: string) => number | undefined): bigint {
  let equity = portfolio.cash;
  for (const position of portfolio.positions.values()) {
    if (position.quantity !== 0) equity += valuePosition(position, referencePrice(position.symbol) ?? 0).marketValue;
  }
  return equity;
}

/** One point of an equity curve. */
export interface EquityPoint {
  readonly at: Date;
  readonly equity: bigint;
  readonly cash: bigint;
}

export interface EquitySnapshotRow extends EquityPoint {
  readonly deskId: number;
  readonly portfolioId: number;
}

/** Where snapshots are kept (db/ implements it). */
export interface EquityStore {
  /** Writes the snapshots in one statement; a second one at the same instant replaces the first. */
  write(rows: readonly EquitySnapshotRow[]): Promise<void>;
  /**
   * Per portfolio, the snapshot a period starting at `from` starts from: the first at or after
   * `from`, else the last before it (a quiet period: nothing changed since). Absent: no snapshot.
   */
  startingPoints(deskId: number, portfolioIds: readonly number[], from: Date): Promise<Map<number, EquityPoint>>;
  /** Snapshots after `after` (all when null), oldest first, thinned to at most `maxPoints` evenly over time. */
  curve(deskId: number, portfolioId: number, after: Date | null, until: Date, maxPoints: number): Promise<EquityPoint[]>;
}

/** What a portfolio started a period with when it has no snapshot to start from: its starting cash. */
export function basePoint(portfolio: PortfolioState): EquityPoint {
  return { at: portfolio.createdAt, equity: portfolio.startingCash, cash: portfolio.startingCash };
}

export interface Standing {
  readonly portfolio: PortfolioState;
  readonly start: EquityPoint;
  readonly equity: bigint;
  readonly pnl: bigint;
  /** Return in percent, in units (0.0001 %), rounded once; null when the start is not positive. */
  readonly returnPct: bigint | null;
}

export function standingOf(portfolio: PortfolioState, start: EquityPoint, equity: bigint): Standing {
  const pnl = equity - start.equity;
  // percent x units: pnl / start x 100 x 10,000.
  const returnPct = start.equity > 0n ? divRound(pnl * 1_000_000n, start.equity) : null;
  return { portfolio, start, equity, pnl, returnPct };
}

/**
 * Best return first, compared exactly (pnl_a / start_a against pnl_b / start_b by cross-multiplying,
 * not by the rounded percentages); portfolios without a return last; ties by name.
 */
export function rankByReturn(standings: readonly Standing[]): Standing[] {
  return [...standings].sort((a, b) => {
    if (a.returnPct === null || b.returnPct === null) {
      if (a.returnPct !== b.returnPct) return a.returnPct === null ? 1 : -1;
      return a.portfolio.name.localeCompare(b.portfolio.name);
    }
    const left = a.pnl * b.start.equity;
    const right = b.pnl * a.start.equity;
    if (left !== right) return left > right ? -1 : 1;
    return a.portfolio.name.localeCompare(b.portfolio.name);
  });
}
