import { open } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { MarketDataSink, MarketDataSource, Quote, TradePrint } from '../market-data.js';
import { LineReader } from './line-reader.js';
import { EXPECTED_HEADERS, isoTime, readHeader, readRow, type CsvLayout, type ReplayRow } from './replay-csv.js';

export interface ReplayOptions {
  /** The CSV to replay (`REPLAY_FILE`); see replay-csv.ts for its two layouts. */
  readonly file: string;
  /** `REPLAY_SPEED`: 1 = the file's own pace, 60 = a minute a second, 0 = as fast as the sink takes it. Default 1. */
  readonly speed?: number;
  /**
   * `REPLAY_START`: fork a session from this moment. Rows before it are not delivered; the last print
   * and quote of each symbol before it are, first, so the desk opens on the prices of that moment.
   */
  readonly start?: Date;
  /** The length of a bars file's bars (their end is when they are known). Default one minute. */
  readonly barMs?: number;
  /** Waits `ms` of wall time; must settle when `signal` aborts (stop). Default: a real timer. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Wall time in ms, only differences matter. Default: performance.now(). */
  readonly clock?: () => number;
}

/** The default wait: a timer that stop() cancels, so no timer outlives the replay. */
export function timerSleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}

const SPEED = /^\d{1,9}(?:\.\d{1,9})?$/;
/**
 * At full speed, the longest the replay runs before the event loop gets a turn: the desks' commits
 * (and the re-quotes after them), the API and the feed are then served every few ms instead of
 * after each chunk of the file, whose lines would otherwise be delivered in one unbroken run.
 */
const FULL_SPEED_SLICE_MS = 2;

/** Options from `REPLAY_FILE`, `REPLAY_SPEED` and `REPLAY_START`; throws naming the variable that is wrong. */
export function replayOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): ReplayOptions {
  const file = env.REPLAY_FILE?.trim();
  if (!file) throw new Error('REPLAY_FILE: the path of the CSV to replay is required');
  const speedText = env.REPLAY_SPEED?.trim() || '1';
  if (!SPEED.test(speedText)) throw new Error(`REPLAY_SPEED: ${JSON.stringify(speedText)} is not a number >= 0 (1 = the file's pace, 60 = a minute a second, 0 = as fast as possible)`);
  const startText = env.REPLAY_START?.trim();
  if (!startText) return { file, speed: Number(speedText) };
  const start = isoTime(startText);
  if (start === null) throw new Error(`REPLAY_START: ${JSON.stringify(startText)} is not an ISO 8601 time with an offset (e.g. 2024-06-14T11:00:00-04:00)`);
  return { file, speed: Number(speedText), start: new Date(start) };
}

/**
 * Replays a CSV of trades or bars into the sink, paced by the file's own clock, which it also exposes
 * (`now()`) so the desk's sessions and DAY expiry follow the replayed day. The file is streamed, never
 * loaded whole. The same file and options always give the same sequence of sink calls.
 */
export class ReplaySource implements MarketDataSource {
  readonly name = 'replay';
  private readonly speed: number;
  private readonly startAt: number | null;
  private readonly barMs: number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly clock: () => number;
  private readonly abort = new AbortController();
  /** Settles on stop(), so a wait ends even when an injected sleep ignores its signal. */
  private readonly stopped: Promise<void>;
  private fileTime: number | null = null;
  /** Wall time of the last turn given to the event loop at full speed. */
  private sliceStart = -Infinity;
  private run: Promise<void> | null = null;
  private close: () => void = () => undefined;

  constructor(private readonly options: ReplayOptions) {
    this.speed = options.speed ?? 1;
    if (!Number.isFinite(this.speed) || this.speed < 0) throw new Error(`replay speed must be a number >= 0, not ${this.speed}`);
    this.barMs = options.barMs ?? 60_000;
    if (!Number.isInteger(this.barMs) || this.barMs <= 0) throw new Error(`replay bar length must be a positive number of ms, not ${this.barMs}`);
    this.startAt = options.start ? options.start.getTime() : null;
    if (Number.isNaN(this.startAt)) throw new Error('replay start is not a valid time');
    this.sleep = options.sleep ?? timerSleep;
    this.clock = options.clock ?? (() => performance.now());
    this.stopped = new Promise((resolve) => this.abort.signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  /**
   * The market clock: the time of the last delivered row (a bar's end), or `start` once forked. Before
   * anything is delivered (start() not yet resolved, or a file with no row to deliver): `start`, else
   * the Unix epoch.
   */
  now(): Date {
    return new Date(this.fileTime ?? this.startAt ?? 0);
  }

  /**
   * Opens the file, reads its header (rejecting when the file cannot be opened or its header is of no
   * known layout: a configuration mistake to fix, not a feed state) and resolves once the replay is
   * positioned: the fork's state delivered, or the first row, so the clock and prices are set.
   */
  async start(symbols: readonly string[], sink: MarketDataSink): Promise<void> {
    if (this.run || this.abort.signal.aborted) throw new Error('a replay source starts once');
    const handle = await open(this.options.file, 'r');
    const input = handle.createReadStream({ encoding: 'utf8' });
    this.close = () => input.destroy();
    // The stream's iterator reads a chunk when asked, so a large file stays on disk.
    const reader = new LineReader(input[Symbol.asyncIterator]());
    let lineNo = 0;
    let layout: CsvLayout | null = null;
    for (let line = await reader.next(); line !== undefined; line = await reader.next()) {
      lineNo++;
      if (isNote(line)) continue;
      layout = readHeader(line);
      if (!layout) {
        this.close();
        throw new Error(`${this.options.file}: line ${lineNo} is not a known header (expected ${EXPECTED_HEADERS})`);
      }
      break;
    }
    if (!layout) {
      this.close();
      throw new Error(`${this.options.file}: no header line (expected ${EXPECTED_HEADERS})`);
    }
    sink.state('ok');
    let positioned = (): void => undefined;
    const ready = new Promise<void>((resolve) => (positioned = resolve));
    this.run = this.replay(reader, lineNo, layout, new Set(symbols), sink, positioned);
    await ready;
  }

  /** Resolves when the replay is over: the end of the file, a read error (state `ended` with it) or stop(). */
  finished(): Promise<void> {
    return this.run ?? Promise.resolve();
  }

  /** Ends the replay at once, even mid-wait at speed 1, and closes the file. No `ended` state: nothing ended by itself. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.close();
    await this.run;
  }

  private async replay(
    reader: LineReader,
    headerLine: number,
    layout: CsvLayout,
    symbols: ReadonlySet<string>,
    sink: MarketDataSink,
    positioned: () => void,
  ): Promise<void> {
    let lineNo = headerLine;
    // The last readable row, for the order check: time order is the file's, whatever the symbols.
    let last: ReplayRow | null = null;
    // Wall and file time of the pace's origin: each row is due at origin + file gap / speed, so the
    // timers' own lateness does not add up over a long replay.
    let origin: { file: number; wall: number } | null = null;
    // Each symbol's last print and quote before `start`; null once the fork is delivered (or without `start`).
    let fork: Map<string, { print?: TradePrint; quote?: Quote }> | null = this.startAt === null ? null : new Map();

    const deliverFork = (forkAt: number, states: Map<string, { print?: TradePrint; quote?: Quote }>): { file: number; wall: number } => {
      this.fileTime = forkAt;
      // In the order the desk listed its symbols: deterministic, whatever the file's order.
      for (const symbol of symbols) {
        const state = states.get(symbol);
        if (state?.print) sink.trade(state.print);
        if (state?.quote) sink.quote(state.quote);
      }
      return { file: forkAt, wall: this.clock() };
    };
    // start() resolves once positioned; the starter hears it before the next row is delivered.
    let isPositioned = false;
    const position = (): Promise<void> | null => {
      if (isPositioned) return null;
      isPositioned = true;
      positioned();
      return new Promise((resolve) => setImmediate(resolve));
    };

    try {
      // Lines already read are taken without an await; one per chunk, and the pace's own when it waits.
      for (let line = reader.take(); !this.abort.signal.aborted; line = reader.take()) {
        if (line === undefined) {
          if (!(await reader.more())) break;
          continue;
        }
        lineNo++;
        if (isNote(line)) continue;
        const row = readRow(layout, line, this.barMs);
        if (typeof row === 'string') {
          sink.skipped(`line ${lineNo}: ${row}`);
          continue;
        }
        if (last && row.at < last.at) {
          sink.skipped(`line ${lineNo}: out of time order (${rowTime(row)} after ${rowTime(last)})`);
          continue;
        }
        last = row;
        if (!symbols.has(row.symbol)) continue;

        if (fork && this.startAt !== null) {
          if (row.at < this.startAt) {
            const state = fork.get(row.symbol) ?? {};
            fork.set(row.symbol, { print: row.print, quote: row.quote ?? state.quote });
            continue;
          }
          origin = deliverFork(this.startAt, fork);
          fork = null;
          const told = position();
          if (told) await told;
        }
        if (origin) {
          const wait = this.pace(origin, row.at);
          if (wait) await wait;
        } else origin = { file: row.at, wall: this.clock() };
        if (this.abort.signal.aborted) break;
        this.deliver(row, sink);
        const told = position();
        if (told) await told;
      }
      if (this.abort.signal.aborted) return;
      // A fork after the file's last row still opens on the day's final prices.
      if (fork && this.startAt !== null) deliverFork(this.startAt, fork);
      sink.state('ended');
    } catch (error) {
      if (!this.abort.signal.aborted) sink.state('ended', `read error: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.close();
      positioned();
    }
  }

  /** The wait before a row is due, or null when it is due now (most rows at full speed: no await for them). */
  private pace(origin: { file: number; wall: number }, at: number): Promise<unknown> | null {
    if (this.speed === 0) {
      const now = this.clock();
      if (now - this.sliceStart < FULL_SPEED_SLICE_MS) return null;
      this.sliceStart = now;
      return new Promise((resolve) => setImmediate(resolve));
    }
    const wait = origin.wall + (at - origin.file) / this.speed - this.clock();
    return wait > 0 ? Promise.race([this.sleep(wait, this.abort.signal), this.stopped]) : null;
  }

  /** The clock moves first, so whatever the sink does with a row already sees the row's time as now(). */
  private deliver(row: ReplayRow, sink: MarketDataSink): void {
    this.fileTime = row.at;
    if (row.bar) sink.bar(row.bar);
    sink.trade(row.print);
    if (row.quote) sink.quote(row.quote);
  }
}

/** A row's own time as the file gives it (a bar's start), for messages. */
function rowTime(row: ReplayRow): string {
  return (row.bar?.time ?? row.print.time).toISOString();
}

/** Blank lines and `#` comment lines (a sample file documents itself) are neither data nor errors. */
function isNote(line: string): boolean {
  const text = line.trim();
  return text === '' || text.startsWith('#');
}
