import { BookSide } from './book-side.js';
import {
  CANCEL_FOK_UNFILLABLE,
  CANCEL_SELF_TRADE,
  CANCEL_UNFILLED,
  CANCEL_USER,
  EventBuffer,
} from './event-buffer.js';
import { BookOrder, type PriceLevel } from './price-level.js';
import { OrderIndex } from './order-index.js';
import { StopQueue } from './stop-queue.js';
import type {
  BookConfig,
  BookSnapshot,
  Command,
  CommandResult,
  Depth,
  ModifyCommand,
  NewOrderCommand,
  OrderState,
  RejectReason,
  ResultCode,
} from './types.js';

const NO_PRICE = 0;
export const DEFAULT_BOOK_CAPACITY = 256;
/** Freed orders kept for reuse (the pool may start larger, at the book's capacity). */
const MAX_SPARE = 4096;
const PRIMING_CALLS = 16;

/**
 * A central limit order book for one instrument: price-time priority, stops, self-trade prevention.
 * See docs/engine.md for the rules. Single-threaded by design: the OMS feeds it one command at a time.
 */
export class OrderBook {
  private readonly bids: BookSide;
  private readonly asks: BookSide;
  private readonly buyStops = new StopQueue(true);
  private readonly sellStops = new StopQueue(false);
  private readonly orders = new OrderIndex<BookOrder>();
  /**
   * Orders out of the book, for reuse, and at first the `capacity` orders allocated with the book.
   * Orders allocated while the book runs and then resting for a while are objects the collector
   * copies and promotes: filling a book with 100,000 orders spent more time on that than on placing
   * them. Never empty from the start, also because an empty array literal is typed for small
   * integers, and the first order freed (at the first fill) changed its hidden class under optimized
   * code, which was then thrown away.
   */
  private readonly spareOrders: BookOrder[] = [];
  /**
   * The events of the last command (see EventBuffer), valid until the next one. Reused, so read it
   * after every command rather than keeping a reference to its columns.
   */
  readonly output = new EventBuffer();
  private lastSeq = 0;
  /**
   * NO_PRICE until the first trade or REFERENCE_PRICE. A number from the start rather than null: a
   * field that goes from null to a number changes the book's hidden class, and every optimized
   * function that reads the book was thrown away at the first trade.
   */
  private market = NO_PRICE;

  constructor(readonly config: BookConfig) {
    if (!isPositiveInt(config.tickSize) || !isPositiveInt(config.lotSize)) {
      throw new Error('tickSize and lotSize must be positive integers');
    }
    const capacity = config.capacity ?? DEFAULT_BOOK_CAPACITY;
    if (!isPositiveInt(capacity)) throw new Error('capacity must be a positive integer');
    this.bids = new BookSide(true, config.tickSize);
    this.asks = new BookSide(false, config.tickSize);
    // Through the path for an empty pool first: when optimized code first took it, late in a run (a
    // deep book just past its capacity), V8 threw that code away for lack of type feedback, and the
    // book ran at half speed until it was compiled again. A few times over, because V8 starts to
    // record feedback for a function only after its first calls.
    const primed: BookOrder[] = [];
    for (let i = 0; i < PRIMING_CALLS; i++) primed.push(this.takeOrder());
    for (const order of primed) this.free(order);
    for (let i = PRIMING_CALLS; i < capacity; i++) this.spareOrders.push(new BookOrder());
  }

  get seq(): number {
    return this.lastSeq;
  }

  get marketPrice(): number | null {
    return this.market === NO_PRICE ? null : this.market;
  }

  /** Live orders: resting and waiting stops. */
  get size(): number {
    return this.orders.size;
  }

  execute(cmd: Command): CommandResult {
    const code = this.submit(cmd);
    return { code, events: this.output.toEvents() };
  }

  /**
   * Same as execute, without building event objects: the events are left in `output`, for callers
   * that consume them at once (a feed handler, the benchmark).
   */
  submit(cmd: Command): ResultCode {
    this.output.clear();
    let rejected: RejectReason | null;
    switch (cmd.type) {
      case 'NEW':
        rejected = this.place(cmd);
        break;
      case 'CANCEL':
        rejected = this.cancel(cmd.id);
        break;
      case 'MODIFY':
        rejected = this.modify(cmd);
        break;
      case 'REFERENCE_PRICE':
        rejected = this.setReferencePrice(cmd.price);
        break;
      case 'EXPIRE_DAY':
        this.expireDay();
        rejected = null;
        break;
      default:
        throw new Error(`unknown command ${(cmd as { type: string }).type}`);
    }
    if (rejected !== null) {
      const id = cmd.type === 'NEW' || cmd.type === 'CANCEL' || cmd.type === 'MODIFY' ? cmd.id : 0;
      this.output.rejected(++this.lastSeq, id, rejected);
      return 'REJECTED';
    }
    return 'OK';
  }

  bestBid(): number | null {
    return this.bids.best()?.price ?? null;
  }

  bestAsk(): number | null {
    return this.asks.best()?.price ?? null;
  }

  depth(n: number): Depth {
    return { bids: this.bids.depth(n), asks: this.asks.depth(n) };
  }

  getOrder(id: number): OrderState | undefined {
    const o = this.orders.get(id);
    return o && toState(o);
  }

  snapshot(): BookSnapshot {
    const orders: OrderState[] = [];
    const collect = (level: PriceLevel): boolean => {
      for (let o = level.head; o; o = o.next) orders.push(toState(o));
      return true;
    };
    this.bids.forEachBestFirst(collect);
    this.asks.forEachBestFirst(collect);
    for (const o of this.buyStops.inTriggerOrder()) orders.push(toState(o));
    for (const o of this.sellStops.inTriggerOrder()) orders.push(toState(o));
    return { config: { ...this.config }, seq: this.lastSeq, marketPrice: this.marketPrice, orders };
  }

  static restore(snapshot: BookSnapshot): OrderBook {
    const book = new OrderBook(snapshot.config);
    book.lastSeq = snapshot.seq;
    book.market = snapshot.marketPrice ?? NO_PRICE;
    // Appending in priority order rebuilds every level's FIFO exactly.
    const byPriority = [...snapshot.orders].sort((a, b) => a.priority - b.priority);
    for (const s of byPriority) {
      const o = book.takeOrder().reset(
        s.id, s.owner, s.side, s.orderType, s.tif, s.quantity, s.price ?? NO_PRICE, s.stopPrice ?? NO_PRICE,
      );
      o.filled = s.filled;
      o.priority = s.priority;
      o.waiting = s.waiting;
      if (book.orders.has(o.id)) throw new Error(`snapshot holds order ${o.id} twice`);
      // A book side maps prices to levels by whole ticks.
      if (!o.waiting && !o.isMarket && o.price % snapshot.config.tickSize !== 0) {
        throw new Error(`snapshot order ${o.id} rests off tick`);
      }
      book.orders.set(o.id, o);
      if (o.waiting) book.stopsOf(o.side).insert(o);
      else book.sideOf(o.side).getOrCreate(o.price).append(o);
    }
    book.validateInternalState();
    return book;
  }

  /** Throws if a structural invariant is broken; cheap enough for tests, not for the hot path. */
  validateInternalState(): void {
    let counted = 0;
    const check = (side: BookSide, isBid: boolean): void => {
      let prevPrice: number | null = null;
      side.forEachBestFirst((level) => {
        if (level.empty) fail(`empty level ${level.price} kept`);
        if (prevPrice !== null && (isBid ? level.price >= prevPrice : level.price <= prevPrice)) {
          fail(`levels out of order at ${level.price}`);
        }
        prevPrice = level.price;
        let qty = 0;
        let n = 0;
        let prevPriority = -Infinity;
        for (let o = level.head; o; o = o.next) {
          if (o.level !== level || o.price !== level.price) fail(`order ${o.id} in the wrong level`);
          if (o.open <= 0) fail(`order ${o.id} rests with nothing open`);
          if (o.priority <= prevPriority) fail(`FIFO broken at order ${o.id}`);
          if (this.orders.get(o.id) !== o) fail(`order ${o.id} missing from the index`);
          prevPriority = o.priority;
          qty += o.open;
          n++;
        }
        if (qty !== level.quantity || n !== level.count) fail(`level ${level.price} totals drifted`);
        counted += n;
        return true;
      });
    };
    check(this.bids, true);
    check(this.asks, false);
    counted += this.buyStops.length + this.sellStops.length;
    if (counted !== this.orders.size) fail('order index and book disagree');
    const bid = this.bestBid();
    const ask = this.bestAsk();
    if (bid !== null && ask !== null && bid >= ask) fail(`book crossed at rest: ${bid} >= ${ask}`);
  }

  // ---- commands ------------------------------------------------------------------------------

  private place(cmd: NewOrderCommand): RejectReason | null {
    const reason = this.validateNew(cmd);
    if (reason !== null) return reason;
    const t = cmd.orderType;
    // Fields the order type does not use are dropped, so they can never leak into a later modify.
    const order = this.takeOrder().reset(
      cmd.id, cmd.owner, cmd.side, t, cmd.tif, cmd.quantity,
      t === 'LIMIT' || t === 'STOP_LIMIT' ? cmd.price! : NO_PRICE,
      t === 'STOP' || t === 'STOP_LIMIT' ? cmd.stopPrice! : NO_PRICE,
    );
    const seq = this.emitAccepted(order.id);
    if (order.waiting) {
      order.priority = seq;
      this.orders.add(order.id, order);
      this.stopsOf(order.side).insert(order);
      this.runTriggers();
      return null;
    }
    this.match(order);
    if (this.buyStops.length + this.sellStops.length > 0) this.runTriggers();
    return null;
  }

  private cancel(id: number): RejectReason | null {
    const order = this.orders.get(id);
    if (order === undefined) return 'UNKNOWN_ORDER';
    this.unlink(order);
    this.emitCanceled(order, CANCEL_USER);
    this.free(order);
    return null;
  }

  private modify(cmd: ModifyCommand): RejectReason | null {
    const order = this.orders.get(cmd.id);
    if (order === undefined) return 'UNKNOWN_ORDER';
    const { quantity, price, stopPrice } = cmd;
    if (quantity === undefined && price === undefined && stopPrice === undefined) return 'INVALID_MODIFY';
    if (quantity !== undefined) {
      const r = this.validateQuantity(quantity);
      if (r !== null) return r;
      if (quantity <= order.filled) return 'INVALID_MODIFY';
    }
    if (price !== undefined) {
      if (order.isMarket) return 'INVALID_MODIFY';
      const r = this.validatePrice(price, 'INVALID_PRICE');
      if (r !== null) return r;
    }
    if (stopPrice !== undefined) {
      if (!order.waiting) return 'INVALID_MODIFY';
      const r = this.validatePrice(stopPrice, 'INVALID_STOP_PRICE');
      if (r !== null) return r;
    }
    const newQty = quantity ?? order.quantity;
    const newPrice = price ?? order.price;
    const newStop = stopPrice ?? order.stopPrice;
    const keep = newQty <= order.quantity && newPrice === order.price && newStop === order.stopPrice;

    if (order.waiting) {
      if (!keep) this.stopsOf(order.side).remove(order);
      order.quantity = newQty;
      order.price = newPrice;
      order.stopPrice = newStop;
      const seq = this.emitModified(order, keep);
      if (!keep) {
        order.priority = seq;
        this.stopsOf(order.side).insert(order);
      }
      this.runTriggers();
      return null;
    }

    if (keep) {
      const level = order.level!;
      level.quantity -= order.quantity - newQty;
      order.quantity = newQty;
      this.emitModified(order, true);
      return null;
    }
    this.unlink(order);
    order.quantity = newQty;
    order.price = newPrice;
    this.emitModified(order, false);
    this.match(order);
    this.runTriggers();
    return null;
  }

  private setReferencePrice(price: number): RejectReason | null {
    if (!isPositiveInt(price)) return 'INVALID_PRICE';
    this.market = price;
    this.runTriggers();
    return null;
  }

  private expireDay(): void {
    const day: BookOrder[] = [];
    for (const o of this.orders.values()) if (o.tif === 'DAY') day.push(o);
    day.sort((a, b) => a.priority - b.priority);
    for (const o of day) {
      this.unlink(o);
      this.output.expired(++this.lastSeq, o.id, o.open);
      this.free(o);
    }
  }

  // ---- matching ------------------------------------------------------------------------------

  /** Matches an incoming (or re-entering) order, then rests or cancels what is left. */
  private match(order: BookOrder): void {
    const isBuy = order.side === 'BUY';
    const opposite = isBuy ? this.asks : this.bids;
    const isMarket = order.isMarket;
    const limit = order.price;

    if (order.tif === 'FOK' && !this.canFillAtOnce(order, opposite)) {
      this.emitCanceled(order, CANCEL_FOK_UNFILLABLE);
      this.free(order);
      return;
    }

    let level = opposite.best();
    while (level !== null && order.open > 0) {
      if (!isMarket && (isBuy ? level.price > limit : level.price < limit)) break;
      const maker = level.head!;
      if (maker.owner === order.owner) {
        this.emitCanceled(order, CANCEL_SELF_TRADE);
        this.free(order);
        return;
      }
      const qty = maker.open < order.open ? maker.open : order.open;
      maker.filled += qty;
      order.filled += qty;
      level.quantity -= qty;
      this.market = level.price;
      this.output.trade(
        ++this.lastSeq, level.price, qty, isBuy ? 0 : 1, order.id, order.owner, maker.id, maker.owner,
        order.open, maker.open,
      );
      if (maker.open === 0) {
        level.remove(maker);
        this.orders.delete(maker.id);
        this.free(maker);
        if (level.empty) {
          opposite.removeLevel(level);
          level = opposite.best();
        }
      }
    }

    if (order.open === 0) {
      // Done: an order being matched is never in the index (new, or taken out to re-enter).
      this.free(order);
    } else if (isMarket || order.tif === 'IOC' || order.tif === 'FOK') {
      this.emitCanceled(order, CANCEL_UNFILLED);
      this.free(order);
    } else {
      this.rest(order);
    }
  }

  private canFillAtOnce(order: BookOrder, opposite: BookSide): boolean {
    const isBuy = order.side === 'BUY';
    let needed = order.open;
    opposite.forEachBestFirst((level) => {
      if (!order.isMarket && (isBuy ? level.price > order.price : level.price < order.price)) return false;
      for (let o = level.head; o; o = o.next) {
        if (o.owner === order.owner) return false;
        needed -= o.open;
        if (needed <= 0) return false;
      }
      return true;
    });
    return needed <= 0;
  }

  private rest(order: BookOrder): void {
    const seq = ++this.lastSeq;
    order.priority = seq;
    this.orders.add(order.id, order);
    this.sideOf(order.side).getOrCreate(order.price).append(order);
    this.output.rested(seq, order.id, order.price, order.open);
  }

  /** Triggers crossed stops one at a time until none is crossed, so stops can cascade. */
  private runTriggers(): void {
    for (;;) {
      const market = this.market;
      if (market === NO_PRICE) return;
      let stop = this.buyStops.next();
      if (stop !== undefined && stop.stopPrice <= market) {
        this.buyStops.pop();
      } else {
        stop = this.sellStops.next();
        if (stop === undefined || stop.stopPrice < market) return;
        this.sellStops.pop();
      }
      stop.waiting = false;
      this.orders.delete(stop.id);
      this.output.triggered(++this.lastSeq, stop.id, market);
      this.match(stop);
    }
  }

  // ---- helpers over the structures -----------------------------------------------------------

  /** Takes a live order out of whatever holds it (level or stop queue) and out of the index. */
  private unlink(order: BookOrder): void {
    this.orders.delete(order.id);
    if (order.waiting) {
      this.stopsOf(order.side).remove(order);
      return;
    }
    const level = order.level!;
    level.remove(order);
    if (level.empty) this.sideOf(order.side).removeLevel(level);
  }

  private takeOrder(): BookOrder {
    return this.spareOrders.pop() ?? new BookOrder();
  }

  /** The order has left the book for good; nothing may hold it any more. */
  private free(order: BookOrder): void {
    order.prev = order.next = order.level = null;
    // Bounded, so a burst of fills does not pin its orders' memory for the life of the book. Also
    // measured: in a deep book, recycling every freed order while the pool was large ran the steady
    // state about a quarter slower than this bound (cause not found; cache placement is suspected).
    if (this.spareOrders.length < MAX_SPARE) this.spareOrders.push(order);
  }

  private sideOf(side: 'BUY' | 'SELL'): BookSide {
    return side === 'BUY' ? this.bids : this.asks;
  }

  private stopsOf(side: 'BUY' | 'SELL'): StopQueue {
    return side === 'BUY' ? this.buyStops : this.sellStops;
  }

  private emitAccepted(orderId: number): number {
    const seq = ++this.lastSeq;
    this.output.accepted(seq, orderId);
    return seq;
  }

  /** The order must already be out of the book and the index. */
  private emitCanceled(order: BookOrder, reason: number): void {
    this.output.canceled(++this.lastSeq, order.id, order.open, reason);
  }

  private emitModified(order: BookOrder, keptPriority: boolean): number {
    const seq = ++this.lastSeq;
    this.output.modified(
      seq, order.id, order.quantity, order.isMarket ? NO_PRICE : order.price, hasStop(order) ? order.stopPrice : NO_PRICE,
      keptPriority,
    );
    return seq;
  }

  // ---- validation ----------------------------------------------------------------------------

  private validateNew(cmd: NewOrderCommand): RejectReason | null {
    if (this.orders.has(cmd.id)) return 'DUPLICATE_ORDER_ID';
    const q = this.validateQuantity(cmd.quantity);
    if (q !== null) return q;
    const t = cmd.orderType;
    if (t === 'LIMIT' || t === 'STOP_LIMIT') {
      if (cmd.price === undefined) return 'MISSING_PRICE';
      const p = this.validatePrice(cmd.price, 'INVALID_PRICE');
      if (p !== null) return p;
    }
    if (t === 'STOP' || t === 'STOP_LIMIT') {
      if (cmd.stopPrice === undefined) return 'MISSING_STOP_PRICE';
      const p = this.validatePrice(cmd.stopPrice, 'INVALID_STOP_PRICE');
      if (p !== null) return p;
    }
    return null;
  }

  private validateQuantity(quantity: number): RejectReason | null {
    if (!isPositiveInt(quantity)) return 'INVALID_QUANTITY';
    if (quantity % this.config.lotSize !== 0) return 'QUANTITY_OFF_LOT';
    return null;
  }

  private validatePrice(price: number, invalid: RejectReason): RejectReason | null {
    if (!isPositiveInt(price)) return invalid;
    if (price % this.config.tickSize !== 0) return 'PRICE_OFF_TICK';
    return null;
  }
}

function isPositiveInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
}

function hasStop(o: BookOrder): boolean {
  return o.orderType === 'STOP' || o.orderType === 'STOP_LIMIT';
}

function fail(message: string): never {
  throw new Error(`order book invariant broken: ${message}`);
}

function toState(o: BookOrder): OrderState {
  return {
    id: o.id,
    owner: o.owner,
    side: o.side,
    orderType: o.orderType,
    tif: o.tif,
    quantity: o.quantity,
    filled: o.filled,
    price: o.isMarket ? null : o.price,
    stopPrice: hasStop(o) ? o.stopPrice : null,
    waiting: o.waiting,
    priority: o.priority,
  };
}
