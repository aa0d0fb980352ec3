// Unit tests of the dashboard's feed client (src/dashboard/public/feed.js, plain browser JS) in Node,
// with a fake WebSocket and a manual clock: seq tracking and re-snapshot on a gap, reconnection with
// backoff, re-authentication and re-subscription, the heartbeat watchdog, and where the key may go.

import { describe, it, expect, beforeAll, beforeEach } from '@jest/globals';

// The module is browser JavaScript without type declarations: import it by a non-literal path and
// describe the part used here.
type Listener = (payload: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
interface FeedClientLike {
  state: string;
  stats: { connects: number; reconnects: number; gaps: number; dropped: number };
  on(type: string, fn: Listener): () => void;
  start(): void;
  stop(): void;
  subscribe(channel: string): void;
  unsubscribe(channel: string): void;
  setApiKey(key: string | null): void;
  subscriptions(): string[];
}
interface FeedModule {
  FeedClient: new (options: Record<string, unknown>) => FeedClientLike;
}

const FEED_MODULE_PATH: string = '../../src/dashboard/public/feed.js';
let FeedClient: FeedModule['FeedClient'];

beforeAll(async () => {
  ({ FeedClient } = (await import(FEED_MODULE_PATH)) as FeedModule);
});

// ---------------------------------------------------------------------------------------------
// Fakes

class Clock {
  nowMs = 1_000_000;
  private nextId = 1;
  private timers = new Map<number, { at: number; fn: () => void; every: number | null }>();

  now = (): number => this.nowMs;
  setTimeout = (fn: () => void, ms: number): number => this.add(fn, ms, null);
  setInterval = (fn: () => void, ms: number): number => this.add(fn, ms, ms);
  clearTimeout = (id: number): void => void this.timers.delete(id);
  clearInterval = (id: number): void => void this.timers.delete(id);

  private add(fn: () => void, ms: number, every: number | null): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.nowMs + Math.max(0, ms), fn, every });
    return id;
  }

  /** Advance time, running due timers in order. */
  advance(ms: number): void {
    const end = this.nowMs + ms;
    for (;;) {
      let nextId: number | null = null;
      let nextAt = Infinity;
      for (const [id, t] of this.timers) {
        if (t.at <= end && t.at < nextAt) {
          nextAt = t.at;
          nextId = id;
        }
      }
      if (nextId === null) break;
      const t = this.timers.get(nextId)!;
      this.nowMs = t.at;
      if (t.every === null) this.timers.delete(nextId);
      else t.at += t.every;
      t.fn();
    }
    this.nowMs = end;
  }

  pendingTimeouts(): number[] {
    return [...this.timers.values()].filter((t) => t.every === null).map((t) => t.at - this.nowMs);
  }
}

interface Frame {
  op?: string;
  channel?: string;
  id?: string;
  api_key?: string;
}

class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  closed = false;
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;

  constructor(public url: string) {
    FakeSocket.all.push(this);
  }

  static latest(): FakeSocket {
    return FakeSocket.all[FakeSocket.all.length - 1];
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(data);
  }

  close(): void {
    this.closed = true;
    this.readyState = 3;
  }

  // server side
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }

  push(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  serverClose(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  frames(): Frame[] {
    return this.sent.map((s) => JSON.parse(s) as Frame);
  }

  takeFrames(): Frame[] {
    const f = this.frames();
    this.sent = [];
    return f;
  }

  /** Answer every subscribe sent so far with a snapshot (seq given per channel, default 10). */
  snapshotAll(seq: Record<string, number> = {}): void {
    for (const f of this.takeFrames()) {
      if (f.op === 'subscribe' && f.channel) {
        this.push({ type: 'snapshot', channel: f.channel, seq: seq[f.channel] ?? 10, data: { channel: f.channel }, id: f.id });
      }
    }
  }
}

let clock: Clock;
let events: { type: string; payload: any }[]; // eslint-disable-line @typescript-eslint/no-explicit-any

function makeClient(): FeedClientLike {
  const client = new FeedClient({
    url: 'ws://example.test/ws',
    WebSocketImpl: FakeSocket,
    now: clock.now,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    setInterval: clock.setInterval,
    clearInterval: clock.clearInterval,
  });
  for (const type of ['state', 'snapshot', 'update', 'gap', 'authenticated', 'feedError', 'heartbeat', 'close']) {
    client.on(type, (payload) => events.push({ type, payload }));
  }
  return client;
}

function of(type: string): any[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  return events.filter((e) => e.type === type).map((e) => e.payload);
}

beforeEach(() => {
  clock = new Clock();
  events = [];
  FakeSocket.all = [];
});

// ---------------------------------------------------------------------------------------------

describe('feed client: subscriptions and seq', () => {
  it('subscribes on open and is live once every public snapshot arrived', () => {
    const c = makeClient();
    c.subscribe('ticker');
    c.subscribe('book:AAPL');
    c.start();
    expect(c.state).toBe('connecting');
    const ws = FakeSocket.latest();
    expect(ws.url).toBe('ws://example.test/ws');
    ws.open();
    expect(ws.frames().map((f) => [f.op, f.channel])).toEqual([
      ['subscribe', 'ticker'],
      ['subscribe', 'book:AAPL'],
    ]);
    expect(c.state).toBe('connecting');
    ws.push({ type: 'snapshot', channel: 'ticker', seq: 1, data: {} });
    expect(c.state).toBe('connecting');
    ws.push({ type: 'snapshot', channel: 'book:AAPL', seq: 5, data: { bids: [] } });
    expect(c.state).toBe('live');
    expect(of('snapshot').map((s) => s.channel)).toEqual(['ticker', 'book:AAPL']);
  });

  it('applies consecutive updates, drops repeated ones, and re-snapshots on a gap', () => {
    const c = makeClient();
    c.subscribe('book:AAPL');
    c.start();
    const ws = FakeSocket.latest();
    ws.open();
    ws.snapshotAll({ 'book:AAPL': 7 });
    ws.push({ type: 'update', channel: 'book:AAPL', seq: 8, data: { n: 8 } });
    ws.push({ type: 'update', channel: 'book:AAPL', seq: 8, data: { n: 8 } }); // repeated
    ws.push({ type: 'update', channel: 'book:AAPL', seq: 9, data: { n: 9 } });
    expect(of('update').map((u) => u.data.n)).toEqual([8, 9]);

    ws.push({ type: 'update', channel: 'book:AAPL', seq: 11, data: { n: 11 } }); // 10 was lost
    expect(of('gap')).toEqual([{ channel: 'book:AAPL', expected: 10, got: 11 }]);
    const resync = ws.takeFrames();
    expect(resync.map((f) => [f.op, f.channel])).toEqual([
      ['unsubscribe', 'book:AAPL'],
      ['subscribe', 'book:AAPL'],
    ]);
    // Until the fresh snapshot, updates are ignored.
    ws.push({ type: 'update', channel: 'book:AAPL', seq: 12, data: { n: 12 } });
    expect(of('update')).toHaveLength(2);
    ws.push({ type: 'snapshot', channel: 'book:AAPL', seq: 40, data: { fresh: true }, id: resync[1].id });
    ws.push({ type: 'update', channel: 'book:AAPL', seq: 41, data: { n: 41 } });
    expect(of('snapshot').map((s) => s.seq)).toEqual([7, 40]);
    expect(of('update').map((u) => u.data.n)).toEqual([8, 9, 41]);
    expect(c.stats.gaps).toBe(1);
  });

  it('ignores frames for channels it does not want, and updates before their snapshot', () => {
    const c = makeClient();
    c.subscribe('trades:AAPL');
    c.start();
    const ws = FakeSocket.latest();
    ws.open();
    ws.push({ type: 'update', channel: 'trades:AAPL', seq: 3, data: {} });
    ws.push({ type: 'snapshot', channel: 'book:MSFT', seq: 1, data: {} });
    expect(of('update')).toEqual([]);
    expect(of('snapshot')).toEqual([]);
    c.unsubscribe('trades:AAPL');
    expect(ws.frames().at(-1)).toEqual({ op: 'unsubscribe', channel: 'trades:AAPL' });
  });

  it('forgets a subscription the server refused and reports the error with its channel', () => {
    const c = makeClient();
    c.subscribe('ticker');
    c.subscribe('book:NOPE');
    c.start();
    const ws = FakeSocket.latest();
    ws.open();
    const [, bad] = ws.frames();
    ws.push({ type: 'snapshot', channel: 'ticker', seq: 1, data: {} });
    expect(c.state).toBe('connecting');
    ws.push({ type: 'error', code: 'UNKNOWN_SYMBOL', message: 'no such symbol', id: bad.id });
    expect(c.state).toBe('live');
    expect(of('feedError')).toEqual([{ code: 'UNKNOWN_SYMBOL', message: 'no such symbol', op: 'subscribe', channel: 'book:NOPE' }]);
    expect(c.subscriptions()).toEqual(['ticker']);
  });
});

describe('feed client: authentication', () => {
  it('subscribes private channels only after `authenticated`, and the key only goes in the auth frame', () => {
    const c = makeClient();
    c.subscribe('ticker');
    c.setApiKey('pk_secret');
    c.subscribe('portfolio:Tech');
    c.subscribe('orders:Tech');
    c.start();
    const ws = FakeSocket.latest();
    ws.open();
    const first = ws.takeFrames();
    expect(first.map((f) => [f.op, f.channel])).toEqual([
      ['auth', undefined],
      ['subscribe', 'ticker'],
    ]);
    expect(first[0].api_key).toBe('pk_secret');
    ws.push({ type: 'authenticated', scopes: ['read'], portfolios: ['Tech'], id: first[0].id });
    expect(ws.frames().map((f) => [f.op, f.channel])).toEqual([
      ['subscribe', 'portfolio:Tech'],
      ['subscribe', 'orders:Tech'],
    ]);
    expect(of('authenticated')).toEqual([{ scopes: ['read'], portfolios: ['Tech'] }]);
    for (const e of events) expect(JSON.stringify(e.payload ?? null)).not.toContain('pk_secret');
  });

  it('asks once more for a channel the server dropped (a key of another desk): a fresh snapshot of the desk now in force', () => {
    const c = makeClient();
    c.subscribe('book:AAPL');
    c.setApiKey('pk_other_desk');
    c.start();
    const ws = FakeSocket.latest();
    ws.open();
    const [auth, sub] = ws.takeFrames();
    ws.push({ type: 'snapshot', channel: 'book:AAPL', seq: 4, data: {}, id: sub.id });
    ws.push({ type: 'authenticated', scopes: ['read'], portfolios: [], id: auth.id });
    ws.takeFrames();
    // The server leaves the old desk's channel, unasked: the page still wants it.
    ws.push({ type: 'error', code: 'FORBIDDEN', channel: 'book:AAPL', message: 'the API key now in force is of another desk; book:AAPL was unsubscribed' });
    const again = ws.takeFrames();
    expect(again.map((f) => [f.op, f.channel])).toEqual([['subscribe', 'book:AAPL']]);
    ws.push({ type: 'snapshot', channel: 'book:AAPL', seq: 1, data: {}, id: again[0].id });
    ws.push({ type: 'update', channel: 'book:AAPL', seq: 2, data: { bids: [] } });
    expect(of('update').map((u) => u.seq)).toEqual([2]);
    expect(c.subscriptions()).toEqual(['book:AAPL']);
  });

  it('reports a FORBIDDEN private channel and does not retry it', () => {
    const c = makeClient();
    c.setApiKey('pk_read');
    c.subscribe('portfolio:Other');
    c.start();
    const ws = FakeSocket.latest();
    ws.open();
    ws.push({ type: 'authenticated', scopes: ['read'], portfolios: ['Mine'] });
    const sub = ws.frames().find((f) => f.op === 'subscribe')!;
    ws.push({ type: 'error', code: 'FORBIDDEN', message: 'not your portfolio', id: sub.id });
    expect(of('feedError')[0]).toMatchObject({ code: 'FORBIDDEN', channel: 'portfolio:Other' });
    expect(c.subscriptions()).toEqual([]);
  });

  it('marks an invalid key as failed without reconnecting', () => {
    const c = makeClient();
    c.setApiKey('pk_bad');
    c.subscribe('portfolio:Tech');
    c.start();
    const ws = FakeSocket.latest();
    ws.open();
    const auth = ws.takeFrames()[0];
    ws.push({ type: 'error', code: 'INVALID_API_KEY', message: 'invalid', id: auth.id });
    expect(of('feedError')[0]).toMatchObject({ code: 'INVALID_API_KEY', op: 'auth' });
    c.setApiKey(null);
    expect(FakeSocket.all).toHaveLength(1);
    expect(ws.frames()).toEqual([]); // the private channel was never subscribed
  });

  it('opens a fresh connection when the key is cleared after it was accepted', () => {
    const c = makeClient();
    c.setApiKey('pk_secret');
    c.start();
    const ws = FakeSocket.latest();
    ws.open();
    ws.push({ type: 'authenticated', scopes: ['read'], portfolios: [] });
    c.setApiKey(null);
    expect(ws.closed).toBe(true);
    clock.advance(0);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.latest().open();
    expect(FakeSocket.latest().frames().some((f) => f.op === 'auth')).toBe(false);
  });
});

describe('feed client: reconnection', () => {
  it('reconnects with backoff 0.5 s doubling to 5 s, then re-authenticates and re-subscribes', () => {
    const c = makeClient();
    c.subscribe('ticker');
    c.subscribe('book:AAPL');
    c.setApiKey('pk_secret');
    c.subscribe('orders:Tech');
    c.start();
    let ws = FakeSocket.latest();
    ws.open();
    ws.push({ type: 'authenticated', scopes: ['read'], portfolios: [] });
    ws.snapshotAll();
    expect(c.state).toBe('live');

    ws.serverClose(1012, 'service restart');
    expect(c.state).toBe('reconnecting');
    expect(of('close').at(-1)).toEqual({ code: 1012, reason: 'service restart', wasOpen: true });

    // Attempts fail while the server is down: 500, 1000, 2000, 4000, 5000, 5000 ms apart.
    const delays: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const [delay] = clock.pendingTimeouts();
      delays.push(delay);
      const before = FakeSocket.all.length;
      clock.advance(delay - 1);
      expect(FakeSocket.all.length).toBe(before);
      clock.advance(1);
      expect(FakeSocket.all.length).toBe(before + 1);
      FakeSocket.latest().serverClose(1006, '');
      expect(c.state).toBe('reconnecting');
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 5000, 5000]);

    // The server is back.
    clock.advance(clock.pendingTimeouts()[0]);
    ws = FakeSocket.latest();
    ws.open();
    const frames = ws.takeFrames();
    expect(frames.map((f) => [f.op, f.channel])).toEqual([
      ['auth', undefined],
      ['subscribe', 'ticker'],
      ['subscribe', 'book:AAPL'],
    ]);
    expect(c.state).toBe('reconnecting'); // open, but no fresh snapshots yet
    ws.push({ type: 'authenticated', scopes: ['read'], portfolios: [] });
    for (const f of frames.filter((x) => x.op === 'subscribe')) {
      ws.push({ type: 'snapshot', channel: f.channel, seq: 100, data: {}, id: f.id });
    }
    expect(c.state).toBe('live');
    expect(ws.frames().map((f) => [f.op, f.channel])).toEqual([['subscribe', 'orders:Tech']]);
    // Old seqs are forgotten: the new snapshot's seq is the base.
    ws.push({ type: 'update', channel: 'ticker', seq: 101, data: { n: 1 } });
    expect(of('update').at(-1)).toMatchObject({ channel: 'ticker', seq: 101 });

    // Backoff starts again from 0.5 s after a successful connection.
    ws.serverClose(1006, '');
    expect(clock.pendingTimeouts()).toEqual([500]);
  });

  it('pings after 20 s of silence and drops a silent connection after 40 s', () => {
    const c = makeClient();
    c.subscribe('ticker');
    c.start();
    const ws = FakeSocket.latest();
    ws.open();
    ws.snapshotAll();
    clock.advance(15_000);
    ws.push({ type: 'heartbeat', ts: new Date().toISOString() });
    expect(of('heartbeat')).toHaveLength(1);
    clock.advance(19_000);
    expect(ws.frames()).toEqual([]);
    clock.advance(2_000);
    expect(ws.takeFrames()).toEqual([{ op: 'ping' }]);
    expect(c.state).toBe('live');
    clock.advance(20_000);
    expect(ws.closed).toBe(true);
    expect(c.state).toBe('reconnecting');
    expect(of('close').at(-1)).toMatchObject({ reason: 'heartbeat timeout', wasOpen: true });
    clock.advance(500);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('gives up on a connection attempt that hangs', () => {
    const c = makeClient();
    c.start();
    expect(FakeSocket.all).toHaveLength(1);
    clock.advance(11_000);
    expect(FakeSocket.all[0].closed).toBe(true);
    clock.advance(500);
    expect(FakeSocket.all).toHaveLength(2);
    expect(c.state).toBe('connecting'); // never connected yet
  });

  it('stops cleanly', () => {
    const c = makeClient();
    c.start();
    FakeSocket.latest().open();
    c.stop();
    expect(FakeSocket.latest().closed).toBe(true);
    clock.advance(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });
});
