import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * A local stand-in for Coinbase Exchange's public WebSocket feed, speaking its documented protocol
 * on 127.0.0.1: it takes a `subscribe` (channels as names or `{name, product_ids}`), answers with
 * `subscriptions`, then a `last_match` per product that has traded (as Coinbase does after each
 * subscribe). Tests push `ticker` and `match` messages or raw frames, make it answer subscribes with
 * an `error` or not at all, refuse handshakes with an HTTP status (429: the connection rate limit),
 * or drop every connection. It sends no heartbeats: a test's silence is its own.
 */

export interface Subscribe {
  readonly type: 'subscribe';
  readonly product_ids?: string[];
  readonly channels: (string | { name: string; product_ids?: string[] })[];
}

export class CoinbaseStandIn {
  /** Every subscribe message received, in order. */
  readonly subscribes: Subscribe[] = [];
  /** Handshakes answered (refused ones included). */
  handshakes = 0;
  private readonly sockets = new WebSocketServer({ noServer: true });
  private readonly subscribed = new Set<WebSocket>();
  private readonly lastMatches = new Map<string, Record<string, unknown>>();
  private subscribeError: { message: string; reason?: string } | null = null;
  private refuseStatus: number | null = null;
  private muted = false;
  private tradeId = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {
    server.on('upgrade', (req, socket, head) => {
      this.handshakes += 1;
      if (this.refuseStatus !== null) {
        socket.end(`HTTP/1.1 ${this.refuseStatus} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
        return;
      }
      this.sockets.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
  }

  static async start(): Promise<CoinbaseStandIn> {
    const server = createServer((_req, res) => res.writeHead(426).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new CoinbaseStandIn(server, `ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  /** Connections that subscribed and are still open. */
  get clients(): number {
    return this.subscribed.size;
  }

  /** Answer every subscribe with this `error` (null: accept again). */
  failSubscribes(error: { message: string; reason?: string } | null): void {
    this.subscribeError = error;
  }

  /** Take subscribes but answer nothing, as a link gone dead would (false: answer again). */
  mute(muted: boolean): void {
    this.muted = muted;
  }

  /** Answer every handshake with this HTTP status (null: accept again). */
  refuseHandshakes(status: number | null): void {
    this.refuseStatus = status;
  }

  /** A `ticker` message as the feed sends it; `fields` override the defaults. */
  ticker(fields: Record<string, unknown>): void {
    this.send({
      type: 'ticker',
      sequence: 1,
      product_id: 'BTC-USD',
      price: '43210.12',
      open_24h: '42000.00',
      volume_24h: '1234.5',
      best_bid: '43210.00',
      best_bid_size: '0.5',
      best_ask: '43210.50',
      best_ask_size: '0.25',
      side: 'buy',
      time: '2026-01-05T14:30:00.123456Z',
      trade_id: this.tradeId,
      last_size: '0.01',
      ...fields,
    });
  }

  /** A `match` message as the feed sends it; remembered as the product's `last_match` for later subscribes. */
  match(fields: Record<string, unknown>): void {
    const msg = {
      type: 'match',
      trade_id: ++this.tradeId,
      maker_order_id: `maker-${this.tradeId}`,
      taker_order_id: `taker-${this.tradeId}`,
      side: 'sell',
      size: '0.01',
      price: '43210.12',
      product_id: 'BTC-USD',
      sequence: 1,
      time: '2026-01-05T14:30:00.123456Z',
      ...fields,
    };
    if (typeof msg.product_id === 'string') this.lastMatches.set(msg.product_id, { ...msg, type: 'last_match' });
    this.send(msg);
  }

  /** Sends a message (or raw text) to every subscribed connection. */
  send(message: Record<string, unknown> | string): void {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    for (const ws of this.subscribed) ws.send(text);
  }

  /** Cuts every connection without a close handshake, as a network failure would. */
  drop(): void {
    for (const ws of this.sockets.clients) ws.terminate();
  }

  async close(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.sockets.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onSocket(ws: WebSocket): void {
    ws.on('close', () => this.subscribed.delete(ws));
    ws.on('message', (raw) => {
      let msg: Subscribe;
      try {
        msg = JSON.parse(raw.toString()) as Subscribe;
      } catch {
        ws.send(JSON.stringify({ type: 'error', message: 'Malformed JSON' }));
        return;
      }
      if (msg.type !== 'subscribe') return;
      this.subscribes.push(msg);
      if (this.muted) return;
      if (this.subscribeError) {
        ws.send(JSON.stringify({ type: 'error', ...this.subscribeError }));
        return;
      }
      // Product ids at the root apply to every channel named as a plain string.
      const channels = msg.channels.map((c) => (typeof c === 'string' ? { name: c, product_ids: msg.product_ids ?? [] } : { name: c.name, product_ids: c.product_ids ?? [] }));
      ws.send(JSON.stringify({ type: 'subscriptions', channels }));
      this.subscribed.add(ws);
      const products = new Set(channels.filter((c) => c.name === 'matches').flatMap((c) => c.product_ids));
      for (const product of products) {
        const last = this.lastMatches.get(product);
        if (last) ws.send(JSON.stringify(last));
      }
    });
  }
}
