// Differential test against an independent implementation: on the same seeded flow of GTC limit
// orders, market orders and cancels, our OrderBook and nodejs-order-book must produce the same
// fills (maker, price, size, in order) and the same aggregated book.
//
// The flow is restricted to what both engines mean the same way:
// - every order has its own owner, so our self-trade prevention never fires (nodejs-order-book
//   only applies STP when given accountId + stpMode, which we do not pass);
// - limits are GTC, markets have no TIF (ours are sent as MARKET/IOC; both cancel what is left);
// - tickSize = lotSize = 1 and integer prices/sizes, the only units nodejs-order-book knows.
//
// Legitimate differences the mapping absorbs:
// - Ids: ours are numbers, nodejs-order-book's are strings; we send String(id) and map back.
// - Market orders have no id in nodejs-order-book (and get no trade events of their own); ours
//   need an id, so a market order consumes an id from the same counter, which is never reused.
// - nodejs-order-book reports no trade list. A command's result lists the makers it filled
//   completely in `done` (each with its size before the fill, i.e. the fill size) and at most one
//   partly filled maker in `partial` / `partialQuantityProcessed`; a partial fill can only be the
//   last fill of a command, since the taker is exhausted by it. `done` also carries the taker
//   itself when it filled completely (with its average price), and `partial` holds the taker when
//   it rests after trading: both are filtered out by id.
// - A cancel of an order that is gone is our REJECTED UNKNOWN_ORDER and their `undefined`.

import { describe, expect, it } from '@jest/globals';
import { OrderBook as PeerBook, Side as PeerSide } from 'nodejs-order-book';
import { OrderBook } from '../../src/engine/index.js';
import type { CommandResult, Side } from '../../src/engine/types.js';
import { mulberry32 } from '../../src/market/seeded-random.js';

/** One fill as both engines can describe it. */
interface Fill {
  makerId: number;
  price: number;
  size: number;
}

type Op =
  | { type: 'limit'; id: number; side: Side; price: number; size: number }
  | { type: 'market'; id: number; side: Side; size: number }
  | { type: 'cancel'; id: number };


/**
 * A seeded flow around a slowly drifting mid: limits on both sides (some priced through the mid,
 * so they take liquidity before resting), market orders that sweep several levels, and cancels of
 * recently placed limits (some already filled, hence unknown).
 */
function makeFlow(seed: number, length: number): Op[] {
  const random = mulberry32(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const ops: Op[] = [];
  const limitIds: number[] = [];
  let mid = 1_000;
  let nextId = 1;
  for (let i = 0; i < length; i++) {
    if (random() < 0.05) mid = Math.max(50, mid + int(-2, 2));
    const side: Side = random() < 0.5 ? 'BUY' : 'SELL';
    const r = random();
    if (r < 0.62) {
      // Mostly passive (behind the mid), sometimes up to 3 ticks through it.
      const offset = int(-3, 12);
      const price = side === 'BUY' ? mid - offset : mid + offset;
      const id = nextId++;
      limitIds.push(id);
      ops.push({ type: 'limit', id, side, price, size: int(1, 50) });
    } else if (r < 0.75) {
      ops.push({ type: 'market', id: nextId++, side, size: int(1, 120) });
    } else if (limitIds.length > 0) {
      // Recent orders are the ones most likely still live.
      const back = Math.min(limitIds.length - 1, Math.floor(random() * random() * 400));
      ops.push({ type: 'cancel', id: limitIds[limitIds.length - 1 - back] });
    }
  }
  return ops;
}

const peerSide = (side: Side) => (side === 'BUY' ? PeerSide.BUY : PeerSide.SELL);

/** Runs one op on our engine; returns its fills and whether a cancel found its order. */
function runOurs(book: OrderBook, op: Op): { fills: Fill[]; canceled?: boolean } {
  let result: CommandResult;
  switch (op.type) {
    case 'limit':
      result = book.execute({
        type: 'NEW',
        id: op.id,
        owner: op.id,
        side: op.side,
        orderType: 'LIMIT',
        tif: 'GTC',
        quantity: op.size,
        price: op.price,
      });
      break;
    case 'market':
      result = book.execute({
        type: 'NEW',
        id: op.id,
        owner: op.id,
        side: op.side,
        orderType: 'MARKET',
        tif: 'IOC',
        quantity: op.size,
      });
      break;
    case 'cancel':
      result = book.execute({ type: 'CANCEL', id: op.id });
      return { fills: [], canceled: result.code === 'OK' };
  }
  if (result.code !== 'OK') throw new Error(`op ${JSON.stringify(op)} rejected: ${JSON.stringify(result)}`);
  const fills: Fill[] = [];
  for (const e of result.events) {
    if (e.type === 'TRADE') fills.push({ makerId: e.makerOrderId, price: e.price, size: e.quantity });
  }
  return { fills };
}

function runPeer(book: PeerBook, op: Op): { fills: Fill[]; canceled?: boolean } {
  if (op.type === 'cancel') return { fills: [], canceled: book.cancel(String(op.id)) !== undefined };
  const takerId = String(op.id);
  const result =
    op.type === 'limit'
      ? book.limit({ side: peerSide(op.side), id: takerId, size: op.size, price: op.price })
      : book.market({ side: peerSide(op.side), size: op.size });
  if (result.err !== null) throw new Error(`op ${JSON.stringify(op)} failed in nodejs-order-book: ${result.err.message}`);
  const fills: Fill[] = result.done
    .filter((o) => o.id !== takerId)
    .map((o) => ({ makerId: Number(o.id), price: (o as { price: number }).price, size: o.size }));
  const partial = result.partial;
  if (partial !== null && partial.id !== takerId && result.partialQuantityProcessed > 0) {
    fills.push({ makerId: Number(partial.id), price: partial.price, size: result.partialQuantityProcessed });
  }
  return { fills };
}

/** Both books as [price, quantity] levels, best first. */
function ourLevels(book: OrderBook) {
  const depth = book.depth(Number.MAX_SAFE_INTEGER);
  const levels = (side: typeof depth.bids) => side.map((l) => [l.price, l.quantity]);
  return { bids: levels(depth.bids), asks: levels(depth.asks) };
}

function peerLevels(book: PeerBook) {
  const [asks, bids] = book.depth();
  return { bids, asks };
}

describe('OrderBook vs nodejs-order-book on limit / market / cancel flows', () => {
  it.each([1, 2, 3])('fills and books agree on seeded flow %i', (seed) => {
    const ops = makeFlow(seed, 20_000);
    const ours = new OrderBook({ tickSize: 1, lotSize: 1 });
    const peer = new PeerBook();
    const stats = { fills: 0, sweeps: 0, liveCancels: 0, goneCancels: 0, deepest: 0 };

    ops.forEach((op, step) => {
      const a = runOurs(ours, op);
      const b = runPeer(peer, op);
      // step and op on both sides: a failure's diff says where the flows parted.
      if (JSON.stringify(a) !== JSON.stringify(b)) expect({ step, op, ...a }).toEqual({ step, op, ...b });
      stats.fills += a.fills.length;
      if (new Set(a.fills.map((f) => f.price)).size > 1) stats.sweeps += 1;
      if (op.type === 'cancel') stats[a.canceled ? 'liveCancels' : 'goneCancels'] += 1;
      if (step % 100 === 0) {
        const levels = ourLevels(ours);
        expect({ step, ...levels }).toEqual({ step, ...peerLevels(peer) });
        stats.deepest = Math.max(stats.deepest, levels.bids.length + levels.asks.length);
      }
    });
    expect(ourLevels(ours)).toEqual(peerLevels(peer));

    // The comparison is only as good as the flow: it must have traded a lot, swept several price
    // levels in one command, grown a book of many levels, cancelled live orders and tried to
    // cancel gone ones.
    expect(stats.fills).toBeGreaterThan(5_000);
    expect(stats.sweeps).toBeGreaterThan(1_000);
    expect(stats.deepest).toBeGreaterThan(40);
    expect(stats.liveCancels).toBeGreaterThan(1_000);
    expect(stats.goneCancels).toBeGreaterThan(1_000);
  });
});
