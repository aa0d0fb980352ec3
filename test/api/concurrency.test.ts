import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestOms } from '../support/oms.js';
import { reconcile } from '../../src/db/reconciliation.js';
import { parseUnits, divRound, formatUnits } from '../../src/oms/units.js';
import { expectNoServerErrors, startApi, type ApiClient, type ApiResponse } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';

/**
 * 200 orders sent at once from several portfolios on one symbol, crossing each other. Afterwards
 * every number a client can read must agree: orders with their fills, trades with each other,
 * the book with the open orders, positions and cash with the fold of all trades.
 */
let oms: TestOms;
let api: ApiClient;
let symbol: string;

const SHORTERS = ['C1', 'C2', 'C3', 'C4'];
const LONG_ONLY = 'L1';
const PORTFOLIOS = [...SHORTERS, LONG_ONLY];

interface Order {
  id: string;
  client_order_id: string | null;
  side: 'BUY' | 'SELL';
  type: string;
  status: string;
  quantity: number;
  filled_quantity: number;
  remaining_quantity: number;
  limit_price: string | null;
  avg_fill_price: string | null;
  portfolio_name: string;
}
interface Trade {
  trade_id: string;
  price: string;
  quantity: number;
  gmv: string;
  kind: string;
  buy_order_id: string | null;
  sell_order_id: string | null;
  buy_portfolio: string;
  sell_portfolio: string;
}

/** A small seeded generator, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const units = (s: string): bigint => parseUnits(s)!;

beforeAll(async () => {
  ({ oms, api } = await startApi());
  for (const name of SHORTERS) await api.createPortfolio(name, '10000000.00', true);
  await api.createPortfolio(LONG_ONLY, '10000000.00');
  symbol = await api.newSymbol('100.00');
  // The long-only portfolio starts with shares booked from the house, so its sells are real.
  expect((await api.post('/trade', { symbol, side: 'BUY', quantity: 500, portfolio_name: LONG_ONLY, user_id: 'seed', gmv: '50000.00' })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

describe('200 parallel orders on one symbol', () => {
  let answers: ApiResponse[] = [];
  /** [index of the original, index of its retry] in `answers`. */
  const retries: [number, number][] = [];
  let orders: Order[] = [];
  let trades: Trade[] = [];

  beforeAll(async () => {
    const rand = lcg(20261123);
    const bodies: Record<string, unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      const side = rand() < 0.5 ? 'BUY' : 'SELL';
      // Orders with a client_order_id (every tenth) come from portfolios that may short, so none is refused.
      const pick = Math.floor(rand() * PORTFOLIOS.length);
      const portfolio = i % 10 === 0 ? SHORTERS[pick % SHORTERS.length] : PORTFOLIOS[pick];
      const quantity = 1 + Math.floor(rand() * 50);
      const price = (9990 + Math.floor(rand() * 21)) / 100; // 99.90 .. 100.10: the sides cross
      const kind = rand();
      const body: Record<string, unknown> = { symbol, side, quantity, portfolio_name: portfolio, user_id: `load-${i}` };
      if (kind < 0.15) body.type = 'MARKET';
      else {
        body.type = 'LIMIT';
        body.limit_price = price.toFixed(2);
        body.time_in_force = kind < 0.25 ? 'IOC' : kind < 0.3 ? 'FOK' : kind < 0.65 ? 'GTC' : 'DAY';
      }
      if (i % 10 === 0) body.client_order_id = `load-${i}`;
      bodies.push(body);
      // Ten retries sent right behind their original, in the same burst: each must give the original order.
      if (i % 20 === 0) {
        retries.push([bodies.length - 1, bodies.length]);
        bodies.push({ ...body });
      }
    }
    answers = await Promise.all(bodies.map((b) => api.post('/orders', b)));
    orders = await api.all<Order>(`/orders?symbol=${symbol}`);
    trades = await api.all<Trade>(`/trades?symbol=${symbol}`);
  }, 60_000);

  it('every request is answered: 201 placed, 200 for a retried id, 422 for a refused one; never a 5xx', () => {
    const counts: Record<number, number> = {};
    for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
    expect(Object.keys(counts).map(Number).every((s) => [200, 201, 422].includes(s))).toBe(true);
    expect(counts[200]).toBe(10);
    const refused = answers.filter((a) => a.status === 422).map((a) => a.body.error.code);
    expect(refused.every((c) => c === 'SHORT_NOT_ALLOWED')).toBe(true);
    expect(orders.length).toBe(counts[201]);
    // A retried id gives the order the first request made, and there is one row per id.
    expect(retries).toHaveLength(10);
    for (const [o, r] of retries) {
      const original = answers[o];
      const retry = answers[r];
      expect(new Set([original.status, retry.status])).toEqual(new Set([200, 201]));
      expect(retry.body.id).toBe(original.body.id);
    }
    const byClientId = new Map<string, number>();
    for (const o of orders) if (o.client_order_id) byClientId.set(o.client_order_id, (byClientId.get(o.client_order_id) ?? 0) + 1);
    expect([...byClientId.values()].every((n) => n === 1)).toBe(true);
  });

  it('produces trades, each once', () => {
    const matched = trades.filter((t) => t.kind === 'MATCH');
    expect(matched.length).toBeGreaterThan(50);
    expect(new Set(trades.map((t) => t.trade_id)).size).toBe(trades.length);
    for (const t of matched) {
      expect(t.buy_portfolio).not.toBe(t.sell_portfolio);
      expect(units(t.gmv)).toBe(units(t.price) * BigInt(t.quantity));
    }
  });

  it("every order's filled_quantity and avg_fill_price equal its trades", () => {
    const filled = new Map<string, { quantity: number; notional: bigint }>();
    const add = (id: string | null, t: Trade) => {
      if (id === null) return;
      const f = filled.get(id) ?? { quantity: 0, notional: 0n };
      f.quantity += t.quantity;
      f.notional += units(t.gmv);
      filled.set(id, f);
    };
    for (const t of trades) {
      add(t.buy_order_id, t);
      add(t.sell_order_id, t);
    }
    const mismatches = orders.flatMap((o) => {
      const f = filled.get(o.id) ?? { quantity: 0, notional: 0n };
      const avg = f.quantity === 0 ? null : formatUnits(divRound(f.notional, BigInt(f.quantity)));
      const open = o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';
      const problems = [];
      if (o.filled_quantity !== f.quantity) problems.push(`filled ${o.filled_quantity} != trades ${f.quantity}`);
      if (o.avg_fill_price !== avg) problems.push(`avg ${o.avg_fill_price} != trades ${avg}`);
      if (o.remaining_quantity !== (open ? o.quantity - o.filled_quantity : 0)) problems.push('remaining');
      if ((o.status === 'FILLED') !== (o.filled_quantity === o.quantity)) problems.push(`status ${o.status}`);
      if ((o.type === 'MARKET' || ['IOC', 'FOK'].includes((o as unknown as { time_in_force: string }).time_in_force)) && open) problems.push('rests');
      return problems.length ? [`order ${o.id}: ${problems.join(', ')}`] : [];
    });
    expect(mismatches).toEqual([]);
    // Orders' fills as answered at placement are trades of the history, unchanged.
    const byId = new Map(trades.map((t) => [t.trade_id, t]));
    for (const a of answers.filter((x) => x.status === 201)) {
      for (const f of a.body.fills) {
        const { side: _s, liquidity: _l, fee: _f, executed_at: _e, ...fill } = f;
        const { executed_at: _x, ...stored } = byId.get(f.trade_id) as Trade & { executed_at: string };
        expect(fill).toEqual(stored);
      }
    }
  });

  it('total bought equals total sold', () => {
    const sum = (side: 'BUY' | 'SELL') => orders.filter((o) => o.side === side).reduce((s, o) => s + o.filled_quantity, 0);
    const matched = trades.filter((t) => t.kind === 'MATCH').reduce((s, t) => s + t.quantity, 0);
    expect(sum('BUY')).toBe(matched);
    expect(sum('SELL')).toBe(matched);
  });

  it('the book holds exactly the open orders, uncrossed', async () => {
    const book = await api.get(`/book/${symbol}?depth=100`);
    const expected = (side: 'BUY' | 'SELL') => {
      const levels = new Map<string, { quantity: number; orders: number }>();
      for (const o of orders.filter((x) => x.side === side && x.remaining_quantity > 0)) {
        const l = levels.get(o.limit_price!) ?? { quantity: 0, orders: 0 };
        l.quantity += o.remaining_quantity;
        l.orders++;
        levels.set(o.limit_price!, l);
      }
      return [...levels.entries()]
        .sort(([a], [b]) => (side === 'BUY' ? Number(units(b) - units(a)) : Number(units(a) - units(b))))
        .map(([price, l]) => ({ price, ...l }));
    };
    expect({ bids: book.body.bids, asks: book.body.asks }).toEqual({ bids: expected('BUY'), asks: expected('SELL') });
    if (book.body.bids.length && book.body.asks.length) {
      expect(units(book.body.bids[0].price) < units(book.body.asks[0].price)).toBe(true);
    }
  });

  it('positions net to zero across portfolios, cash is conserved, and reconciliation passes', async () => {
    let net = 0;
    let cash = 0n;
    let starting = 0n;
    for (const name of [...PORTFOLIOS, 'HOUSE']) {
      const p = await api.get(`/portfolio/${name}`);
      expect(p.status).toBe(200);
      net += p.body.positions.find((x: { symbol: string }) => x.symbol === symbol)?.quantity ?? 0;
      cash += units(p.body.cash);
      starting += units(p.body.starting_cash);
      if (name === LONG_ONLY) expect(p.body.positions[0].quantity).toBeGreaterThanOrEqual(0);
    }
    expect(net).toBe(0);
    expect(cash).toBe(starting);
    const report = await reconcile(oms.service.prisma);
    expect(report.problems).toEqual([]);
    expect(report).toEqual({ ok: true, problems: [], portfolios: 6, trades: trades.length });
    // The database agrees with the API on the number of orders and trades.
    expect(await oms.service.prisma.order.count({ where: { symbol } })).toBe(orders.length);
    expect(await oms.service.prisma.trade.count({ where: { symbol } })).toBe(trades.length);
  });
});

describe('hygiene', () => {
  it('no response was a 500 or carried a stack trace, and every answer has its documented shape', () => {
    expectNoServerErrors(api.seen);
    expectDocumentedAnswers(api.seen);
  });
});
