// One benchmark run in a fresh process: one engine, one flow, one mode. Prints one JSON line.
//
//   node --import tsx bench/engine/child.ts <engine> <flowDir> <throughput|latency> <deadlineSeconds>
//
// throughput: the flow runs untouched between two clock reads, so ops/s carries no timer cost.
// latency:    every operation is timed on its own with process.hrtime.bigint(); the two clock
//             reads add a roughly constant ~50-100 ns to each sample (reported as timerNs).
// Both fold every fill into a checksum inside the loop, the same work for every engine.

import { readFileSync } from 'node:fs';
import { OrderBook as HftBook } from 'hft-limit-order-book';
import { OrderBook as NobBook, Side as NobSide } from 'nodejs-order-book';
import { OrderBook, TRADE } from '../../src/engine/index.js';
import { BUY, CANCEL, CHECKPOINT_OPS, FillChecksum, type Flow, LIMIT, ModelBook, readFlow } from './flows.js';

export type EngineName = 'ours' | 'nodejs-order-book' | 'hft-limit-order-book' | 'bare-ladder';
export type Mode = 'throughput' | 'latency';

export interface ChildResult {
  engine: EngineName;
  flow: string;
  mode: Mode;
  ops: number;
  /** False when the deadline stopped the run early; figures then cover the first `ops` only. */
  completed: boolean;
  elapsedNs: number;
  opsPerSec: number;
  /**
   * Throughput runs: ops/s over the later half of the operations processed (from the checkpoint
   * nearest the middle to the end), which leaves out JIT warm-up and the first growth of the book.
   */
  laterHalfOpsPerSec?: number;
  latencyNs?: { p50: number; p99: number; p999: number; max: number };
  timerNs?: number;
  maxRssKB: number;
  checksum: { fills: number; quantity: number; notional: number; hash: number };
}

type Step = (i: number) => void;

/**
 * Our engine: commands in, TRADE events out. Every order has its own owner, so no STP. Through
 * submit(), which leaves the events in the book's reusable output columns instead of building
 * event objects: the path the OMS takes too. The book is made with room for the flow's deepest book
 * (the bare ladder is sized to the flow's ids too).
 */
function oursStep(flow: Flow, sum: FillChecksum): Step {
  const book = new OrderBook({ tickSize: 1, lotSize: 1, capacity: roomFor(flow.summary.restingMax) });
  const { kind, side, price, size, id } = flow;
  return (i) => {
    const k = kind[i];
    if (k === CANCEL) {
      book.submit({ type: 'CANCEL', id: id[i] });
    } else {
      book.submit({
        type: 'NEW',
        id: id[i],
        owner: id[i],
        side: side[i] === BUY ? 'BUY' : 'SELL',
        orderType: k === LIMIT ? 'LIMIT' : 'MARKET',
        tif: k === LIMIT ? 'GTC' : 'IOC',
        quantity: size[i],
        price: k === LIMIT ? price[i] : undefined,
      });
    }
    const out = book.output;
    const kinds = out.kind;
    for (let e = 0; e < out.length; e++) {
      if (kinds[e] === TRADE) sum.add(out.price[e], out.quantity[e]);
    }
  };
}

/** The capacity a book is given for `orders` live orders: the next power of two, for headroom. */
function roomFor(orders: number): number {
  let capacity = 1;
  while (capacity < orders) capacity *= 2;
  return capacity;
}

/**
 * The ceiling: the flow generator's own model, a dense integer-tick price ladder over typed arrays
 * with O(1) cancel and nothing else (no validation, no stops, no events, no index of external ids:
 * it relies on the flow's ids being small dense integers). No real engine can beat it; it shows
 * how close to plain JavaScript's limit the others run.
 */
function bareLadderStep(flow: Flow, sum: FillChecksum): Step {
  let maxId = 0;
  for (let i = 0; i < flow.id.length; i++) if (flow.id[i] > maxId) maxId = flow.id[i];
  const book = new ModelBook(maxId + 1, sum);
  const { kind, side, price, size, id } = flow;
  return (i) => {
    const k = kind[i];
    if (k === CANCEL) {
      if (book.isLive(id[i])) book.remove(id[i]);
    } else if (k === LIMIT) {
      const left = book.match(side[i], size[i], price[i]);
      if (left > 0) book.rest(id[i], side[i], price[i], left);
    } else {
      book.match(side[i], size[i], -1);
    }
  };
}

/** The part of both peers' result objects the benchmark reads. */
interface PeerResult {
  done: ArrayLike<{ id: string; price?: number; size: number }>;
  partial: { id: string; price: number } | null;
  partialQuantityProcessed: number;
}

/**
 * Both peers share one API (same author) and report fills the same way: makers filled completely
 * in `done` (size = the fill), at most one partly filled maker in `partial`, which is always the
 * last fill. The taker itself can appear in `done` (fully filled, average price) or `partial`
 * (rested after trading), hence the id filter. Ids are strings in their API: String(id) is part
 * of what a caller of these libraries has to pay.
 */
function peerStep(
  flow: Flow,
  sum: FillChecksum,
  book: {
    limit(o: { side: never; id: string; size: number; price: number }): PeerResult;
    market(o: { side: never; size: number }): PeerResult;
    cancel(id: string): unknown;
  },
  buy: string,
  sell: string,
): Step {
  const { kind, side, price, size, id } = flow;
  const record = (result: PeerResult, takerId: string) => {
    const done = result.done;
    for (let d = 0; d < done.length; d++) {
      const o = done[d];
      if (o.id !== takerId) sum.add(o.price!, o.size);
    }
    const p = result.partial;
    if (p !== null && p.id !== takerId && result.partialQuantityProcessed > 0) {
      sum.add(p.price, result.partialQuantityProcessed);
    }
  };
  return (i) => {
    const k = kind[i];
    if (k === CANCEL) {
      book.cancel(String(id[i]));
      return;
    }
    const s = (side[i] === BUY ? buy : sell) as never;
    if (k === LIMIT) {
      const takerId = String(id[i]);
      record(book.limit({ side: s, id: takerId, size: size[i], price: price[i] }), takerId);
    } else {
      record(book.market({ side: s, size: size[i] }), '');
    }
  };
}

function makeStep(engine: EngineName, flow: Flow, sum: FillChecksum): Step {
  switch (engine) {
    case 'ours':
      return oursStep(flow, sum);
    case 'bare-ladder':
      return bareLadderStep(flow, sum);
    case 'nodejs-order-book':
      return peerStep(flow, sum, new NobBook() as never, NobSide.BUY, NobSide.SELL);
    case 'hft-limit-order-book':
      // Its Side enum has the same 'buy' / 'sell' values; conditional orders stay disabled.
      return peerStep(flow, sum, new HftBook() as never, 'buy', 'sell');
  }
}

/**
 * Peak resident memory of this process, in KB. On Linux, process.resourceUsage().maxRSS is not
 * usable here: the kernel carries a process's maxrss across fork + exec, so a child reports at
 * least the RSS its parent had when it spawned the child (and the parent holds freshly generated
 * flows). /proc/self/status VmHWM is the high-water mark of this process's own memory since exec.
 */
function peakRssKB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // Not Linux: fall through to maxRSS, which is accurate where it is not inherited.
  }
  return process.resourceUsage().maxRSS;
}

/** Median cost of two back-to-back hrtime.bigint() reads: the floor under every latency sample. */
function timerOverheadNs(): number {
  const samples = new Float64Array(10_001);
  for (let i = 0; i < samples.length; i++) {
    const t0 = process.hrtime.bigint();
    samples[i] = Number(process.hrtime.bigint() - t0);
  }
  samples.sort();
  return samples[samples.length >> 1];
}

function main(): void {
  const [engine, flowDir, mode, deadlineArg] = process.argv.slice(2) as [EngineName, string, Mode, string];
  const flow = readFlow(flowDir);
  const n = flow.kind.length;
  const sum = new FillChecksum();
  const step = makeStep(engine, flow, sum);
  const deadline = process.hrtime.bigint() + BigInt(Math.round(Number(deadlineArg) * 1e9));
  // The deadline is checked once per CHECKPOINT_OPS operations, so its cost does not show and a
  // stopped run ends where the flow has a reference checksum.
  const CHECK = CHECKPOINT_OPS - 1;

  let done = 0;
  let completed = true;
  let latencyNs: ChildResult['latencyNs'];
  let timerNs: number | undefined;
  let elapsedNs = 0;
  const start = process.hrtime.bigint();
  let laterHalfOpsPerSec: number | undefined;
  if (mode === 'throughput') {
    // The clock is read at every checkpoint anyway (the deadline); keeping the readings costs a
    // push per CHECKPOINT_OPS operations.
    const marks: bigint[] = [];
    for (let i = 0; i < n; i++) {
      step(i);
      if ((i & CHECK) === CHECK) {
        const now = process.hrtime.bigint();
        marks.push(now);
        if (now > deadline) {
          done = i + 1;
          completed = false;
          break;
        }
      }
    }
    const end = process.hrtime.bigint();
    elapsedNs = Number(end - start);
    const processed = completed ? n : done;
    const k = marks.length >> 1;
    if (k > 0) {
      const fromOps = k * CHECKPOINT_OPS;
      laterHalfOpsPerSec = (processed - fromOps) / (Number(end - marks[k - 1]) / 1e9);
    }
  } else {
    const samples = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      step(i);
      samples[i] = Number(process.hrtime.bigint() - t0);
      if ((i & CHECK) === CHECK && process.hrtime.bigint() > deadline) {
        done = i + 1;
        completed = false;
        break;
      }
    }
    elapsedNs = Number(process.hrtime.bigint() - start);
    const measured = completed ? samples : samples.subarray(0, done);
    measured.sort();
    const at = (q: number) => measured[Math.min(measured.length - 1, Math.floor(q * measured.length))];
    latencyNs = { p50: at(0.5), p99: at(0.99), p999: at(0.999), max: measured[measured.length - 1] };
    timerNs = timerOverheadNs();
  }
  if (completed) done = n;

  const result: ChildResult = {
    engine,
    flow: flow.summary.name,
    mode,
    ops: done,
    completed,
    elapsedNs,
    opsPerSec: done / (elapsedNs / 1e9),
    laterHalfOpsPerSec,
    latencyNs,
    timerNs,
    maxRssKB: peakRssKB(),
    checksum: sum.value(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main();
