// Matching engine benchmark: our OrderBook against nodejs-order-book and hft-limit-order-book.
//
//   npm run bench:engine
//
// Every flow is generated once, before any timing, and written to a temp directory; each run is
// a fresh child process (bench/engine/child.ts) that loads the flow, replays it on one engine and
// prints one JSON line. Runs alternate between engines (A B C A B C ...) so drift in machine load
// spreads over all of them. Every run's fill checksum must equal the one the flow generator's own
// model predicts, which makes all engines agree with each other too.
//
// Environment (all optional):
//   BENCH_ROUNDS=3                 throughput runs per engine and flow (median reported)
//   BENCH_SIZES=100000,1000000,5000000   operations of the realistic flow, one table each
//   BENCH_FLOWS=realistic,shallow,deep
//   BENCH_SHALLOW_OPS=1000000      operations of the shallow flow
//   BENCH_DEEP_RESTING=100000      resting orders before the deep sweeps
//   BENCH_DEEP_SWEEPS=300          market sweeps (each followed by refills)
//   BENCH_LATENCY=1                0 skips the per-operation latency runs
//   BENCH_PEER_LARGE_OPS=2000000   flows at least this long are "large" for the peers, which then
//   BENCH_PEER_LARGE_ROUNDS=1        get this many throughput rounds
//   BENCH_PEER_DEADLINE_S=20         and stop after this long (ops/s over what they processed)
//   BENCH_DEADLINE_S=600           safety deadline of every other run
//   BENCH_SEED=20240601

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildResult, EngineName, Mode } from './child.js';
import {
  CHECKPOINT_OPS,
  type ChecksumValue,
  type FlowSpec,
  type FlowSummary,
  generateFlow,
  writeFlow,
} from './flows.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const childScript = join(here, 'child.ts');

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const num = (name: string, fallback: number) => Number(env(name, String(fallback)));

const ROUNDS = num('BENCH_ROUNDS', 3);
const SIZES = env('BENCH_SIZES', '100000,1000000,5000000').split(',').map(Number);
const FLOWS = env('BENCH_FLOWS', 'realistic,shallow,deep').split(',');
const SHALLOW_OPS = num('BENCH_SHALLOW_OPS', 1_000_000);
const DEEP_RESTING = num('BENCH_DEEP_RESTING', 100_000);
const DEEP_SWEEPS = num('BENCH_DEEP_SWEEPS', 300);
const LATENCY = env('BENCH_LATENCY', '1') !== '0';
const PEER_LARGE_OPS = num('BENCH_PEER_LARGE_OPS', 2_000_000);
const PEER_LARGE_ROUNDS = num('BENCH_PEER_LARGE_ROUNDS', 1);
const PEER_DEADLINE_S = num('BENCH_PEER_DEADLINE_S', 20);
const DEADLINE_S = num('BENCH_DEADLINE_S', 600);
const SEED = num('BENCH_SEED', 20240601);

const OURS: EngineName = 'ours';
const PEERS: EngineName[] = ['nodejs-order-book', 'hft-limit-order-book'];
/** Not a peer: the ceiling of plain JavaScript on these flows (see bareLadderStep in child.ts). */
const CEILING: EngineName = 'bare-ladder';
const ENGINES: EngineName[] = [OURS, ...PEERS, CEILING];

const log = (msg: string) => process.stderr.write(`${msg}\n`);

function runChild(engine: EngineName, dir: string, mode: Mode, deadlineS: number): ChildResult | { error: string } {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', childScript, engine, dir, mode, String(deadlineS)],
    { cwd: repoRoot, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) {
    return { error: `exit ${child.status ?? child.signal}: ${child.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  }
  return JSON.parse(line) as ChildResult;
}

interface Case {
  title: string;
  spec: FlowSpec;
}

function cases(): Case[] {
  const list: Case[] = [];
  if (FLOWS.includes('realistic')) {
    for (const size of SIZES) {
      list.push({ title: `realistic, ${fmtInt(size)} ops`, spec: { name: 'realistic', size, seed: SEED } });
    }
  }
  if (FLOWS.includes('shallow')) {
    list.push({
      title: `shallow, ${fmtInt(SHALLOW_OPS)} ops`,
      spec: { name: 'shallow', size: SHALLOW_OPS, seed: SEED + 1 },
    });
  }
  if (FLOWS.includes('deep')) {
    list.push({
      title: `deep sweep, ${fmtInt(DEEP_RESTING)} resting + ${DEEP_SWEEPS} sweeps with refills`,
      spec: { name: 'deep', size: DEEP_RESTING, sweeps: DEEP_SWEEPS, seed: SEED + 2 },
    });
  }
  return list;
}

/** The model's checksum for the prefix a run processed (the whole flow when it completed). */
function expectedFor(summary: FlowSummary, r: ChildResult): ChecksumValue | undefined {
  if (r.completed) return summary.expected;
  return summary.checkpoints[r.ops / CHECKPOINT_OPS - 1];
}

const sameChecksum = (a: ChecksumValue | undefined, b: ChecksumValue) =>
  a !== undefined &&
  a.fills === b.fills &&
  a.quantity === b.quantity &&
  a.notional === b.notional &&
  a.hash === b.hash;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmtK(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(0)}k`;
}

function fmtNs(ns: number | undefined): string {
  if (ns === undefined) return '-';
  if (ns < 1_000) return `${ns.toFixed(0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(1)} µs`;
  return `${(ns / 1_000_000).toFixed(1)} ms`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '))
    .join('\n');
}

function main(): void {
  const workDir = mkdtempSync(join(tmpdir(), 'bench-engine-'));
  let failures = 0;
  const started = Date.now();
  log(
    `engine benchmark: rounds=${ROUNDS}, realistic sizes=${SIZES.join('/')}, flows=${FLOWS.join(',')}; ` +
      `peers at >= ${fmtInt(PEER_LARGE_OPS)} ops: ${PEER_LARGE_ROUNDS} round(s), stopped after ${PEER_DEADLINE_S} s`,
  );
  try {
    for (const c of cases()) {
      const genStart = Date.now();
      const flow = generateFlow(c.spec);
      const dir = join(workDir, `${c.spec.name}-${flow.summary.ops}`);
      writeFlow(dir, flow);
      const summary = flow.summary;
      log(`\n${c.title}: generated ${fmtInt(summary.ops)} ops in ${Date.now() - genStart} ms`);

      const large = summary.ops >= PEER_LARGE_OPS;
      const isPeer = (e: EngineName) => PEERS.includes(e);
      const roundsOf = (e: EngineName) => (isPeer(e) && large ? Math.min(PEER_LARGE_ROUNDS, ROUNDS) : ROUNDS);
      const deadlineOf = (e: EngineName) => (isPeer(e) && large ? PEER_DEADLINE_S : DEADLINE_S);

      const results = new Map<EngineName, { throughput: ChildResult[]; latency?: ChildResult; errors: string[] }>(
        ENGINES.map((e) => [e, { throughput: [], errors: [] }]),
      );
      const record = (engine: EngineName, mode: Mode) => {
        const r = runChild(engine, dir, mode, deadlineOf(engine));
        const slot = results.get(engine)!;
        if ('error' in r) {
          slot.errors.push(r.error);
          log(`  ${engine} ${mode}: FAILED ${r.error}`);
          return;
        }
        if (mode === 'throughput') slot.throughput.push(r);
        else slot.latency = r;
        log(
          `  ${engine.padEnd(21)} ${mode.padEnd(10)} ${fmtInt(r.opsPerSec).padStart(11)} ops/s` +
            (r.completed ? '' : `  (stopped after ${fmtInt(r.ops)} ops)`),
        );
      };
      // A B C, A B C, ...: alternate engines within every round.
      for (let round = 0; round < ROUNDS; round++) {
        for (const e of ENGINES) if (round < roundsOf(e)) record(e, 'throughput');
      }
      if (LATENCY) for (const e of ENGINES) record(e, 'latency');

      // Fills: every run must match the generator's model (and so every other run).
      const mismatches: string[] = [];
      for (const [engine, slot] of results) {
        for (const r of [...slot.throughput, ...(slot.latency ? [slot.latency] : [])]) {
          if (!sameChecksum(expectedFor(summary, r), r.checksum)) {
            mismatches.push(`${engine} ${r.mode}: ${JSON.stringify(r.checksum)} after ${r.ops} ops`);
          }
        }
        failures += slot.errors.length;
      }
      failures += mismatches.length;

      const medians = new Map<EngineName, number>();
      for (const [e, slot] of results) {
        if (slot.throughput.length > 0) medians.set(e, median(slot.throughput.map((r) => r.opsPerSec)));
      }
      const fastestPeer = Math.max(...PEERS.map((p) => medians.get(p) ?? 0));
      const ceiling = medians.get(CEILING) ?? 0;
      const laterMedians = new Map<EngineName, number>();
      for (const [e, slot] of results) {
        const later = slot.throughput.flatMap((r) => (r.laterHalfOpsPerSec === undefined ? [] : [r.laterHalfOpsPerSec]));
        if (later.length > 0) laterMedians.set(e, median(later));
      }
      const fastestPeerLater = Math.max(...PEERS.map((p) => laterMedians.get(p) ?? 0));

      const rows: string[][] = [
        [
          'engine', 'runs', 'median ops/s', 'min-max ops/s', 'p50', 'p99', 'p99.9', 'max', 'peak RSS', 'vs fastest peer',
          'ceiling / engine', 'later half ops/s', 'later half vs peer',
        ],
      ];
      const notes: string[] = [];
      for (const [engine, slot] of results) {
        const m = medians.get(engine);
        const later = laterMedians.get(engine);
        const lat = slot.latency?.latencyNs;
        const all = [...slot.throughput, ...(slot.latency ? [slot.latency] : [])];
        const partial = all.filter((r) => !r.completed);
        // Latency runs hold 8 more bytes per operation (the samples): RSS comes from throughput runs.
        const peakRss = slot.throughput.length > 0 ? median(slot.throughput.map((r) => r.maxRssKB)) : undefined;
        rows.push([
          engine + (partial.length > 0 ? ' *' : ''),
          String(slot.throughput.length),
          m === undefined ? 'failed' : fmtInt(m),
          slot.throughput.length === 0
            ? '-'
            : `${fmtK(Math.min(...slot.throughput.map((r) => r.opsPerSec)))}-${fmtK(Math.max(...slot.throughput.map((r) => r.opsPerSec)))}`,
          fmtNs(lat?.p50),
          fmtNs(lat?.p99),
          fmtNs(lat?.p999),
          fmtNs(lat?.max),
          peakRss === undefined ? '-' : `${(peakRss / 1024).toFixed(0)} MB`,
          m === undefined || fastestPeer === 0 ? '-' : `${(m / fastestPeer).toFixed(2)}x`,
          m === undefined || ceiling === 0 ? '-' : `${(ceiling / m).toFixed(2)}x`,
          later === undefined ? '-' : fmtInt(later),
          later === undefined || fastestPeerLater === 0 ? '-' : `${(later / fastestPeerLater).toFixed(2)}x`,
        ]);
        if (partial.length > 0) {
          notes.push(
            `* ${engine}: ${partial.length} run(s) stopped at the ${PEER_DEADLINE_S} s limit, after ` +
              `${partial.map((r) => fmtInt(r.ops)).join(' / ')} of ${fmtInt(summary.ops)} ops; ` +
              `its figures cover those prefixes`,
          );
        }
      }

      const e = summary.expected;
      console.log(`\n== ${c.title}`);
      console.log(
        `   flow: ${fmtInt(summary.limits)} limits, ${fmtInt(summary.markets)} markets, ${fmtInt(summary.cancels)} cancels; ` +
          `resting orders: ${fmtInt(summary.restingMax)} max, ${fmtInt(summary.restingAtEnd)} at end on ${fmtInt(summary.levelsAtEnd)} levels`,
      );
      console.log(
        mismatches.length === 0
          ? `   fills check: OK, all runs = model: ${fmtInt(e.fills)} fills, qty ${fmtInt(e.quantity)}, ` +
              `notional ${fmtInt(e.notional)}, hash ${e.hash.toString(16).padStart(8, '0')}`
          : `   fills check: MISMATCH (model: ${JSON.stringify(e)})\n     ${mismatches.join('\n     ')}`,
      );
      console.log(table(rows));
      for (const note of notes) console.log(`   ${note}`);
      if (large) {
        console.log(
          `   peers at this size: ${Math.min(PEER_LARGE_ROUNDS, ROUNDS)} throughput round(s) instead of ${ROUNDS}, ` +
            `each run limited to ${PEER_DEADLINE_S} s`,
        );
      }
    }
    console.log(
      '\nops/s: median of the throughput runs (no per-op timers). p50/p99/p99.9/max: one separate run per\n' +
        'engine, each operation timed alone with process.hrtime.bigint() (includes a ~40-50 ns timer floor;\n' +
        'max is one sample and may be a GC pause or, in the deep flow, one market order sweeping ~100 levels).\n' +
        'peak RSS: the child\'s own high-water mark (Linux VmHWM; resourceUsage().maxRSS elsewhere, which on\n' +
        'Linux would include the parent\'s RSS at spawn), median over throughput runs; includes the flow arrays\n' +
        '(14 bytes per operation), the same for every engine. vs fastest peer: median ops/s divided by\n' +
        'the faster peer median. Peers take string ids: String(id) per order is part of their cost.\n' +
        'later half: ops/s over the second half of the same throughput runs (from the clock reading\n' +
        'nearest the middle), without the JIT warm-up and first growth of the run\'s start; a short run\n' +
        '(realistic 100k, deep sweep) spends much of its time there, which the whole-run figure includes.\n' +
        'bare-ladder is not an engine: a dense integer-tick ladder over typed arrays with O(1) cancel and\n' +
        'nothing else (no validation, stops, events or id index), i.e. the ceiling of plain JavaScript here;\n' +
        '"ceiling / engine" says how many times slower than that ceiling each engine runs.\n' +
        'ours is made with capacity = the flow\'s largest number of resting orders rounded up to a power\n' +
        'of two, so its orders are allocated before the clock starts, as the bare ladder\'s arrays are (the\n' +
        'OMS sizes a book it restores from its open orders); the peers have no such setting.',
    );
    log(`\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  if (failures > 0) {
    console.error(`\n${failures} run(s) failed or disagreed on fills`);
    process.exitCode = 1;
  }
}

main();
