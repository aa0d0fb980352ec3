/**
 * Coinbase Exchange's public WebSocket feed as a market-data source (no key needed). One socket
 * subscribes every product to `ticker` (best bid/ask → quotes), `matches` (every trade → prints) and
 * `heartbeat`; the product ids are the symbols (`BTC-USD`).
 *
 * Trades come from the matches channel only: a ticker's `price` is the same trade again (the ticker
 * batches a cascade of matches), so counting it too would print every trade twice.
 */
import WebSocket from 'ws';
import { backoffDelay, type FeedState, type MarketDataSink, type MarketDataSource } from '../market-data.js';
import { readFrame, subscribeMessage, type CoinbaseEvent } from './coinbase-wire.js';

export const COINBASE_FEED_URL = 'wss://ws-feed.exchange.coinbase.com';

export interface CoinbaseSourceOptions {
  /** The feed's address (MARKET_DATA_STREAM_URL); Coinbase's public feed by default. */
  readonly url?: string;
  /** Reconnect backoff bounds (defaults 1 s and 30 s). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Silence after which a connected link counts as `stale` and is replaced (default 10 s). */
  readonly staleMs?: number;
}

/** How long a handshake may take before the attempt counts as failed. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** ws 8 reports a refused handshake as an error with this text; 429 is the provider's connection rate limit. */
const REFUSED_HANDSHAKE = /Unexpected server response: (\d+)/;

export class CoinbaseSource implements MarketDataSource {
  readonly name = 'coinbase';
  private readonly url: string;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly staleMs: number;
  private sink: MarketDataSink | undefined;
  private products: ReadonlySet<string> = new Set();
  private socket: WebSocket | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  private stopped = false;
  private state: FeedState | undefined;
  /** The provider's complaint last reported, so the same one on every retry is reported once. */
  private complaint: string | undefined;
  /** The latest sequence delivered per kind and product: a replay after a reconnect must not move prices back. */
  private readonly latest = new Map<string, number>();

  constructor(options: CoinbaseSourceOptions = {}) {
    this.url = options.url ?? COINBASE_FEED_URL;
    this.retryMinMs = options.retryMinMs ?? 1_000;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.staleMs = options.staleMs ?? 10_000;
  }

  /** Resolves at once: the link's progress (and trouble) reaches the sink as states. */
  async start(symbols: readonly string[], sink: MarketDataSink): Promise<void> {
    if (this.sink) throw new Error('the coinbase source is already started');
    this.sink = sink;
    this.products = new Set(symbols);
    this.report('connecting');
    this.connect();
  }

  /** Closes the socket and cancels a pending reconnect; resolves once the socket is closed. */
  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const ws = this.socket;
    this.socket = undefined;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      ws.once('close', () => resolve());
      // A handshake in progress has no close handshake to wait for.
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000);
    });
  }

  private connect(): void {
    this.retryTimer = undefined;
    const ws = new WebSocket(this.url, { handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
    this.socket = ws;
    /** Why this connection failed, for the state's detail. */
    let failure: string | undefined;
    /** This connection's trouble is reported already (the provider's word, or silence): its close is no news. */
    let complained = false;
    /**
     * Heartbeats come every second per product, so silence means a dead link: a half-open TCP
     * connection never closes by itself. Armed once open, so a subscribe never acknowledged trips it too.
     */
    let silence: ReturnType<typeof setTimeout> | undefined;

    ws.on('open', () => {
      ws.send(subscribeMessage([...this.products]));
      silence = setTimeout(() => {
        // Stays `stale` through the reconnect: a link that is silent again on every retry is reported once.
        complained = true;
        this.report('stale', `no message for ${this.staleMs} ms`, true);
        ws.terminate();
      }, this.staleMs);
    });
    ws.on('message', (data, isBinary) => {
      if (ws !== this.socket) return;
      silence?.refresh();
      // Nothing may escape into ws's emitter: a bad frame or a failing sink costs that frame only.
      try {
        if (isBinary) return this.sink!.skipped('binary frame');
        const event = readFrame(data.toString(), this.products);
        if (event.kind === 'error') {
          complained = true;
          this.report(event.connectionLimit ? 'connection_limit' : 'connecting', event.detail, true);
          ws.close(1000);
          return;
        }
        this.deliver(event);
      } catch (err) {
        this.sink!.skipped(`frame not handled: ${(err as Error).message}`);
      }
    });
    ws.on('error', (err) => {
      if (ws !== this.socket) return;
      const status = REFUSED_HANDSHAKE.exec(err.message)?.[1];
      if (status === '429') {
        complained = true;
        this.report('connection_limit', 'connection refused: HTTP 429 (too many connections)', true);
      }
      failure ??= err.message;
    });
    ws.on('close', (code) => {
      clearTimeout(silence);
      if (ws !== this.socket) return;
      this.socket = undefined;
      if (this.stopped) return;
      if (!complained) this.report('connecting', failure ?? `connection closed (${code})`);
      // The sink may have stopped the source on hearing it.
      if (this.stopped) return;
      this.retryTimer = setTimeout(() => this.connect(), backoffDelay(this.attempt++, this.retryMinMs, this.retryMaxMs));
    });
  }

  private deliver(event: Exclude<CoinbaseEvent, { kind: 'error' }>): void {
    const sink = this.sink!;
    switch (event.kind) {
      case 'subscribed':
        this.attempt = 0;
        this.report('ok');
        return;
      case 'alive':
        return;
      case 'skipped':
        sink.skipped(event.reason);
        return;
      case 'trade':
        if (this.inOrder('trade', event.print.symbol, event.sequence)) sink.trade(event.print);
        return;
      case 'quote':
        if (this.inOrder('quote', event.quote.symbol, event.sequence)) sink.quote(event.quote);
        return;
    }
  }

  /**
   * Trades and quotes are ordered apart: a ticker carries the sequence of the match it follows, so
   * one shared counter would drop it. An equal sequence is a duplicate (the `last_match` sent after
   * every subscribe), skipped like an older one.
   */
  private inOrder(kind: 'trade' | 'quote', symbol: string, sequence: number | null): boolean {
    if (sequence === null) return true;
    const key = `${kind} ${symbol}`;
    const last = this.latest.get(key);
    if (last !== undefined && sequence <= last) {
      this.sink!.skipped(`${kind} ${symbol}: sequence ${sequence} is not after ${last}`);
      return false;
    }
    this.latest.set(key, sequence);
    return true;
  }

  /**
   * Each change of state once, however many retries repeat it. A provider's complaint is news even
   * when the state stays (a refused subscribe leaves the link `connecting`), but only the first time.
   */
  private report(state: FeedState, detail?: string, complaint = false): void {
    if (state === this.state && !(complaint && detail !== this.complaint)) return;
    this.state = state;
    this.complaint = complaint ? detail : undefined;
    this.sink!.state(state, detail);
  }
}
