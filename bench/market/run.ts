import { fork, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { percentile, table } from '../support/stats.js';
import { tapeSymbols, writeTradeTape } from './trade-tape.js';

interface ChildResult {
  mode: 'replay' | 'simulator';
  startMs: number;
  counts: { trades: number; quotes: number; bars: number; badTicks: number; skipped: number } | null;
  linkState: string | null;
  takenMs: number | null;
  sampled: number;
  first: number[];
  done: number[];
  unchanged: number;
  neverApplied: number;
  unresolved: number;
  phases: { toApplied: number[]; toQuoting: number[]; toCommitted: number[]; statements: number[] };
  statements: { ms: number; orders: number }[];
  loopDelayMs: { p50: number; p99: number; max: number };
  rss: number;
}

/**
 * npm run bench:market — market data into a desk with the house market maker on, in one run:
 *   (r) a replay at full speed (MARKET_DATA=replay, REPLAY_SPEED=0) of a seeded tape of BENCH_ROWS
 *       trade messages (default 1,000,000) over 50 symbols, and
 *   (s) the built-in simulator (MARKET_DATA=simulator) over the same 50 symbols for BENCH_SIMULATOR_SECONDS,
 * each in its own child process running the real service (startOmsService over a fresh embedded
 * PostgreSQL, durable commits), SIMULATOR_INTERVAL_MS (default 50: the house's tick) the same in both.
 * Reports the messages a second the replay's sink took (LiveMarket.counts, from the first print to
 * the source's `ended`) and the delay from a message to the house's re-quote of its symbol being
 * committed (see requote-tracker.ts), with the targets beside them. Prints, never fails.
 */
const here = dirname(fileURLToPath(import.meta.url));
const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
const symbols = tapeSymbols(50);
const intervalMs = process.env.SIMULATOR_INTERVAL_MS ?? '50';
const TARGET_RATE = 100_000;
const TARGET_P99_MS = 50;

const dir = mkdtempSync(join(tmpdir(), 'paper-desk-bench-market-'));
// The embedded PostgreSQL may run as another user, which must pass through to its data directory.
chmodSync(dir, 0o711);
const children = new Set<ChildProcess>();

function run(mode: 'replay' | 'simulator', file: string): Promise<{ child: ChildProcess; result: ChildResult }> {
  const child = fork(join(here, 'oms-child.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      BENCH_MODE: mode,
      BENCH_SYMBOLS: symbols.join(','),
      BENCH_DATA_DIR: join(dir, `data-${mode}`),
      REPLAY_FILE: file,
      SIMULATOR_INTERVAL_MS: intervalMs,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    // A child that hangs is ended: a benchmark stops by itself.
    const limit = setTimeout(() => reject(new Error(`${mode}: no result within 150 s`)), 150_000);
    child.once('message', (result) => {
      clearTimeout(limit);
      resolve({ child, result: result as ChildResult });
    });
    child.once('exit', (code) => {
      clearTimeout(limit);
      reject(new Error(`${mode} child exited with ${code}`));
    });
  });
}

/** Disconnecting tells the child to stop its service and remove its data; it exits by itself. */
async function finish(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.disconnect();
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(killer);
}

const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');

try {
  const file = join(dir, 'tape.csv');
  const t0 = performance.now();
  await writeTradeTape(file, rows, symbols);
  console.log(`tape: ${rows.toLocaleString('en')} trades over ${symbols.length} symbols, ${(statSync(file).size / 2 ** 20).toFixed(0)} MB, written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const replay = await run('replay', file);
  await finish(replay.child);
  const simulator = await run('simulator', file);
  await finish(simulator.child);
  const r = replay.result;
  const s = simulator.result;

  const rate = r.counts && r.takenMs ? (r.counts.trades * 1000) / r.takenMs : NaN;
  const messages = r.counts && r.takenMs ? ((r.counts.trades + r.counts.quotes) * 1000) / r.takenMs : NaN;
  const row = (name: string, x: ChildResult) => ({
    run: name,
    sampled: x.sampled,
    requotes: x.first.length,
    'first p50 ms': ms(percentile(x.first, 50)),
    'first p99 ms': ms(percentile(x.first, 99)),
    'done p50 ms': ms(percentile(x.done, 50)),
    'done p99 ms': ms(percentile(x.done, 99)),
    'first max ms': ms(percentile(x.first, 100)),
    unchanged: x.unchanged,
    'never applied': x.neverApplied,
    unresolved: x.unresolved,
    'RSS MB': Math.round(x.rss / 2 ** 20),
  });
  console.log(`\nbench:market — ${symbols.length} symbols, house on (SIMULATOR_INTERVAL_MS=${intervalMs}), durable commits\n`);
  console.log(
    table([
      {
        measure: 'trade messages taken / s (replay, REPLAY_SPEED=0)',
        value: Number.isFinite(rate) ? Math.round(rate).toLocaleString('en') : '-',
        target: `>= ${TARGET_RATE.toLocaleString('en')}`,
        met: rate >= TARGET_RATE ? 'yes' : 'no',
      },
      { measure: '  with their quotes (trade + quote messages / s)', value: Number.isFinite(messages) ? Math.round(messages).toLocaleString('en') : '-', target: '', met: '' },
      {
        measure: 're-quote delay p99, replay (print -> first modified house order committed)',
        value: `${ms(percentile(r.first, 99))} ms`,
        target: `< ${TARGET_P99_MS} ms`,
        met: percentile(r.first, 99) < TARGET_P99_MS ? 'yes' : 'no',
      },
      {
        measure: 're-quote delay p99, simulator (step -> first modified house order committed)',
        value: `${ms(percentile(s.first, 99))} ms`,
        target: `< ${TARGET_P99_MS} ms`,
        met: percentile(s.first, 99) < TARGET_P99_MS ? 'yes' : 'no',
      },
    ]),
  );
  console.log('');
  console.log(table([row('replay', r), row('simulator', s)]));
  console.log(
    `\nreplay: ${r.counts?.trades.toLocaleString('en')} trades and ${r.counts?.quotes.toLocaleString('en')} quotes taken in ${ms(r.takenMs ?? NaN)} ms` +
      ` (first print to \`ended\`), link ${r.linkState}, bad ticks ${r.counts?.badTicks}, skipped ${r.counts?.skipped}; service start ${ms(r.startMs)} ms`,
  );
  const steps = (name: string, x: ChildResult) => {
    const orders = x.statements.reduce((n, st) => n + st.orders, 0);
    const ms50 = (v: number[]) => `${ms(percentile(v, 50))} / ${ms(percentile(v, 99))}`;
    return {
      run: name,
      'message -> price in desk': ms50(x.phases.toApplied),
      'price in desk -> re-quote starts': ms50(x.phases.toQuoting),
      're-quote starts -> committed': ms50(x.phases.toCommitted),
      'statements waited': `${percentile(x.phases.statements, 50)} / ${percentile(x.phases.statements, 99)}`,
      statements: x.statements.length,
      'statement ms': ms50(x.statements.map((st) => st.ms)),
      'orders / statement': x.statements.length ? (orders / x.statements.length).toFixed(0) : '-',
      'event loop delay ms p50 / p99 / max': `${ms(x.loopDelayMs.p50)} / ${ms(x.loopDelayMs.p99)} / ${ms(x.loopDelayMs.max)}`,
    };
  };
  console.log('\nwhere the delay goes (p50 / p99 ms of each step of the sampled messages) and the group commit statements meanwhile:\n');
  console.log(table([steps('replay', r), steps('simulator', s)]));
  const ratio = (p: number) => (percentile(r.first, p) / percentile(s.first, p)).toFixed(2);
  console.log(`replay / simulator re-quote delay: p50 ${ratio(50)}x, p99 ${ratio(99)}x`);
  console.log(
    'how: probes on the real classes in the child (no change to src): a sampled print is stamped when LiveMarket takes it' +
      ` (1 in ${process.env.BENCH_SAMPLE_EVERY ?? 200} per symbol; every simulator step), carried to the next reference price the desk takes for` +
      ' its symbol, then to the next house re-quote of it; "first" is when that re-quote\'s first modified order is committed (the desk\'s' +
      ' `orders` event, after its commit), "done" when all its levels are.',
  );
} finally {
  for (const child of children) await finish(child);
  rmSync(dir, { recursive: true, force: true });
}
