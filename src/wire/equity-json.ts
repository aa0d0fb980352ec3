import type { z } from 'zod';
import { formatUnits } from '../oms/units.js';
import type { EquityPoint, Standing } from '../oms/equity.js';
import type { equityCurveOut, leaderboardOut } from './response-schemas.js';

type LeaderboardEntry = z.infer<typeof leaderboardOut>['data'][number];

function standingFields(s: Standing) {
  return {
    start_equity: formatUnits(s.start.equity),
    equity: formatUnits(s.equity),
    pnl: formatUnits(s.pnl),
    return_pct: s.returnPct === null ? null : formatUnits(s.returnPct),
  };
}

export function leaderboardEntryJson(s: Standing, rank: number): LeaderboardEntry {
  return { rank, portfolio_name: s.portfolio.name, ...standingFields(s), started_at: s.start.at.toISOString() };
}

export function equityPointJson(p: EquityPoint): z.infer<typeof equityCurveOut>['data'][number] {
  return { at: p.at.toISOString(), equity: formatUnits(p.equity), cash: formatUnits(p.cash) };
}

export function equityCurveJson(s: Standing, period: z.infer<typeof equityCurveOut>['period'], from: Date | null, asOf: Date, points: readonly EquityPoint[]): z.infer<typeof equityCurveOut> {
  return { portfolio_name: s.portfolio.name, period, from: from?.toISOString() ?? null, as_of: asOf.toISOString(), ...standingFields(s), data: points.map(equityPointJson) };
}
