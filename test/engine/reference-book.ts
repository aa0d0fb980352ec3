// A reference twin of the matching engine, written from docs/engine.md for clarity, not speed.
//
// Every live order (resting or waiting as a stop) sits in one plain array; every question ("what is
// the best ask?", "which stop triggers next?") is answered by filtering and sorting that array from
// scratch. That makes each rule of the spec readable in one place, so when the real engine and this
// twin disagree the twin is easy to check against the document by eye.
//
// Where docs/engine.md leaves a detail open, the choice made here is marked "Spec gap:" so a
// reader can tell a rule of the document from a convention shared with the real engine.

import type {
  BookConfig,
  BookSnapshot,
  CancelReason,
  Command,
  CommandResult,
  Depth,
  EngineEvent,
  Level,
  ModifyCommand,
  NewOrderCommand,
  OrderState,
  OrderType,
  RejectReason,
  Side,
  TimeInForce,
} from '../../src/engine/types.js';

/** The twin's own mutable order record; `OrderState` copies are handed out. */
interface RefOrder {
  id: number;
  owner: number;
  side: Side;
  orderType: OrderType;
  tif: TimeInForce;
  quantity: number;
  filled: number;
  price: number | null;
  stopPrice: number | null;
  waiting: boolean;
  priority: number;
}

// Distributing the union over its members keeps `omit<TradeEvent>` etc. precise.
type WithoutSeq<E> = E extends EngineEvent ? Omit<E, 'seq'> : never;

// Spec gap: "positive integer" is read as a *safe* integer. Beyond 2^53 a number no longer stands
// for one integer, and the spec promises exact integer arithmetic.
const isPositiveInteger = (x: unknown): x is number =>
  typeof x === 'number' && Number.isSafeInteger(x) && x > 0;

const open = (o: RefOrder): number => o.quantity - o.filled;

const toState = (o: RefOrder): OrderState => ({
  id: o.id,
  owner: o.owner,
  side: o.side,
  orderType: o.orderType,
  tif: o.tif,
  quantity: o.quantity,
  filled: o.filled,
  price: o.price,
  stopPrice: o.stopPrice,
  waiting: o.waiting,
  priority: o.priority,
});

export class ReferenceBook {
  /** All live orders: resting ones (waiting = false) and waiting stops, in no particular order. */
  private orders: RefOrder[] = [];
  private lastSeq = 0;
  private lastMarketPrice: number | null = null;
  /** Events of the command being executed. */
  private events: EngineEvent[] = [];

  constructor(readonly config: BookConfig) {}

  get seq(): number {
    return this.lastSeq;
  }

  get marketPrice(): number | null {
    return this.lastMarketPrice;
  }

  get size(): number {
    return this.orders.length;
  }

  // ---------------------------------------------------------------------------------------------
  // Queries

  /** Resting orders of one side in matching order: best price first, then time priority. */
  private queue(side: Side): RefOrder[] {
    return this.orders
      .filter((o) => !o.waiting && o.side === side)
      .sort((a, b) => {
        const byPrice = side === 'BUY' ? b.price! - a.price! : a.price! - b.price!;
        return byPrice !== 0 ? byPrice : a.priority - b.priority;
      });
  }

  bestBid(): number | null {
    return this.queue('BUY')[0]?.price ?? null;
  }

  bestAsk(): number | null {
    return this.queue('SELL')[0]?.price ?? null;
  }

  depth(n: number): Depth {
    return { bids: this.levels('BUY').slice(0, n), asks: this.levels('SELL').slice(0, n) };
  }

  private levels(side: Side): Level[] {
    const levels: { price: number; quantity: number; orders: number }[] = [];
    for (const o of this.queue(side)) {
      const last = levels[levels.length - 1];
      if (last !== undefined && last.price === o.price) {
        last.quantity += open(o);
        last.orders += 1;
      } else {
        levels.push({ price: o.price!, quantity: open(o), orders: 1 });
      }
    }
    return levels;
  }

  getOrder(id: number): OrderState | undefined {
    const o = this.find(id);
    return o === undefined ? undefined : toState(o);
  }

  private find(id: number): RefOrder | undefined {
    return this.orders.find((o) => o.id === id);
  }

  snapshot(): BookSnapshot {
    return {
      config: { ...this.config },
      seq: this.lastSeq,
      marketPrice: this.lastMarketPrice,
      orders: [...this.orders].sort((a, b) => a.priority - b.priority).map(toState),
    };
  }

  static restore(s: BookSnapshot): ReferenceBook {
    const book = new ReferenceBook({ ...s.config });
    book.lastSeq = s.seq;
    book.lastMarketPrice = s.marketPrice;
    book.orders = s.orders.map((o) => ({ ...o }));
    return book;
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  execute(cmd: Command): CommandResult {
    this.events = [];
    let rejection: { orderId: number; reason: RejectReason } | null = null;
    switch (cmd.type) {
      case 'NEW':
        rejection = this.newOrder(cmd);
        break;
      case 'CANCEL':
        rejection = this.cancel(cmd.id);
        break;
      case 'MODIFY':
        rejection = this.modify(cmd);
        break;
      case 'REFERENCE_PRICE':
        if (!isPositiveInteger(cmd.price)) {
          // Spec gap: a REFERENCE_PRICE has no order, so its rejection carries orderId 0.
          rejection = { orderId: 0, reason: 'INVALID_PRICE' };
        } else {
          this.lastMarketPrice = cmd.price;
        }
        break;
      case 'EXPIRE_DAY':
        this.expireDay();
        break;
    }
    if (rejection !== null) {
      // "A rejection is a value: code REJECTED and one REJECTED event", book untouched.
      this.emit({ type: 'REJECTED', ...rejection });
      return { code: 'REJECTED', events: this.events };
    }
    // Every accepted command may have moved the market price or the stop queue. Running the loop
    // after commands that could not (CANCEL, EXPIRE_DAY) is harmless: nothing is crossed at rest.
    this.runTriggers();
    return { code: 'OK', events: this.events };
  }

  private emit(e: WithoutSeq<EngineEvent>): number {
    this.lastSeq += 1;
    this.events.push({ ...e, seq: this.lastSeq } as EngineEvent);
    return this.lastSeq;
  }

  /** Quantity checks shared by NEW and MODIFY. */
  private checkQuantity(q: number): RejectReason | null {
    if (!isPositiveInteger(q)) return 'INVALID_QUANTITY';
    if (q % this.config.lotSize !== 0) return 'QUANTITY_OFF_LOT';
    return null;
  }

  private checkPrice(p: number, invalid: RejectReason): RejectReason | null {
    if (!isPositiveInteger(p)) return invalid;
    if (p % this.config.tickSize !== 0) return 'PRICE_OFF_TICK';
    return null;
  }

  private newOrder(cmd: NewOrderCommand): { orderId: number; reason: RejectReason } | null {
    const reason = this.validateNew(cmd);
    if (reason !== null) return { orderId: cmd.id, reason };

    const hasLimit = cmd.orderType === 'LIMIT' || cmd.orderType === 'STOP_LIMIT';
    const isStop = cmd.orderType === 'STOP' || cmd.orderType === 'STOP_LIMIT';
    const order: RefOrder = {
      id: cmd.id,
      owner: cmd.owner,
      side: cmd.side,
      orderType: cmd.orderType,
      tif: cmd.tif,
      quantity: cmd.quantity,
      filled: 0,
      // Fields the order type ignores are dropped, not stored.
      price: hasLimit ? cmd.price! : null,
      stopPrice: isStop ? cmd.stopPrice! : null,
      waiting: isStop,
      priority: 0,
    };
    order.priority = this.emit({ type: 'ACCEPTED', orderId: cmd.id });
    if (isStop) {
      // Waits with the ACCEPTED seq as its priority; the trigger loop after the command fires it
      // at once if it is already crossed.
      this.orders.push(order);
    } else {
      this.match(order);
    }
    return null;
  }

  private validateNew(cmd: NewOrderCommand): RejectReason | null {
    if (this.find(cmd.id) !== undefined) return 'DUPLICATE_ORDER_ID';
    const q = this.checkQuantity(cmd.quantity);
    if (q !== null) return q;
    if (cmd.orderType === 'LIMIT' || cmd.orderType === 'STOP_LIMIT') {
      if (cmd.price === undefined) return 'MISSING_PRICE';
      const p = this.checkPrice(cmd.price, 'INVALID_PRICE');
      if (p !== null) return p;
    }
    if (cmd.orderType === 'STOP' || cmd.orderType === 'STOP_LIMIT') {
      if (cmd.stopPrice === undefined) return 'MISSING_STOP_PRICE';
      const s = this.checkPrice(cmd.stopPrice, 'INVALID_STOP_PRICE');
      if (s !== null) return s;
    }
    return null;
  }

  /**
   * Matches an incoming order that is not in `this.orders`. `order.price === null` means "match as
   * MARKET" (a fresh MARKET order or a triggered STOP). Rests the remainder when the rules allow.
   */
  private match(order: RefOrder): void {
    const oppositeSide: Side = order.side === 'BUY' ? 'SELL' : 'BUY';
    const acceptable = (makerPrice: number): boolean =>
      order.price === null ||
      (order.side === 'BUY' ? makerPrice <= order.price : makerPrice >= order.price);

    if (order.tif === 'FOK') {
      let available = 0;
      for (const maker of this.queue(oppositeSide)) {
        if (!acceptable(maker.price!) || maker.owner === order.owner) break;
        available += open(maker);
      }
      if (available < open(order)) {
        this.close(order, 'FOK_UNFILLABLE');
        return;
      }
    }

    while (open(order) > 0) {
      const maker = this.queue(oppositeSide)[0];
      if (maker === undefined || !acceptable(maker.price!)) break;
      if (maker.owner === order.owner) {
        this.close(order, 'SELF_TRADE');
        return;
      }
      const quantity = Math.min(open(order), open(maker));
      order.filled += quantity;
      maker.filled += quantity;
      this.lastMarketPrice = maker.price;
      this.emit({
        type: 'TRADE',
        price: maker.price!,
        quantity,
        aggressorSide: order.side,
        takerOrderId: order.id,
        takerOwner: order.owner,
        makerOrderId: maker.id,
        makerOwner: maker.owner,
        takerRemaining: open(order),
        makerRemaining: open(maker),
      });
      if (open(maker) === 0) this.remove(maker);
    }

    if (open(order) === 0) return;
    if (order.price === null || order.tif === 'IOC' || order.tif === 'FOK') {
      // A FOK that passed its check always fills completely; it is listed only for completeness.
      this.close(order, 'UNFILLED');
      return;
    }
    order.waiting = false;
    order.priority = this.emit({
      type: 'RESTED',
      orderId: order.id,
      price: order.price,
      remaining: open(order),
    });
    this.orders.push(order);
  }

  /** Emits CANCELED for the order's open quantity; the caller makes sure it is no longer live. */
  private close(order: RefOrder, reason: CancelReason): void {
    this.emit({ type: 'CANCELED', orderId: order.id, quantity: open(order), reason });
  }

  private remove(order: RefOrder): void {
    this.orders = this.orders.filter((o) => o !== order);
  }

  /** The trigger loop of docs/engine.md, one stop at a time so stops cascade. */
  private runTriggers(): void {
    for (;;) {
      const market = this.lastMarketPrice;
      if (market === null) return;
      const stops = this.orders.filter((o) => o.waiting);
      const buy = stops
        .filter((o) => o.side === 'BUY' && o.stopPrice! <= market)
        .sort((a, b) => a.stopPrice! - b.stopPrice! || a.priority - b.priority)[0];
      const sell = stops
        .filter((o) => o.side === 'SELL' && o.stopPrice! >= market)
        .sort((a, b) => b.stopPrice! - a.stopPrice! || a.priority - b.priority)[0];
      const stop = buy ?? sell;
      if (stop === undefined) return;

      this.remove(stop);
      // Spec gap: a triggered STOP_LIMIT that rests keeps orderType 'STOP_LIMIT' and its stopPrice
      // (in getOrder, snapshots and MODIFIED events); only `waiting` changes.
      stop.waiting = false;
      this.emit({ type: 'TRIGGERED', orderId: stop.id, marketPrice: market });
      // A STOP has price null and so matches as MARKET; a STOP_LIMIT as LIMIT at its price.
      this.match(stop);
    }
  }

  private cancel(id: number): { orderId: number; reason: RejectReason } | null {
    const order = this.find(id);
    if (order === undefined) return { orderId: id, reason: 'UNKNOWN_ORDER' };
    this.remove(order);
    this.close(order, 'USER');
    return null;
  }

  private modify(cmd: ModifyCommand): { orderId: number; reason: RejectReason } | null {
    const order = this.find(cmd.id);
    if (order === undefined) return { orderId: cmd.id, reason: 'UNKNOWN_ORDER' };
    const reason = this.validateModify(order, cmd);
    if (reason !== null) return { orderId: cmd.id, reason };

    const quantity = cmd.quantity ?? order.quantity;
    const price = cmd.price ?? order.price;
    const stopPrice = cmd.stopPrice ?? order.stopPrice;
    const keptPriority =
      quantity <= order.quantity && price === order.price && stopPrice === order.stopPrice;
    order.quantity = quantity;
    order.price = price;
    order.stopPrice = stopPrice;

    const seq = this.emit({
      type: 'MODIFIED',
      orderId: order.id,
      quantity,
      price,
      stopPrice,
      keptPriority,
    });
    if (keptPriority) return null;
    if (order.waiting) {
      order.priority = seq;
    } else {
      // Leaves the book and comes back as an incoming LIMIT order: it may trade, then rests at
      // the back of its level with a fresh RESTED priority.
      this.remove(order);
      this.match(order);
    }
    return null;
  }

  private validateModify(order: RefOrder, cmd: ModifyCommand): RejectReason | null {
    // Spec gap: "nothing to change" is read as "no field given"; a field equal to the current value
    // is a valid modify that keeps priority.
    // Spec gap: docs/engine.md lists the INVALID_MODIFY cases before "quantity and price checks as
    // for NEW" but, unlike NEW, does not say the first failure wins. Fields are checked one at a
    // time here, each value's own validity before its fit with the order (so MODIFY quantity 0 is
    // INVALID_QUANTITY, not "quantity <= filled"), as the engine and its unit tests do.
    if (cmd.quantity === undefined && cmd.price === undefined && cmd.stopPrice === undefined) {
      return 'INVALID_MODIFY';
    }
    if (cmd.quantity !== undefined) {
      const q = this.checkQuantity(cmd.quantity);
      if (q !== null) return q;
      if (cmd.quantity <= order.filled) return 'INVALID_MODIFY';
    }
    if (cmd.price !== undefined) {
      if (order.price === null) return 'INVALID_MODIFY';
      const p = this.checkPrice(cmd.price, 'INVALID_PRICE');
      if (p !== null) return p;
    }
    if (cmd.stopPrice !== undefined) {
      if (!order.waiting) return 'INVALID_MODIFY';
      const s = this.checkPrice(cmd.stopPrice, 'INVALID_STOP_PRICE');
      if (s !== null) return s;
    }
    return null;
  }

  private expireDay(): void {
    const day = this.orders.filter((o) => o.tif === 'DAY').sort((a, b) => a.priority - b.priority);
    for (const order of day) {
      this.remove(order);
      this.emit({ type: 'EXPIRED', orderId: order.id, quantity: open(order) });
    }
  }
}
