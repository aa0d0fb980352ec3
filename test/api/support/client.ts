import { expect } from '@jest/globals';
import { startTestOms, type TestOms } from '../../support/oms.js';

/** One HTTP exchange as a test sees it: status, headers and the parsed body (or the text). */
export interface ApiResponse<T = any> {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: T;
}

export interface RequestOptions {
  /** A JSON body (serialized here). */
  readonly body?: unknown;
  /** A body sent as is (malformed JSON, oversized payloads). */
  readonly raw?: string;
  readonly headers?: Record<string, string>;
}

export const API = '/api/v1';

let symbolCounter = 0;

/**
 * A small REST client over fetch. `path` is under /api/v1 unless it starts with `~` (root paths:
 * `~/health`). Every response is kept in `seen` (shared by the clients made with `as`), so a file
 * can check at the end that nothing answered a 500 or leaked a stack trace.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly key: string | null,
    readonly seen: ApiResponse[] = [],
  ) {}

  /** The same server with another key (null: no key). */
  as(key: string | null): ApiClient {
    return new ApiClient(this.baseUrl, key, this.seen);
  }

  async request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = path.startsWith('~') ? `${this.baseUrl}${path.slice(1)}` : `${this.baseUrl}${API}${path}`;
    const headers: Record<string, string> = { ...opts.headers };
    if (this.key !== null) headers['x-api-key'] = this.key;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(url, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const out: ApiResponse<T> = { method, path, status: res.status, headers: res.headers, text, body: parsed as T };
    this.seen.push(out);
    return out;
  }

  get<T = any>(path: string, opts?: RequestOptions) {
    return this.request<T>('GET', path, opts);
  }
  post<T = any>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('POST', path, { ...opts, body });
  }
  patch<T = any>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('PATCH', path, { ...opts, body });
  }
  put<T = any>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('PUT', path, { ...opts, body });
  }
  delete<T = any>(path: string, opts?: RequestOptions) {
    return this.request<T>('DELETE', path, opts);
  }

  // ---- shortcuts for setting up a scenario (they assert success) ----------------------------

  async createPortfolio(name: string, startingCash = '1000000.00', allowShort = false): Promise<any> {
    const res = await this.post('/portfolios', { name, starting_cash: startingCash, allow_short: allowShort });
    expect({ status: res.status, name: res.body?.name }).toEqual({ status: 201, name });
    return res.body;
  }

  /** Places an order and expects 201; returns the body (order with fills). */
  async place(body: Record<string, unknown>): Promise<any> {
    const res = await this.post('/orders', body);
    if (res.status !== 201) throw new Error(`POST /orders ${JSON.stringify(body)} answered ${res.status}: ${res.text}`);
    return res.body;
  }

  async setPrice(symbol: string, price: string): Promise<any> {
    const res = await this.put(`/instruments/${symbol}/price`, { price });
    if (res.status !== 200) throw new Error(`PUT price answered ${res.status}: ${res.text}`);
    return res.body;
  }

  /**
   * A fresh instrument (tick 0.01, lot 1) so a test's book holds only its own orders. The name
   * carries a counter of the client, so a file can make as many as it needs.
   */
  async newSymbol(referencePrice = '100.00'): Promise<string> {
    const symbol = `T${++symbolCounter}X${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
    const res = await this.post('/instruments', { symbol, name: `test ${symbol}`, reference_price: referencePrice });
    if (res.status !== 201) throw new Error(`POST /instruments answered ${res.status}: ${res.text}`);
    return symbol;
  }

  /** Every page of a list endpoint, following next_cursor. */
  async all<T = any>(path: string): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | null = null;
    const sep = path.includes('?') ? '&' : '?';
    for (;;) {
      const res: ApiResponse<{ data: T[]; next_cursor: string | null }> = await this.get(
        cursor === null ? `${path}${sep}limit=500` : `${path}${sep}limit=500&cursor=${cursor}`,
      );
      if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${res.text}`);
      out.push(...res.body.data);
      cursor = res.body.next_cursor;
      if (cursor === null) return out;
    }
  }
}

/**
 * A fresh OMS for one test file (or, with port and databaseUrl, the same one restarted), with a
 * client holding the admin key; `seen` carries the responses recorded before a restart.
 */
export async function startApi(
  opts: Parameters<typeof startTestOms>[0] = {},
  seen: ApiResponse[] = [],
): Promise<{ oms: TestOms; api: ApiClient }> {
  const oms = await startTestOms(opts);
  return { oms, api: new ApiClient(oms.baseUrl, oms.adminKey, seen) };
}

// ---- matchers for the parts of a body a test cannot know in advance -------------------------

export const anyId = () => expect.stringMatching(/^\d+$/);
export const anyIso = () => expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

/** A portfolio's summary with no positions, P&L or fees (GET /portfolios/{name}); `fields` fill in or override. */
export function flatSummary(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    market_value: '0.00',
    gmv: '0.00',
    unrealized_pnl: '0.00',
    realized_pnl: '0.00',
    fees_paid: '0.00',
    total_pnl: '0.00',
    allow_short: false,
    open_orders: 0,
    positions: [],
    as_of: anyIso(),
    ...fields,
  };
}

/** The error body of docs/api.md, whole. */
export function errorBody(code: string, message: string | ReturnType<typeof expect.any>, details: { path: string; message: string }[] = []) {
  return { error: { code, message, details } };
}

/** Asserts status and the whole error body. */
export function expectError(
  res: ApiResponse,
  status: number,
  code: string,
  message: string | ReturnType<typeof expect.any>,
  details: { path: string; message: string }[] = [],
): void {
  expect({ status: res.status, body: res.body }).toEqual({ status, body: errorBody(code, message, details) });
}

/** Asserts that no response was a 5xx (but an expected 503) nor carried a stack trace. */
export function expectNoServerErrors(seen: readonly ApiResponse[]): void {
  const bad = seen
    .filter((r) => r.status >= 500 || /\bat .+\.(ts|js):\d+|node_modules|\/src\//.test(r.text))
    .map((r) => `${r.method} ${r.path} -> ${r.status} ${r.text.slice(0, 300)}`);
  expect(bad).toEqual([]);
}

/** An order as docs/api.md shows it, from the fields a test cares about; the rest get defaults. */
export function orderBody(fields: Record<string, unknown>) {
  return {
    id: anyId(),
    client_order_id: null,
    type: 'LIMIT',
    limit_price: null,
    stop_price: null,
    time_in_force: 'DAY',
    status: 'NEW',
    reason: null,
    triggered: null,
    avg_fill_price: null,
    filled_quantity: 0,
    user_id: null,
    origin: null,
    created_at: anyIso(),
    updated_at: anyIso(),
    ...fields,
  };
}
