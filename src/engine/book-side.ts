import { PriceLevel } from './price-level.js';
import type { Level } from './types.js';

/**
 * The levels of one side, kept sorted so that the best level is the last element: reaching, filling
 * and emptying the top of the book (where nearly all activity is) is then O(1), and a new level
 * deeper in the book costs one binary search and a short memmove.
 */
export class BookSide {
  private readonly levels: PriceLevel[] = [];
  private readonly byPrice = new Map<number, PriceLevel>();
  /** +1 for bids (higher is better), -1 for asks (lower is better). */
  private readonly direction: 1 | -1;

  constructor(isBid: boolean) {
    this.direction = isBid ? 1 : -1;
  }

  best(): PriceLevel | null {
    const n = this.levels.length;
    return n === 0 ? null : this.levels[n - 1];
  }

  get(price: number): PriceLevel | undefined {
    return this.byPrice.get(price);
  }

  getOrCreate(price: number): PriceLevel {
    // Most orders join the best level: skip the map lookup for them.
    const best = this.best();
    if (best !== null && best.price === price) return best;
    let level = this.byPrice.get(price);
    if (level === undefined) {
      level = new PriceLevel(price);
      this.byPrice.set(price, level);
      const levels = this.levels;
      const n = levels.length;
      const key = price * this.direction;
      if (n === 0 || levels[n - 1].price * this.direction < key) {
        levels.push(level);
      } else {
        levels.splice(this.indexOf(key), 0, level);
      }
    }
    return level;
  }

  /** Drops an empty level. */
  removeLevel(level: PriceLevel): void {
    this.byPrice.delete(level.price);
    const levels = this.levels;
    const n = levels.length;
    if (levels[n - 1] === level) {
      levels.pop();
    } else {
      const i = this.indexOf(level.price * this.direction);
      if (levels[i] !== level) throw new Error(`book side lost level ${level.price}`);
      levels.splice(i, 1);
    }
  }

  /** Levels from best to worse; iteration stops when the callback returns false. */
  forEachBestFirst(visit: (level: PriceLevel) => boolean): void {
    for (let i = this.levels.length - 1; i >= 0; i--) {
      if (!visit(this.levels[i])) return;
    }
  }

  depth(n: number): Level[] {
    const out: Level[] = [];
    for (let i = this.levels.length - 1; i >= 0 && out.length < n; i--) {
      const l = this.levels[i];
      out.push({ price: l.price, quantity: l.quantity, orders: l.count });
    }
    return out;
  }

  get levelCount(): number {
    return this.levels.length;
  }

  /** First index whose key is >= `key` (keys ascend through the array). */
  private indexOf(key: number): number {
    const levels = this.levels;
    const dir = this.direction;
    let lo = 0;
    let hi = levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (levels[mid].price * dir < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
