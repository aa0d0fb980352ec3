// Test helpers for the WebSocket feed: a real `ws` client that records every frame with its receipt
// time and lets a test wait for the next frame matching a predicate, and a small REST client.

import { WebSocket } from 'ws';

/** A server-to-client frame of docs/feed.md (loosely typed: the tests check the shapes). */
export interface Frame {
  type: string;
  channel?: string;
  seq?: number;
  code?: string;
  message?: string;
  id?: string | number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data?: any;
  [k: string]: unknown;
}

export interface Received {
  readonly frame: Frame;
  /** performance.now() when the frame was parsed here. */
  readonly at: number;
}

type Predicate = (f: Frame) => boolean;

export class FeedTestClient {
  /** Every frame received, in order (heartbeats included). */
  readonly log: Received[] = [];
  private readonly pending: Received[] = [];
  private waiters: { pred: Predicate; resolve: (r: Received) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw, isBinary) => {
      const r: Received = { frame: JSON.parse(isBinary ? '"binary"' : raw.toString()) as Frame, at: performance.now() };
      this.log.push(r);
      const i = this.waiters.findIndex((w) => w.pred(r.frame));
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        w.resolve(r);
      } else {
        this.pending.push(r);
      }
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static connect(baseUrl: string): Promise<FeedTestClient> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`);
    const client = new FeedTestClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  /** The next not yet taken frame matching `pred` (by default, any frame but a heartbeat). */
  next(pred: Predicate = notHeartbeat, timeoutMs = 5000, what = 'a frame'): Promise<Frame> {
    return this.nextReceived(pred, timeoutMs, what).then((r) => r.frame);
  }

  nextReceived(pred: Predicate = notHeartbeat, timeoutMs = 5000, what = 'a frame'): Promise<Received> {
    const i = this.pending.findIndex((r) => pred(r.frame));
    if (i >= 0) return Promise.resolve(this.pending.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (r: Received) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const recent = this.log.slice(-5).map((r) => JSON.stringify(r.frame).slice(0, 200));
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last frames:\n${recent.join('\n')}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Sends a frame with an id and waits for the answer carrying that id. */
  async request(frame: Record<string, unknown>, timeoutMs = 5000): Promise<Frame> {
    const id = `r${++requestCounter}`;
    this.send({ ...frame, id });
    return this.next((f) => f.id === id, timeoutMs, `the answer to ${JSON.stringify(frame)}`);
  }

  /** Subscribes and returns the snapshot (throws on an error frame). */
  async subscribe(channel: string): Promise<Frame> {
    const answer = await this.request({ op: 'subscribe', channel });
    if (answer.type !== 'snapshot') throw new Error(`subscribe ${channel}: ${JSON.stringify(answer)}`);
    return answer;
  }

  async auth(apiKey: string): Promise<Frame> {
    return this.request({ op: 'auth', api_key: apiKey });
  }

  /** Frames of one channel received so far (snapshots and updates), in order. */
  framesOf(channel: string): Frame[] {
    return this.log.map((r) => r.frame).filter((f) => f.channel === channel && (f.type === 'snapshot' || f.type === 'update'));
  }

  /** Drops every pending frame (those already received but not taken). */
  drain(): void {
    this.pending.length = 0;
  }

  /** Frames received and not taken, heartbeats excluded. */
  untaken(pred: Predicate = () => true): Frame[] {
    return this.pending.map((r) => r.frame).filter((f) => f.type !== 'heartbeat' && pred(f));
  }

  close(): Promise<unknown> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    this.ws.terminate();
    return this.closed;
  }
}

let requestCounter = 0;
const notHeartbeat: Predicate = (f) => f.type !== 'heartbeat';

export const isUpdate = (channel: string) => (f: Frame) => f.type === 'update' && f.channel === channel;

/** Asserts seqs are exactly first, first+1, ... and returns the last. */
export function expectContiguous(frames: Frame[], first: number): number {
  let expected = first;
  for (const f of frames) {
    if (f.seq !== expected) throw new Error(`seq gap on ${f.channel}: expected ${expected}, got ${f.seq}`);
    expected++;
  }
  return expected - 1;
}

export interface RestClient {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: any }>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  order(body: Record<string, unknown>, key?: string): Promise<any>;
  portfolio(name: string, startingCash?: string): Promise<void>;
}

export function restClient(baseUrl: string, adminKey: string): RestClient {
  const call: RestClient['call'] = async (method, path, body, key = adminKey) => {
    const res = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    call,
    async order(body, key) {
      const res = await call('POST', '/orders', { type: 'LIMIT', time_in_force: 'GTC', ...body }, key);
      if (res.status !== 201) throw new Error(`POST /orders ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async portfolio(name, startingCash = '100000000') {
      const res = await call('POST', '/portfolios', { name, starting_cash: startingCash, allow_short: true });
      if (res.status !== 201) throw new Error(`POST /portfolios ${res.status}: ${JSON.stringify(res.body)}`);
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `fn` is true or the time is up. */
export async function waitFor(fn: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** The clients a test file opened, so its afterAll can close every one of them. */
export class FeedClientPool {
  private readonly clients: FeedTestClient[] = [];

  constructor(private readonly baseUrl: () => string) {}

  async connect(): Promise<FeedTestClient> {
    const c = await FeedTestClient.connect(this.baseUrl());
    this.clients.push(c);
    return c;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}
