import type { BookOrder } from './price-level.js';

/**
 * Waiting stops of one side, sorted so the next to trigger is the last element: BUY stops trigger
 * lowest stop first, SELL stops highest stop first, ties by priority (earlier first).
 */
export class StopQueue {
  private readonly orders: BookOrder[] = [];
  private readonly direction: 1 | -1;

  constructor(isBuy: boolean) {
    // Keys ascend through the array; the next to trigger (best key) sits at the end.
    this.direction = isBuy ? -1 : 1;
  }

  get length(): number {
    return this.orders.length;
  }

  /** The stop that triggers first, if any. */
  next(): BookOrder | undefined {
    return this.orders[this.orders.length - 1];
  }

  pop(): void {
    this.orders.pop();
  }

  insert(order: BookOrder): void {
    const orders = this.orders;
    let lo = 0;
    let hi = orders.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.before(orders[mid], order)) lo = mid + 1;
      else hi = mid;
    }
    orders.splice(lo, 0, order);
  }

  remove(order: BookOrder): void {
    const i = this.orders.lastIndexOf(order);
    if (i < 0) throw new Error(`stop queue lost order ${order.id}`);
    this.orders.splice(i, 1);
  }

  /** Queue order, next to trigger first. */
  inTriggerOrder(): BookOrder[] {
    return this.orders.slice().reverse();
  }

  /** True when `a` belongs nearer the start of the array than `b` (it triggers later). */
  private before(a: BookOrder, b: BookOrder): boolean {
    const ka = a.stopPrice * this.direction;
    const kb = b.stopPrice * this.direction;
    return ka !== kb ? ka < kb : a.priority > b.priority;
  }
}
