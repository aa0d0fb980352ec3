import { PriceLevel } from './price-level.js';
import type { Level } from './types.js';

/**
 * The levels of one side, kept sorted so that the best level is the last element: reaching, filling
 * and emptying the top of the book (where nearly all activity is) is then O(1), and a new level
 * deeper in the book costs one binary search and a short memmove. The search runs over `keys`, a
 * packed array of small integers beside the levels, so it never touches the level objects.
 */
export class BookSide {
  private readonly levels: PriceLevel[] = [];
  /** keys[i] = levels[i].price * direction: ascending, the best level last. */
  private readonly keys: number[] = [];
  /** +1 for bids (higher is better), -1 for asks (lower is better). */
  private readonly direction: 1 | -1;
  /**
   * Emptied levels, kept for reuse: at the top of a busy book levels empty and reopen all the
   * time, and each new object was garbage soon after.
   */
  private readonly spare: PriceLevel[] = [];
  /**
   * The level getOrCreate found by searching last, while it is in the book: orders often come in
   * runs at one price behind the best (a refill after a sweep, a quote), and this skips the search.
   */
  private recent: PriceLevel | null = null;

  constructor(isBid: boolean) {
    this.direction = isBid ? 1 : -1;
  }

  best(): PriceLevel | null {
    const n = this.levels.length;
    return n === 0 ? null : this.levels[n - 1];
  }

  get(price: number): PriceLevel | undefined {
    const key = price * this.direction;
    const i = this.indexOf(key);
    return this.keys[i] === key ? this.levels[i] : undefined;
  }

  getOrCreate(price: number): PriceLevel {
    const keys = this.keys;
    const n = keys.length;
    const key = price * this.direction;
    // Most orders join the best level or open a new best one: no search for them.
    if (n === 0 || keys[n - 1] < key) {
      const level = this.newLevel(price);
      keys.push(key);
      this.levels.push(level);
      return level;
    }
    if (keys[n - 1] === key) return this.levels[n - 1];
    const recent = this.recent;
    if (recent !== null && recent.price === price) return recent;
    const i = this.indexOf(key);
    if (keys[i] === key) return (this.recent = this.levels[i]);
    const level = this.newLevel(price);
    keys.splice(i, 0, key);
    this.levels.splice(i, 0, level);
    return (this.recent = level);
  }

  /** Drops an empty level; the caller must not use it afterwards (it will be reused). */
  removeLevel(level: PriceLevel): void {
    const levels = this.levels;
    const n = levels.length;
    if (levels[n - 1] === level) {
      levels.pop();
      this.keys.pop();
    } else {
      const i = this.indexOf(level.price * this.direction);
      if (levels[i] !== level) throw new Error(`book side lost level ${level.price}`);
      levels.splice(i, 1);
      this.keys.splice(i, 1);
    }
    if (this.recent === level) this.recent = null;
    if (this.spare.length < 256) this.spare.push(level);
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

  private newLevel(price: number): PriceLevel {
    const level = this.spare.pop();
    if (level === undefined) return new PriceLevel(price);
    level.price = price;
    level.head = level.tail = null;
    level.quantity = level.count = 0;
    return level;
  }

  /** First index whose key is >= `key`. */
  private indexOf(key: number): number {
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
