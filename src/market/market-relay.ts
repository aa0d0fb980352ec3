import type { Logger } from 'pino';
import type { Bar, FeedState, MarketDataSink, MarketDataSource, Quote, TradePrint } from './market-data.js';
import { wallClock, type MarketClock } from './market-clock.js';

/** Sends one message to every process (in a cluster: a fenced NOTIFY, see MarketLease). */
export type PublishMarket = (payload: string) => Promise<void>;

/** A channel's payload is small (PostgreSQL's NOTIFY: 8000 bytes): a flush is cut into messages of at most this many items. */
const ITEMS_PER_MESSAGE = 40;

/** One relayed message: the latest of each symbol since the last, and the holder's market clock. */
interface RelayMessage {
  /** The market clock (ms): a replay's file time, else the holder's wall clock. */
  readonly c: number;
  readonly s?: FeedState;
  readonly t?: { y: string; p: number; z: string; at: number }[];
  readonly q?: { y: string; b: number | null; a: number | null; at: number }[];
  readonly b?: { y: string; at: number; o: number; h: number; l: number; c: number; v: string }[];
}

/**
 * The sink of the one process that runs the source for a cluster: conflates what the source
 * delivers (the latest trade and quote of each symbol, the latest bar of each) and publishes it,
 * at most one flush in flight, so however fast the provider sends, the other processes hear the
 * latest of each symbol at the pace their connection takes it.
 */
export class MarketPublisher implements MarketDataSink {
  private readonly trades = new Map<string, TradePrint>();
  private readonly quotes = new Map<string, Quote>();
  private readonly bars = new Map<string, Bar>();
  private pendingState: FeedState | null = null;
  /** The link's state, in every message: a process that starts later hears it too. */
  private current: FeedState | null = null;
  private due: NodeJS.Immediate | null = null;
  private inFlight: Promise<void> | null = null;
  private beat: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly publish: PublishMarket,
    private readonly clock: MarketClock,
    private readonly logger: Logger,
    heartbeatMs: number,
  ) {
    // The clock moves without prints too (sessions open and close by it on every process).
    this.beat = setInterval(() => this.wake(), heartbeatMs);
    this.beat.unref();
  }

  trade(print: TradePrint): void {
    this.trades.set(print.symbol, print);
    this.wake();
  }

  quote(quote: Quote): void {
    this.quotes.set(quote.symbol, quote);
    this.wake();
  }

  bar(bar: Bar): void {
    this.bars.set(bar.symbol, bar);
    this.wake();
  }

  state(state: FeedState): void {
    this.pendingState = state;
    this.current = state;
    this.wake();
  }

  skipped(reason: string): void {
    this.logger.debug({ reason }, 'market data frame skipped');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.beat) clearInterval(this.beat);
    if (this.due) clearImmediate(this.due);
    await this.inFlight;
  }

  private wake(): void {
    if (this.stopped || this.due || this.inFlight) return;
    this.due = setImmediate(() => {
      this.due = null;
      this.inFlight = this.flush().finally(() => {
        this.inFlight = null;
        if (this.trades.size + this.quotes.size + this.bars.size > 0 || this.pendingState) this.wake();
      });
    });
  }

  private async flush(): Promise<void> {
    const c = this.clock.now().getTime();
    const t = [...this.trades.values()].map((p) => ({ y: p.symbol, p: p.price, z: p.size, at: p.time.getTime() }));
    const q = [...this.quotes.values()].map((x) => ({ y: x.symbol, b: x.bid, a: x.ask, at: x.time.getTime() }));
    const b = [...this.bars.values()].map((x) => ({ y: x.symbol, at: x.time.getTime(), o: x.open, h: x.high, l: x.low, c: x.close, v: x.volume }));
    const s = this.current ?? undefined;
    this.trades.clear();
    this.quotes.clear();
    this.bars.clear();
    this.pendingState = null;
    const messages: RelayMessage[] = [];
    for (let i = 0; i === 0 || i < Math.max(t.length, q.length, b.length); i += ITEMS_PER_MESSAGE) {
      const part = (xs: readonly unknown[]) => xs.slice(i, i + ITEMS_PER_MESSAGE);
      messages.push({ c, ...(s ? { s } : {}), t: part(t), q: part(q), b: part(b) } as RelayMessage);
    }
    try {
      for (const message of messages) await this.publish(JSON.stringify(message));
    } catch (error) {
      this.logger.warn({ err: error }, 'publishing market data to the cluster failed; the next prices go with the next flush');
    }
  }
}

/** Subscribes to what the source's process publishes; answers how to stop listening. */
export type ListenMarket = (deliver: (payload: string) => void) => Promise<() => Promise<void>>;

/**
 * Every process's market data source in a cluster: what the one process running the provider
 * publishes, handed to this process's LiveMarket as if it came from the provider (so its desks take
 * the prices, the house re-quotes on them, and a symbol goes stale when the relay goes quiet). Its
 * clock is the publisher's market clock as last heard (a replay's file time).
 */
export class RelayedMarketSource implements MarketDataSource, MarketClock {
  private sink: MarketDataSink | null = null;
  private heardClock: number | null = null;
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    readonly name: string,
    private readonly listen: ListenMarket,
    /** The clock before anything is heard (a replay's REPLAY_START, else the wall clock). */
    private readonly before: MarketClock,
  ) {}

  now(): Date {
    return this.heardClock === null ? this.before.now() : new Date(this.heardClock);
  }

  /** The market time last heard from the publisher; null before anything arrived. */
  get lastHeard(): Date | null {
    return this.heardClock === null ? null : new Date(this.heardClock);
  }

  async start(_symbols: readonly string[], sink: MarketDataSink): Promise<void> {
    this.sink = sink;
    this.unlisten = await this.listen((payload) => this.deliver(payload));
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
  }

  private deliver(payload: string): void {
    const sink = this.sink;
    if (!sink) return;
    let m: RelayMessage;
    try {
      m = JSON.parse(payload) as RelayMessage;
    } catch {
      sink.skipped('a relayed market data message that is not JSON');
      return;
    }
    if (typeof m.c === 'number') this.heardClock = m.c;
    if (m.s) sink.state(m.s);
    for (const x of m.q ?? []) sink.quote({ symbol: x.y, bid: x.b, ask: x.a, time: new Date(x.at) });
    for (const x of m.t ?? []) sink.trade({ symbol: x.y, price: x.p, size: x.z, time: new Date(x.at) });
    for (const x of m.b ?? []) sink.bar({ symbol: x.y, time: new Date(x.at), open: x.o, high: x.h, low: x.l, close: x.c, volume: x.v });
  }
}

/**
 * Runs a provider for every process: its deliveries are conflated and published (a fresh source
 * each time this process takes the market over). Answers how to stop it.
 */
export function runPublishedSource(
  source: MarketDataSource & Partial<MarketClock>,
  symbols: readonly string[],
  publish: PublishMarket,
  logger: Logger,
  heartbeatMs: number,
): { stop(): Promise<void> } {
  const clock = typeof source.now === 'function' ? { now: () => source.now!() } : wallClock;
  const publisher = new MarketPublisher(publish, clock, logger, heartbeatMs);
  // A provider that does not answer holds nothing: its symbols go stale on every process until it does.
  source.start(symbols, publisher).catch((error: unknown) => logger.error({ err: error }, 'the market data source did not start'));
  return {
    async stop() {
      await source.stop().catch(() => undefined);
      await publisher.stop();
    },
  };
}
