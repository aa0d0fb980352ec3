import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Logger } from 'pino';
import type { KeyLookup } from '../oms/access.js';

/** Where a process's own feed is reached by the relays (its own included); clients use /ws. */
export const INTERNAL_FEED_PATH = '/internal/ws';
const PUBLIC_FEED_PATH = '/ws';
/** The id of the frames a relay replays itself (auth after an owner change): their answers are its own. */
const RELAY_ID = 'relay:replay';
/** Upstream closes that are the client's doing (too slow, a frame too large): the client is closed alike. */
const CLIENT_FAULTS = new Set([1008, 1009]);
const MAIN_DESK_ID = 1;

export interface FeedRelay {
  /** The server the process's own feed attaches to: it sees the upgrades of INTERNAL_FEED_PATH only. */
  readonly localServer: Server;
  close(): Promise<void>;
}

/**
 * The feed in a cluster: a client connects to any process, which relays its connection to the
 * process that owns the client's desk (desk main until an `auth` names another), frame for frame.
 * When that owner goes (killed, paused past its lease, or handing the desk over), the relay finds
 * the new owner, sends the client's key again and subscribes again to every channel the client
 * holds: the new owner answers each with a snapshot, from which the client's seq numbers go on
 * (the gap rule of docs/feed.md: a snapshot is the state now; updates follow it).
 */
export interface FeedRelayDeps {
  /** The internal address of a desk's owner now (see ClusterNode.ownerUrl). */
  readonly ownerOf: (deskId: number) => { url: string } | null;
  /** Reads the owners again (one did not answer). */
  readonly refresh: () => Promise<void>;
  readonly keys: KeyLookup;
  readonly logger: Logger;
}

export function attachFeedRelay(server: Server, deps: FeedRelayDeps): FeedRelay {
  // Stands in for the HTTP server in front of the process's own feed (ws listens for 'upgrade').
  const local = new EventEmitter() as unknown as Server;
  const relays = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const open = new Set<WebSocket>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://relay').pathname;
    if (path === INTERNAL_FEED_PATH) {
      req.url = PUBLIC_FEED_PATH;
      local.emit('upgrade', req, socket, head);
    } else if (path === PUBLIC_FEED_PATH) {
      relays.handleUpgrade(req, socket, head, (ws) => relay(ws));
    } else socket.destroy();
  });

  const relay = (client: WebSocket): void => {
    open.add(client);
    let deskId = MAIN_DESK_ID;
    /** The client's auth frame, sent again (as the relay's own) to every new owner. */
    let auth: string | null = null;
    const channels = new Set<string>();
    /**
     * The client's own auth and subscribe frames not answered yet: an owner that went before
     * answering them gets them again as they were (the client waits for its ids), not as replays.
     */
    let unansweredAuth: { text: string; id: unknown } | null = null;
    const unansweredSubs = new Map<string, { text: string; id: unknown }>();
    /** The old desk's channels an auth of another desk left, reported once that auth is answered. */
    let leftChannels: string[] = [];
    let upstream: WebSocket | null = null;
    let pending: string[] = [];
    let closed = false;
    let generation = 0;
    let queue = Promise.resolve();

    const send = (text: string) => {
      if (upstream?.readyState === WebSocket.OPEN) upstream.send(text);
      else pending.push(text);
    };

    const connect = async (replay: boolean): Promise<void> => {
      const gen = ++generation;
      upstream?.removeAllListeners('close');
      upstream?.close();
      upstream = null;
      for (let delay = 50; !closed && gen === generation; delay = Math.min(delay * 2, 1000)) {
        const owner = deps.ownerOf(deskId);
        if (owner) {
          const up = new WebSocket(`${owner.url.replace(/^http/, 'ws')}${INTERNAL_FEED_PATH}`);
          const ok = await new Promise<boolean>((r) => {
            up.once('open', () => r(true));
            up.once('error', () => r(false));
          });
          if (ok && !closed && gen === generation) {
            wire(up, replay);
            return;
          }
          up.terminate();
        }
        await deps.refresh().catch(() => undefined);
        await new Promise((r) => setTimeout(r, delay));
      }
    };

    const wire = (up: WebSocket, replay: boolean): void => {
      upstream = up;
      if (replay) {
        if (unansweredAuth) up.send(unansweredAuth.text);
        else if (auth) up.send(auth);
        for (const channel of channels) up.send(unansweredSubs.get(channel)?.text ?? JSON.stringify({ op: 'subscribe', channel }));
      }
      for (const text of pending) up.send(text);
      pending = [];
      up.on('message', (data: RawData, isBinary: boolean) => {
        if (client.readyState !== WebSocket.OPEN) return;
        const text = data.toString();
        if (text.includes(RELAY_ID) && (JSON.parse(text) as { id?: unknown }).id === RELAY_ID) return;
        if (unansweredAuth || unansweredSubs.size > 0) answered(parsed<{ type?: unknown; code?: unknown; id?: unknown; channel?: unknown }>(text));
        client.send(isBinary ? data : text);
      });
      up.on('error', () => undefined);
      up.on('close', (code) => {
        if (upstream !== up || closed) return;
        upstream = null;
        if (CLIENT_FAULTS.has(code)) client.close(code);
        // The owner went or gave the desk up: the next one answers with fresh snapshots.
        else void deps.refresh().catch(() => undefined).finally(() => connect(true));
      });
    };

    const answered = (frame: { type?: unknown; code?: unknown; id?: unknown; channel?: unknown } | null): void => {
      if (!frame) return;
      if (unansweredAuth && unansweredAuth.id === frame.id && (frame.type === 'authenticated' || frame.code === 'INVALID_API_KEY')) {
        unansweredAuth = null;
        queueMicrotask(() => {
          for (const channel of leftChannels.splice(0)) {
            client.send(JSON.stringify({ type: 'error', code: 'FORBIDDEN', channel, message: `the API key now in force is of another desk; ${channel} was unsubscribed` }));
          }
        });
      }
      const sub = typeof frame.channel === 'string' ? unansweredSubs.get(frame.channel) : undefined;
      if (sub && sub.id === frame.id && (frame.type === 'snapshot' || frame.type === 'error')) unansweredSubs.delete(frame.channel as string);
    };

    const handle = async (text: string): Promise<void> => {
      type Frame = { op?: unknown; api_key?: unknown; channel?: unknown };
      const frame = parsed<Frame>(text);
      if (frame?.op === 'auth' && typeof frame.api_key === 'string') {
        const key = await deps.keys.findActiveByKey(frame.api_key).catch(() => null);
        const next = key?.deskId ?? MAIN_DESK_ID;
        auth = key ? JSON.stringify({ ...frame, id: RELAY_ID }) : null;
        unansweredAuth = { text, id: (frame as { id?: unknown }).id };
        if (next !== deskId) {
          // Another desk's owner answers from now on; the old desk's channels are left, as the feed
          // leaves them on such an auth (docs/feed.md).
          const left = [...channels];
          channels.clear();
          deskId = next;
          pending = [text];
          // Told after the answer to the auth, as the feed tells it (see answered).
          leftChannels = left;
          await connect(false);
          return;
        }
      } else if (frame?.op === 'subscribe' && typeof frame.channel === 'string') {
        channels.add(normalize(frame.channel));
        unansweredSubs.set(normalize(frame.channel), { text, id: (frame as { id?: unknown }).id });
      } else if (frame?.op === 'unsubscribe' && typeof frame.channel === 'string') {
        channels.delete(normalize(frame.channel));
        unansweredSubs.delete(normalize(frame.channel));
      }
      send(text);
    };

    client.on('message', (data: RawData, isBinary: boolean) => {
      const text = isBinary ? null : data.toString();
      queue = queue.then(() => (text === null ? upstream?.send(data) : handle(text))).catch((error: unknown) => deps.logger.warn({ err: error }, 'feed relay frame failed'));
    });
    client.on('close', () => {
      closed = true;
      open.delete(client);
      upstream?.close();
    });
    client.on('error', () => undefined);
    void connect(false);
  };

  return {
    localServer: local,
    async close() {
      for (const c of open) c.close(1001, 'server shutting down');
      await new Promise<void>((r) => relays.close(() => r()));
    },
  };
}

/** As the feed names channels (feed-server.ts): symbols upper case, portfolio names as they are. */
function normalize(channel: string): string {
  const trimmed = channel.trim();
  const at = trimmed.indexOf(':');
  const kind = at < 0 ? trimmed : trimmed.slice(0, at);
  const arg = at < 0 ? '' : trimmed.slice(at + 1);
  if (kind === 'book' || kind === 'trades' || kind === 'bars') return `${kind}:${arg.toUpperCase()}`;
  return arg ? `${kind}:${arg}` : kind;
}

/** A frame's JSON, or null when it is none (the owner's feed answers it as any bad frame). */
function parsed<T>(text: string): T | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as T) : null;
  } catch {
    return null;
  }
}
