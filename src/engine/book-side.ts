import { PriceLevel } from './price-level.js';
import type { Level } from './types.js';

/**
 * Ticks covered by a side's window (see BookSide). 4,096 pointers are 16 KB per side; a deep book
 * of a few thousand levels near the touch then never needs the binary search.
 */
export const WINDOW_TICKS = 4096;

/**
 * The levels of one side, kept sorted so that the best level is the last element: reaching, filling
 * and emptying the top of the book (where nearly all activity is) is then O(1), and a new level
 * deeper in the book costs one binary search and a short memmove. The search runs over `keys`, a
 * packed array of small integers beside the levels, so it never touches the level objects.
 *
 * Finding the level of a price that is not the best was that binary search, the largest part of
 * placing an order into a deep book. A window of WINDOW_TICKS consecutive prices near the touch maps
 * a price to its level directly; prices outside it fall back to the search. The window follows the
 * touch only when a price outside it is asked for while the best has left the window's front half:
 * moving it costs a pass over the window, so it must not happen on every small move of the touch.
 */
export class BookSide {
  private readonly levels: PriceLevel[] = [];
  /** keys[i] = levels[i].price * direction: ascending, the best level last. */
  private readonly keys: number[] = [];
  /** +1 for bids (higher is better), -1 for asks (lower is better). */
  private readonly direction: 1 | -1;
  private readonly tick: number;
  /**
   * window[(key - windowStart) / tick] is the level at that key, or null if there is none; exact
   * for every key in [windowStart, windowEnd), which spans WINDOW_TICKS ticks (empty until first
   * placed). Three quarters of it lie behind the best, where a book's levels are.
   */
  private readonly window: (PriceLevel | null)[] = new Array<PriceLevel | null>(WINDOW_TICKS).fill(null);
  private windowStart = 0;
  private windowEnd = 0;
  /**
   * Emptied levels, kept for reuse: at the top of a busy book levels empty and reopen all the
   * time, and each new object was garbage soon after. Starts with one level for the same reason as
   * OrderBook's order pool: an array that holds objects from the start never changes hidden class.
   */
  private readonly spare: PriceLevel[] = [new PriceLevel(0)];
  /**
   * The level getOrCreate found by searching last, while it is in the book: orders often come in
   * runs at one price outside the window (deep in the book), and this skips the search.
   */
  private recent: PriceLevel | null = null;

  /** `tick`: every price this side sees is a multiple of it. */
  constructor(isBid: boolean, tick: number) {
    this.direction = isBid ? 1 : -1;
    this.tick = tick;
    // Written a second time so that V8 does not take them for constants of the object's shape (see
    // BookOrder): the window's first move would then throw away every optimized function using it.
    this.windowStart = this.windowEnd = 0;
  }

  best(): PriceLevel | null {
    const n = this.levels.length;
    return n === 0 ? null : this.levels[n - 1];
  }

  get(price: number): PriceLevel | undefined {
    const key = price * this.direction;
    if (key >= this.windowStart && key < this.windowEnd) {
      return this.window[(key - this.windowStart) / this.tick] ?? undefined;
    }
    const i = this.indexOf(key);
    return this.keys[i] === key ? this.levels[i] : undefined;
  }

  getOrCreate(price: number): PriceLevel {
    const keys = this.keys;
    const n = keys.length;
    const key = price * this.direction;
    // Most orders join the best level or open a new best one: no lookup for them.
    if (n === 0 || keys[n - 1] < key) {
      const level = this.newLevel(price);
      keys.push(key);
      this.levels.push(level);
      if (key >= this.windowStart && key < this.windowEnd) this.window[(key - this.windowStart) / this.tick] = level;
      return level;
    }
    if (keys[n - 1] === key) return this.levels[n - 1];
    if (!(key >= this.windowStart && key < this.windowEnd) && this.shouldMoveWindow()) this.moveWindow();
    if (key >= this.windowStart && key < this.windowEnd) {
      const slot = (key - this.windowStart) / this.tick;
      const found = this.window[slot];
      if (found !== null) return found;
      return (this.window[slot] = this.insert(key, price));
    }
    const recent = this.recent;
    if (recent !== null && recent.price === price) return recent;
    const i = this.indexOf(key);
    if (keys[i] === key) return (this.recent = this.levels[i]);
    return (this.recent = this.insert(key, price));
  }

  /** Drops an empty level; the caller must not use it afterwards (it will be reused). */
  removeLevel(level: PriceLevel): void {
    const levels = this.levels;
    const n = levels.length;
    const key = level.price * this.direction;
    if (levels[n - 1] === level) {
      levels.pop();
      this.keys.pop();
    } else {
      const i = this.indexOf(key);
      if (levels[i] !== level) throw new Error(`book side lost level ${level.price}`);
      levels.splice(i, 1);
      this.keys.splice(i, 1);
    }
    if (key >= this.windowStart && key < this.windowEnd) this.window[(key - this.windowStart) / this.tick] = null;
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

  /** The lowest and highest price the window covers (for tests; low > high before it is placed). */
  get windowRange(): { low: number; high: number } {
    const last = this.windowEnd - this.tick;
    return this.direction === 1 ? { low: this.windowStart, high: last } : { low: -last, high: -this.windowStart };
  }

  /** A price outside the window was asked for: worth moving only if the touch has left the front half. */
  private shouldMoveWindow(): boolean {
    const bestKey = this.keys[this.keys.length - 1];
    return !(bestKey >= this.windowStart + (WINDOW_TICKS / 2) * this.tick && bestKey < this.windowEnd);
  }

  /** Puts the best a quarter of the window from its front and refills the window from the levels. */
  private moveWindow(): void {
    const tick = this.tick;
    const window = this.window;
    window.fill(null);
    const start = this.keys[this.keys.length - 1] - ((WINDOW_TICKS * 3) / 4) * tick;
    const end = start + WINDOW_TICKS * tick;
    this.windowStart = start;
    this.windowEnd = end;
    const keys = this.keys;
    for (let i = this.indexOf(start); i < keys.length && keys[i] < end; i++) {
      window[(keys[i] - start) / tick] = this.levels[i];
    }
  }

  /** A new level for a key not in the book, behind the best. */
  private insert(key: number, price: number): PriceLevel {
    const level = this.newLevel(price);
    const i = this.indexOf(key);
    this.keys.splice(i, 0, key);
    this.levels.splice(i, 0, level);
    return level;
  }

  private newLevel(price: number): PriceLevel {
    // One path for new and reused levels: optimized code has then run it before the first reuse,
    // which would otherwise throw that code away for want of type feedback.
    const level = this.spare.pop() ?? new PriceLevel(price);
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
