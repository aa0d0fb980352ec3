// FeedClient: one WebSocket to the OMS feed (docs/feed.md) that survives server restarts.
//
// - Remembers the channels the page wants and (re)subscribes them on every connection.
// - Tracks each channel's seq: an update is applied only if it is exactly last seq + 1; an older or
//   repeated seq is dropped; a gap triggers unsubscribe + subscribe to get a fresh snapshot, and updates
//   are ignored until that snapshot arrives.
// - Private channels (orders:*, portfolio:*) are subscribed only after the server answered `auth`
//   with `authenticated` on the current connection.
// - Reconnects with exponential backoff (0.5 s doubling to 5 s by default, reset once live).
// - Watchdog: any frame (heartbeat included) proves the connection alive; after a silence it sends an
//   application ping, after a longer silence it drops the socket and reconnects. A connection attempt
//   that hangs is abandoned too.
// - state: 'connecting' (never connected yet), 'live' (open and every public channel has its
//   snapshot), 'reconnecting' (lost the connection, or open again but snapshots still pending).
//
// No DOM here, and the timers, the clock and the WebSocket class are injectable so it can be tested
// in Node. The API key lives only in memory here and is sent only in the `auth` frame; it is never
// logged and never put in an event payload.

const PRIVATE_CHANNEL = /^(orders|portfolio):/;
const OPEN = 1;

export class FeedClient {
  /**
   * @param {object} options
   * @param {string} options.url ws:// or wss:// URL of the feed
   * @param {any} [options.WebSocketImpl] a WebSocket constructor (default: the global one)
   */
  constructor(options) {
    const o = options || {};
    this.url = o.url;
    this.WebSocketImpl = o.WebSocketImpl || globalThis.WebSocket;
    this.initialBackoffMs = o.initialBackoffMs ?? 500;
    this.maxBackoffMs = o.maxBackoffMs ?? 5000;
    this.pingAfterMs = o.pingAfterMs ?? 20000;
    this.silenceTimeoutMs = o.silenceTimeoutMs ?? 40000;
    this.connectTimeoutMs = o.connectTimeoutMs ?? 10000;
    this.watchdogIntervalMs = o.watchdogIntervalMs ?? 1000;
    this.now = o.now || (() => Date.now());
    this.timers = {
      setTimeout: o.setTimeout || ((fn, ms) => globalThis.setTimeout(fn, ms)),
      clearTimeout: o.clearTimeout || ((id) => globalThis.clearTimeout(id)),
      setInterval: o.setInterval || ((fn, ms) => globalThis.setInterval(fn, ms)),
      clearInterval: o.clearInterval || ((id) => globalThis.clearInterval(id)),
    };

    /** channel -> { private, seq, synced, sent, reqId } */
    this.channels = new Map();
    /** request id -> { op, channel? } for correlating error frames */
    this.requests = new Map();
    /** public channels whose snapshot is still awaited on this connection before going live */
    this.awaiting = new Set();
    this.listeners = new Map();

    this.state = 'connecting';
    this.everOpened = false;
    this.stopped = true;
    this.ws = null;
    this.socketOpen = false;
    this.connectStartedAt = 0;
    this.lastFrameAt = 0;
    this.pingSent = false;
    this.backoffMs = this.initialBackoffMs;
    this.reconnectTimer = null;
    this.watchdogTimer = null;
    this.nextId = 1;

    this.apiKey = null;
    /** 'none' | 'pending' | 'ok' | 'failed' on the current connection */
    this.authState = 'none';
    this.stats = { connects: 0, reconnects: 0, gaps: 0, dropped: 0 };
  }

  // ---------------------------------------------------------------------------------------------
  // Events: state, snapshot, update, gap, authenticated, feedError, heartbeat, close, reconnectScheduled

  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
    return () => this.listeners.get(type).delete(fn);
  }

  emit(type, payload) {
    const set = this.listeners.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(payload);
      } catch (err) {
        // A rendering bug must not kill the feed; surface it without the payload.
        this.emitSafe('internalError', { type, message: err && err.message ? err.message : String(err) });
      }
    }
  }

  emitSafe(type, payload) {
    const set = this.listeners.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(payload);
      } catch {
        /* ignore */
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Public API

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.watchdogTimer = this.timers.setInterval(() => this.watchdog(), this.watchdogIntervalMs);
    this.connect();
  }

  stop() {
    this.stopped = true;
    if (this.reconnectTimer !== null) this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.watchdogTimer !== null) this.timers.clearInterval(this.watchdogTimer);
    this.watchdogTimer = null;
    this.detachAndClose('client stopped');
    this.resetConnectionState();
  }

  isPrivate(channel) {
    return PRIVATE_CHANNEL.test(channel);
  }

  /** Want this channel; sent now if possible, otherwise on (re)connection / authentication. */
  subscribe(channel) {
    if (this.channels.has(channel)) return;
    const entry = { private: this.isPrivate(channel), seq: null, synced: false, sent: false, reqId: null };
    this.channels.set(channel, entry);
    if (this.canSend(entry)) this.sendSubscribe(channel, entry);
  }

  unsubscribe(channel) {
    const entry = this.channels.get(channel);
    if (!entry) return;
    this.channels.delete(channel);
    // The request stays in `requests` so a late error for it is still attributed to the channel.
    if (entry.sent && this.socketOpen) this.send({ op: 'unsubscribe', channel });
    if (this.awaiting.delete(channel)) this.checkLive();
  }

  /** The channels currently wanted. */
  subscriptions() {
    return [...this.channels.keys()];
  }

  /**
   * Set (or clear with null) the API key used for private channels. A new key on a connection that
   * already authenticated, or clearing the key, opens a fresh connection so no server-side
   * authorisation outlives the key.
   */
  setApiKey(key) {
    const next = key ? String(key) : null;
    if (next === this.apiKey && (this.authState === 'ok' || this.authState === 'pending')) return;
    const usedOnThisSocket = this.authState === 'ok' || this.authState === 'pending';
    this.apiKey = next;
    if (!this.socketOpen) return; // sent on open
    if (usedOnThisSocket) {
      this.restartNow('api key changed');
      return;
    }
    if (next) this.sendAuth();
  }

  /** Drop the current connection and connect again at once (no backoff). */
  restartNow(reason) {
    if (this.stopped) return;
    this.detachAndClose(reason || 'restart');
    this.handleSocketGone(0, reason || 'restart', { immediate: true });
  }

  /** Send an application-level ping; answered with {type:'pong'}. */
  ping() {
    return this.send({ op: 'ping' });
  }

  // ---------------------------------------------------------------------------------------------
  // Connection

  connect() {
    this.reconnectTimer = null;
    if (this.stopped) return;
    this.setState(this.everOpened ? 'reconnecting' : 'connecting');
    let ws;
    try {
      ws = new this.WebSocketImpl(this.url);
    } catch {
      this.handleSocketGone(0, 'could not open WebSocket', {});
      return;
    }
    this.ws = ws;
    this.socketOpen = false;
    this.connectStartedAt = this.now();
    this.stats.connects += 1;
    ws.onopen = () => {
      if (ws === this.ws) this.handleOpen();
    };
    ws.onmessage = (ev) => {
      if (ws === this.ws) this.handleMessage(ev.data);
    };
    ws.onclose = (ev) => {
      if (ws === this.ws) this.handleSocketGone(ev.code, ev.reason || '', {});
    };
    ws.onerror = () => {
      /* a close event follows */
    };
  }

  handleOpen() {
    if (this.everOpened) this.stats.reconnects += 1;
    this.everOpened = true;
    this.socketOpen = true;
    this.lastFrameAt = this.now();
    this.pingSent = false;
    this.resetChannelState();
    this.awaiting = new Set();
    if (this.apiKey) this.sendAuth();
    for (const [channel, entry] of this.channels) {
      if (entry.private) continue;
      this.awaiting.add(channel);
      this.sendSubscribe(channel, entry);
    }
    this.checkLive();
  }

  handleSocketGone(code, reason, { immediate = false }) {
    const wasOpen = this.socketOpen;
    this.ws = null;
    this.resetConnectionState();
    this.emit('close', { code, reason, wasOpen });
    if (this.stopped) return;
    this.setState(this.everOpened ? 'reconnecting' : 'connecting');
    if (this.reconnectTimer !== null) this.timers.clearTimeout(this.reconnectTimer);
    const delay = immediate ? 0 : this.backoffMs;
    if (!immediate) this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
    this.emit('reconnectScheduled', { delayMs: delay });
    this.reconnectTimer = this.timers.setTimeout(() => this.connect(), delay);
  }

  resetConnectionState() {
    this.socketOpen = false;
    this.authState = 'none';
    this.requests.clear();
    this.awaiting = new Set();
    this.resetChannelState();
  }

  resetChannelState() {
    for (const entry of this.channels.values()) {
      entry.seq = null;
      entry.synced = false;
      entry.sent = false;
      entry.reqId = null;
    }
  }

  detachAndClose(reason) {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    ws.onopen = null;
    ws.onmessage = null;
    ws.onclose = null;
    ws.onerror = null;
    try {
      ws.close(4000, String(reason).slice(0, 100));
    } catch {
      /* already closed */
    }
  }

  watchdog() {
    if (this.stopped || !this.ws) return;
    const now = this.now();
    if (!this.socketOpen) {
      if (now - this.connectStartedAt > this.connectTimeoutMs) {
        this.detachAndClose('connect timeout');
        this.handleSocketGone(0, 'connect timeout', {});
      }
      return;
    }
    const silent = now - this.lastFrameAt;
    if (silent > this.silenceTimeoutMs) {
      this.detachAndClose('heartbeat timeout');
      this.handleSocketGone(0, 'heartbeat timeout', {});
    } else if (silent > this.pingAfterMs && !this.pingSent) {
      this.pingSent = true;
      this.send({ op: 'ping' });
    }
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  checkLive() {
    if (this.socketOpen && this.awaiting.size === 0 && this.state !== 'live') {
      this.backoffMs = this.initialBackoffMs;
      this.setState('live');
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sending

  send(frame) {
    if (!this.ws || !this.socketOpen || this.ws.readyState !== OPEN) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  newId(prefix) {
    const id = `${prefix}-${this.nextId}`;
    this.nextId += 1;
    return id;
  }

  canSend(entry) {
    return this.socketOpen && (!entry.private || this.authState === 'ok');
  }

  sendSubscribe(channel, entry) {
    const id = this.newId('sub');
    if (entry.reqId !== null) this.requests.delete(entry.reqId);
    entry.reqId = id;
    entry.sent = true;
    entry.synced = false;
    entry.seq = null;
    this.requests.set(id, { op: 'subscribe', channel });
    this.send({ op: 'subscribe', channel, id });
  }

  sendAuth() {
    const id = this.newId('auth');
    this.requests.set(id, { op: 'auth' });
    this.authState = 'pending';
    this.send({ op: 'auth', api_key: this.apiKey, id });
  }

  resync(channel, entry) {
    entry.synced = false;
    entry.seq = null;
    this.send({ op: 'unsubscribe', channel });
    this.sendSubscribe(channel, entry);
  }

  // ---------------------------------------------------------------------------------------------
  // Receiving

  handleMessage(raw) {
    this.lastFrameAt = this.now();
    this.pingSent = false;
    let frame;
    try {
      frame = JSON.parse(typeof raw === 'string' ? raw : String(raw));
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object') return;
    switch (frame.type) {
      case 'snapshot':
        this.handleSnapshot(frame);
        break;
      case 'update':
        this.handleUpdate(frame);
        break;
      case 'authenticated':
        this.handleAuthenticated(frame);
        break;
      case 'error':
        this.handleError(frame);
        break;
      case 'heartbeat':
        this.emit('heartbeat', { ts: frame.ts });
        break;
      default:
        // pong, unsubscribed and anything newer: the watchdog already counted it.
        break;
    }
  }

  handleSnapshot(frame) {
    const channel = frame.channel;
    const entry = this.channels.get(channel);
    if (!entry || !entry.sent) {
      // Not (or no longer) wanted.
      if (frame.id !== undefined && frame.id !== null) this.requests.delete(String(frame.id));
      return;
    }
    if (frame.id !== undefined && frame.id !== null && entry.reqId !== null && String(frame.id) !== entry.reqId) {
      // The answer to an earlier subscribe of this channel (it was re-subscribed since): wait for ours.
      this.requests.delete(String(frame.id));
      return;
    }
    if (entry.reqId !== null) this.requests.delete(entry.reqId);
    entry.seq = typeof frame.seq === 'number' ? frame.seq : null;
    entry.synced = true;
    this.emit('snapshot', { channel, seq: frame.seq, data: frame.data || {} });
    if (this.awaiting.delete(channel)) this.checkLive();
  }

  handleUpdate(frame) {
    const channel = frame.channel;
    const entry = this.channels.get(channel);
    if (!entry || !entry.synced) return; // before its snapshot, or while re-syncing
    const seq = frame.seq;
    if (typeof seq !== 'number' || entry.seq === null) {
      this.emit('update', { channel, seq, data: frame.data || {} });
      return;
    }
    if (seq <= entry.seq) {
      this.stats.dropped += 1;
      return; // duplicate or stale
    }
    if (seq !== entry.seq + 1) {
      this.stats.gaps += 1;
      this.emit('gap', { channel, expected: entry.seq + 1, got: seq });
      this.resync(channel, entry);
      return;
    }
    entry.seq = seq;
    this.emit('update', { channel, seq, data: frame.data || {} });
  }

  handleAuthenticated(frame) {
    if (frame.id !== undefined && frame.id !== null) this.requests.delete(String(frame.id));
    this.authState = 'ok';
    this.emit('authenticated', {
      scopes: Array.isArray(frame.scopes) ? frame.scopes : [],
      portfolios: Array.isArray(frame.portfolios) ? frame.portfolios : [],
    });
    for (const [channel, entry] of this.channels) {
      if (entry.private && !entry.sent) this.sendSubscribe(channel, entry);
    }
  }

  handleError(frame) {
    const id = frame.id !== undefined && frame.id !== null ? String(frame.id) : null;
    const request = id !== null ? this.requests.get(id) : undefined;
    if (id !== null) this.requests.delete(id);
    const info = {
      code: typeof frame.code === 'string' ? frame.code : 'ERROR',
      message: typeof frame.message === 'string' ? frame.message : '',
      op: request ? request.op : null,
      channel: request && request.channel ? request.channel : typeof frame.channel === 'string' ? frame.channel : null,
    };
    if ((request && request.op === 'auth') || (!request && info.code === 'INVALID_API_KEY')) {
      this.authState = 'failed';
    }
    if (request && request.op === 'subscribe') {
      // The subscription did not happen: forget it so it is not retried on every reconnect.
      const entry = this.channels.get(request.channel);
      if (entry && entry.reqId === id) {
        this.channels.delete(request.channel);
        if (this.awaiting.delete(request.channel)) this.checkLive();
      }
    } else if (!request && info.channel && this.channels.has(info.channel) && this.socketOpen) {
      // The server dropped a channel the page still wants (a key of another desk, or a narrower
      // one): ask again once for a fresh snapshot under the key now in force; a refusal then
      // answers that subscribe and forgets the channel.
      const entry = this.channels.get(info.channel);
      if (entry.sent && this.canSend(entry)) this.sendSubscribe(info.channel, entry);
    }
    this.emit('feedError', info);
  }
}
