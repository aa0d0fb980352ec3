import type { CancelReason, EngineEvent, RejectReason, Side } from './types.js';

// Event kinds as small integers, so a consumer tests `kind[i] === TRADE` without a string compare.
export const ACCEPTED = 0;
export const REJECTED = 1;
export const TRADE = 2;
export const CANCELED = 3;
export const EXPIRED = 4;
export const TRIGGERED = 5;
export const MODIFIED = 6;
export const RESTED = 7;

const REJECT_REASONS: readonly RejectReason[] = [
  'DUPLICATE_ORDER_ID',
  'UNKNOWN_ORDER',
  'INVALID_QUANTITY',
  'QUANTITY_OFF_LOT',
  'INVALID_PRICE',
  'PRICE_OFF_TICK',
  'MISSING_PRICE',
  'MISSING_STOP_PRICE',
  'INVALID_STOP_PRICE',
  'INVALID_MODIFY',
];
const CANCEL_REASONS: readonly CancelReason[] = ['USER', 'UNFILLED', 'FOK_UNFILLABLE', 'SELF_TRADE'];

export const CANCEL_USER = 0;
export const CANCEL_UNFILLED = 1;
export const CANCEL_FOK_UNFILLABLE = 2;
export const CANCEL_SELF_TRADE = 3;

/**
 * The events of the last command, column by column. A command used to allocate an array and one
 * object per event, which at millions of commands a second made the garbage collector one of the
 * largest costs; these columns are reused from command to command instead. A caller that consumes
 * events at once reads the columns (valid until the next command); `toEvents()` gives the same
 * events as plain objects for a caller that keeps them.
 *
 * Column meaning by kind (prices and quantities are integers, which float64 holds exactly up to 2^53
 * like any JavaScript number; 0 stands for "no price"):
 *   orderId   every kind (the taker for TRADE)
 *   price     TRADE, RESTED, MODIFIED (0 = null); TRIGGERED: the market price
 *   quantity  TRADE, CANCELED, EXPIRED, MODIFIED
 *   remaining TRADE (taker), RESTED
 *   code      REJECTED / CANCELED: the reason (see rejectReason / cancelReason); MODIFIED: 1 if
 *             priority was kept
 *   TRADE only: side (0 BUY, 1 SELL, the aggressor), owner (taker), makerOrderId, makerOwner,
 *   makerRemaining; MODIFIED only: stopPrice (0 = null)
 */
export class EventBuffer {
  length = 0;
  kind = new Uint8Array(16);
  seq = new Float64Array(16);
  orderId = new Float64Array(16);
  price = new Float64Array(16);
  quantity = new Float64Array(16);
  remaining = new Float64Array(16);
  code = new Uint8Array(16);
  side = new Uint8Array(16);
  owner = new Float64Array(16);
  makerOrderId = new Float64Array(16);
  makerOwner = new Float64Array(16);
  makerRemaining = new Float64Array(16);
  stopPrice = new Float64Array(16);

  constructor() {
    // V8 treats a field that was never reassigned as a constant of the object's shape and builds
    // it into optimized code; the first grow() in mid-run (the first command with many events)
    // then deoptimized every function that writes a column, which cost more than the growth. One
    // growth here, before anything is optimized, marks the columns as reassignable from the start.
    this.grow();
  }

  clear(): void {
    this.length = 0;
  }

  rejectReason(i: number): RejectReason {
    return REJECT_REASONS[this.code[i]];
  }

  cancelReason(i: number): CancelReason {
    return CANCEL_REASONS[this.code[i]];
  }

  /** TRADE: the side of the incoming order. */
  aggressorSide(i: number): Side {
    return this.side[i] === 0 ? 'BUY' : 'SELL';
  }

  /** MODIFIED: whether the order kept its time priority. */
  keptPriority(i: number): boolean {
    return this.code[i] === 1;
  }

  accepted(seq: number, orderId: number): void {
    const i = this.next();
    this.kind[i] = ACCEPTED;
    this.seq[i] = seq;
    this.orderId[i] = orderId;
  }

  rejected(seq: number, orderId: number, reason: RejectReason): void {
    const i = this.next();
    this.kind[i] = REJECTED;
    this.seq[i] = seq;
    this.orderId[i] = orderId;
    this.code[i] = REJECT_REASONS.indexOf(reason);
  }

  trade(
    seq: number,
    price: number,
    quantity: number,
    aggressorSide: number,
    takerOrderId: number,
    takerOwner: number,
    makerOrderId: number,
    makerOwner: number,
    takerRemaining: number,
    makerRemaining: number,
  ): void {
    const i = this.next();
    this.kind[i] = TRADE;
    this.seq[i] = seq;
    this.price[i] = price;
    this.quantity[i] = quantity;
    this.side[i] = aggressorSide;
    this.orderId[i] = takerOrderId;
    this.owner[i] = takerOwner;
    this.makerOrderId[i] = makerOrderId;
    this.makerOwner[i] = makerOwner;
    this.remaining[i] = takerRemaining;
    this.makerRemaining[i] = makerRemaining;
  }

  canceled(seq: number, orderId: number, quantity: number, reason: number): void {
    const i = this.next();
    this.kind[i] = CANCELED;
    this.seq[i] = seq;
    this.orderId[i] = orderId;
    this.quantity[i] = quantity;
    this.code[i] = reason;
  }

  expired(seq: number, orderId: number, quantity: number): void {
    const i = this.next();
    this.kind[i] = EXPIRED;
    this.seq[i] = seq;
    this.orderId[i] = orderId;
    this.quantity[i] = quantity;
  }

  triggered(seq: number, orderId: number, marketPrice: number): void {
    const i = this.next();
    this.kind[i] = TRIGGERED;
    this.seq[i] = seq;
    this.orderId[i] = orderId;
    this.price[i] = marketPrice;
  }

  modified(seq: number, orderId: number, quantity: number, price: number, stopPrice: number, kept: boolean): void {
    const i = this.next();
    this.kind[i] = MODIFIED;
    this.seq[i] = seq;
    this.orderId[i] = orderId;
    this.quantity[i] = quantity;
    this.price[i] = price;
    this.stopPrice[i] = stopPrice;
    this.code[i] = kept ? 1 : 0;
  }

  rested(seq: number, orderId: number, price: number, remaining: number): void {
    const i = this.next();
    this.kind[i] = RESTED;
    this.seq[i] = seq;
    this.orderId[i] = orderId;
    this.price[i] = price;
    this.remaining[i] = remaining;
  }

  /** Event `i` as the plain object of the public contract (types.ts). */
  event(i: number): EngineEvent {
    const seq = this.seq[i];
    const orderId = this.orderId[i];
    switch (this.kind[i]) {
      case ACCEPTED:
        return { type: 'ACCEPTED', seq, orderId };
      case REJECTED:
        return { type: 'REJECTED', seq, orderId, reason: this.rejectReason(i) };
      case TRADE:
        return {
          type: 'TRADE',
          seq,
          price: this.price[i],
          quantity: this.quantity[i],
          aggressorSide: this.aggressorSide(i),
          takerOrderId: orderId,
          takerOwner: this.owner[i],
          makerOrderId: this.makerOrderId[i],
          makerOwner: this.makerOwner[i],
          takerRemaining: this.remaining[i],
          makerRemaining: this.makerRemaining[i],
        };
      case CANCELED:
        return { type: 'CANCELED', seq, orderId, quantity: this.quantity[i], reason: this.cancelReason(i) };
      case EXPIRED:
        return { type: 'EXPIRED', seq, orderId, quantity: this.quantity[i] };
      case TRIGGERED:
        return { type: 'TRIGGERED', seq, orderId, marketPrice: this.price[i] };
      case MODIFIED:
        return {
          type: 'MODIFIED',
          seq,
          orderId,
          quantity: this.quantity[i],
          price: this.price[i] === 0 ? null : this.price[i],
          stopPrice: this.stopPrice[i] === 0 ? null : this.stopPrice[i],
          keptPriority: this.code[i] === 1,
        };
      case RESTED:
        return { type: 'RESTED', seq, orderId, price: this.price[i], remaining: this.remaining[i] };
      default:
        throw new Error(`event buffer holds an unknown kind ${this.kind[i]}`);
    }
  }

  toEvents(): EngineEvent[] {
    const n = this.length;
    const out = new Array<EngineEvent>(n);
    for (let i = 0; i < n; i++) out[i] = this.event(i);
    return out;
  }

  private next(): number {
    const i = this.length;
    if (i === this.kind.length) this.grow();
    this.length = i + 1;
    return i;
  }

  private grow(): void {
    const n = this.kind.length * 2;
    const widen = <A extends Uint8Array | Float64Array>(a: A, make: (n: number) => A): A => {
      const b = make(n);
      b.set(a);
      return b;
    };
    const u8 = (k: number) => new Uint8Array(k);
    const f64 = (k: number) => new Float64Array(k);
    this.kind = widen(this.kind, u8);
    this.code = widen(this.code, u8);
    this.side = widen(this.side, u8);
    this.seq = widen(this.seq, f64);
    this.orderId = widen(this.orderId, f64);
    this.price = widen(this.price, f64);
    this.quantity = widen(this.quantity, f64);
    this.remaining = widen(this.remaining, f64);
    this.owner = widen(this.owner, f64);
    this.makerOrderId = widen(this.makerOrderId, f64);
    this.makerOwner = widen(this.makerOwner, f64);
    this.makerRemaining = widen(this.makerRemaining, f64);
    this.stopPrice = widen(this.stopPrice, f64);
  }
}
