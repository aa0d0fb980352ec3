import type { Server } from 'node:http';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { Logger } from 'pino';
import type { Oms } from '../oms/oms.js';
import type { Desks } from '../oms/desks.js';
import type { KeyLookup } from '../oms/access.js';
import type { ApiKeyRecord } from '../db/api-key.repository.js';
import type { HistoryQueries } from '../db/history-queries.js';
import { parseClientFrame, type ClientFrame } from './protocol.js';
import { DeskChannels, splitChannel, unknownChannel, type BarFeed, type ChannelProblem, type Subscriber } from './desk-channels.js';

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

interface Client extends Subscriber {
  /** The desk whose channels the connection sees: its key's, or desk main without a key. */
  desk: DeskChannels;
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
  readonly desks: Desks;
  readonly keys: KeyLookup<ApiKeyRecord>;
  /** How often open connections' keys are looked up again. */
  readonly keyRecheckMs: number;
  readonly history: HistoryQueries;
  readonly logger: Logger;
  /** The instruments' bars (bars:SYMBOL); without it there is no such channel. */
  readonly bars?: BarFeed;
}

/**
 * The WebSocket feed at /ws: the connections (frames, auth, heartbeats, key rechecks), each seeing
 * the channels of one desk (desk-channels.ts): its key's, or desk main without a key.
 */
export function attachFeed(server: Server, deps: FeedDeps): Feed {
  const { desks, logger } = deps;
  const wss = new WebSocketServer({ server, path: '/ws', maxPayload: MAX_FRAME_BYTES });
  // ws re-emits the HTTP server's errors (a port in use at listen); the service handles those itself,
  // and an 'error' event without a listener would crash the process instead.
  wss.on('error', () => undefined);
  const clients = new Set<Client>();

  const sendRaw = (client: Subscriber, text: string): void => {
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

  const channelsOf = new Map<Oms, DeskChannels>();
  const channels = (desk: Oms): DeskChannels => {
    let c = channelsOf.get(desk);
    if (!c) channelsOf.set(desk, (c = new DeskChannels(desk, deps.history, sendRaw, deps.bars ?? null)));
    return c;
  };
  for (const desk of desks.all()) channels(desk);
  desks.onAdded(async (desk) => {
    channels(desk);
  });
  // A desk gone to another OMS process (a cluster): its subscribers here would hear nothing more.
  // Closed with 1012 (service restart), they reconnect, or their relay finds the new owner.
  desks.onRemoved((desk) => {
    const gone = channelsOf.get(desk);
    if (!gone) return;
    channelsOf.delete(desk);
    for (const c of clients) if (c.desk === gone) c.socket.close(1012, 'the desk moved to another OMS process');
    gone.close();
  });
  /**
   * Null when the desk is not served here: in a cluster another OMS process owns it (or is about to),
   * and the connection is closed (1012) for its relay to find that one; never another desk's channels.
   */
  const deskOfKey = (key: ApiKeyRecord | null): DeskChannels | null => {
    const desk = key ? desks.get(key.deskId) : desks.hasMain ? desks.main : undefined;
    return desk ? channels(desk) : null;
  };
  const notServedHere = (socket: WebSocket): void => socket.close(1012, 'the desk is not served by this OMS process');

  /** A private channel refused for the key in force is an auth failure, audited as the REST API's are. */
  const auditRefusal = (client: Client, channel: string, problem: ChannelProblem): void => {
    if (problem.code === 'UNAUTHENTICATED') {
      desks.main?.audit(null, 'auth.failure', `ws ${channel}`, 'denied', { reason: 'no API key' });
    } else if (problem.code === 'FORBIDDEN') {
      client.desk.desk.audit(client.key && { keyId: client.key.id, name: client.key.name }, 'auth.forbidden', `ws ${channel}`, 'denied', {
        reason: problem.message,
      });
    }
  };

  /**
   * Puts a key in force (null: none) and unsubscribes every channel it may not have, each with an
   * error frame: a connection that authenticates again, with a narrower key or a bad one, or whose
   * key was revoked, keeps only what the key now in force may read. A key of another desk leaves
   * every channel of the old one: `book:AAPL` of one desk is not that of another.
   */
  const applyKey = (client: Client, key: ApiKeyRecord | null, rawKey: string | null, why: string): void => {
    const desk = deskOfKey(key);
    if (!desk) return notServedHere(client.socket);
    const moved = desk !== client.desk;
    client.key = key;
    client.rawKey = rawKey;
    for (const channel of [...client.channels.keys()]) {
      const problem: ChannelProblem | null = moved ? { code: 'FORBIDDEN', message: 'the key is of another desk' } : client.desk.refuse(key, channel);
      if (!problem) continue;
      client.desk.unsubscribe(client, channel);
      send(client, { type: 'error', code: problem.code, channel, message: `${moved ? 'the API key now in force is of another desk' : why}; ${channel} was unsubscribed` });
    }
    client.desk = desk;
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
          desks.main?.audit(null, 'auth.failure', 'ws', 'denied', { reason: 'invalid key' });
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
        client.desk.unsubscribe(client, channel);
        send(client, { type: 'unsubscribed', channel, ...id });
        return;
      }
      case 'subscribe': {
        if (!client.key && !desks.hasMain) return notServedHere(client.socket);
        const channel = normalize(frame.channel);
        const problem = client.desk.refuse(client.key, channel);
        if (problem) {
          auditRefusal(client, channel, problem);
          send(client, { type: 'error', ...problem, channel, ...id });
          return;
        }
        const desk = client.desk;
        await desk.prepare(channel);
        if (!clients.has(client) || client.desk !== desk) return; // closed, or moved to another desk, while loading
        const { seq, data } = desk.subscribe(client, channel);
        send(client, { type: 'snapshot', channel, seq, data, ...id });
        return;
      }
    }
  };

  wss.on('connection', (socket) => {
    // In a cluster, a process without desk main still takes the connection: a relay sends the key
    // of a desk served here first. Without one, it is served nothing (see subscribe).
    const desk = deskOfKey(null) ?? (desks.main ? channels(desks.main) : null);
    if (!desk) return notServedHere(socket);
    const client: Client = { socket, channels: new Map(), key: null, desk, rawKey: null, queue: Promise.resolve(), missedPings: 0 };
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
      client.desk.remove(client);
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
      for (const c of channelsOf.values()) c.close();
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

/** Whether the name has the form of a channel (whether that symbol or portfolio exists aside). */
function isChannelName(channel: string): boolean {
  const [kind, arg] = splitChannel(channel);
  if (kind === 'ticker') return arg === '';
  return ['book', 'trades', 'bars', 'orders', 'portfolio'].includes(kind) && arg !== '';
}

function frameSize(raw: RawData): number {
  if (Array.isArray(raw)) return raw.reduce((n, b) => n + b.length, 0);
  return raw instanceof ArrayBuffer ? raw.byteLength : raw.length;
}

/** Symbols are upper case; portfolio names keep their case. */
function normalize(channel: string): string {
  const [kind, arg] = splitChannel(channel.trim());
  if (kind === 'book' || kind === 'trades' || kind === 'bars') return `${kind}:${arg.toUpperCase()}`;
  return arg ? `${kind}:${arg}` : kind;
}
