import type { Server } from 'node:http';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { Logger } from 'pino';
import type { Oms } from '../oms/oms.js';
import type { KeyLookup } from '../api/auth.js';
import { canUsePortfolio, hasScope } from '../api/auth.js';
import type { ApiKeyRecord } from '../db/api-key.repository.js';
import type { HistoryQueries } from '../db/history-queries.js';
import type { InstrumentState, OrderRecord, PortfolioState, TradeRecord } from '../oms/model.js';
import { bookJson, instrumentJson, orderJson, portfolioSummaryJson, tradeJson } from '../wire/serializers.js';
import { parseClientFrame, type ClientFrame } from './protocol.js';

/** Past this many bytes queued for one socket, the client is too slow: it is closed, not buffered. */
const MAX_BUFFERED_BYTES = 1 << 20;
const HEARTBEAT_MS = 15_000;
const BOOK_DEPTH = 20;
const RECENT_TRADES = 50;

interface Client {
  readonly socket: WebSocket;
  readonly channels: Set<string>;
  key: ApiKeyRecord | null;
  alive: boolean;
}

export interface Feed {
  close(): Promise<void>;
  readonly clientCount: number;
}

export interface FeedDeps {
  readonly oms: Oms;
  readonly keys: KeyLookup;
  readonly history: HistoryQueries;
  readonly logger: Logger;
}

/**
 * The WebSocket feed at /ws: per-channel subscriber sets, a snapshot on subscribe, then
 * seq-numbered updates. Updates come from OMS events, which fire only after the commit that makes
 * them true. Each update is serialized once and sent to every subscriber of its channel.
 */
export function attachFeed(server: Server, deps: FeedDeps): Feed {
  const { oms, logger } = deps;
  const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 64 * 1024 });
  const subscribers = new Map<string, Set<Client>>();
  const seqs = new Map<string, number>();
  const clients = new Set<Client>();

  const nextSeq = (channel: string): number => {
    const s = (seqs.get(channel) ?? 0) + 1;
    seqs.set(channel, s);
    return s;
  };

  const sendRaw = (client: Client, text: string): void => {
    const socket = client.socket;
    if (socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      socket.close(1008, 'slow consumer');
      // A peer that does not read may never finish the close handshake either.
      setTimeout(() => socket.terminate(), 1000).unref();
      return;
    }
    socket.send(text);
  };

  const send = (client: Client, frame: Record<string, unknown>): void => sendRaw(client, JSON.stringify(frame));

  const publish = (channel: string, data: unknown): void => {
    const subs = subscribers.get(channel);
    const seq = nextSeq(channel);
    if (!subs || subs.size === 0) return;
    const text = JSON.stringify({ type: 'update', channel, seq, data });
    for (const c of subs) sendRaw(c, text);
  };

  const nameOf = (id: number): string => oms.portfolioById(id)?.name ?? String(id);
  const instrumentOf = (s: string) => oms.instrument(s);

  oms.events.on('trades', (i: InstrumentState, trades: TradeRecord[]) => {
    publish(`trades:${i.symbol}`, { trades: trades.map((t) => tradeJson(t, nameOf)) });
  });
  oms.events.on('book', (i: InstrumentState) => {
    if (subscribers.get(`book:${i.symbol}`)?.size) publish(`book:${i.symbol}`, bookJson(i, BOOK_DEPTH));
    else nextSeq(`book:${i.symbol}`);
  });
  oms.events.on('ticker', (instruments: InstrumentState[]) => {
    publish('ticker', { instruments: instruments.map(tickerJson) });
  });
  oms.events.on('orders', (p: PortfolioState, orders: OrderRecord[]) => {
    publish(`orders:${p.name}`, { orders: orders.map((o) => orderJson(o, p.name)) });
  });
  oms.events.on('portfolio', (p: PortfolioState) => {
    if (subscribers.get(`portfolio:${p.name}`)?.size) publish(`portfolio:${p.name}`, portfolioSummaryJson(p, instrumentOf));
    else nextSeq(`portfolio:${p.name}`);
  });

  const snapshot = async (channel: string): Promise<unknown> => {
    const [kind, arg] = splitChannel(channel);
    switch (kind) {
      case 'book':
        return bookJson(oms.instrument(arg)!, BOOK_DEPTH);
      case 'trades': {
        const page = await deps.history.trades({ symbol: arg, limit: RECENT_TRADES });
        return { symbol: arg, trades: page.data.map((t) => tradeJson(t, nameOf)) };
      }
      case 'ticker':
        return { instruments: oms.listInstruments().map(tickerJson) };
      case 'orders': {
        const p = oms.portfolio(arg)!;
        return { portfolio: p.name, orders: oms.openOrdersOf(p.id).map((o) => orderJson(o, p.name)) };
      }
      default:
        return portfolioSummaryJson(oms.portfolio(arg)!, instrumentOf);
    }
  };

  /** Returns an error frame when the client may not have the channel, else null. */
  const refuse = (client: Client, channel: string): { code: string; message: string } | null => {
    const [kind, arg] = splitChannel(channel);
    if (kind === 'ticker' && arg === '') return null;
    if ((kind === 'book' || kind === 'trades') && arg) {
      return oms.instrument(arg) ? null : { code: 'UNKNOWN_SYMBOL', message: `unknown symbol ${arg}` };
    }
    if ((kind === 'orders' || kind === 'portfolio') && arg) {
      if (!client.key) return { code: 'UNAUTHENTICATED', message: `${kind} channels need an API key: send {"op":"auth","api_key":...} first` };
      if (!hasScope(client.key, 'read') || !canUsePortfolio(client.key, arg)) {
        return { code: 'FORBIDDEN', message: `this API key may not read portfolio ${arg}` };
      }
      return oms.portfolio(arg) ? null : { code: 'UNKNOWN_PORTFOLIO', message: `unknown portfolio ${arg}` };
    }
    return { code: 'UNKNOWN_CHANNEL', message: `unknown channel ${channel}: use book:SYMBOL, trades:SYMBOL, ticker, orders:PORTFOLIO or portfolio:PORTFOLIO` };
  };

  const handle = async (client: Client, frame: ClientFrame): Promise<void> => {
    const id = frame.id === undefined ? {} : { id: frame.id };
    switch (frame.op) {
      case 'ping':
        send(client, { type: 'pong', ...id });
        return;
      case 'auth': {
        const key = await deps.keys.findActiveByKey(frame.api_key);
        if (!key) {
          oms.audit(null, 'auth.failure', 'ws', 'denied', { reason: 'invalid key' });
          send(client, { type: 'error', code: 'INVALID_API_KEY', message: 'the API key is not valid', ...id });
          return;
        }
        client.key = key;
        send(client, { type: 'authenticated', scopes: key.scopes, portfolios: key.portfolios, ...id });
        return;
      }
      case 'unsubscribe': {
        const channel = normalize(frame.channel);
        client.channels.delete(channel);
        subscribers.get(channel)?.delete(client);
        send(client, { type: 'unsubscribed', channel, ...id });
        return;
      }
      case 'subscribe': {
        const channel = normalize(frame.channel);
        const problem = refuse(client, channel);
        if (problem) {
          send(client, { type: 'error', ...problem, channel, ...id });
          return;
        }
        // Register first and read the seq and state in the same tick: no update can fall between.
        client.channels.add(channel);
        let subs = subscribers.get(channel);
        if (!subs) subscribers.set(channel, (subs = new Set()));
        subs.add(client);
        if (channel.startsWith('trades:')) {
          // The recent trades come from the database (an await): buffer-free because trades
          // published meanwhile carry seqs above the snapshot's and the client applies them after.
          const seq = seqs.get(channel) ?? 0;
          const data = await snapshot(channel);
          send(client, { type: 'snapshot', channel, seq, data, ...id });
          return;
        }
        const data = await snapshot(channel);
        send(client, { type: 'snapshot', channel, seq: seqs.get(channel) ?? 0, data, ...id });
        return;
      }
    }
  };

  wss.on('connection', (socket) => {
    const client: Client = { socket, channels: new Set(), key: null, alive: true };
    clients.add(client);
    socket.on('pong', () => {
      client.alive = true;
    });
    socket.on('message', (raw: RawData, isBinary: boolean) => {
      const parsed = parseClientFrame(isBinary ? null : raw.toString());
      if (!parsed.ok) {
        send(client, { type: 'error', code: 'BAD_MESSAGE', message: parsed.message });
        return;
      }
      handle(client, parsed.frame).catch((error: unknown) => {
        logger.warn({ err: error }, 'feed request failed');
        send(client, { type: 'error', code: 'INTERNAL', message: 'the request could not be served' });
      });
    });
    socket.on('close', () => {
      clients.delete(client);
      for (const ch of client.channels) subscribers.get(ch)?.delete(client);
    });
    socket.on('error', () => undefined);
  });

  const heartbeat = setInterval(() => {
    const ts = new Date().toISOString();
    for (const c of clients) {
      if (!c.alive) {
        c.socket.terminate();
        continue;
      }
      c.alive = false;
      c.socket.ping();
      send(c, { type: 'heartbeat', ts });
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    get clientCount() {
      return clients.size;
    },
    async close() {
      clearInterval(heartbeat);
      for (const c of clients) c.socket.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}

function tickerJson(i: InstrumentState) {
  const j = instrumentJson(i);
  return { symbol: j.symbol, reference_price: j.reference_price, last_price: j.last_price, best_bid: j.best_bid, best_ask: j.best_ask };
}

function splitChannel(channel: string): [string, string] {
  const i = channel.indexOf(':');
  return i < 0 ? [channel, ''] : [channel.slice(0, i), channel.slice(i + 1)];
}

/** Symbols are upper case; portfolio names keep their case. */
function normalize(channel: string): string {
  const [kind, arg] = splitChannel(channel.trim());
  if (kind === 'book' || kind === 'trades') return `${kind}:${arg.toUpperCase()}`;
  return arg ? `${kind}:${arg}` : kind;
}
