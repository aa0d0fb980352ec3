// Unit tests for the matching engine, one describe per rule of docs/engine.md. Every test asserts the
// exact events (seq included) and the resulting book; every book a test builds is checked with
// validateInternalState() after the test.

import { afterEach, describe, expect, it } from '@jest/globals';
import { OrderBook } from '../../src/engine/index.js';
import type {
  BookConfig,
  CancelReason,
  Command,
  EngineEvent,
  NewOrderCommand,
  RejectReason,
  Side,
  TradeEvent,
} from '../../src/engine/index.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** Off-tick (not a multiple of 5) and off-lot (not a multiple of 10) values are meaningful here. */
const C: BookConfig = { tickSize: 5, lotSize: 10 };

const books: OrderBook[] = [];

function makeBook(config: BookConfig = C): OrderBook {
  return track(new OrderBook(config));
}

function track(book: OrderBook): OrderBook {
  books.push(book);
  return book;
}

afterEach(() => {
  for (const book of books.splice(0)) book.validateInternalState();
});

type NewOpts = Partial<Omit<NewOrderCommand, 'type' | 'id' | 'side' | 'quantity'>>;

/** A NEW command: LIMIT GTC by default, owner = id unless given (so owners differ by default). */
function nw(id: number, side: Side, quantity: number, opts: NewOpts = {}): NewOrderCommand {
  return { type: 'NEW', id, owner: id, side, orderType: 'LIMIT', tif: 'GTC', quantity, ...opts };
}

/** Executes a command that must succeed and returns its events. */
function ok(book: OrderBook, cmd: Command): EngineEvent[] {
  const result = book.execute(cmd);
  expect(result.code).toBe('OK');
  return result.events;
}

function seed(book: OrderBook, ...cmds: Command[]): void {
  for (const cmd of cmds) ok(book, cmd);
}

/** Everything a command may change except seq. */
function state(book: OrderBook) {
  return {
    orders: book.snapshot().orders,
    depth: book.depth(1_000),
    marketPrice: book.marketPrice,
    size: book.size,
  };
}

/** The command is rejected with exactly one REJECTED event and the book is untouched. */
function expectRejected(book: OrderBook, cmd: Command, orderId: number, reason: RejectReason): void {
  const before = state(book);
  const seq = book.seq;
  expect(book.execute(cmd)).toEqual({
    code: 'REJECTED',
    events: [{ type: 'REJECTED', seq: seq + 1, orderId, reason }],
  });
  expect(state(book)).toEqual(before);
  expect(book.seq).toBe(seq + 1);
}

// Event builders: each returns the full event, so toEqual still compares every field.
const accepted = (seq: number, orderId: number): EngineEvent => ({ type: 'ACCEPTED', seq, orderId });
const rested = (seq: number, orderId: number, price: number, remaining: number): EngineEvent => ({
  type: 'RESTED', seq, orderId, price, remaining,
});
const canceled = (seq: number, orderId: number, quantity: number, reason: CancelReason): EngineEvent => ({
  type: 'CANCELED', seq, orderId, quantity, reason,
});
const triggered = (seq: number, orderId: number, marketPrice: number): EngineEvent => ({
  type: 'TRIGGERED', seq, orderId, marketPrice,
});
const expired = (seq: number, orderId: number, quantity: number): EngineEvent => ({
  type: 'EXPIRED', seq, orderId, quantity,
});
const modified = (
  seq: number, orderId: number, quantity: number, price: number | null, stopPrice: number | null,
  keptPriority: boolean,
): EngineEvent => ({ type: 'MODIFIED', seq, orderId, quantity, price, stopPrice, keptPriority });
const rejected = (seq: number, orderId: number, reason: RejectReason): EngineEvent => ({
  type: 'REJECTED', seq, orderId, reason,
});

/** `taker` / `maker`: an order id whose owner is the same number, or [id, owner]. */
function trade(
  seq: number, aggressorSide: Side, price: number, quantity: number,
  taker: number | [number, number], maker: number | [number, number],
  takerRemaining: number, makerRemaining: number,
): TradeEvent {
  const [takerOrderId, takerOwner] = typeof taker === 'number' ? [taker, taker] : taker;
  const [makerOrderId, makerOwner] = typeof maker === 'number' ? [maker, maker] : maker;
  return {
    type: 'TRADE', seq, price, quantity, aggressorSide,
    takerOrderId, takerOwner, makerOrderId, makerOwner, takerRemaining, makerRemaining,
  };
}

const EMPTY = { bids: [], asks: [] };

/**
 * A book with a bit of everything, seq 16, market price 105:
 *   asks 105: o1 (30, filled 20)             110: o8 (DAY)
 *   bids  95: o4 (20, priority 8), o3 (DAY, 20 after a quantity-up modify, priority 15)
 *   buy stops at 120: o6 (DAY, priority 10), o5 (20 after a modify, priority 16)
 *   sell STOP_LIMIT o7 stop 90 limit 85
 */
function populated(): OrderBook {
  const book = makeBook();
  seed(
    book,
    nw(1, 'SELL', 30, { price: 105 }),
    nw(2, 'BUY', 20, { price: 105 }),
    nw(3, 'BUY', 10, { price: 95, tif: 'DAY' }),
    nw(4, 'BUY', 20, { price: 95 }),
    nw(5, 'BUY', 10, { orderType: 'STOP', stopPrice: 120 }),
    nw(6, 'BUY', 10, { orderType: 'STOP', tif: 'DAY', stopPrice: 120 }),
    nw(7, 'SELL', 10, { orderType: 'STOP_LIMIT', stopPrice: 90, price: 85 }),
    nw(8, 'SELL', 10, { price: 110, tif: 'DAY' }),
    { type: 'MODIFY', id: 3, quantity: 20 },
    { type: 'MODIFY', id: 5, quantity: 20 },
  );
  return book;
}

// ---------------------------------------------------------------------------------------------

describe('events: seq is a per-book counter from 1, one per event, rejections included', () => {
  it('numbers the events of successive commands 1, 2, 3, ... including a rejection', () => {
    const book = makeBook();
    expect(book.seq).toBe(0);
    expect(book.execute(nw(1, 'BUY', 10, { price: 100 }))).toEqual({
      code: 'OK',
      events: [accepted(1, 1), rested(2, 1, 100, 10)],
    });
    expect(book.execute({ type: 'CANCEL', id: 99 })).toEqual({
      code: 'REJECTED',
      events: [rejected(3, 99, 'UNKNOWN_ORDER')],
    });
    expect(ok(book, nw(2, 'SELL', 10, { price: 100 }))).toEqual([
      accepted(4, 2),
      trade(5, 'SELL', 100, 10, 2, 1, 0, 0),
    ]);
    expect(ok(book, { type: 'REFERENCE_PRICE', price: 100 })).toEqual([]);
    expect(ok(book, { type: 'EXPIRE_DAY' })).toEqual([]);
    expect(book.seq).toBe(5);
    expect(ok(book, nw(3, 'SELL', 10, { price: 100 }))).toEqual([accepted(6, 3), rested(7, 3, 100, 10)]);
  });

  it('is deterministic: the same commands give the same events on two books', () => {
    const cmds: Command[] = [
      nw(1, 'SELL', 20, { price: 100 }),
      nw(2, 'BUY', 10, { orderType: 'STOP', stopPrice: 100 }),
      nw(3, 'BUY', 10, { price: 100 }),
      { type: 'CANCEL', id: 42 },
      nw(4, 'SELL', 10, { price: 95 }),
    ];
    const a = makeBook();
    const b = makeBook();
    for (const cmd of cmds) expect(a.execute(cmd)).toEqual(b.execute(cmd));
    expect(a.snapshot()).toEqual(b.snapshot());
  });
});

describe('NEW: accepted orders', () => {
  it('LIMIT: ACCEPTED, then matched at once', () => {
    const book = makeBook();
    seed(book, nw(1, 'SELL', 10, { price: 100 }));
    expect(ok(book, nw(2, 'BUY', 10, { price: 100 }))).toEqual([
      accepted(3, 2),
      trade(4, 'BUY', 100, 10, 2, 1, 0, 0),
    ]);
    expect(book.depth(10)).toEqual(EMPTY);
    expect(book.size).toBe(0);
  });

  it('STOP / STOP_LIMIT: ACCEPTED only, then waits with priority = the ACCEPTED seq', () => {
    const book = makeBook();
    seed(book, nw(1, 'SELL', 10, { price: 100 }));
    expect(ok(book, nw(2, 'BUY', 10, { orderType: 'STOP', stopPrice: 105 }))).toEqual([accepted(3, 2)]);
    expect(ok(book, nw(3, 'SELL', 20, { orderType: 'STOP_LIMIT', tif: 'DAY', stopPrice: 90, price: 85 })))
      .toEqual([accepted(4, 3)]);
    expect(book.getOrder(2)).toEqual({
      id: 2, owner: 2, side: 'BUY', orderType: 'STOP', tif: 'GTC', quantity: 10, filled: 0,
      price: null, stopPrice: 105, waiting: true, priority: 3,
    });
    expect(book.getOrder(3)).toEqual({
      id: 3, owner: 3, side: 'SELL', orderType: 'STOP_LIMIT', tif: 'DAY', quantity: 20, filled: 0,
      price: 85, stopPrice: 90, waiting: true, priority: 4,
    });
    expect(book.size).toBe(3);
    expect(book.depth(10)).toEqual({ bids: [], asks: [{ price: 100, quantity: 10, orders: 1 }] });
  });

  it('ignores fields the order type does not use (not validated, not kept)', () => {
    const book = makeBook();
    seed(book, nw(1, 'SELL', 20, { price: 100 }));
    // MARKET with an off-tick price below the ask: the price is ignored, it trades at 100.
    expect(ok(book, nw(2, 'BUY', 10, { orderType: 'MARKET', tif: 'IOC', price: 3 }))).toEqual([
      accepted(3, 2),
      trade(4, 'BUY', 100, 10, 2, 1, 0, 10),
    ]);
    // LIMIT with an off-tick stopPrice.
    expect(ok(book, nw(3, 'BUY', 10, { price: 95, stopPrice: 7 }))).toEqual([accepted(5, 3), rested(6, 3, 95, 10)]);
    expect(book.getOrder(3)?.stopPrice).toBeNull();
    // STOP with an off-tick price.
    expect(ok(book, nw(4, 'SELL', 10, { orderType: 'STOP', stopPrice: 50, price: 3 }))).toEqual([accepted(7, 4)]);
    expect(book.getOrder(4)?.price).toBeNull();
  });
});

describe('NEW / CANCEL / MODIFY / REFERENCE_PRICE rejections: first failure wins, book untouched', () => {
  const cases: [string, Command, number, RejectReason][] = [
    // NEW
    ['NEW with the id of a resting order', nw(1, 'BUY', 10, { price: 95 }), 1, 'DUPLICATE_ORDER_ID'],
    ['NEW with the id of a waiting stop', nw(5, 'SELL', 10, { price: 95 }), 5, 'DUPLICATE_ORDER_ID'],
    ['duplicate id wins over a bad quantity', nw(3, 'BUY', 0, { price: 95 }), 3, 'DUPLICATE_ORDER_ID'],
    ['quantity 0', nw(50, 'BUY', 0, { price: 95 }), 50, 'INVALID_QUANTITY'],
    ['quantity -1', nw(50, 'BUY', -1, { price: 95 }), 50, 'INVALID_QUANTITY'],
    ['quantity -10 (a lot multiple, but negative)', nw(50, 'BUY', -10, { price: 95 }), 50, 'INVALID_QUANTITY'],
    ['quantity 1.5', nw(50, 'BUY', 1.5, { price: 95 }), 50, 'INVALID_QUANTITY'],
    ['MARKET quantity 1.5', nw(50, 'BUY', 1.5, { orderType: 'MARKET' }), 50, 'INVALID_QUANTITY'],
    ['quantity 15 off lot', nw(50, 'BUY', 15, { price: 95 }), 50, 'QUANTITY_OFF_LOT'],
    ['quantity 5 off lot', nw(50, 'SELL', 5, { orderType: 'MARKET' }), 50, 'QUANTITY_OFF_LOT'],
    ['quantity checked before price', nw(50, 'BUY', 15, { price: 101 }), 50, 'QUANTITY_OFF_LOT'],
    ['LIMIT without price', nw(50, 'BUY', 10), 50, 'MISSING_PRICE'],
    ['STOP_LIMIT without price',
      nw(50, 'BUY', 10, { orderType: 'STOP_LIMIT', stopPrice: 120 }), 50, 'MISSING_PRICE'],
    ['STOP_LIMIT without price nor stopPrice', nw(50, 'BUY', 10, { orderType: 'STOP_LIMIT' }), 50, 'MISSING_PRICE'],
    ['LIMIT price 0', nw(50, 'BUY', 10, { price: 0 }), 50, 'INVALID_PRICE'],
    ['LIMIT price -5', nw(50, 'BUY', 10, { price: -5 }), 50, 'INVALID_PRICE'],
    ['LIMIT price 102.5', nw(50, 'BUY', 10, { price: 102.5 }), 50, 'INVALID_PRICE'],
    ['STOP_LIMIT price 0',
      nw(50, 'BUY', 10, { orderType: 'STOP_LIMIT', price: 0, stopPrice: 120 }), 50, 'INVALID_PRICE'],
    ['LIMIT price off tick', nw(50, 'BUY', 10, { price: 101 }), 50, 'PRICE_OFF_TICK'],
    ['STOP_LIMIT price off tick',
      nw(50, 'BUY', 10, { orderType: 'STOP_LIMIT', price: 101, stopPrice: 120 }), 50, 'PRICE_OFF_TICK'],
    ['price checked before stopPrice',
      nw(50, 'BUY', 10, { orderType: 'STOP_LIMIT', price: 101, stopPrice: 0 }), 50, 'PRICE_OFF_TICK'],
    ['STOP without stopPrice', nw(50, 'BUY', 10, { orderType: 'STOP' }), 50, 'MISSING_STOP_PRICE'],
    ['STOP_LIMIT without stopPrice',
      nw(50, 'BUY', 10, { orderType: 'STOP_LIMIT', price: 100 }), 50, 'MISSING_STOP_PRICE'],
    ['STOP stopPrice 0', nw(50, 'BUY', 10, { orderType: 'STOP', stopPrice: 0 }), 50, 'INVALID_STOP_PRICE'],
    ['STOP stopPrice -5', nw(50, 'BUY', 10, { orderType: 'STOP', stopPrice: -5 }), 50, 'INVALID_STOP_PRICE'],
    ['STOP stopPrice 99.5', nw(50, 'SELL', 10, { orderType: 'STOP', stopPrice: 99.5 }), 50, 'INVALID_STOP_PRICE'],
    ['STOP_LIMIT stopPrice 0',
      nw(50, 'SELL', 10, { orderType: 'STOP_LIMIT', price: 100, stopPrice: 0 }), 50, 'INVALID_STOP_PRICE'],
    ['STOP stopPrice off tick', nw(50, 'BUY', 10, { orderType: 'STOP', stopPrice: 121 }), 50, 'PRICE_OFF_TICK'],
    ['STOP_LIMIT stopPrice off tick',
      nw(50, 'SELL', 10, { orderType: 'STOP_LIMIT', price: 100, stopPrice: 103 }), 50, 'PRICE_OFF_TICK'],
    // CANCEL
    ['CANCEL of an id never seen', { type: 'CANCEL', id: 999 }, 999, 'UNKNOWN_ORDER'],
    ['CANCEL of a filled order', { type: 'CANCEL', id: 2 }, 2, 'UNKNOWN_ORDER'],
    // MODIFY
    ['MODIFY of an unknown order', { type: 'MODIFY', id: 999, quantity: 10 }, 999, 'UNKNOWN_ORDER'],
    ['MODIFY of a filled order', { type: 'MODIFY', id: 2, quantity: 30 }, 2, 'UNKNOWN_ORDER'],
    ['MODIFY with nothing to change', { type: 'MODIFY', id: 3 }, 3, 'INVALID_MODIFY'],
    ['MODIFY quantity == filled', { type: 'MODIFY', id: 1, quantity: 20 }, 1, 'INVALID_MODIFY'],
    ['MODIFY quantity < filled', { type: 'MODIFY', id: 1, quantity: 10 }, 1, 'INVALID_MODIFY'],
    ['MODIFY price of a STOP', { type: 'MODIFY', id: 5, price: 100 }, 5, 'INVALID_MODIFY'],
    ['MODIFY stopPrice of a resting LIMIT', { type: 'MODIFY', id: 1, stopPrice: 100 }, 1, 'INVALID_MODIFY'],
    ['MODIFY quantity 0', { type: 'MODIFY', id: 3, quantity: 0 }, 3, 'INVALID_QUANTITY'],
    ['MODIFY quantity -10', { type: 'MODIFY', id: 3, quantity: -10 }, 3, 'INVALID_QUANTITY'],
    ['MODIFY quantity 1.5', { type: 'MODIFY', id: 3, quantity: 1.5 }, 3, 'INVALID_QUANTITY'],
    ['MODIFY quantity off lot', { type: 'MODIFY', id: 3, quantity: 25 }, 3, 'QUANTITY_OFF_LOT'],
    ['MODIFY price 0', { type: 'MODIFY', id: 3, price: 0 }, 3, 'INVALID_PRICE'],
    ['MODIFY price 97.5', { type: 'MODIFY', id: 3, price: 97.5 }, 3, 'INVALID_PRICE'],
    ['MODIFY price off tick', { type: 'MODIFY', id: 3, price: 97 }, 3, 'PRICE_OFF_TICK'],
    ['MODIFY STOP_LIMIT price off tick', { type: 'MODIFY', id: 7, price: 83 }, 7, 'PRICE_OFF_TICK'],
    ['MODIFY stopPrice 0', { type: 'MODIFY', id: 7, stopPrice: 0 }, 7, 'INVALID_STOP_PRICE'],
    ['MODIFY stopPrice -5', { type: 'MODIFY', id: 5, stopPrice: -5 }, 5, 'INVALID_STOP_PRICE'],
    ['MODIFY stopPrice off tick', { type: 'MODIFY', id: 7, stopPrice: 92 }, 7, 'PRICE_OFF_TICK'],
    // REFERENCE_PRICE
    ['REFERENCE_PRICE 0', { type: 'REFERENCE_PRICE', price: 0 }, 0, 'INVALID_PRICE'],
    ['REFERENCE_PRICE -100', { type: 'REFERENCE_PRICE', price: -100 }, 0, 'INVALID_PRICE'],
    ['REFERENCE_PRICE 100.5', { type: 'REFERENCE_PRICE', price: 100.5 }, 0, 'INVALID_PRICE'],
  ];

  it.each(cases)('%s', (_name, cmd, orderId, reason) => {
    const book = populated();
    expect(book.seq).toBe(16);
    expectRejected(book, cmd, orderId, reason);
  });

  it('a rejection still takes a seq: the next command continues from it', () => {
    const book = populated();
    expectRejected(book, nw(50, 'BUY', 15, { price: 95 }), 50, 'QUANTITY_OFF_LOT');
    expect(ok(book, nw(50, 'BUY', 10, { price: 90 }))).toEqual([accepted(18, 50), rested(19, 50, 90, 10)]);
  });
});

describe('matching: price-time priority', () => {
  it('a BUY takes the best (lowest) ask level first and FIFO within a level, up to its limit', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'SELL', 10, { price: 105 }),
      nw(2, 'SELL', 20, { price: 100 }),
      nw(3, 'SELL', 10, { price: 100 }),
      nw(4, 'SELL', 10, { price: 110 }),
    );
    expect(book.depth(10)).toEqual({
      bids: [],
      asks: [
        { price: 100, quantity: 30, orders: 2 },
        { price: 105, quantity: 10, orders: 1 },
        { price: 110, quantity: 10, orders: 1 },
      ],
    });
    expect(ok(book, nw(5, 'BUY', 50, { price: 105 }))).toEqual([
      accepted(9, 5),
      trade(10, 'BUY', 100, 20, 5, 2, 30, 0),
      trade(11, 'BUY', 100, 10, 5, 3, 20, 0),
      trade(12, 'BUY', 105, 10, 5, 1, 10, 0),
      rested(13, 5, 105, 10),
    ]);
    expect(book.depth(10)).toEqual({
      bids: [{ price: 105, quantity: 10, orders: 1 }],
      asks: [{ price: 110, quantity: 10, orders: 1 }],
    });
    expect(book.getOrder(5)).toEqual({
      id: 5, owner: 5, side: 'BUY', orderType: 'LIMIT', tif: 'GTC', quantity: 50, filled: 40,
      price: 105, stopPrice: null, waiting: false, priority: 13,
    });
    expect(book.marketPrice).toBe(105);
    expect(book.size).toBe(2);
  });

  it('a SELL takes the best (highest) bid level first and FIFO within a level', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'BUY', 10, { price: 100 }),
      nw(2, 'BUY', 10, { price: 100 }),
      nw(3, 'BUY', 10, { price: 105 }),
      nw(4, 'BUY', 10, { price: 95 }),
    );
    expect(ok(book, nw(5, 'SELL', 30, { price: 100 }))).toEqual([
      accepted(9, 5),
      trade(10, 'SELL', 105, 10, 5, 3, 20, 0),
      trade(11, 'SELL', 100, 10, 5, 1, 10, 0),
      trade(12, 'SELL', 100, 10, 5, 2, 0, 0),
    ]);
    expect(book.depth(10)).toEqual({ bids: [{ price: 95, quantity: 10, orders: 1 }], asks: [] });
    expect(book.bestBid()).toBe(95);
    expect(book.bestAsk()).toBeNull();
    expect(book.marketPrice).toBe(100);
  });
});

describe('matching: a trade is at the resting order\'s price', () => {
  it('BUY limit 110 against an ask at 100 trades at 100', () => {
    const book = makeBook();
    seed(book, nw(1, 'SELL', 10, { price: 100 }));
    expect(ok(book, nw(2, 'BUY', 10, { price: 110 }))).toEqual([
      accepted(3, 2),
      trade(4, 'BUY', 100, 10, 2, 1, 0, 0),
    ]);
    expect(book.marketPrice).toBe(100);
    expect(book.depth(10)).toEqual(EMPTY);
  });

  it('SELL limit 100 against a bid at 110 trades at 110', () => {
    const book = makeBook();
    seed(book, nw(1, 'BUY', 10, { price: 110 }));
    expect(ok(book, nw(2, 'SELL', 10, { price: 100 }))).toEqual([
      accepted(3, 2),
      trade(4, 'SELL', 110, 10, 2, 1, 0, 0),
    ]);
    expect(book.marketPrice).toBe(110);
    expect(book.depth(10)).toEqual(EMPTY);
  });
});

describe('matching: partial fills', () => {
  it('a partially filled maker stays at the head of its level with its open quantity', () => {
    const book = makeBook();
    seed(book, nw(1, 'SELL', 30, { price: 100 }), nw(2, 'SELL', 10, { price: 100 }));
    expect(ok(book, nw(3, 'BUY', 10, { price: 100 }))).toEqual([
      accepted(5, 3),
      trade(6, 'BUY', 100, 10, 3, 1, 0, 20),
    ]);
    expect(book.getOrder(3)).toBeUndefined();
    expect(book.getOrder(1)).toMatchObject({ quantity: 30, filled: 10, priority: 2 });
    expect(book.depth(10)).toEqual({ bids: [], asks: [{ price: 100, quantity: 30, orders: 2 }] });
    expect(ok(book, nw(4, 'BUY', 30, { price: 100 }))).toEqual([
      accepted(7, 4),
      trade(8, 'BUY', 100, 20, 4, 1, 10, 0),
      trade(9, 'BUY', 100, 10, 4, 2, 0, 0),
    ]);
    expect(book.depth(10)).toEqual(EMPTY);
    expect(book.size).toBe(0);
  });

  it('a partially filled LIMIT taker rests its remainder', () => {
    const book = makeBook();
    seed(book, nw(1, 'SELL', 10, { price: 100 }));
    expect(ok(book, nw(2, 'BUY', 30, { price: 105 }))).toEqual([
      accepted(3, 2),
      trade(4, 'BUY', 100, 10, 2, 1, 20, 0),
      rested(5, 2, 105, 20),
    ]);
    expect(book.getOrder(2)).toMatchObject({ quantity: 30, filled: 10, priority: 5 });
    expect(book.depth(10)).toEqual({ bids: [{ price: 105, quantity: 20, orders: 1 }], asks: [] });
  });
});

describe('matching: MARKET orders', () => {
  it('against an empty book: ACCEPTED then CANCELED (UNFILLED) with the whole quantity', () => {
    const book = makeBook();
    expect(ok(book, nw(1, 'BUY', 10, { orderType: 'MARKET', tif: 'DAY' }))).toEqual([
      accepted(1, 1),
      canceled(2, 1, 10, 'UNFILLED'),
    ]);
    expect(ok(book, nw(2, 'SELL', 20, { orderType: 'MARKET', tif: 'GTC' }))).toEqual([
      accepted(3, 2),
      canceled(4, 2, 20, 'UNFILLED'),
    ]);
    expect(book.depth(10)).toEqual(EMPTY);
    expect(book.size).toBe(0);
    expect(book.marketPrice).toBeNull();
  });

  it('walks every price while liquidity lasts, then cancels the remainder (UNFILLED), even GTC', () => {
    const book = makeBook();
    seed(book, nw(1, 'SELL', 10, { price: 100 }), nw(2, 'SELL', 10, { price: 150 }));
    expect(ok(book, nw(3, 'BUY', 30, { orderType: 'MARKET', tif: 'GTC' }))).toEqual([
      accepted(5, 3),
      trade(6, 'BUY', 100, 10, 3, 1, 20, 0),
      trade(7, 'BUY', 150, 10, 3, 2, 10, 0),
      canceled(8, 3, 10, 'UNFILLED'),
    ]);
    expect(book.depth(10)).toEqual(EMPTY);
    expect(book.size).toBe(0);
    expect(book.marketPrice).toBe(150);
  });

  it('a MARKET order that fills completely has no CANCELED event', () => {
    const book = makeBook();
    seed(book, nw(1, 'BUY', 20, { price: 100 }));
    expect(ok(book, nw(2, 'SELL', 10, { orderType: 'MARKET', tif: 'DAY' }))).toEqual([
      accepted(3, 2),
      trade(4, 'SELL', 100, 10, 2, 1, 0, 10),
    ]);
    expect(book.depth(10)).toEqual({ bids: [{ price: 100, quantity: 10, orders: 1 }], asks: [] });
  });
});

describe('matching: DAY and GTC LIMIT remainders rest at the back of their level', () => {
  it('emits RESTED whose seq is the time priority', () => {
    const book = makeBook();
    expect(ok(book, nw(1, 'BUY', 10, { price: 100, tif: 'DAY' }))).toEqual([accepted(1, 1), rested(2, 1, 100, 10)]);
    expect(ok(book, nw(2, 'BUY', 20, { price: 100, tif: 'GTC' }))).toEqual([accepted(3, 2), rested(4, 2, 100, 20)]);
    expect(ok(book, nw(3, 'SELL', 10, { price: 105, tif: 'DAY' }))).toEqual([accepted(5, 3), rested(6, 3, 105, 10)]);
    expect(ok(book, nw(4, 'SELL', 10, { price: 110, tif: 'GTC' }))).toEqual([accepted(7, 4), rested(8, 4, 110, 10)]);
    expect(book.depth(10)).toEqual({
      bids: [{ price: 100, quantity: 30, orders: 2 }],
      asks: [{ price: 105, quantity: 10, orders: 1 }, { price: 110, quantity: 10, orders: 1 }],
    });
    expect(book.getOrder(1)).toEqual({
      id: 1, owner: 1, side: 'BUY', orderType: 'LIMIT', tif: 'DAY', quantity: 10, filled: 0,
      price: 100, stopPrice: null, waiting: false, priority: 2,
    });
    expect(book.getOrder(2)).toMatchObject({ tif: 'GTC', priority: 4 });
    expect(book.bestBid()).toBe(100);
    expect(book.bestAsk()).toBe(105);
    expect(book.marketPrice).toBeNull();
    expect(book.size).toBe(4);
  });

  it('depth(n) shows the n best levels only', () => {
    const book = makeBook();
    seed(book, nw(1, 'BUY', 10, { price: 90 }), nw(2, 'BUY', 10, { price: 100 }), nw(3, 'BUY', 10, { price: 95 }));
    expect(book.depth(2)).toEqual({
      bids: [{ price: 100, quantity: 10, orders: 1 }, { price: 95, quantity: 10, orders: 1 }],
      asks: [],
    });
  });
});

describe('matching: IOC remainder is canceled (UNFILLED)', () => {
  it('trades what it can up to its limit and cancels the rest', () => {
    const book = makeBook();
    seed(book, nw(1, 'SELL', 10, { price: 100 }), nw(2, 'SELL', 10, { price: 110 }));
    expect(ok(book, nw(3, 'BUY', 30, { price: 105, tif: 'IOC' }))).toEqual([
      accepted(5, 3),
      trade(6, 'BUY', 100, 10, 3, 1, 20, 0),
      canceled(7, 3, 20, 'UNFILLED'),
    ]);
    expect(book.depth(10)).toEqual({ bids: [], asks: [{ price: 110, quantity: 10, orders: 1 }] });
    expect(book.getOrder(3)).toBeUndefined();
  });

  it('with nothing acceptable it cancels the whole quantity; fully filled it has no CANCELED', () => {
    const book = makeBook();
    seed(book, nw(1, 'BUY', 10, { price: 100 }));
    expect(ok(book, nw(2, 'SELL', 10, { price: 105, tif: 'IOC' }))).toEqual([
      accepted(3, 2),
      canceled(4, 2, 10, 'UNFILLED'),
    ]);
    expect(ok(book, nw(3, 'SELL', 10, { price: 100, tif: 'IOC' }))).toEqual([
      accepted(5, 3),
      trade(6, 'SELL', 100, 10, 3, 1, 0, 0),
    ]);
    expect(book.depth(10)).toEqual(EMPTY);
    expect(book.size).toBe(0);
  });
});

describe('matching: FOK fills completely or not at all', () => {
  function threeAsks(): OrderBook {
    const book = makeBook();
    seed(
      book,
      nw(1, 'SELL', 10, { price: 100 }),
      nw(2, 'SELL', 10, { price: 105 }),
      nw(3, 'SELL', 10, { price: 110 }),
    );
    return book;
  }

  it('short within its limit: CANCELED (FOK_UNFILLABLE, whole quantity), no trade, book untouched', () => {
    const book = threeAsks();
    const before = state(book);
    expect(ok(book, nw(4, 'BUY', 30, { price: 105, tif: 'FOK' }))).toEqual([
      accepted(7, 4),
      canceled(8, 4, 30, 'FOK_UNFILLABLE'),
    ]);
    expect(state(book)).toEqual(before);
    expect(book.marketPrice).toBeNull();
  });

  it('enough within its limit: fills completely across levels', () => {
    const book = threeAsks();
    expect(ok(book, nw(4, 'BUY', 20, { price: 105, tif: 'FOK' }))).toEqual([
      accepted(7, 4),
      trade(8, 'BUY', 100, 10, 4, 1, 10, 0),
      trade(9, 'BUY', 105, 10, 4, 2, 0, 0),
    ]);
    expect(book.depth(10)).toEqual({ bids: [], asks: [{ price: 110, quantity: 10, orders: 1 }] });
  });

  it('MARKET FOK: any price is acceptable, but the whole quantity must be there', () => {
    const book = threeAsks();
    const before = state(book);
    expect(ok(book, nw(4, 'BUY', 40, { orderType: 'MARKET', tif: 'FOK' }))).toEqual([
      accepted(7, 4),
      canceled(8, 4, 40, 'FOK_UNFILLABLE'),
    ]);
    expect(state(book)).toEqual(before);
    expect(ok(book, nw(5, 'BUY', 30, { orderType: 'MARKET', tif: 'FOK' }))).toEqual([
      accepted(9, 5),
      trade(10, 'BUY', 100, 10, 5, 1, 20, 0),
      trade(11, 'BUY', 105, 10, 5, 2, 10, 0),
      trade(12, 'BUY', 110, 10, 5, 3, 0, 0),
    ]);
    expect(book.depth(10)).toEqual(EMPTY);
  });

  it('SELL FOK against bids', () => {
    const book = makeBook();
    seed(book, nw(1, 'BUY', 10, { price: 100 }), nw(2, 'BUY', 10, { price: 95 }));
    const before = state(book);
    expect(ok(book, nw(3, 'SELL', 20, { price: 100, tif: 'FOK' }))).toEqual([
      accepted(5, 3),
      canceled(6, 3, 20, 'FOK_UNFILLABLE'),
    ]);
    expect(state(book)).toEqual(before);
    expect(ok(book, nw(4, 'SELL', 20, { price: 95, tif: 'FOK' }))).toEqual([
      accepted(7, 4),
      trade(8, 'SELL', 100, 10, 4, 1, 10, 0),
      trade(9, 'SELL', 95, 10, 4, 2, 0, 0),
    ]);
    expect(book.depth(10)).toEqual(EMPTY);
  });

  it('the availability walk stops at the first order of its own owner', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'SELL', 10, { price: 100, owner: 7 }),
      nw(2, 'SELL', 10, { price: 100, owner: 9 }),
      nw(3, 'SELL', 20, { price: 100, owner: 8 }),
    );
    const before = state(book);
    // 30 from other owners at 100, but only 10 ahead of owner 9's own order.
    expect(ok(book, nw(4, 'BUY', 20, { price: 100, tif: 'FOK', owner: 9 }))).toEqual([
      accepted(7, 4),
      canceled(8, 4, 20, 'FOK_UNFILLABLE'),
    ]);
    expect(state(book)).toEqual(before);
    // 10 is available ahead of the own order: fills.
    expect(ok(book, nw(5, 'BUY', 10, { price: 100, tif: 'FOK', owner: 9 }))).toEqual([
      accepted(9, 5),
      trade(10, 'BUY', 100, 10, [5, 9], [1, 7], 0, 0),
    ]);
    // Now the own order is at the head: nothing is available.
    const after = state(book);
    expect(ok(book, nw(6, 'BUY', 10, { orderType: 'MARKET', tif: 'FOK', owner: 9 }))).toEqual([
      accepted(11, 6),
      canceled(12, 6, 10, 'FOK_UNFILLABLE'),
    ]);
    expect(state(book)).toEqual(after);
    expect(book.depth(10)).toEqual({ bids: [], asks: [{ price: 100, quantity: 30, orders: 2 }] });
  });
});

describe('matching: self-trade prevention', () => {
  it('trades with earlier other-owner orders, then cancels the remainder (SELF_TRADE) at its own order', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'SELL', 10, { price: 100, owner: 1 }),
      nw(2, 'SELL', 10, { price: 100, owner: 2 }),
      nw(3, 'SELL', 10, { price: 100, owner: 3 }),
    );
    const own = book.getOrder(2);
    const later = book.getOrder(3);
    // A GTC LIMIT: without the own order it would have traded with 3 and not rested.
    expect(ok(book, nw(4, 'BUY', 30, { price: 100, owner: 2 }))).toEqual([
      accepted(7, 4),
      trade(8, 'BUY', 100, 10, [4, 2], [1, 1], 20, 0),
      canceled(9, 4, 20, 'SELF_TRADE'),
    ]);
    expect(book.getOrder(2)).toEqual(own);
    expect(book.getOrder(3)).toEqual(later);
    expect(book.getOrder(4)).toBeUndefined();
    expect(book.depth(10)).toEqual({ bids: [], asks: [{ price: 100, quantity: 20, orders: 2 }] });
    expect(book.marketPrice).toBe(100);
  });

  it('own order at the best price: canceled at once with its whole quantity, no trade', () => {
    const book = makeBook();
    seed(book, nw(1, 'BUY', 10, { price: 100, owner: 5 }), nw(2, 'BUY', 10, { price: 95, owner: 6 }));
    const before = state(book);
    expect(ok(book, nw(3, 'SELL', 20, { orderType: 'MARKET', tif: 'IOC', owner: 5 }))).toEqual([
      accepted(5, 3),
      canceled(6, 3, 20, 'SELF_TRADE'),
    ]);
    expect(state(book)).toEqual(before);
  });
});

describe('stops: the trigger loop', () => {
  it('a STOP triggers on the last trade price (stop == price counts) and trades as MARKET', () => {
    const book = makeBook();
    seed(book, nw(1, 'SELL', 10, { price: 100 }), nw(2, 'SELL', 10, { price: 105 }));
    expect(ok(book, nw(3, 'BUY', 10, { orderType: 'STOP', stopPrice: 100 }))).toEqual([accepted(5, 3)]);
    expect(ok(book, nw(4, 'BUY', 10, { price: 100 }))).toEqual([
      accepted(6, 4),
      trade(7, 'BUY', 100, 10, 4, 1, 0, 0),
      triggered(8, 3, 100),
      trade(9, 'BUY', 105, 10, 3, 2, 0, 0),
    ]);
    expect(book.depth(10)).toEqual(EMPTY);
    expect(book.size).toBe(0);
    expect(book.marketPrice).toBe(105);
  });

  it('a STOP_LIMIT triggers on REFERENCE_PRICE and trades as LIMIT at its price, then rests', () => {
    const book = makeBook();
    seed(book, nw(1, 'BUY', 10, { price: 90 }));
    expect(ok(book, nw(2, 'SELL', 20, { orderType: 'STOP_LIMIT', stopPrice: 95, price: 90 }))).toEqual([
      accepted(3, 2),
    ]);
    expect(ok(book, { type: 'REFERENCE_PRICE', price: 100 })).toEqual([]);
    expect(book.getOrder(2)?.waiting).toBe(true);
    expect(ok(book, { type: 'REFERENCE_PRICE', price: 95 })).toEqual([
      triggered(4, 2, 95),
      trade(5, 'SELL', 90, 10, 2, 1, 10, 0),
      rested(6, 2, 90, 10),
    ]);
    expect(book.getOrder(2)).toEqual({
      id: 2, owner: 2, side: 'SELL', orderType: 'STOP_LIMIT', tif: 'GTC', quantity: 20, filled: 10,
      price: 90, stopPrice: 95, waiting: false, priority: 6,
    });
    expect(book.depth(10)).toEqual({ bids: [], asks: [{ price: 90, quantity: 10, orders: 1 }] });
    expect(book.marketPrice).toBe(90);
  });

  it('a triggered stop keeps its own TIF (IOC remainder UNFILLED, FOK unfillable)', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'SELL', 10, { price: 100 }),
      nw(2, 'BUY', 30, { orderType: 'STOP_LIMIT', tif: 'IOC', stopPrice: 100, price: 100 }),
      nw(3, 'BUY', 20, { orderType: 'STOP', tif: 'FOK', stopPrice: 105 }),
      nw(4, 'SELL', 10, { price: 105 }),
    );
    // Both are crossed at 105; o2 (lowest stop) goes first and its trade moves the price to 100,
    // which no longer crosses o3 (stop 105): the loop re-reads the market price before each pick.
    expect(ok(book, { type: 'REFERENCE_PRICE', price: 105 })).toEqual([
      triggered(7, 2, 105),
      trade(8, 'BUY', 100, 10, 2, 1, 20, 0),
      canceled(9, 2, 20, 'UNFILLED'),
    ]);
    expect(book.getOrder(3)?.waiting).toBe(true);
    expect(ok(book, { type: 'REFERENCE_PRICE', price: 105 })).toEqual([
      triggered(10, 3, 105),
      canceled(11, 3, 20, 'FOK_UNFILLABLE'),
    ]);
    expect(book.depth(10)).toEqual({ bids: [], asks: [{ price: 105, quantity: 10, orders: 1 }] });
    expect(book.size).toBe(1);
  });

  it('BUY stops trigger lowest stop first, ties by priority', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'BUY', 10, { orderType: 'STOP', stopPrice: 110 }),
      nw(2, 'BUY', 10, { orderType: 'STOP', stopPrice: 105 }),
      nw(3, 'BUY', 10, { orderType: 'STOP', stopPrice: 105 }),
      nw(4, 'BUY', 10, { orderType: 'STOP', stopPrice: 100 }),
      nw(5, 'BUY', 10, { orderType: 'STOP', stopPrice: 115 }),
    );
    // Empty book: each triggered STOP is canceled UNFILLED, which shows the trigger order.
    expect(ok(book, { type: 'REFERENCE_PRICE', price: 110 })).toEqual([
      triggered(6, 4, 110), canceled(7, 4, 10, 'UNFILLED'),
      triggered(8, 2, 110), canceled(9, 2, 10, 'UNFILLED'),
      triggered(10, 3, 110), canceled(11, 3, 10, 'UNFILLED'),
      triggered(12, 1, 110), canceled(13, 1, 10, 'UNFILLED'),
    ]);
    expect(book.getOrder(5)?.waiting).toBe(true);
    expect(book.size).toBe(1);
  });

  it('SELL stops trigger highest stop first, ties by priority', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'SELL', 10, { orderType: 'STOP', stopPrice: 90 }),
      nw(2, 'SELL', 10, { orderType: 'STOP', stopPrice: 95 }),
      nw(3, 'SELL', 10, { orderType: 'STOP', stopPrice: 95 }),
      nw(4, 'SELL', 10, { orderType: 'STOP', stopPrice: 85 }),
    );
    expect(ok(book, { type: 'REFERENCE_PRICE', price: 90 })).toEqual([
      triggered(5, 2, 90), canceled(6, 2, 10, 'UNFILLED'),
      triggered(7, 3, 90), canceled(8, 3, 10, 'UNFILLED'),
      triggered(9, 1, 90), canceled(10, 1, 10, 'UNFILLED'),
    ]);
    expect(book.getOrder(4)?.waiting).toBe(true);
  });

  it('when both sides are crossed, the BUY stop goes first', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'SELL', 10, { orderType: 'STOP', stopPrice: 100 }),
      nw(2, 'BUY', 10, { orderType: 'STOP', stopPrice: 100 }),
    );
    expect(ok(book, { type: 'REFERENCE_PRICE', price: 100 })).toEqual([
      triggered(3, 2, 100), canceled(4, 2, 10, 'UNFILLED'),
      triggered(5, 1, 100), canceled(6, 1, 10, 'UNFILLED'),
    ]);
    expect(book.size).toBe(0);
  });

  it('cascades: a triggered stop\'s trade triggers the next stop', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'SELL', 10, { price: 100 }),
      nw(2, 'SELL', 10, { price: 105 }),
      nw(3, 'SELL', 10, { price: 110 }),
      nw(4, 'BUY', 10, { orderType: 'STOP', stopPrice: 100 }),
      nw(5, 'BUY', 10, { orderType: 'STOP', stopPrice: 105 }),
    );
    expect(ok(book, nw(6, 'BUY', 10, { price: 100 }))).toEqual([
      accepted(9, 6),
      trade(10, 'BUY', 100, 10, 6, 1, 0, 0),
      triggered(11, 4, 100),
      trade(12, 'BUY', 105, 10, 4, 2, 0, 0),
      triggered(13, 5, 105),
      trade(14, 'BUY', 110, 10, 5, 3, 0, 0),
    ]);
    expect(book.depth(10)).toEqual(EMPTY);
    expect(book.size).toBe(0);
    expect(book.marketPrice).toBe(110);
  });

  it('a stop placed already crossed triggers at once', () => {
    const book = makeBook();
    expect(ok(book, { type: 'REFERENCE_PRICE', price: 100 })).toEqual([]);
    seed(book, nw(1, 'SELL', 10, { price: 100 }));
    expect(ok(book, nw(2, 'BUY', 10, { orderType: 'STOP', stopPrice: 95 }))).toEqual([
      accepted(3, 2),
      triggered(4, 2, 100),
      trade(5, 'BUY', 100, 10, 2, 1, 0, 0),
    ]);
    expect(ok(book, nw(3, 'SELL', 10, { orderType: 'STOP', stopPrice: 105 }))).toEqual([
      accepted(6, 3),
      triggered(7, 3, 100),
      canceled(8, 3, 10, 'UNFILLED'),
    ]);
    expect(book.size).toBe(0);
  });

  it('nothing triggers while the market price is null', () => {
    const book = makeBook();
    seed(book, nw(1, 'BUY', 10, { price: 95 }), nw(2, 'SELL', 10, { price: 105 }));
    expect(ok(book, nw(3, 'BUY', 10, { orderType: 'STOP', stopPrice: 5 }))).toEqual([accepted(5, 3)]);
    expect(ok(book, nw(4, 'SELL', 10, { orderType: 'STOP', stopPrice: 1000 }))).toEqual([accepted(6, 4)]);
    expect(ok(book, nw(5, 'BUY', 10, { price: 90 }))).toEqual([accepted(7, 5), rested(8, 5, 90, 10)]);
    expect(book.marketPrice).toBeNull();
    expect(book.getOrder(3)?.waiting).toBe(true);
    expect(book.getOrder(4)?.waiting).toBe(true);
    expect(book.size).toBe(5);
    // Once there is a market price both trigger; each TRIGGERED carries the price at that moment.
    expect(ok(book, { type: 'REFERENCE_PRICE', price: 500 })).toEqual([
      triggered(9, 3, 500),
      trade(10, 'BUY', 105, 10, 3, 2, 0, 0),
      triggered(11, 4, 105),
      trade(12, 'SELL', 95, 10, 4, 1, 0, 0),
    ]);
    expect(book.depth(10)).toEqual({ bids: [{ price: 90, quantity: 10, orders: 1 }], asks: [] });
    expect(book.marketPrice).toBe(95);
  });
});

describe('CANCEL', () => {
  it('cancels a resting order (USER, open quantity); the level goes when empty', () => {
    const book = makeBook();
    seed(book, nw(1, 'BUY', 10, { price: 100 }), nw(2, 'BUY', 20, { price: 100 }), nw(3, 'BUY', 10, { price: 95 }));
    expect(book.execute({ type: 'CANCEL', id: 1 })).toEqual({
      code: 'OK',
      events: [canceled(7, 1, 10, 'USER')],
    });
    expect(book.depth(10)).toEqual({
      bids: [{ price: 100, quantity: 20, orders: 1 }, { price: 95, quantity: 10, orders: 1 }],
      asks: [],
    });
    expect(ok(book, { type: 'CANCEL', id: 2 })).toEqual([canceled(8, 2, 20, 'USER')]);
    expect(book.depth(10)).toEqual({ bids: [{ price: 95, quantity: 10, orders: 1 }], asks: [] });
    expect(book.bestBid()).toBe(95);
    expect(book.getOrder(2)).toBeUndefined();
    expect(book.size).toBe(1);
    // Canceled twice: no longer live.
    expectRejected(book, { type: 'CANCEL', id: 2 }, 2, 'UNKNOWN_ORDER');
    expect(book.seq).toBe(9);
  });

  it('a partially filled order cancels its open quantity; a filled order is unknown', () => {
    const book = makeBook();
    seed(book, nw(1, 'SELL', 30, { price: 100 }), nw(2, 'BUY', 10, { price: 100 }));
    expect(ok(book, { type: 'CANCEL', id: 1 })).toEqual([canceled(5, 1, 20, 'USER')]);
    expect(book.depth(10)).toEqual(EMPTY);
    expectRejected(book, { type: 'CANCEL', id: 2 }, 2, 'UNKNOWN_ORDER');
  });

  it('cancels a waiting stop, which then never triggers', () => {
    const book = makeBook();
    seed(book, nw(1, 'SELL', 10, { orderType: 'STOP_LIMIT', tif: 'DAY', stopPrice: 90, price: 85 }));
    expect(ok(book, { type: 'CANCEL', id: 1 })).toEqual([canceled(2, 1, 10, 'USER')]);
    expect(book.size).toBe(0);
    expect(ok(book, { type: 'REFERENCE_PRICE', price: 80 })).toEqual([]);
  });

  it('an id never seen is UNKNOWN_ORDER', () => {
    const book = makeBook();
    seed(book, nw(1, 'BUY', 10, { price: 100 }));
    expectRejected(book, { type: 'CANCEL', id: 42 }, 42, 'UNKNOWN_ORDER');
  });
});

describe('MODIFY', () => {
  it('quantity down at the same price keeps priority (MODIFIED keptPriority: true, no RESTED)', () => {
    const book = makeBook();
    seed(book, nw(1, 'SELL', 30, { price: 100 }), nw(2, 'SELL', 10, { price: 100 }));
    expect(book.execute({ type: 'MODIFY', id: 1, quantity: 20 })).toEqual({
      code: 'OK',
      events: [modified(5, 1, 20, 100, null, true)],
    });
    expect(book.getOrder(1)).toMatchObject({ quantity: 20, filled: 0, priority: 2 });
    expect(book.depth(10)).toEqual({ bids: [], asks: [{ price: 100, quantity: 30, orders: 2 }] });
    expect(ok(book, nw(3, 'BUY', 20, { price: 100 }))).toEqual([
      accepted(6, 3),
      trade(7, 'BUY', 100, 20, 3, 1, 0, 0),
    ]);
    expect(book.depth(10)).toEqual({ bids: [], asks: [{ price: 100, quantity: 10, orders: 1 }] });
  });

  it('quantity down on a partially filled order: new total, open shrinks, priority kept', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'SELL', 40, { price: 100 }),
      nw(2, 'BUY', 10, { price: 100 }),
      nw(3, 'SELL', 10, { price: 100 }),
    );
    expect(ok(book, { type: 'MODIFY', id: 1, quantity: 20 })).toEqual([modified(7, 1, 20, 100, null, true)]);
    expect(book.getOrder(1)).toMatchObject({ quantity: 20, filled: 10, priority: 2 });
    expect(book.depth(10)).toEqual({ bids: [], asks: [{ price: 100, quantity: 20, orders: 2 }] });
  });

  it('quantity up loses priority: MODIFIED keptPriority: false, then RESTED at the back', () => {
    const book = makeBook();
    seed(book, nw(1, 'SELL', 10, { price: 100 }), nw(2, 'SELL', 10, { price: 100 }));
    expect(ok(book, { type: 'MODIFY', id: 1, quantity: 20 })).toEqual([
      modified(5, 1, 20, 100, null, false),
      rested(6, 1, 100, 20),
    ]);
    expect(book.getOrder(1)).toMatchObject({ quantity: 20, priority: 6 });
    expect(book.depth(10)).toEqual({ bids: [], asks: [{ price: 100, quantity: 30, orders: 2 }] });
    expect(ok(book, nw(3, 'BUY', 10, { price: 100 }))).toEqual([
      accepted(7, 3),
      trade(8, 'BUY', 100, 10, 3, 2, 0, 0),
    ]);
  });

  it('a price change loses priority, even with the quantity going down', () => {
    const book = makeBook();
    seed(book, nw(1, 'SELL', 20, { price: 100 }), nw(2, 'SELL', 10, { price: 105 }));
    expect(ok(book, { type: 'MODIFY', id: 1, price: 105, quantity: 10 })).toEqual([
      modified(5, 1, 10, 105, null, false),
      rested(6, 1, 105, 10),
    ]);
    expect(book.depth(10)).toEqual({ bids: [], asks: [{ price: 105, quantity: 20, orders: 2 }] });
    expect(ok(book, nw(3, 'BUY', 10, { price: 105 }))).toEqual([
      accepted(7, 3),
      trade(8, 'BUY', 105, 10, 3, 2, 0, 0),
    ]);
  });

  it('a price modify that crosses trades at once, and the trigger loop then runs', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'BUY', 10, { price: 95 }),
      nw(2, 'SELL', 20, { price: 105 }),
      nw(3, 'BUY', 10, { orderType: 'STOP', stopPrice: 105 }),
    );
    expect(ok(book, { type: 'MODIFY', id: 1, price: 110 })).toEqual([
      modified(6, 1, 10, 110, null, false),
      trade(7, 'BUY', 105, 10, 1, 2, 0, 10),
      triggered(8, 3, 105),
      trade(9, 'BUY', 105, 10, 3, 2, 0, 0),
    ]);
    expect(book.depth(10)).toEqual(EMPTY);
    expect(book.size).toBe(0);
    expect(book.marketPrice).toBe(105);
  });

  it('a crossing modify that partially fills rests the remainder at its new price', () => {
    const book = makeBook();
    seed(book, nw(1, 'BUY', 30, { price: 95 }), nw(2, 'SELL', 10, { price: 105 }));
    expect(ok(book, { type: 'MODIFY', id: 1, price: 110 })).toEqual([
      modified(5, 1, 30, 110, null, false),
      trade(6, 'BUY', 105, 10, 1, 2, 20, 0),
      rested(7, 1, 110, 20),
    ]);
    expect(book.getOrder(1)).toMatchObject({ quantity: 30, filled: 10, price: 110, priority: 7 });
    expect(book.depth(10)).toEqual({ bids: [{ price: 110, quantity: 20, orders: 1 }], asks: [] });
  });

  it('quantity <= filled is INVALID_MODIFY, book untouched', () => {
    const book = makeBook();
    seed(book, nw(1, 'SELL', 30, { price: 100 }), nw(2, 'BUY', 20, { price: 100 }));
    expectRejected(book, { type: 'MODIFY', id: 1, quantity: 20 }, 1, 'INVALID_MODIFY');
    expectRejected(book, { type: 'MODIFY', id: 1, quantity: 10 }, 1, 'INVALID_MODIFY');
    expect(book.getOrder(1)).toMatchObject({ quantity: 30, filled: 20 });
  });

  it('stopPrice on an order that is not waiting is INVALID_MODIFY (LIMIT, triggered STOP_LIMIT)', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'BUY', 10, { price: 90 }),
      nw(2, 'SELL', 10, { orderType: 'STOP_LIMIT', stopPrice: 100, price: 95 }),
    );
    expect(ok(book, { type: 'REFERENCE_PRICE', price: 100 })).toEqual([triggered(4, 2, 100), rested(5, 2, 95, 10)]);
    expect(book.getOrder(2)).toMatchObject({ waiting: false, price: 95, stopPrice: 100, priority: 5 });
    expectRejected(book, { type: 'MODIFY', id: 1, stopPrice: 95 }, 1, 'INVALID_MODIFY');
    expectRejected(book, { type: 'MODIFY', id: 2, stopPrice: 105 }, 2, 'INVALID_MODIFY');
    // Its limit price can still be changed.
    expect(ok(book, { type: 'MODIFY', id: 2, price: 100 })).toEqual([
      modified(8, 2, 10, 100, 100, false),
      rested(9, 2, 100, 10),
    ]);
  });

  it('price on a STOP and an empty modify are INVALID_MODIFY', () => {
    const book = makeBook();
    seed(book, nw(1, 'BUY', 10, { orderType: 'STOP', stopPrice: 100 }));
    expectRejected(book, { type: 'MODIFY', id: 1, price: 100 }, 1, 'INVALID_MODIFY');
    expectRejected(book, { type: 'MODIFY', id: 1 }, 1, 'INVALID_MODIFY');
  });

  it('a waiting stop keeps priority on quantity down, takes the MODIFIED seq otherwise', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'BUY', 20, { orderType: 'STOP', stopPrice: 100 }),
      nw(2, 'BUY', 10, { orderType: 'STOP', stopPrice: 100 }),
      nw(3, 'BUY', 10, { orderType: 'STOP', stopPrice: 100 }),
    );
    expect(ok(book, { type: 'MODIFY', id: 1, quantity: 10 })).toEqual([modified(4, 1, 10, null, 100, true)]);
    expect(book.getOrder(1)).toMatchObject({ quantity: 10, priority: 1, waiting: true });
    expect(ok(book, { type: 'MODIFY', id: 2, quantity: 20 })).toEqual([modified(5, 2, 20, null, 100, false)]);
    expect(book.getOrder(2)).toMatchObject({ quantity: 20, priority: 5, waiting: true });
    expect(ok(book, { type: 'REFERENCE_PRICE', price: 100 })).toEqual([
      triggered(6, 1, 100), canceled(7, 1, 10, 'UNFILLED'),
      triggered(8, 3, 100), canceled(9, 3, 10, 'UNFILLED'),
      triggered(10, 2, 100), canceled(11, 2, 20, 'UNFILLED'),
    ]);
  });

  it('a stopPrice modify that crosses the market price triggers at once', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'BUY', 10, { price: 100 }),
      { type: 'REFERENCE_PRICE', price: 110 },
      nw(2, 'SELL', 10, { orderType: 'STOP_LIMIT', stopPrice: 95, price: 100 }),
    );
    expect(book.getOrder(2)?.waiting).toBe(true);
    expect(ok(book, { type: 'MODIFY', id: 2, stopPrice: 110 })).toEqual([
      modified(4, 2, 10, 100, 110, false),
      triggered(5, 2, 110),
      trade(6, 'SELL', 100, 10, 2, 1, 0, 0),
    ]);
    expect(book.depth(10)).toEqual(EMPTY);
    expect(book.size).toBe(0);
  });
});

describe('REFERENCE_PRICE', () => {
  it('sets the market price with no event; the later of trade and reference wins', () => {
    const book = makeBook();
    expect(book.marketPrice).toBeNull();
    expect(book.execute({ type: 'REFERENCE_PRICE', price: 120 })).toEqual({ code: 'OK', events: [] });
    expect(book.marketPrice).toBe(120);
    seed(book, nw(1, 'SELL', 10, { price: 100 }), nw(2, 'BUY', 10, { price: 100 }));
    expect(book.marketPrice).toBe(100);
    expect(ok(book, { type: 'REFERENCE_PRICE', price: 130 })).toEqual([]);
    expect(book.marketPrice).toBe(130);
    expect(book.seq).toBe(4);
    expect(book.depth(10)).toEqual(EMPTY);
  });

  it('any positive integer is accepted (no tick check); others are INVALID_PRICE', () => {
    const book = makeBook();
    expect(ok(book, { type: 'REFERENCE_PRICE', price: 101 })).toEqual([]);
    expect(book.marketPrice).toBe(101);
    expectRejected(book, { type: 'REFERENCE_PRICE', price: 0 }, 0, 'INVALID_PRICE');
    expect(book.marketPrice).toBe(101);
  });
});

describe('EXPIRE_DAY', () => {
  it('expires every live DAY order, resting or waiting, in priority order, and leaves GTC', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'BUY', 20, { price: 95, tif: 'DAY' }),
      nw(2, 'SELL', 10, { price: 105, tif: 'GTC' }),
      nw(3, 'BUY', 10, { orderType: 'STOP', tif: 'DAY', stopPrice: 110 }),
      nw(4, 'SELL', 10, { price: 110, tif: 'DAY' }),
      nw(5, 'BUY', 10, { price: 95, tif: 'DAY' }),
      nw(6, 'SELL', 10, { orderType: 'STOP', tif: 'GTC', stopPrice: 90 }),
    );
    expect(ok(book, nw(7, 'SELL', 10, { price: 95, tif: 'IOC' }))).toEqual([
      accepted(11, 7),
      trade(12, 'SELL', 95, 10, 7, 1, 0, 10),
    ]);
    const gtc = [book.getOrder(2), book.getOrder(6)];
    expect(book.execute({ type: 'EXPIRE_DAY' })).toEqual({
      code: 'OK',
      events: [expired(13, 1, 10), expired(14, 3, 10), expired(15, 4, 10), expired(16, 5, 10)],
    });
    expect(book.depth(10)).toEqual({ bids: [], asks: [{ price: 105, quantity: 10, orders: 1 }] });
    expect(book.size).toBe(2);
    expect([book.getOrder(2), book.getOrder(6)]).toEqual(gtc);
    expect(ok(book, { type: 'EXPIRE_DAY' })).toEqual([]);
    expect(book.seq).toBe(16);
  });

  it('uses the priority a DAY order got from a modify that lost priority', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'BUY', 10, { price: 95, tif: 'DAY' }),
      nw(2, 'BUY', 10, { price: 95, tif: 'DAY' }),
      { type: 'MODIFY', id: 1, quantity: 20 },
    );
    expect(ok(book, { type: 'EXPIRE_DAY' })).toEqual([expired(7, 2, 10), expired(8, 1, 20)]);
    expect(book.depth(10)).toEqual(EMPTY);
    expect(book.size).toBe(0);
  });

  it('orders a waiting stop that lost priority in a modify after a later resting order', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'BUY', 10, { orderType: 'STOP', tif: 'DAY', stopPrice: 200 }),
      nw(2, 'BUY', 10, { price: 95, tif: 'DAY' }),
    );
    expect(ok(book, { type: 'MODIFY', id: 1, quantity: 20 })).toEqual([modified(4, 1, 20, null, 200, false)]);
    expect(ok(book, { type: 'EXPIRE_DAY' })).toEqual([expired(5, 2, 10), expired(6, 1, 20)]);
    expect(book.size).toBe(0);
  });
});

describe('snapshot and OrderBook.restore', () => {
  const following: Command[] = [
    nw(9, 'SELL', 10, { price: 95 }),
    { type: 'REFERENCE_PRICE', price: 120 },
    { type: 'MODIFY', id: 3, price: 100 },
    nw(3, 'BUY', 10, { price: 90 }),
    { type: 'CANCEL', id: 7 },
    { type: 'EXPIRE_DAY' },
    nw(10, 'BUY', 20, { orderType: 'MARKET', tif: 'IOC' }),
    { type: 'REFERENCE_PRICE', price: 125 },
    nw(11, 'SELL', 30, { price: 100, owner: 4 }),
  ];

  it('the restored book has an identical snapshot and answers the same to every later command', () => {
    const original = populated();
    const snap = original.snapshot();
    expect(snap.seq).toBe(16);
    expect(snap.marketPrice).toBe(105);
    expect(snap.orders.map((o) => o.id).sort((a, b) => a - b)).toEqual([1, 3, 4, 5, 6, 7, 8]);
    const restored = track(OrderBook.restore(snap));
    expect(restored.snapshot()).toEqual(snap);
    expect(restored.depth(1_000)).toEqual(original.depth(1_000));
    expect(restored.seq).toBe(16);
    expect(restored.marketPrice).toBe(105);
    expect(restored.size).toBe(original.size);
    expect(restored.config).toEqual(C);
    for (const cmd of following) {
      expect(restored.execute(cmd)).toEqual(original.execute(cmd));
      expect(restored.snapshot()).toEqual(original.snapshot());
    }
  });

  it('the next command after restore gives exactly the expected events', () => {
    const original = populated();
    const restored = track(OrderBook.restore(original.snapshot()));
    // o4 (priority 8) is ahead of o3 (priority 15, after its quantity-up modify).
    const expected = [accepted(17, 9), trade(18, 'SELL', 95, 10, 9, 4, 0, 10)];
    expect(ok(restored, nw(9, 'SELL', 10, { price: 95 }))).toEqual(expected);
    expect(ok(original, nw(9, 'SELL', 10, { price: 95 }))).toEqual(expected);
    // o6 (priority 10) triggers before o5 (priority 16 after its modify), both at stop 120.
    const triggers = [triggered(19, 6, 120), trade(20, 'BUY', 105, 10, 6, 1, 0, 0)];
    expect(ok(restored, { type: 'REFERENCE_PRICE', price: 120 })).toEqual(triggers);
    expect(ok(original, { type: 'REFERENCE_PRICE', price: 120 })).toEqual(triggers);
  });

  it('survives a JSON round trip and does not share state with the original', () => {
    const original = populated();
    const snap = original.snapshot();
    const restored = track(OrderBook.restore(JSON.parse(JSON.stringify(snap))));
    expect(restored.snapshot()).toEqual(snap);
    ok(original, { type: 'CANCEL', id: 1 });
    expect(restored.snapshot()).toEqual(snap);
    expect(restored.getOrder(1)).toMatchObject({ quantity: 30, filled: 20 });
  });

  it('refuses a snapshot whose resting order is off tick (book sides map prices by whole ticks)', () => {
    const snap = populated().snapshot();
    const resting = snap.orders.findIndex((o) => !o.waiting && o.price !== null);
    const orders = snap.orders.map((o, i) => (i === resting ? { ...o, price: o.price! + 1 } : o));
    expect(() => OrderBook.restore({ ...snap, orders })).toThrow(/off tick/);
  });

  it('an empty book restores to an empty book', () => {
    const book = makeBook({ tickSize: 1, lotSize: 1 });
    const restored = track(OrderBook.restore(book.snapshot()));
    expect(restored.snapshot()).toEqual({ config: { tickSize: 1, lotSize: 1 }, seq: 0, marketPrice: null, orders: [] });
    expect(restored.execute(nw(1, 'BUY', 3, { price: 7 }))).toEqual(book.execute(nw(1, 'BUY', 3, { price: 7 })));
  });
});

describe('capacity: orders allocated up front change nothing but when memory is taken', () => {
  /** Rests 600 orders a side on 30 levels, sweeps most of them, refills, cancels some. */
  function flow(): Command[] {
    const cmds: Command[] = [];
    let id = 0;
    for (let i = 0; i < 600; i++) {
      cmds.push(nw(++id, 'SELL', 10 * (1 + (i % 3)), { price: 500 + 5 * (i % 30) }));
      cmds.push(nw(++id, 'BUY', 10 * (1 + (i % 4)), { price: 450 - 5 * (i % 30) }));
    }
    cmds.push(nw(++id, 'BUY', 9_000, { orderType: 'MARKET', tif: 'IOC' }));
    for (let i = 0; i < 300; i++) cmds.push(nw(++id, 'SELL', 20, { price: 480 + 5 * (i % 10) }));
    for (let victim = 2; victim <= 400; victim += 7) cmds.push({ type: 'CANCEL', id: victim });
    cmds.push(nw(++id, 'SELL', 6_000, { orderType: 'MARKET', tif: 'IOC' }));
    return cmds;
  }

  it('books of capacity 1, the default and 5,000 give the same events and the same book', () => {
    const runs = [{ ...C, capacity: 1 }, C, { ...C, capacity: 5_000 }].map((config) => {
      const book = makeBook(config);
      const events = flow().map((cmd) => book.execute(cmd));
      return { events, orders: book.snapshot().orders, depth: book.depth(100) };
    });
    expect(runs[0].events.flatMap((r) => r.events).filter((e) => e.type === 'TRADE').length).toBeGreaterThan(500);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

  it('a restored book of capacity 1 holds and answers the same as one made with room for all', () => {
    const original = makeBook({ ...C, capacity: 2_000 });
    for (const cmd of flow().slice(0, 900)) original.execute(cmd);
    const snap = original.snapshot();
    const restored = track(OrderBook.restore({ ...snap, config: { ...C, capacity: 1 } }));
    expect(restored.snapshot().orders).toEqual(snap.orders);
    for (const cmd of flow().slice(900)) expect(restored.execute(cmd)).toEqual(original.execute(cmd));
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses capacity %p', (capacity) => {
    expect(() => new OrderBook({ ...C, capacity })).toThrow('capacity must be a positive integer');
  });
});

describe('invariants', () => {
  it('filled + open + canceled/expired = quantity for every order, and no order trades with its owner', () => {
    const book = makeBook();
    const cmds: Command[] = [
      nw(1, 'SELL', 30, { price: 100, owner: 1 }),
      nw(2, 'SELL', 20, { price: 105, owner: 2, tif: 'DAY' }),
      nw(3, 'BUY', 40, { price: 105, owner: 3 }),
      nw(4, 'BUY', 20, { orderType: 'STOP', stopPrice: 105, owner: 1 }),
      nw(5, 'SELL', 20, { price: 95, owner: 3, tif: 'IOC' }),
      nw(6, 'BUY', 30, { price: 95, owner: 4, tif: 'DAY' }),
      nw(7, 'SELL', 50, { orderType: 'MARKET', owner: 2 }),
      { type: 'EXPIRE_DAY' },
    ];
    const quantity = new Map<number, number>();
    const done = new Map<number, number>();
    const add = (id: number, q: number) => done.set(id, (done.get(id) ?? 0) + q);
    for (const cmd of cmds) {
      if (cmd.type === 'NEW') quantity.set(cmd.id, cmd.quantity);
      for (const e of ok(book, cmd)) {
        if (e.type === 'TRADE') {
          expect(e.takerOwner).not.toBe(e.makerOwner);
          add(e.takerOrderId, e.quantity);
          add(e.makerOrderId, e.quantity);
        } else if (e.type === 'CANCELED' || e.type === 'EXPIRED') {
          add(e.orderId, e.quantity);
        }
      }
      book.validateInternalState();
      const bid = book.bestBid();
      const ask = book.bestAsk();
      if (bid !== null && ask !== null) expect(bid).toBeLessThan(ask);
    }
    for (const [id, q] of quantity) {
      const live = book.getOrder(id);
      expect((done.get(id) ?? 0) + (live ? live.quantity - live.filled : 0)).toBe(q);
    }
  });
});

describe('submit and the reusable output', () => {
  it('gives the events execute gives, also when one command emits more than the buffer held', () => {
    const viaExecute = makeBook();
    const viaSubmit = makeBook();
    // 40 DAY orders on 40 levels, then one market sweep and EXPIRE_DAY: long event lists.
    const cmds: Command[] = [];
    for (let i = 1; i <= 40; i++) cmds.push(nw(i, 'SELL', 10, { price: 300 + 5 * i, tif: 'DAY' }));
    for (let i = 41; i <= 80; i++) cmds.push(nw(i, 'BUY', 10, { price: 300 - 5 * (i - 40), tif: 'DAY' }));
    cmds.push(nw(81, 'BUY', 200, { orderType: 'MARKET', tif: 'IOC' }), { type: 'EXPIRE_DAY' });
    for (const cmd of cmds) {
      const want = viaExecute.execute(cmd);
      expect(viaSubmit.submit(cmd)).toBe(want.code);
      expect(viaSubmit.output.toEvents()).toEqual(want.events);
    }
    expect(viaSubmit.output.length).toBe(60);
  });

  it('starts a recycled order afresh: nothing of a filled or canceled order leaks into a new one', () => {
    const book = makeBook();
    seed(
      book,
      nw(1, 'SELL', 30, { price: 100, tif: 'DAY' }),
      nw(2, 'BUY', 30, { orderType: 'MARKET', tif: 'IOC' }),
      nw(3, 'SELL', 20, { orderType: 'STOP_LIMIT', price: 90, stopPrice: 95 }),
      { type: 'CANCEL', id: 3 },
    );
    expect(book.size).toBe(0);
    const seq = book.seq;
    expect(ok(book, nw(4, 'BUY', 10, { price: 95 }))).toEqual([accepted(seq + 1, 4), rested(seq + 2, 4, 95, 10)]);
    expect(ok(book, nw(5, 'SELL', 20, { orderType: 'STOP', stopPrice: 80, tif: 'DAY' }))).toEqual([accepted(seq + 3, 5)]);
    expect(book.getOrder(4)).toEqual({
      id: 4, owner: 4, side: 'BUY', orderType: 'LIMIT', tif: 'GTC', quantity: 10, filled: 0,
      price: 95, stopPrice: null, waiting: false, priority: seq + 2,
    });
    expect(book.getOrder(5)).toEqual({
      id: 5, owner: 5, side: 'SELL', orderType: 'STOP', tif: 'DAY', quantity: 20, filled: 0,
      price: null, stopPrice: 80, waiting: true, priority: seq + 3,
    });
  });
});
