import { caseHint } from '../oms/name-hint.js';
import type { Server } from 'node:http';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { Logger } from 'pino';
import type { Oms } from '../oms/oms.js';
import { canUsePortfolio, hasScope, type KeyLookup } from '../oms/access.js';
import type { ApiKeyRecord } from '../db/api-key.repository.js';
import type { HistoryQueries } from '../db/history-queries.js';
import type { InstrumentState, OrderRecord, PortfolioState, TradeRecord } from '../oms/model.js';
import { bookJson, instrumentJson, orderJson, portfolioSummaryJson, publicTradeJson } from '../wire/serializers.js';
import { parseClientFrame, type ClientFrame } from './protocol.js';

/** A frame larger than this gets a BAD_MESSAGE; one larger than MAX_FRAME_BYTES closes the connection. */
const MAX_MESSAGE_BYTES = 64 * 1024;
const MAX_FRAME_BYTES = 1024 * 1024;
/** How long a closing connection may take to answer the server's close before it is cut. */
const CLOSE_GRACE_MS = 1000;
/** Past this many bytes queued for one socket, the client is too slow: it is closed, not buffered. */
const MAX_BUFFERED_BYTES = 1 << 20;
const HEARTBEAT_MS = 15_000;
/** A peer that leaves this many pings in a row unanswered is dropped. */
const MAX_MISSED_PINGS = 2;
const BOOK_DEPTH = 20;
/**
 * The ticker is conflated: at most one update per interval, with each changed instrument's latest
 * state. A market maker re-quoting dozens of instruments sent hundreds of frames a second otherwise,
 * and a dashboard redrew its watchlist for each. Book and trades channels stay unconflated.
 */
const TICKER_INTERVAL_MS = 250;
const RECENT_TRADES = 50;

interface Client {
  readonly socket: WebSocket;
  /** Subscribed channels, each with the seq of the snapshot it got: later updates only. */
  readonly channels: Map<string, number>;
  key: ApiKeyRecord | null;
  /** The key as the client sent it, to look it up again: a revoked key loses its private channels. */
  rawKey: string | null;
  /** Frames are handled one after another, in the order sent: an auth is answered before what follows. */
  queue: Promise<void>;
  /** Pings sent since the last pong. */
  missedPings: number;
}

export interface Feed {
  close(): Promise<void>;
  readonly clientCount: number;
}

export interface FeedDeps {
  readonly oms: Oms;
  readonly keys: KeyLookup<ApiKeyRecord>;
  /** How often open connections' keys are looked up again. */
  readonly keyRecheckMs: number;
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
  const wss = new WebSocketServer({ server, path: '/ws', maxPayload: MAX_FRAME_BYTES });
  // ws re-emits the HTTP server's errors (a port in use at listen); the service handles those itself,
  // and an 'error' event without a listener would crash the process instead.
  wss.on('error', () => undefined);
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

  /**
   * Whether anyone is subscribed. Every command of every batch raises these events, so a payload
   * nobody would receive is not built; only the channel's seq moves on.
   */
  const listened = (channel: string): boolean => (subscribers.get(channel)?.size ?? 0) > 0;

  const publish = (channel: string, data: unknown): void => {
    const subs = subscribers.get(channel);
    const seq = nextSeq(channel);
    if (!subs || subs.size === 0) return;
    const text = JSON.stringify({ type: 'update', channel, seq, data });
    // Serialized now (the state this batch commits), sent after the commit: to whoever subscribed
    // before this seq; one who subscribed meanwhile has it in its snapshot already.
    oms.events.send(() => {
      for (const c of subs) if (seq > (c.channels.get(channel) ?? Infinity)) sendRaw(c, text);
    });
  };

  const instrumentOf = (s: string) => oms.instrument(s);

  /**
   * The latest trades of a symbol, newest first: read from the database at its first subscription,
   * then kept by the trade events, so a snapshot and its seq are always of the same instant.
   */
  const recentTrades = new Map<string, { trades: TradeJson[]; loaded: Promise<void> }>();
  const recentOf = (symbol: string): { trades: TradeJson[]; loaded: Promise<void> } => {
    const known = recentTrades.get(symbol);
    if (known) return known;
    const entry = { trades: [] as TradeJson[], loaded: Promise.resolve() };
    entry.loaded = deps.history.trades({ symbol, limit: RECENT_TRADES }).then(
      (page) => {
        // Trades published while the query ran are already in front; the query may hold them too.
        const have = new Set(entry.trades.map((t) => t.trade_id));
        const stored = page.data.map(publicTradeJson).filter((t) => !have.has(t.trade_id));
        entry.trades = [...entry.trades, ...stored].slice(0, RECENT_TRADES);
      },
      (error: unknown) => {
        recentTrades.delete(symbol); // the next subscriber tries again
        throw error;
      },
    );
    recentTrades.set(symbol, entry);
    return entry;
  };

  /** What each instrument last looked like on the ticker channel, to publish only real changes. */
  const tickerShown = new Map<string, string>(oms.listInstruments().map((i) => [i.symbol, JSON.stringify(tickerJson(i))]));
  const publishTicker = (instruments: InstrumentState[]): void => {
    // Unheard, the ticker is not compared either, and what was last shown is forgotten: a later
    // subscriber starts from a snapshot, and its first updates may repeat it (harmless) but never
    // skip a change that matches an old, stale entry.
    if (!listened('ticker')) {
      tickerShown.clear();
      return;
    }
    const changed: ReturnType<typeof tickerJson>[] = [];
    for (const i of instruments) {
      const entry = tickerJson(i);
      const text = JSON.stringify(entry);
      if (tickerShown.get(i.symbol) === text) continue;
      tickerShown.set(i.symbol, text);
      changed.push(entry);
    }
    if (changed.length === 0) return;
    // Held until the commit that makes these entries true, then until the next ticker update.
    oms.events.send(() => {
      for (const entry of changed) tickerPending.set(entry.symbol, entry);
      tickerFlush ??= setTimeout(flushTicker, TICKER_INTERVAL_MS);
      tickerFlush.unref();
    });
  };
  const tickerPending = new Map<string, ReturnType<typeof tickerJson>>();
  let tickerFlush: NodeJS.Timeout | null = null;
  const flushTicker = (): void => {
    tickerFlush = null;
    const instruments = [...tickerPending.values()];
    tickerPending.clear();
    if (instruments.length > 0) publish('ticker', { instruments });
  };

  oms.events.on('trades', (i: InstrumentState, trades: TradeRecord[]) => {
    const recent = recentTrades.get(i.symbol);
    if (!recent && !listened(`trades:${i.symbol}`)) {
      nextSeq(`trades:${i.symbol}`);
      return;
    }
    let json = trades.map(publicTradeJson);
    if (recent) {
      // A trade committed just before the first snapshot's query may have come from the database already.
      const have = new Set(recent.trades.map((t) => t.trade_id));
      json = json.filter((t) => !have.has(t.trade_id));
      if (json.length === 0) return;
      recent.trades = [...[...json].reverse(), ...recent.trades].slice(0, RECENT_TRADES);
    }
    publish(`trades:${i.symbol}`, { trades: json });
  });
  oms.events.on('book', (i: InstrumentState) => {
    if (listened(`book:${i.symbol}`)) publish(`book:${i.symbol}`, bookJson(i, BOOK_DEPTH));
    else nextSeq(`book:${i.symbol}`);
    // The ticker shows the best bid and ask: a book change can be a ticker change.
    publishTicker([i]);
  });
  oms.events.on('ticker', publishTicker);
  oms.events.on('orders', (p: PortfolioState, orders: OrderRecord[]) => {
    if (listened(`orders:${p.name}`)) publish(`orders:${p.name}`, { orders: orders.map((o) => orderJson(o, p.name)) });
    else nextSeq(`orders:${p.name}`);
  });
  oms.events.on('portfolio', (p: PortfolioState) => {
    if (listened(`portfolio:${p.name}`)) publish(`portfolio:${p.name}`, portfolioSummaryJson(p, instrumentOf));
    else nextSeq(`portfolio:${p.name}`);
  });

  /** The channel's state now (synchronous: read in the same tick as its seq). */
  const snapshot = (channel: string): unknown => {
    const [kind, arg] = splitChannel(channel);
    switch (kind) {
      case 'book':
        return bookJson(oms.instrument(arg)!, BOOK_DEPTH);
      case 'trades':
        return { symbol: arg, trades: recentOf(arg).trades };
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
        return { code: 'FORBIDDEN', message: `this API key may not read portfolio ${arg}${caseHint(arg, client.key.portfolios)}` };
      }
      return oms.portfolio(arg) ? null : { code: 'UNKNOWN_PORTFOLIO', message: `unknown portfolio ${arg}${caseHint(arg, oms.portfolioNames())}` };
    }
    return { code: 'UNKNOWN_CHANNEL', message: unknownChannel(channel) };
  };

  /** A private channel refused for the key in force is an auth failure, audited as the REST API's are. */
  const auditRefusal = (client: Client, channel: string, problem: { code: string; message: string }): void => {
    if (problem.code === 'UNAUTHENTICATED') {
      oms.audit(null, 'auth.failure', `ws ${channel}`, 'denied', { reason: 'no API key' });
    } else if (problem.code === 'FORBIDDEN') {
      oms.audit(client.key && { keyId: client.key.id, name: client.key.name }, 'auth.forbidden', `ws ${channel}`, 'denied', {
        reason: problem.message,
      });
    }
  };

  /**
   * Puts a key in force (null: none) and unsubscribes every channel it may not have, each with an
   * error frame: a connection that authenticates again, with a narrower key or a bad one, or whose
   * key was revoked, keeps only what the key now in force may read.
   */
  const applyKey = (client: Client, key: ApiKeyRecord | null, rawKey: string | null, why: string): void => {
    client.key = key;
    client.rawKey = rawKey;
    for (const channel of [...client.channels.keys()]) {
      const problem = refuse(client, channel);
      if (!problem) continue;
      client.channels.delete(channel);
      subscribers.get(channel)?.delete(client);
      send(client, { type: 'error', code: problem.code, channel, message: `${why}; ${channel} was unsubscribed` });
    }
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
          // The answer first, then what the connection loses: it is left with no key, not the old one.
          send(client, { type: 'error', code: 'INVALID_API_KEY', message: 'the API key is not valid; the connection now has no key', ...id });
          applyKey(client, null, null, 'the API key sent was not valid, so none is in force');
          return;
        }
        send(client, { type: 'authenticated', scopes: key.scopes, portfolios: key.portfolios, ...id });
        applyKey(client, key, frame.api_key, 'the API key now in force may not read it');
        return;
      }
      case 'unsubscribe': {
        const channel = normalize(frame.channel);
        if (!client.channels.has(channel) && !isChannelName(channel)) {
          send(client, { type: 'error', code: 'UNKNOWN_CHANNEL', message: unknownChannel(channel), channel, ...id });
          return;
        }
        client.channels.delete(channel);
        subscribers.get(channel)?.delete(client);
        send(client, { type: 'unsubscribed', channel, ...id });
        return;
      }
      case 'subscribe': {
        const channel = normalize(frame.channel);
        const problem = refuse(client, channel);
        if (problem) {
          auditRefusal(client, channel, problem);
          send(client, { type: 'error', ...problem, channel, ...id });
          return;
        }
        if (channel.startsWith('trades:')) await recentOf(splitChannel(channel)[1]).loaded;
        if (!clients.has(client)) return; // closed while loading
        // Register, read the seq and the state and send the snapshot in the same tick: every update
        // is then either in the snapshot or sent after it with a higher seq.
        const seq = seqs.get(channel) ?? 0;
        client.channels.set(channel, seq);
        let subs = subscribers.get(channel);
        if (!subs) subscribers.set(channel, (subs = new Set()));
        subs.add(client);
        send(client, { type: 'snapshot', channel, seq, data: snapshot(channel), ...id });
        return;
      }
    }
  };

  wss.on('connection', (socket) => {
    const client: Client = { socket, channels: new Map(), key: null, rawKey: null, queue: Promise.resolve(), missedPings: 0 };
    clients.add(client);
    socket.on('pong', () => {
      client.missedPings = 0;
    });
    socket.on('message', (raw: RawData, isBinary: boolean) => {
      const size = frameSize(raw);
      const parsed =
        size > MAX_MESSAGE_BYTES
          ? ({ ok: false, message: `the frame is ${size} bytes; at most ${MAX_MESSAGE_BYTES} are read` } as const)
          : parseClientFrame(isBinary ? null : raw.toString());
      // A refusal waits its turn too: answers come in the order the frames were sent.
      client.queue = client.queue.then(() => {
        if (!parsed.ok) {
          send(client, { type: 'error', code: 'BAD_MESSAGE', message: parsed.message, ...('id' in parsed && parsed.id !== undefined ? { id: parsed.id } : {}) });
          return;
        }
        return handle(client, parsed.frame).catch((error: unknown) => {
          logger.warn({ err: error }, 'feed request failed');
          send(client, { type: 'error', code: 'INTERNAL', message: 'the request could not be served' });
        });
      });
    });
    socket.on('close', () => {
      clients.delete(client);
      for (const ch of client.channels.keys()) subscribers.get(ch)?.delete(client);
    });
    socket.on('error', () => undefined);
  });

  const heartbeat = setInterval(() => {
    const ts = new Date().toISOString();
    for (const c of clients) {
      if (c.missedPings >= MAX_MISSED_PINGS) {
        c.socket.terminate();
        continue;
      }
      c.missedPings++;
      c.socket.ping();
      send(c, { type: 'heartbeat', ts });
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  /** Drops the private channels of connections whose key was revoked since they authenticated. */
  const recheckKeys = async (): Promise<void> => {
    for (const c of clients) {
      if (!c.rawKey) continue;
      const rawKey = c.rawKey;
      const key = await deps.keys.findActiveByKey(rawKey);
      if (c.rawKey !== rawKey) continue; // authenticated again meanwhile
      if (key) applyKey(c, key, rawKey, 'the API key may no longer read it');
      else applyKey(c, null, null, 'the API key is no longer valid');
    }
  };
  let rechecking = false;
  const keyRecheck = setInterval(() => {
    if (rechecking) return;
    rechecking = true;
    recheckKeys()
      .catch((error: unknown) => logger.warn({ err: error }, 'could not recheck feed API keys'))
      .finally(() => {
        rechecking = false;
      });
  }, deps.keyRecheckMs);
  keyRecheck.unref();

  return {
    get clientCount() {
      return clients.size;
    },
    async close() {
      clearInterval(heartbeat);
      clearInterval(keyRecheck);
      if (tickerFlush) clearTimeout(tickerFlush);
      // A close frame tells a dashboard the server is going away (1001), not that the network failed.
      const closing = [...clients].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.socket.readyState === WebSocket.CLOSED) return resolve();
            c.socket.once('close', () => resolve());
            c.socket.close(1001, 'server shutting down');
            setTimeout(() => {
              c.socket.terminate();
              resolve();
            }, CLOSE_GRACE_MS).unref();
          }),
      );
      await Promise.all(closing);
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}

type TradeJson = ReturnType<typeof publicTradeJson>;

function tickerJson(i: InstrumentState) {
  const j = instrumentJson(i);
  return { symbol: j.symbol, reference_price: j.reference_price, last_price: j.last_price, best_bid: j.best_bid, best_ask: j.best_ask };
}

function unknownChannel(channel: string): string {
  return `unknown channel ${channel}: use book:SYMBOL, trades:SYMBOL, ticker, orders:PORTFOLIO or portfolio:PORTFOLIO`;
}

/** Whether the name has the form of a channel (whether that symbol or portfolio exists aside). */
function isChannelName(channel: string): boolean {
  const [kind, arg] = splitChannel(channel);
  if (kind === 'ticker') return arg === '';
  return ['book', 'trades', 'orders', 'portfolio'].includes(kind) && arg !== '';
}

function frameSize(raw: RawData): number {
  if (Array.isArray(raw)) return raw.reduce((n, b) => n + b.length, 0);
  return raw instanceof ArrayBuffer ? raw.byteLength : raw.length;
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
