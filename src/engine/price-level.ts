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
  waiting = false;
  id = 0;
  owner = 0;
  side: Side = 'BUY';
  orderType: OrderType = 'LIMIT';
  tif: TimeInForce = 'GTC';
  quantity = 0;
  price = 0;
  stopPrice = 0;

  /**
   * An order is made by `new BookOrder().reset(...)`, for a new object and a recycled one alike (see
   * OrderBook's order pool), so every field is written twice on purpose: V8 treats a field that was
   * never reassigned as a constant of the object's shape and builds that into optimized code; the
   * first trade or the first recycled order (possibly 100,000 orders into a run) then deoptimized
   * every function that touches orders. Reassigned from the first order on, fields never look constant.
   */
  reset(
    id: number,
    owner: number,
    side: Side,
    orderType: OrderType,
    tif: TimeInForce,
    quantity: number,
    price: number,
    stopPrice: number,
  ): this {
    this.prev = this.next = this.level = null;
    this.filled = 0;
    this.priority = 0;
    this.id = id;
    this.owner = owner;
    this.side = side;
    this.orderType = orderType;
    this.tif = tif;
    this.quantity = quantity;
    this.price = price;
    this.stopPrice = stopPrice;
    this.waiting = orderType === 'STOP' || orderType === 'STOP_LIMIT';
    return this;
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

  constructor(public price: number) {}

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
