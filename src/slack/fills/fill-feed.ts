import type { Logger } from 'pino';
import WebSocket from 'ws';

export interface FillFeedOptions {
  /** The OMS base URL (http://host:port); the feed is ws://host:port/ws. */
  readonly omsUrl: string;
  readonly apiKey: string;
  /** Called when an order of a watched portfolio reports fills: the notifier should run now. */
  readonly onFill: () => void;
  /** Each order update of a watched portfolio (the bot follows the approval requests it posted). */
  readonly onOrder?: (order: { id: string; status: string }) => void;
  readonly logger: Logger;
}

const MIN_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

/**
 * A nudge, not a source of truth: it listens to the OMS feed's `orders:PORTFOLIO` channels (docs/feed.md)
 * for the portfolios the bot placed orders in, and wakes the fill notifier as soon as one of their
 * orders reports a fill, instead of at the notifier's next poll. The notifier still reads every trade
 * from the REST trade stream after its cursor, and still polls: a missed, late or dropped feed message
 * (disconnect, seq gap, FORBIDDEN portfolio) costs only latency, never a fill.
 */
export class FillFeed {
  private ws: WebSocket | undefined;
  private authenticated = false;
  private stopped = true;
  private retryMs = MIN_RETRY_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly channels = new Set<string>();
  private readonly url: string;

  constructor(private readonly o: FillFeedOptions) {
    const u = new URL(o.omsUrl);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.pathname = `${u.pathname.replace(/\/+$/, '')}/ws`;
    u.search = '';
    this.url = u.toString();
  }

  start(): void {
    this.stopped = false;
    if (this.channels.size > 0) this.connect();
  }

  /** Follows this portfolio's orders from now on (connecting on first use). */
  watchPortfolio(portfolio: string): void {
    const channel = `orders:${portfolio}`;
    if (this.channels.has(channel)) return;
    this.channels.add(channel);
    if (this.stopped) return;
    if (!this.ws) this.connect();
    else if (this.authenticated) this.send({ op: 'subscribe', channel });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.ws?.removeAllListeners();
    this.ws?.on('error', () => undefined);
    this.ws?.terminate();
    this.ws = undefined;
    this.authenticated = false;
  }

  private connect(): void {
    clearTimeout(this.retryTimer);
    const ws = new WebSocket(this.url, { perMessageDeflate: false });
    this.ws = ws;
    this.authenticated = false;
    ws.on('open', () => this.send({ op: 'auth', api_key: this.o.apiKey }));
    ws.on('message', (raw) => this.onMessage(String(raw)));
    ws.on('error', (e) => this.o.logger.debug({ err: e }, 'OMS feed error'));
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.authenticated = false;
      if (this.stopped) return;
      this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    });
  }

  private onMessage(text: string): void {
    let msg: { type?: string; channel?: string; code?: string; data?: { orders?: { id: string; status: string; filled_quantity?: number | string }[] } };
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    switch (msg.type) {
      case 'authenticated':
        this.authenticated = true;
        this.retryMs = MIN_RETRY_MS;
        for (const channel of this.channels) this.send({ op: 'subscribe', channel });
        // Fills may have happened while disconnected: one pass picks them up now.
        this.o.onFill();
        return;
      case 'update':
        if (!msg.channel?.startsWith('orders:')) return;
        if (msg.data?.orders?.some((o) => Number(o.filled_quantity) > 0)) this.o.onFill();
        if (this.o.onOrder) for (const o of msg.data?.orders ?? []) this.o.onOrder(o);
        return;
      case 'error':
        this.o.logger.warn({ code: msg.code, channel: msg.channel }, 'OMS feed refused a request; fills of that portfolio come with the poll');
        return;
      default:
    }
  }

  private send(frame: object): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }
}
