import { type Logger, pino } from 'pino';
import { type RawData, WebSocket } from 'ws';
import { backoffDelay, type FeedState, type MarketDataSink, type MarketDataSource } from '../market-data.js';
import { alpacaSymbol, isCrypto, readFrame, readSnapshots, type StreamMessage } from './alpaca-wire.js';

/**
 * Alpaca's market data (stream v2): trades, quotes and minute bars of US stocks (feed `iex` or `sip`)
 * and crypto pairs, with first prices from the REST snapshots. Stocks and crypto are separate
 * endpoints, so a mixed symbol list opens two connections; the sink sees the worse of their states.
 */
export interface AlpacaSourceOptions {
  /** APCA_API_KEY_ID / APCA_API_SECRET_KEY: sent to Alpaca only, never logged. */
  readonly keyId: string;
  readonly secretKey: string;
  /** Stocks feed, ALPACA_DATA_FEED: `iex` (free plans) unless the account has `sip`. */
  readonly feed?: string;
  /** Stream base, MARKET_DATA_STREAM_URL; the stocks and crypto paths are appended. */
  readonly streamUrl?: string;
  /** REST base, MARKET_DATA_REST_URL. */
  readonly restUrl?: string;
  readonly retryMinMs?: number;
  /** Also the pace of retries while Alpaca refuses the credentials. */
  readonly retryMaxMs?: number;
  /** How long the snapshots request, or a stream's opening handshake, may take. */
  readonly requestTimeoutMs?: number;
  readonly logger?: Logger;
  readonly random?: () => number;
}

interface Endpoint {
  readonly label: 'stocks' | 'crypto';
  readonly crypto: boolean;
  readonly streamUrl: string;
  readonly snapshotsUrl: string;
  /** Alpaca's names (BTC/USD). */
  readonly symbols: readonly string[];
}

/** What the links share: settings, where data goes, and how to say their state changed. */
interface LinkContext {
  readonly keyId: string;
  readonly secretKey: string;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  readonly requestTimeoutMs: number;
  readonly sink: MarketDataSink;
  readonly logger: Logger;
  readonly random: () => number;
  changed(): void;
}

/** Worst first: the state the sink sees is the first one any link is in. */
const SEVERITY: readonly FeedState[] = ['invalid_auth', 'connection_limit', 'connecting', 'ok'];

/** Stream error codes meaning these credentials will not do: 402 auth failed, 409 insufficient subscription. */
const REFUSED_CREDENTIALS = new Set([402, 409]);

const LOG_MESSAGES: Partial<Record<FeedState, string>> = {
  ok: 'Alpaca market data streaming',
  connecting: 'connecting to Alpaca market data',
  invalid_auth: 'Alpaca refused the market data credentials (check APCA_API_KEY_ID / APCA_API_SECRET_KEY); retrying slowly',
  connection_limit: 'Alpaca refused another market data connection for this account; retrying with backoff',
};

export class AlpacaSource implements MarketDataSource {
  readonly name = 'alpaca';
  private readonly streamBase: string;
  private readonly restBase: string;
  private readonly feed: string;
  private readonly logger: Logger;
  private links: AlpacaLink[] = [];
  private reported: FeedState | undefined;
  private started = false;

  constructor(private readonly o: AlpacaSourceOptions) {
    this.feed = o.feed ?? 'iex';
    // The feed becomes part of a URL path: refuse anything that is not a feed's name.
    if (!/^[a-z_]+$/.test(this.feed)) throw new Error(`ALPACA_DATA_FEED must be a feed name such as iex or sip, not "${this.feed}"`);
    this.streamBase = (o.streamUrl ?? 'wss://stream.data.alpaca.markets').replace(/\/+$/, '');
    this.restBase = (o.restUrl ?? 'https://data.alpaca.markets').replace(/\/+$/, '');
    this.logger = o.logger ?? pino({ name: 'market-data' });
  }

  /** Resolves once the snapshots are delivered (or given up on) and the connections are under way. */
  async start(symbols: readonly string[], sink: MarketDataSink): Promise<void> {
    if (this.started) throw new Error('this Alpaca source is already started');
    this.started = true;
    const context: LinkContext = {
      keyId: this.o.keyId,
      secretKey: this.o.secretKey,
      retryMinMs: this.o.retryMinMs ?? 1_000,
      retryMaxMs: this.o.retryMaxMs ?? 60_000,
      requestTimeoutMs: this.o.requestTimeoutMs ?? 10_000,
      sink,
      logger: this.logger,
      random: this.o.random ?? Math.random,
      changed: () => this.report(sink),
    };
    this.links = this.endpoints(symbols).map((endpoint) => new AlpacaLink(endpoint, context));
    this.report(sink);
    await Promise.all(this.links.map((link) => link.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.links.map((link) => link.stop()));
  }

  private endpoints(symbols: readonly string[]): Endpoint[] {
    const stocks = [...new Set(symbols.filter((s) => !isCrypto(s)))];
    const crypto = [...new Set(symbols.filter(isCrypto).map(alpacaSymbol))];
    const endpoints: Endpoint[] = [];
    if (stocks.length > 0) {
      endpoints.push({
        label: 'stocks',
        crypto: false,
        streamUrl: `${this.streamBase}/v2/${this.feed}`,
        snapshotsUrl: `${this.restBase}/v2/stocks/snapshots?${new URLSearchParams({ symbols: stocks.join(','), feed: this.feed })}`,
        symbols: stocks,
      });
    }
    if (crypto.length > 0) {
      endpoints.push({
        label: 'crypto',
        crypto: true,
        streamUrl: `${this.streamBase}/v1beta3/crypto/us`,
        snapshotsUrl: `${this.restBase}/v1beta3/crypto/us/snapshots?${new URLSearchParams({ symbols: crypto.join(',') })}`,
        symbols: crypto,
      });
    }
    return endpoints;
  }

  /** Tells the sink (and the log) the worst state of the links, once per change. */
  private report(sink: MarketDataSink): void {
    const state = SEVERITY.find((s) => this.links.some((link) => link.state === s));
    if (state === undefined || state === this.reported) return;
    this.reported = state;
    const detail = this.links.find((link) => link.state === state)?.detail;
    sink.state(state, detail);
    const level = state === 'invalid_auth' ? 'error' : state === 'connection_limit' ? 'warn' : 'info';
    this.logger[level]({ market_data: state, source: this.name, detail }, LOG_MESSAGES[state] ?? `market data ${state}`);
  }
}

/**
 * One endpoint's connection: snapshots, then connect → auth → subscribe, and again after every drop.
 * Nothing here throws into the socket's handlers: unreadable input is counted through the sink.
 */
class AlpacaLink {
  state: FeedState = 'connecting';
  detail: string | undefined;
  private socket: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Attempts since the last subscription ack: the backoff step. */
  private failures = 0;
  /** The server refused this connection's credentials: the next attempt waits longest. */
  private credentialsRefused = false;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly endpoint: Endpoint,
    private readonly c: LinkContext,
  ) {}

  async start(): Promise<void> {
    await this.loadSnapshots();
    if (!this.stopped) this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    const socket = this.socket;
    if (socket === undefined || socket.readyState === WebSocket.CLOSED) return;
    await new Promise((resolve) => {
      socket.once('close', resolve);
      socket.terminate();
    });
  }

  /** First prices before the stream has any. A failure here is reported; the stream starts regardless. */
  private async loadSnapshots(): Promise<void> {
    let status: number;
    let body: string;
    try {
      const response = await fetch(this.endpoint.snapshotsUrl, {
        headers: { 'APCA-API-KEY-ID': this.c.keyId, 'APCA-API-SECRET-KEY': this.c.secretKey, accept: 'application/json' },
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.c.requestTimeoutMs)]),
      });
      status = response.status;
      body = await response.text();
    } catch (error) {
      if (!this.stopped) this.unavailable(`snapshots unavailable: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (status === 401 || status === 403) {
      this.change('invalid_auth', `snapshots refused the credentials (HTTP ${status})`);
    } else if (status !== 200) {
      this.unavailable(`snapshots unavailable: HTTP ${status}`);
    } else {
      for (const message of readSnapshots(body, this.endpoint.crypto)) this.deliver(message);
    }
  }

  private unavailable(reason: string): void {
    this.c.sink.skipped(reason);
    this.c.logger.warn({ source: 'alpaca', link: this.endpoint.label, reason }, 'Alpaca snapshots unavailable; streaming without first prices');
  }

  private connect(): void {
    this.credentialsRefused = false;
    const socket = new WebSocket(this.endpoint.streamUrl, { handshakeTimeout: this.c.requestTimeoutMs });
    this.socket = socket;
    socket.on('message', (data, isBinary) => this.onFrame(socket, data, isBinary));
    // Connection errors are followed by 'close', which schedules the next attempt.
    socket.on('error', (error) => this.c.logger.debug({ source: 'alpaca', link: this.endpoint.label, reason: error.message }, 'Alpaca socket error'));
    socket.on('close', () => this.onClose(socket));
  }

  private onFrame(socket: WebSocket, data: RawData, isBinary: boolean): void {
    try {
      if (isBinary) {
        this.c.sink.skipped('binary frame');
        return;
      }
      for (const message of readFrame(text(data))) this.onMessage(socket, message);
    } catch (error) {
      this.c.logger.warn({ source: 'alpaca', reason: error instanceof Error ? error.message : String(error) }, 'Alpaca frame not handled');
    }
  }

  private onMessage(socket: WebSocket, message: StreamMessage): void {
    switch (message.kind) {
      case 'success':
        if (message.msg === 'connected') this.send(socket, { action: 'auth', key: this.c.keyId, secret: this.c.secretKey });
        if (message.msg === 'authenticated') {
          const symbols = this.endpoint.symbols;
          this.send(socket, { action: 'subscribe', trades: symbols, quotes: symbols, bars: symbols });
        }
        return;
      case 'subscription':
        this.failures = 0;
        this.change('ok', undefined);
        return;
      case 'error':
        this.onStreamError(socket, message.code, message.msg);
        return;
      default:
        this.deliver(message);
    }
  }

  private onStreamError(socket: WebSocket, code: number, msg: string): void {
    const refusal = REFUSED_CREDENTIALS.has(code) ? 'invalid_auth' : code === 406 ? 'connection_limit' : undefined;
    if (refusal === undefined) {
      // Others (symbol limit, slow client, ...) are the server's to act on: it closes if it must.
      this.c.logger.warn({ source: 'alpaca', link: this.endpoint.label, code, msg }, 'Alpaca stream error');
      return;
    }
    this.credentialsRefused = refusal === 'invalid_auth';
    this.change(refusal, `${msg} (${code})`);
    // Not a polite close: a server that does not answer it would hold the retry for 30 s.
    socket.terminate();
  }

  private onClose(socket: WebSocket): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    if (this.stopped) return;
    // Refused credentials do not get better by asking often: retry at the slowest pace.
    const delay =
      this.credentialsRefused ? this.c.retryMaxMs : backoffDelay(this.failures++, this.c.retryMinMs, this.c.retryMaxMs, this.c.random);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped) this.connect();
    }, delay);
    // Last: the sink may stop the source from its state callback, and stop() must find the timer.
    if (this.state === 'ok') this.change('connecting', 'connection closed');
  }

  private send(socket: WebSocket, message: object): void {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  private deliver(message: StreamMessage): void {
    if (message.kind === 'trade') this.c.sink.trade(message.print);
    else if (message.kind === 'quote') this.c.sink.quote(message.quote);
    else if (message.kind === 'bar') this.c.sink.bar(message.bar);
    else if (message.kind === 'skipped') this.c.sink.skipped(message.reason);
  }

  private change(state: FeedState, detail: string | undefined): void {
    if (state === this.state) return;
    this.state = state;
    this.detail = detail;
    this.c.changed();
  }
}

function text(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
