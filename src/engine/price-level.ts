import type { OrderType, Side, TimeInForce } from './types.js';

/**
 * A live order. Mutable and intrusive (prev/next links) so that cancel and fill are O(1) without a
 * search of its level; the book never hands these out, only copies (OrderState).
 */
export class BookOrder {
  prev: BookOrder | null = null;
  next: BookOrder | null = null;
  level: PriceLevel | null = null;
  filled = 0;
  priority = 0;
  waiting: boolean;

  constructor(
    readonly id: number,
    readonly owner: number,
    readonly side: Side,
    readonly orderType: OrderType,
    readonly tif: TimeInForce,
    public quantity: number,
    public price: number,
    public stopPrice: number,
  ) {
    this.waiting = orderType === 'STOP' || orderType === 'STOP_LIMIT';
  }

  get open(): number {
    return this.quantity - this.filled;
  }

  /** After a trigger a STOP behaves as MARKET, a STOP_LIMIT as LIMIT. */
  get isMarket(): boolean {
    return this.orderType === 'MARKET' || this.orderType === 'STOP';
  }
}

/** One price of one side: a FIFO queue of orders with its total open quantity kept up to date. */
export class PriceLevel {
  head: BookOrder | null = null;
  tail: BookOrder | null = null;
  quantity = 0;
  count = 0;

  constructor(readonly price: number) {}

  append(order: BookOrder): void {
    order.level = this;
    order.prev = this.tail;
    order.next = null;
    if (this.tail) this.tail.next = order;
    else this.head = order;
    this.tail = order;
    this.quantity += order.open;
    this.count++;
  }

  remove(order: BookOrder): void {
    if (order.prev) order.prev.next = order.next;
    else this.head = order.next;
    if (order.next) order.next.prev = order.prev;
    else this.tail = order.prev;
    this.quantity -= order.open;
    this.count--;
    order.prev = order.next = order.level = null;
  }

  get empty(): boolean {
    return this.head === null;
  }
}
