import { mulberry32 } from './seeded-random.js';

/** A market-data source: proposes the next reference price of a symbol (price units), or null to keep it. */
export interface PriceSource {
  next(symbol: string, current: number, tickSize: number): number | null;
}

/**
 * Seeded random walk (mulberry32): the same seed gives the same price path, so a paper session is
 * reproducible. Each step moves up to `maxTicks` ticks, never below one tick.
 */
export class RandomWalkSource implements PriceSource {
  private readonly random: () => number;

  constructor(seed: number, private readonly maxTicks = 3) {
    this.random = mulberry32(seed);
  }

  next(_symbol: string, current: number, tickSize: number): number | null {
    const steps = Math.floor(this.random() * (2 * this.maxTicks + 1)) - this.maxTicks;
    if (steps === 0) return null;
    return Math.max(tickSize, current + steps * tickSize);
  }
}
