// Seeded order flows for the engine benchmark, generated before any timing starts.
//
// A flow is five parallel typed arrays (one entry per operation), so a child process can load
// millions of operations without allocating an object per operation, and every engine replays
// exactly the same bytes.
//
// To choose realistic cancels ("cancel an order that is live now") and sweeps ("a market order
// big enough to eat the top 40 levels"), the generator has to know what the book looks like, so it
// runs its own small price-time matcher (a dense price ladder with a doubly linked FIFO list per
// level). As a bonus that model predicts the fills of the flow, which gives the benchmark a fourth,
// independent witness for the engines' fill checksums.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../../src/market/seeded-random.js';

export const LIMIT = 0;
export const MARKET = 1;
export const CANCEL = 2;
export const BUY = 0;
export const SELL = 1;

export type FlowName = 'realistic' | 'shallow' | 'deep';

export interface FlowSummary {
  readonly name: FlowName;
  readonly ops: number;
  readonly seed: number;
  readonly limits: number;
  readonly markets: number;
  readonly cancels: number;
  /** Resting orders in the model book, at the end and at the largest. */
  readonly restingAtEnd: number;
  readonly restingMax: number;
  readonly levelsAtEnd: number;
  /** Fill checksum predicted by the model (see FillChecksum). */
  readonly expected: ChecksumValue;
  /**
   * The model's checksum after every CHECKPOINT_OPS operations (entry k: after (k + 1) *
   * CHECKPOINT_OPS), to verify runs that a deadline stopped at such a boundary.
   */
  readonly checkpoints: ChecksumValue[];
}

/** Children check their deadline, and may stop, only after a multiple of this many operations. */
export const CHECKPOINT_OPS = 16_384;

export interface Flow {
  readonly summary: FlowSummary;
  readonly kind: Uint8Array;
  readonly side: Uint8Array;
  readonly price: Int32Array;
  readonly size: Int32Array;
  /** LIMIT / MARKET: the new order's id (unique in the flow); CANCEL: the target's id. */
  readonly id: Int32Array;
}

export interface ChecksumValue {
  readonly fills: number;
  readonly quantity: number;
  readonly notional: number;
  readonly hash: number;
}

/**
 * Order-sensitive summary of a sequence of (price, quantity) fills: an FNV-1a style hash plus
 * totals. Cheap enough to fold in inside the timed loop, the same work for every engine.
 */
export class FillChecksum {
  fills = 0;
  quantity = 0;
  notional = 0;
  hash = 0x811c9dc5;

  add(price: number, quantity: number): void {
    this.fills += 1;
    this.quantity += quantity;
    this.notional += price * quantity;
    this.hash = Math.imul(this.hash ^ price, 0x01000193);
    this.hash = Math.imul(this.hash ^ quantity, 0x01000193);
  }

  value(): ChecksumValue {
    return { fills: this.fills, quantity: this.quantity, notional: this.notional, hash: this.hash >>> 0 };
  }
}


// Prices are integer ticks on a ladder wide enough that a drifting mid never leaves it.
const LADDER = 40_000;
const START_MID = 20_000;
const MID_MIN = 5_000;
const MID_MAX = 35_000;

/**
 * The generator's model book. Both sides share one ladder: at rest bids are all below asks, so a
 * price level holds orders of one side only.
 */
export class ModelBook {
  readonly head = new Int32Array(LADDER).fill(-1);
  readonly tail = new Int32Array(LADDER).fill(-1);
  readonly count = new Int32Array(LADDER);
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly remaining: Int32Array;
  readonly orderPrice: Int32Array;
  readonly orderSide: Uint8Array;
  /** Live order ids, for uniform random cancels: swap-remove, with each id's index. */
  readonly live: Int32Array;
  readonly livePos: Int32Array;
  liveCount = 0;
  levels = 0;
  bestBid = -1;
  bestAsk = LADDER;
  constructor(
    maxIds: number,
    readonly checksum = new FillChecksum(),
  ) {
    this.next = new Int32Array(maxIds);
    this.prev = new Int32Array(maxIds);
    this.remaining = new Int32Array(maxIds);
    this.orderPrice = new Int32Array(maxIds);
    this.orderSide = new Uint8Array(maxIds);
    this.live = new Int32Array(maxIds);
    this.livePos = new Int32Array(maxIds).fill(-1);
  }

  /** Price-time matching of an incoming order; `limit` -1 means a market order. */
  match(side: number, size: number, limit: number): number {
    let left = size;
    if (side === BUY) {
      while (left > 0 && this.bestAsk < LADDER && (limit < 0 || this.bestAsk <= limit)) {
        left = this.takeLevel(this.bestAsk, left);
      }
    } else {
      while (left > 0 && this.bestBid >= 0 && (limit < 0 || this.bestBid >= limit)) {
        left = this.takeLevel(this.bestBid, left);
      }
    }
    return left;
  }

  private takeLevel(price: number, left: number): number {
    while (left > 0 && this.head[price] >= 0) {
      const maker = this.head[price];
      const q = Math.min(left, this.remaining[maker]);
      this.checksum.add(price, q);
      left -= q;
      this.remaining[maker] -= q;
      if (this.remaining[maker] === 0) this.remove(maker);
    }
    return left;
  }

  rest(id: number, side: number, price: number, size: number): void {
    this.remaining[id] = size;
    this.orderPrice[id] = price;
    this.orderSide[id] = side;
    this.next[id] = -1;
    this.prev[id] = this.tail[price];
    if (this.tail[price] >= 0) this.next[this.tail[price]] = id;
    else {
      this.head[price] = id;
      this.levels += 1;
    }
    this.tail[price] = id;
    this.count[price] += 1;
    if (side === BUY && price > this.bestBid) this.bestBid = price;
    if (side === SELL && price < this.bestAsk) this.bestAsk = price;
    this.livePos[id] = this.liveCount;
    this.live[this.liveCount++] = id;
  }

  remove(id: number): void {
    const price = this.orderPrice[id];
    const p = this.prev[id];
    const n = this.next[id];
    if (p >= 0) this.next[p] = n;
    else this.head[price] = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail[price] = p;
    this.count[price] -= 1;
    this.remaining[id] = 0;
    const pos = this.livePos[id];
    const last = this.live[--this.liveCount];
    this.live[pos] = last;
    this.livePos[last] = pos;
    this.livePos[id] = -1;
    if (this.head[price] < 0) {
      this.levels -= 1;
      // The ladder is dense, so finding the next best level is a short scan.
      if (price === this.bestBid) {
        while (this.bestBid >= 0 && this.head[this.bestBid] < 0) this.bestBid -= 1;
      }
      if (price === this.bestAsk) {
        while (this.bestAsk < LADDER && this.head[this.bestAsk] < 0) this.bestAsk += 1;
      }
    }
  }

  isLive(id: number): boolean {
    return this.livePos[id] >= 0;
  }
}

class FlowWriter {
  readonly kind: Uint8Array;
  readonly side: Uint8Array;
  readonly price: Int32Array;
  readonly size: Int32Array;
  readonly id: Int32Array;
  n = 0;
  nextId = 1;
  limits = 0;
  markets = 0;
  cancels = 0;
  restingMax = 0;
  readonly checkpoints: ChecksumValue[] = [];

  constructor(
    readonly capacity: number,
    readonly book: ModelBook,
  ) {
    this.kind = new Uint8Array(capacity);
    this.side = new Uint8Array(capacity);
    this.price = new Int32Array(capacity);
    this.size = new Int32Array(capacity);
    this.id = new Int32Array(capacity);
  }

  private push(kind: number, side: number, price: number, size: number, id: number): void {
    const i = this.n;
    this.kind[i] = kind;
    this.side[i] = side;
    this.price[i] = price;
    this.size[i] = size;
    this.id[i] = id;
  }

  /** Called once the model has applied the operation just pushed. */
  private applied(): void {
    this.n += 1;
    if (this.n % CHECKPOINT_OPS === 0) this.checkpoints.push(this.book.checksum.value());
    if (this.book.liveCount > this.restingMax) this.restingMax = this.book.liveCount;
  }

  limit(side: number, price: number, size: number): void {
    const id = this.nextId++;
    this.push(LIMIT, side, price, size, id);
    this.limits += 1;
    const left = this.book.match(side, size, price);
    if (left > 0) this.book.rest(id, side, price, left);
    this.applied();
  }

  market(side: number, size: number): void {
    // Market orders carry an id too: our engine needs one, the peers ignore it.
    this.push(MARKET, side, 0, size, this.nextId++);
    this.markets += 1;
    this.book.match(side, size, -1);
    this.applied();
  }

  cancel(id: number): void {
    this.push(CANCEL, 0, 0, 0, id);
    this.cancels += 1;
    if (this.book.isLive(id)) this.book.remove(id);
    this.applied();
  }

  finish(name: FlowName, seed: number): Flow {
    const summary: FlowSummary = {
      name,
      ops: this.n,
      seed,
      limits: this.limits,
      markets: this.markets,
      cancels: this.cancels,
      restingAtEnd: this.book.liveCount,
      restingMax: this.restingMax,
      levelsAtEnd: this.book.levels,
      expected: this.book.checksum.value(),
      checkpoints: this.checkpoints,
    };
    const cut = <T extends Uint8Array | Int32Array>(a: T) => a.subarray(0, this.n) as T;
    return {
      summary,
      kind: cut(this.kind),
      side: cut(this.side),
      price: cut(this.price),
      size: cut(this.size),
      id: cut(this.id),
    };
  }
}

/**
 * (1) Realistic: ~70% limits around a slowly drifting mid (mostly passive, spread exponentially
 * over ~20 ticks, some marketable), ~10% market orders, ~20% cancels of live orders picked
 * uniformly. Market order sizes follow the book's size so it settles at thousands of resting
 * orders instead of growing without bound or draining.
 */
function realistic(ops: number, seed: number): Flow {
  const random = mulberry32(seed);
  const book = new ModelBook(ops + 2);
  const w = new FlowWriter(ops, book);
  const TARGET_RESTING = 8_000;
  let mid = START_MID;
  for (let i = 0; i < ops; i++) {
    if (random() < 0.02) mid = Math.min(MID_MAX, Math.max(MID_MIN, mid + (random() < 0.5 ? -1 : 1)));
    const side = random() < 0.5 ? BUY : SELL;
    const r = random();
    if (r < 0.7 || book.liveCount === 0) {
      // 8% marketable (up to 3 ticks through the mid), the rest passive.
      const offset = random() < 0.08 ? -Math.floor(random() * 4) : 1 + Math.floor(-Math.log(1 - random()) * 20);
      const price = side === BUY ? mid - offset : mid + offset;
      w.limit(side, price, 1 + Math.floor(random() * 100));
    } else if (r < 0.8) {
      const pressure = Math.min(8, Math.max(0.1, book.liveCount / TARGET_RESTING) ** 3);
      w.market(side, 1 + Math.floor(random() * 300 * pressure));
    } else {
      w.cancel(book.live[Math.floor(random() * book.liveCount)]);
    }
  }
  return w.finish('realistic', seed);
}

/**
 * (2) Shallow: a thin book a few ticks wide, a couple of hundred resting orders; most cancels hit
 * the first levels (quote updates near the touch), some anywhere.
 */
function shallow(ops: number, seed: number): Flow {
  const random = mulberry32(seed);
  const book = new ModelBook(ops + 2);
  const w = new FlowWriter(ops, book);
  const TARGET_RESTING = 200;
  let mid = START_MID;
  for (let i = 0; i < ops; i++) {
    if (random() < 0.02) mid = Math.min(MID_MAX, Math.max(MID_MIN, mid + (random() < 0.5 ? -1 : 1)));
    const side = random() < 0.5 ? BUY : SELL;
    const r = random();
    if (r < 0.65 || book.liveCount === 0) {
      const offset = random() < 0.08 ? 0 : 1 + Math.floor(-Math.log(1 - random()) * 2);
      const price = side === BUY ? mid - offset : mid + offset;
      w.limit(side, price, 1 + Math.floor(random() * 100));
    } else if (r < 0.75) {
      const pressure = Math.min(8, Math.max(0.1, book.liveCount / TARGET_RESTING) ** 3);
      w.market(side, 1 + Math.floor(random() * 150 * pressure));
    } else {
      w.cancel(random() < 0.8 ? nearTop(book, side, random) : book.live[Math.floor(random() * book.liveCount)]);
    }
  }
  return w.finish('shallow', seed);
}

/** An order in the first three levels of one side (the other side if that one is empty). */
function nearTop(book: ModelBook, preferred: number, random: () => number): number {
  for (const side of [preferred, 1 - preferred]) {
    let price = side === BUY ? book.bestBid : book.bestAsk;
    const step = side === BUY ? -1 : 1;
    const candidates: number[] = [];
    for (let levels = 0; levels < 3 && price >= 0 && price < LADDER; price += step) {
      if (book.head[price] < 0) continue;
      levels += 1;
      for (let id = book.head[price]; id >= 0 && candidates.length < 64; id = book.next[id]) candidates.push(id);
    }
    if (candidates.length > 0) return candidates[Math.floor(random() * candidates.length)];
  }
  return book.live[Math.floor(random() * book.liveCount)];
}

/**
 * (3) Deep sweep: `resting` limit orders on 2 x 1,250 levels (20 per level on average), then market
 * sweeps through 20 to 120 levels at once, each followed by limit orders that refill the levels
 * it emptied, so every sweep meets a deep book.
 */
function deep(resting: number, sweeps: number, seed: number): Flow {
  const random = mulberry32(seed);
  const perLevel = 20;
  const levelsPerSide = Math.ceil(resting / perLevel / 2);
  // Refills put back about as many orders as the sweep took; bound the array generously.
  const capacity = resting + sweeps * (1 + 130 * perLevel * 2);
  const book = new ModelBook(capacity + 2);
  const w = new FlowWriter(capacity, book);
  for (let i = 0; i < resting; i++) {
    const side = i % 2 === 0 ? BUY : SELL;
    const level = 1 + Math.floor(random() * levelsPerSide);
    w.limit(side, side === BUY ? START_MID - level : START_MID + level, 1 + Math.floor(random() * 100));
  }
  for (let s = 0; s < sweeps; s++) {
    const side = random() < 0.5 ? BUY : SELL;
    const levels = 20 + Math.floor(random() * 101);
    // Size the sweep from the model book: everything on the first `levels` opposite levels.
    let size = 0;
    const swept: number[] = [];
    let price = side === BUY ? book.bestAsk : book.bestBid;
    const step = side === BUY ? 1 : -1;
    for (; swept.length < levels && price >= 0 && price < LADDER; price += step) {
      if (book.head[price] < 0) continue;
      swept.push(price);
      for (let id = book.head[price]; id >= 0; id = book.next[id]) size += book.remaining[id];
    }
    if (size === 0) continue;
    w.market(side, size);
    // Refill the emptied levels on the side that was swept, in random order.
    const refillSide = 1 - side;
    for (const p of swept) {
      const n = perLevel - 5 + Math.floor(random() * 11);
      for (let k = 0; k < n; k++) w.limit(refillSide, p, 1 + Math.floor(random() * 100));
    }
  }
  return w.finish('deep', seed);
}

export interface FlowSpec {
  readonly name: FlowName;
  /** realistic / shallow: operations; deep: resting orders before the sweeps. */
  readonly size: number;
  readonly seed: number;
  /** deep only. */
  readonly sweeps?: number;
}

export function generateFlow(spec: FlowSpec): Flow {
  switch (spec.name) {
    case 'realistic':
      return realistic(spec.size, spec.seed);
    case 'shallow':
      return shallow(spec.size, spec.seed);
    case 'deep':
      return deep(spec.size, spec.sweeps ?? 300, spec.seed);
  }
}

// A flow is written to a directory once by the parent and read by every child: regenerating 5M
// operations (with the model matcher) in each of dozens of children would cost more than the
// runs being measured.
const ARRAYS = ['kind', 'side', 'price', 'size', 'id'] as const;

export function writeFlow(dir: string, flow: Flow): void {
  mkdirSync(dir, { recursive: true });
  for (const name of ARRAYS) {
    const a = flow[name];
    writeFileSync(join(dir, `${name}.bin`), Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  }
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(flow.summary));
}

export function readFlow(dir: string): Flow {
  const bytes = (name: string) => {
    const b = readFileSync(join(dir, `${name}.bin`));
    // Copy into a fresh, aligned ArrayBuffer: small Buffers live at odd offsets in a shared pool.
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  };
  return {
    summary: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as FlowSummary,
    kind: new Uint8Array(bytes('kind')),
    side: new Uint8Array(bytes('side')),
    price: new Int32Array(bytes('price')),
    size: new Int32Array(bytes('size')),
    id: new Int32Array(bytes('id')),
  };
}
