/** A market-data source: proposes the next reference price of a symbol (price units), or null to keep it. */
export interface PriceSource {
  next(symbol: string, current: number, tickSize: number): number | null;
}

/**
 * Seeded random walk (mulberry32): the same seed gives the same price path, so a paper session is
 * reproducible. Each step moves up to `maxTicks` ticks, never below one tick.
 */
export class RandomWalkSource implements PriceSource {
  private state: number;

  constructor(seed: number, private readonly maxTicks = 3) {
    this.state = seed >>> 0;
  }

  next(_symbol: string, current: number, tickSize: number): number | null {
    const steps = Math.floor(this.random() * (2 * this.maxTicks + 1)) - this.maxTicks;
    if (steps === 0) return null;
    return Math.max(tickSize, current + steps * tickSize);
  }

  private random(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
