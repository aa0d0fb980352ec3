import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * A local stand-in for Alpaca's market data, on 127.0.0.1: the stream (stocks at /v2/{feed}, crypto
 * at /v1beta3/crypto/us) speaking the documented v2 protocol (connected, auth, subscribe, errors
 * 402/406), and the REST snapshots (/v2/stocks/snapshots, /v1beta3/crypto/us/snapshots). It records
 * what clients sent, and frames are pushed as raw text so a test chooses every number's digits.
 */

export interface StreamConnection {
  readonly path: string;
  readonly socket: WebSocket;
  /** Epoch ms when it was accepted. */
  readonly at: number;
  readonly auths: { key: unknown; secret: unknown }[];
  /** The subscribe messages, as sent. */
  readonly subscribes: Record<string, unknown>[];
  authenticated: boolean;
}

export interface RestRequest {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
}

export class AlpacaStandIn {
  readonly connections: StreamConnection[] = [];
  readonly restRequests: RestRequest[] = [];
  /** The only credentials the stream and REST accept. */
  accepted = { key: 'PKTEST', secret: 'test-secret' };
  /** While set, a connection that authenticates is refused as the account's second one (406). */
  connectionLimit = false;
  /** Snapshot objects per Alpaca symbol, as JSON text so their numbers stay as written. */
  readonly snapshots = new Map<string, string>();
  /** While set, REST answers this status instead of snapshots. */
  restStatus: number | undefined;
  private readonly sockets = new WebSocketServer({ noServer: true });

  private constructor(
    private readonly server: Server,
    private readonly origin: string,
  ) {
    server.on('upgrade', (req, socket, head) => {
      this.sockets.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req.url ?? '/'));
    });
  }

  static async start(): Promise<AlpacaStandIn> {
    let standIn: AlpacaStandIn | undefined;
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      standIn!.restRequests.push({ path: url.pathname, query: url.searchParams, headers: req.headers });
      const { status, body } = standIn!.answerRest(url, req.headers);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    standIn = new AlpacaStandIn(server, `127.0.0.1:${port}`);
    return standIn;
  }

  get streamUrl(): string {
    return `ws://${this.origin}`;
  }

  get restUrl(): string {
    return `http://${this.origin}`;
  }

  /** Connections still open. */
  get open(): StreamConnection[] {
    return this.connections.filter((c) => c.socket.readyState === c.socket.OPEN);
  }

  /** Pushes one raw text frame to every open, authenticated connection on `path` (all paths if omitted). */
  send(frame: string, path?: string): void {
    for (const c of this.open) if (c.authenticated && (path === undefined || c.path === path)) c.socket.send(frame);
  }

  /** Cuts every connection without a close handshake, as a network failure would. */
  drop(): void {
    for (const c of this.open) c.socket.terminate();
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.sockets.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(socket: WebSocket, path: string): void {
    const c: StreamConnection = { path, socket, at: Date.now(), auths: [], subscribes: [], authenticated: false };
    this.connections.push(c);
    socket.on('message', (data) => this.onMessage(c, String(data)));
    socket.send('[{"T":"success","msg":"connected"}]');
  }

  private onMessage(c: StreamConnection, text: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text) as Record<string, unknown>;
    } catch {
      c.socket.send('[{"T":"error","code":400,"msg":"invalid syntax"}]');
      return;
    }
    if (message.action === 'auth') {
      c.auths.push({ key: message.key, secret: message.secret });
      if (message.key !== this.accepted.key || message.secret !== this.accepted.secret) {
        c.socket.send('[{"T":"error","code":402,"msg":"auth failed"}]');
        c.socket.close();
      } else if (this.connectionLimit) {
        c.socket.send('[{"T":"error","code":406,"msg":"connection limit exceeded"}]');
        c.socket.close();
      } else {
        c.authenticated = true;
        c.socket.send('[{"T":"success","msg":"authenticated"}]');
      }
    } else if (message.action === 'subscribe') {
      if (!c.authenticated) {
        c.socket.send('[{"T":"error","code":401,"msg":"not authenticated"}]');
        return;
      }
      c.subscribes.push(message);
      const list = (key: string) => (Array.isArray(message[key]) ? message[key] : []);
      c.socket.send(JSON.stringify([{ T: 'subscription', trades: list('trades'), quotes: list('quotes'), bars: list('bars') }]));
    }
  }

  private answerRest(url: URL, headers: IncomingHttpHeaders): { status: number; body: string } {
    if (this.restStatus !== undefined) return { status: this.restStatus, body: '{"message":"stand-in failure"}' };
    if (headers['apca-api-key-id'] !== this.accepted.key || headers['apca-api-secret-key'] !== this.accepted.secret) {
      return { status: 403, body: '{"message":"forbidden."}' };
    }
    const crypto = url.pathname === '/v1beta3/crypto/us/snapshots';
    if (!crypto && url.pathname !== '/v2/stocks/snapshots') return { status: 404, body: '{"message":"not found"}' };
    const symbols = (url.searchParams.get('symbols') ?? '').split(',').filter((s) => this.snapshots.has(s));
    const bySymbol = `{${symbols.map((s) => `${JSON.stringify(s)}:${this.snapshots.get(s)}`).join(',')}}`;
    return { status: 200, body: crypto ? `{"snapshots":${bySymbol}}` : bySymbol };
  }
}
