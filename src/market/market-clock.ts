import type { MarketDataSource } from './market-data.js';
import { ReplaySource } from './sources/replay.js';

/** What time it is in the market: the wall clock, or a replayed day's own time. */
export interface MarketClock {
  now(): Date;
}

export const wallClock: MarketClock = { now: () => new Date() };

/** A replay runs its sessions on the replayed day's time (a replayed Tuesday opens as it did); any other source on the wall clock. */
export function marketClockOf(source: MarketDataSource | null): MarketClock {
  return source instanceof ReplaySource ? source : wallClock;
}
