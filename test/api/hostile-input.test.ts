import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openApiDocument } from '../../src/api/openapi.js';
import { reconcile } from '../../src/db/reconciliation.js';
import type { TestOms } from '../support/oms.js';
import { expectNoServerErrors, startApi, type ApiClient, type ApiResponse } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';

/**
 * Hostile text sent to every string field of every endpoint: each body field, query parameter and
 * path parameter that /openapi.json documents (built from the schemas that validate the requests, and
 * checked here against the routes the app really serves, so a new field or endpoint is attacked too).
 * Text that could hurt is a 4xx naming the field; valid text of any script is not refused as text;
 * and after the whole barrage the desk is healthy, trades, and reconciles.
 */
let oms: TestOms;
let api: ApiClient;

const HOSTILE = [
  // A key of a free-form object is refused as "a key holds ...".
  { name: 'NUL', value: 'a\u0000b', problem: /^(a key )?holds a control character \(U\+0000 at index 1\)$/ },
  { name: 'a bell', value: 'a\u0007b', problem: /^(a key )?holds a control character \(U\+0007 at index 1\)$/ },
  // JSON.stringify writes it as the escape "\ud800"; in a URL it is percent-encoded as WTF-8.
  { name: 'an unpaired surrogate', value: 'a\ud800b', problem: /^((a key )?holds an unpaired UTF-16 surrogate \(U\+D800 at index 1\)|is not valid percent-encoded UTF-8)/ },
  { name: 'a right-to-left override', value: 'a\u202eb', problem: /^(a key )?holds a bidirectional override or isolate control \(U\+202E at index 1\)/ },
  { name: '100,000 characters', value: 'x'.repeat(100_000), problem: /^(a key )?is 100000 characters long; at most \d+ are allowed$/ },
] as const;
const VALID = 'Café Ünïcödé 日本 📈';
/** What a refusal of text for its characters says; valid text must never get it. */
const TEXT_PROBLEM = /control character|surrogate|bidirectional|tab or line break|percent-encoded/;

/** Percent-encoding that also writes a lone surrogate (as WTF-8), which encodeURIComponent refuses. */
function percentEncode(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff) {
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(ch);
  }
  return out;
}

interface Request {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: Record<string, unknown>;
}

let counter = 0;
const fresh = (prefix: string) => `${prefix}${++counter}`;
const setup = { orderId: '', tradeId: '' };
const order = { symbol: 'HST', side: 'BUY', type: 'LIMIT', quantity: 1, limit_price: '1.00', time_in_force: 'GTC', portfolio_name: 'Hostile' };
const restingOrder = async () => (await api.place(order)).id as string;
const newKeyId = async () => String((await api.post('/keys', { name: fresh('victim ') })).body.id);
const newMember = async () => {
  const member = `slack:THOSTILE:${fresh('U')}`;
  expect((await api.put(`/members/${member}`, { role: 'viewer' })).status).toBe(200);
  return member;
};
/** An order of Gated (approval threshold 5.00) placed by another key than the admin's, which decides it. */
let gatedTrader: ApiClient;
const pendingOrder = async () => String((await gatedTrader.post('/orders', { ...order, portfolio_name: 'Gated', limit_price: '6.00' })).body.id);

/**
 * A request each operation accepts (2xx) as it is, so a refusal of its attacked copy is that field's
 * doing. Those that use something up (a cancel, a revocation, a new symbol) make a fresh one each time.
 */
const FIXTURES: Record<string, () => Promise<Request>> = {
  'POST /orders': async () => ({ body: { ...order } }),
  'GET /orders': async () => ({ query: { portfolio: 'Hostile' } }),
  'GET /orders/{id}': async () => ({ params: { id: setup.orderId } }),
  'PATCH /orders/{id}': async () => ({ params: { id: await restingOrder() }, body: { limit_price: '1.01' } }),
  'DELETE /orders/{id}': async () => ({ params: { id: await restingOrder() } }),
  'POST /trade': async () => ({ body: { symbol: 'HST', side: 'BUY', quantity: 1, portfolio_name: 'Hostile' } }),
  'GET /trades': async () => ({ query: { symbol: 'HST' } }),
  'GET /trades/{trade_id}': async () => ({ params: { trade_id: setup.tradeId } }),
  'GET /portfolios': async () => ({}),
  'POST /portfolios': async () => ({ body: { name: fresh('Portfolio '), starting_cash: '1000.00' } }),
  'GET /portfolio/{name}': async () => ({ params: { name: 'Hostile' } }),
  'POST /portfolios/{name}/cash': async () => ({ params: { name: 'Cashbox' }, body: { amount: '1.00', reason: 'hostile test' } }),
  'POST /portfolios/{name}/reset': async () => ({ params: { name: 'Cashbox' }, body: { starting_cash: '1000.00' } }),
  'GET /book/{symbol}': async () => ({ params: { symbol: 'HST' }, query: { depth: '5' } }),
  'GET /instruments': async () => ({}),
  'POST /instruments': async () => ({ body: { symbol: fresh('H'), name: 'hostile test', reference_price: '10.00' } }),
  'PUT /instruments/{symbol}/price': async () => ({ params: { symbol: 'HST' }, body: { price: '10.00' } }),
  'PATCH /instruments/{symbol}': async () => ({ params: { symbol: 'HST' }, body: { session: '24/7' } }),
  'GET /keys': async () => ({}),
  'POST /keys': async () => ({ body: { name: 'hostile test', portfolios: ['Hostile'] } }),
  'DELETE /keys/{id}': async () => ({ params: { id: await newKeyId() } }),
  'GET /desks': async () => ({}),
  'POST /desks': async () => ({ body: { name: fresh('desk ') } }),
  'GET /bars/{symbol}': async () => ({ params: { symbol: 'HST' }, query: { interval: '5m', from: '2024-06-14T13:30:00Z', to: '1718400000' } }),
  'GET /fees': async () => ({}),
  'PUT /fees': async () => ({ body: { per_share: '0', bps: '0', min_per_order: '0' } }),
  'GET /leaderboard': async () => ({ query: { period: 'week' } }),
  'GET /portfolios/{name}/equity': async () => ({ params: { name: 'Hostile' }, query: { period: 'month' } }),
  'GET /members': async () => ({}),
  'GET /members/{member}': async () => ({ params: { member: 'slack:THOSTILE:UADMIN' } }),
  'PUT /members/{member}': async () => ({ params: { member: `slack:THOSTILE:${fresh('U')}` }, body: { role: 'trader', portfolios: ['Hostile'] } }),
  'DELETE /members/{member}': async () => ({ params: { member: await newMember() } }),
  'GET /channels': async () => ({}),
  'PUT /channels/{channel}/portfolios/{portfolio}': async () => ({ params: { channel: 'CHOSTILE', portfolio: 'Hostile' } }),
  'DELETE /channels/{channel}/portfolios/{portfolio}': async () => ({ params: { channel: 'CHOSTILE', portfolio: 'Hostile' } }),
  'PUT /channels/{channel}/trading': async () => ({ params: { channel: 'CHOSTILE' } }),
  'DELETE /channels/{channel}/trading': async () => ({ params: { channel: 'CHOSTILE' } }),
  'GET /desk/risk-state': async () => ({}),
  'PUT /desk/risk-state': async () => ({ body: { state: 'ACTIVE' } }),
  'GET /portfolios/{name}/risk-state': async () => ({ params: { name: 'Hostile' } }),
  'PUT /portfolios/{name}/risk-state': async () => ({ params: { name: 'Cashbox' }, body: { state: 'ACTIVE' } }),
  'PUT /portfolios/{name}/limits': async () => ({ params: { name: 'Cashbox' }, body: { max_order_notional: '100000.00' } }),
  'POST /orders/{id}/approve': async () => ({ params: { id: await pendingOrder() }, body: { reason: 'checked' } }),
  'POST /orders/{id}/reject': async () => ({ params: { id: await pendingOrder() }, body: { reason: 'too large' } }),
  'GET /cluster': async () => ({}),
};

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  pattern?: string;
  maxLength?: number;
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
}

/** One string an operation takes, where it goes, and what a refusal of it must name. */
interface Target {
  readonly where: 'body' | 'query' | 'path';
  readonly label: string;
  /** The `path` of the refusal's details. */
  readonly names: string;
  /** Puts the value into a copy of the request. */
  put(req: Request, value: string): Request;
  /** A refusal of hostile text says what is wrong with the text itself (not only "not one of ..."). */
  readonly saysTextProblem: boolean;
  /** Valid text of any script passes its checks (no enum, no pattern, room for it). */
  readonly freeText: boolean;
}

const isString = (s: JsonSchema): boolean => s.type === 'string' || (s.anyOf ?? []).some(isString);
const freeText = (s: JsonSchema): boolean => s.type === 'string' && !s.enum && !s.pattern && (s.maxLength ?? Infinity) >= VALID.length;

interface Operation {
  readonly key: string;
  readonly method: string;
  readonly template: string;
  readonly targets: Target[];
}

/** Every operation of the document with every string it takes. */
function operations(): Operation[] {
  const doc = openApiDocument() as { paths: Record<string, Record<string, { parameters?: { name: string; in: string; schema: JsonSchema }[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>> };
  const ops: Operation[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    if (template === '/health') continue;
    for (const [method, op] of Object.entries(methods)) {
      if (method === 'servers') continue;
      const targets: Target[] = [];
      for (const p of op.parameters ?? []) {
        const where = p.in as 'query' | 'path';
        targets.push({
          where,
          label: `${where} ${p.name}`,
          names: p.name,
          put: (req, value) => (where === 'path' ? { ...req, params: { ...req.params, [p.name]: value } } : { ...req, query: { ...req.query, [p.name]: value } }),
          saysTextProblem: p.schema.type === 'string' && !p.schema.enum,
          freeText: freeText(p.schema),
        });
      }
      const properties = op.requestBody?.content['application/json'].schema.properties ?? {};
      for (const [field, schema] of Object.entries(properties)) {
        const body = (req: Request, value: unknown): Request => ({ ...req, body: { ...req.body, [field]: value } });
        if (isString(schema)) {
          targets.push({ where: 'body', label: field, names: field, put: (r, v) => body(r, v), saysTextProblem: !schema.enum, freeText: freeText(schema) });
        } else if (schema.type === 'array' && schema.items && isString(schema.items)) {
          const items = schema.items;
          targets.push({ where: 'body', label: `${field}[0]`, names: `${field}.0`, put: (r, v) => body(r, [v]), saysTextProblem: !items.enum, freeText: freeText(items) });
        } else if (schema.type === 'object') {
          // A free-form object (an order's origin): its values and its keys are text too.
          targets.push({ where: 'body', label: `${field} value`, names: `${field}.k`, put: (r, v) => body(r, { k: v }), saysTextProblem: true, freeText: true });
          targets.push({ where: 'body', label: `${field} key`, names: field, put: (r, v) => body(r, { [v]: 'v' }), saysTextProblem: true, freeText: true });
        }
      }
      ops.push({ key: `${method.toUpperCase()} ${template}`, method: method.toUpperCase(), template, targets });
    }
  }
  return ops;
}

const OPERATIONS = operations();

function send(op: Operation, req: Request): Promise<ApiResponse> {
  const path = op.template.replace(/\{(\w+)\}/g, (_m, name: string) => percentEncode(req.params?.[name] ?? ''));
  const query = Object.entries(req.query ?? {})
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
  return api.request(op.method, query ? `${path}?${query}` : path, req.body === undefined ? {} : { body: req.body });
}

/** The answer as one comparable value: status, code and the paths of the details. */
const summary = (res: ApiResponse) => ({ status: res.status, code: res.body?.error?.code, paths: (res.body?.error?.details ?? []).map((d: { path: string }) => d.path) });

beforeAll(async () => {
  ({ oms, api } = await startApi());
  await api.createPortfolio('Hostile', '10000000.00');
  await api.createPortfolio('Other', '10000000.00', true);
  // Deposits and resets go to a portfolio of their own: Hostile's orders and cash stay as they are.
  await api.createPortfolio('Cashbox', '1000.00');
  await api.createPortfolio('Gated', '10000000.00');
  expect((await api.put('/portfolios/Gated/limits', { approval_threshold: '5.00' })).status).toBe(200);
  gatedTrader = api.as((await api.post('/keys', { name: 'gated trader', scopes: ['read', 'trade'] })).body.key);
  expect((await api.post('/instruments', { symbol: 'HST', name: 'hostile test', reference_price: '10.00' })).status).toBe(201);
  setup.orderId = await restingOrder();
  await api.place({ ...order, side: 'SELL', limit_price: '5.00', portfolio_name: 'Other' });
  const crossing = await api.place({ ...order, limit_price: '5.00' });
  setup.tradeId = crossing.fills[0].trade_id;
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

describe('the barrage covers everything the API serves', () => {
  it('the document lists exactly the routes the app serves, and each has a fixture', () => {
    const app = oms.service.server.listeners('request')[0] as unknown as { router: { stack: Layer[] } };
    interface Layer {
      rawPath?: string;
      route?: { path: string; methods: Record<string, boolean> };
      handle: { stack?: Layer[] };
    }
    const routes = (layers: Layer[]): string[] =>
      layers.flatMap((l) =>
        l.route
          ? Object.keys(l.route.methods).map((m) => `${m.toUpperCase()} ${l.route!.path.replace(/:(\w+)/g, '{$1}')}`)
          : routes(l.handle.stack ?? []),
      );
    const apiRouter = app.router.stack.find((l) => l.rawPath === '/api/v1');
    const served = routes(apiRouter!.handle.stack!).sort();
    expect(served).toEqual(OPERATIONS.map((o) => o.key).sort());
    expect(Object.keys(FIXTURES).sort()).toEqual(served);
    // The document served is the one the barrage is built from.
    return api.get('~/openapi.json').then((res) => expect(res.body).toEqual(JSON.parse(JSON.stringify(openApiDocument()))));
  });

  it('every operation accepts its fixture as it is', async () => {
    const answers: Record<string, number> = {};
    for (const op of OPERATIONS) answers[op.key] = (await send(op, await FIXTURES[op.key]())).status;
    expect(Object.entries(answers).filter(([, status]) => status >= 300)).toEqual([]);
  });

  it('the operations take many strings between them: the generator found them', () => {
    const targets = OPERATIONS.flatMap((o) => o.targets.map((t) => `${o.key} ${t.label}`));
    expect(targets).toEqual(expect.arrayContaining(['POST /orders portfolio_name', 'POST /orders origin key', 'GET /orders query user_id', 'GET /portfolio/{name} path name', 'POST /keys portfolios[0]']));
    expect(targets.length).toBeGreaterThan(40);
  });
});

describe.each(OPERATIONS.map((op) => [op.key, op] as const))('%s', (_key, op) => {
  it.each(HOSTILE.map((h) => [h.name, h] as const))('%s in each of its strings: a 4xx naming the field and the problem', async (_name, hostile) => {
    const wrong: unknown[] = [];
    for (const target of op.targets) {
      const res = await send(op, target.put(await FIXTURES[op.key](), hostile.value));
      const got = summary(res);
      const oversized = hostile.value.length > 64 * 1024;
      // Over the limits of the transport: a body over the body limit, a request line over 16 KiB.
      if (oversized && target.where === 'body' && got.status === 413 && got.code === 'PAYLOAD_TOO_LARGE') continue;
      if (oversized && target.where !== 'body' && got.status === 431 && got.code === 'HEADERS_TOO_LARGE') continue;
      const messages = (res.body?.error?.details ?? []).map((d: { message: string }) => d.message);
      const named = got.status === 400 && got.code === 'VALIDATION_ERROR' && got.paths.length > 0 && got.paths.every((p: string) => p === target.names);
      const explained = !target.saysTextProblem || messages.some((m: string) => hostile.problem.test(m));
      if (!named || !explained) wrong.push({ field: target.label, expected: target.names, ...got, messages: messages.map((m: string) => m.slice(0, 120)) });
    }
    expect(wrong).toEqual([]);
  });

  it('valid text of any script in each of its strings is not refused as text', async () => {
    const wrong: unknown[] = [];
    for (const target of op.targets) {
      const res = await send(op, target.put(await FIXTURES[op.key](), VALID));
      const got = summary(res);
      const details: { path: string; message: string }[] = res.body?.error?.details ?? [];
      const refusedAsText = details.some((d) => TEXT_PROBLEM.test(d.message));
      // A free-text field passes validation: any refusal is a business rule's (an unknown portfolio).
      const refusedByValidation = target.freeText && got.code === 'VALIDATION_ERROR';
      const echoed = res.status < 300 && typeof res.body?.[target.names] === 'string' && res.body[target.names] !== VALID;
      if (res.status >= 500 || refusedAsText || refusedByValidation || echoed) wrong.push({ field: target.label, ...got, details });
    }
    expect(wrong).toEqual([]);
  });

  it('an unknown query parameter is a 400 naming it', async () => {
    const req = await FIXTURES[op.key]();
    const res = await send(op, { ...req, query: { ...req.query, zz_unknown: '1' } });
    expect(summary(res)).toEqual({ status: 400, code: 'VALIDATION_ERROR', paths: ['zz_unknown'] });
  });
});

describe('after the barrage', () => {
  it('the desk is healthy and an ordinary order still rests, then fills', async () => {
    const health = await api.get('~/health');
    expect({ status: health.status, body: health.body }).toEqual({ status: 200, body: { status: 'ok', database: 'ok', market_data: 'ok' } });
    const resting = await api.place({ ...order, side: 'SELL', limit_price: '9.00', portfolio_name: 'Other' });
    expect(resting.status).toBe('NEW');
    const taker = await api.place({ ...order, limit_price: '9.00' });
    expect({ status: taker.status, fills: taker.fills.map((f: { price: string; quantity: number }) => [f.price, f.quantity]) }).toEqual({
      status: 'FILLED',
      fills: [['9.00', 1]],
    });
  });

  it('reconciliation is clean: stored cash and positions are the fold of every trade', async () => {
    const report = await reconcile(oms.service.prisma);
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(report.trades).toBeGreaterThanOrEqual(2);
  });

  it('no answer was a 5xx or carried a stack trace, and every answer has its documented shape', () => {
    expectNoServerErrors(api.seen);
    expectDocumentedAnswers(api.seen);
  });
});
