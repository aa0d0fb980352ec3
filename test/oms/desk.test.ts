import { beforeEach, describe, expect, it } from '@jest/globals';
import { Oms, type Actor } from '../../src/oms/oms.js';
import { MemoryStore } from './support/memory-store.js';
import { ADMIN, U, orderInput, refusal } from './support/commands.js';

/**
 * The desk's use-cases (place-order, amend-order, book-trade, market-admin) and its recovery, run
 * against the persistence port held in memory: the business rules, each at the level where it lives.
 * The same paths over PostgreSQL and HTTP are in test/api.
 */
let store: MemoryStore;
let desk: Oms;
const order = orderInput;

beforeEach(async () => {
  store = new MemoryStore([{ symbol: 'ACME', name: 'Acme', tickSize: 100, lotSize: 1, referencePrice: 100 * U, lastPrice: null }]);
  desk = await Oms.open(store);
  await desk.createPortfolio({ name: 'Alpha', startingCash: 100_000n * BigInt(U), allowShort: false }, ADMIN);
  await desk.createPortfolio({ name: 'Beta', startingCash: 100_000n * BigInt(U), allowShort: true }, ADMIN);
});

describe('place-order', () => {
  it('rests, then matches at the resting price; acknowledges only what its commit wrote', async () => {
    const rest = await desk.placeOrder(order({ side: 'SELL', portfolioName: 'Beta', limitPrice: 99 * U }), ADMIN);
    expect(rest.order.status).toBe('NEW');
    const take = await desk.placeOrder(order({ limitPrice: 101 * U, quantity: 4 }), ADMIN);
    expect(take.order).toMatchObject({ status: 'FILLED', filled: 4 });
    expect(take.fills.map((f) => [f.trade.price, f.trade.quantity, f.liquidity])).toEqual([[99 * U, 4, 'TAKER']]);
    // Durable: the store holds the trade, both orders and Alpha's cash after it.
    expect(store.trades.map((t) => t.quantity)).toEqual([4]);
    expect(store.orders.get(take.order.id)!.status).toBe('FILLED');
    expect(store.portfolios.get(desk.portfolio('Alpha')!.id)!.cash).toBe(100_000n * BigInt(U) - 396n * BigInt(U));
  });

  it('refuses a market buy priced beyond the cash for its whole quantity, recording nothing', async () => {
    await desk.placeOrder(order({ side: 'SELL', portfolioName: 'Beta', quantity: 5 }), ADMIN);
    expect(await refusal(desk.placeOrder(order({ type: 'MARKET', limitPrice: null, quantity: 5_000 }), ADMIN))).toBe('INSUFFICIENT_CASH');
    expect([...store.orders.values()].filter((o) => o.portfolioId === desk.portfolio('Alpha')!.id)).toEqual([]);
  });

  it('places a client_order_id once: a retry answers the original, another order under it is refused', async () => {
    const first = await desk.placeOrder(order({ clientOrderId: 'c-1' }), ADMIN);
    const retry = await desk.placeOrder(order({ clientOrderId: 'c-1' }), ADMIN);
    expect({ id: retry.order.id, created: retry.created }).toEqual({ id: first.order.id, created: false });
    expect(await refusal(desk.placeOrder(order({ clientOrderId: 'c-1', side: 'SELL' }), ADMIN))).toBe('CLIENT_ORDER_ID_IN_USE');
  });

  it('refuses a market order while the market data of its symbol is stale; a limit order rests', async () => {
    desk.setMarket('ACME', { source: 'coinbase', status: 'stale' });
    expect(await refusal(desk.placeOrder(order({ type: 'MARKET', limitPrice: null }), ADMIN))).toBe('MARKET_DATA_STALE');
    expect((await desk.placeOrder(order({}), ADMIN)).order.status).toBe('NEW');
  });
});

describe('amend-order', () => {
  it('cancels once; a second cancel says it is no longer open', async () => {
    const placed = await desk.placeOrder(order({}), ADMIN);
    expect((await desk.cancelOrder(placed.order.id, ADMIN)).status).toBe('CANCELED');
    expect(await refusal(desk.cancelOrder(placed.order.id, ADMIN))).toBe('ORDER_NOT_OPEN');
    expect(await refusal(desk.cancelOrder(987_654, ADMIN))).toBe('ORDER_NOT_FOUND');
  });

  it("answers another portfolio's order as unknown to a key limited elsewhere, and audits the attempt", async () => {
    const placed = await desk.placeOrder(order({}), ADMIN);
    const limited: Actor = { keyId: 9, name: 'beta only', access: { scopes: ['trade'], portfolios: ['Beta'] } };
    expect(await refusal(desk.modifyOrder(placed.order.id, { quantity: 5 }, limited))).toBe('ORDER_NOT_FOUND');
    expect(await refusal(desk.cancelOrder(placed.order.id, limited))).toBe('ORDER_NOT_FOUND');
    await desk.drain();
    expect(store.audits.filter((a) => a.action === 'auth.forbidden').map((a) => a.actor)).toEqual(['beta only', 'beta only']);
    expect(desk.liveOrder(placed.order.id)!.quantity).toBe(10);
  });

  it('modifies down in place; refuses a quantity at or below the filled', async () => {
    await desk.placeOrder(order({ side: 'SELL', portfolioName: 'Beta', quantity: 3 }), ADMIN);
    const placed = await desk.placeOrder(order({}), ADMIN);
    expect(placed.order.filled).toBe(3);
    expect(await refusal(desk.modifyOrder(placed.order.id, { quantity: 3 }, ADMIN))).toBe('INVALID_MODIFY');
    expect((await desk.modifyOrder(placed.order.id, { quantity: 6 }, ADMIN)).order).toMatchObject({ quantity: 6, filled: 3 });
  });
});

describe('book-trade', () => {
  it('books against the house at gmv / quantity, within the band of the reference price', async () => {
    const { trade } = await desk.bookTrade({ symbol: 'ACME', side: 'BUY', quantity: 2, gmv: 202n * BigInt(U), portfolioName: 'Alpha', clientOrderId: null, userId: null }, ADMIN);
    expect({ price: trade.price, kind: trade.kind }).toEqual({ price: 101 * U, kind: 'BOOKED' });
    expect(await refusal(desk.bookTrade({ symbol: 'ACME', side: 'BUY', quantity: 1, gmv: 500n * BigInt(U), portfolioName: 'Alpha', clientOrderId: null, userId: null }, ADMIN))).toBe(
      'PRICE_OUTSIDE_BAND',
    );
  });
});

describe('market-admin', () => {
  it('a new reference price triggers a waiting stop', async () => {
    await desk.placeOrder(order({ side: 'SELL', portfolioName: 'Beta', limitPrice: 106 * U }), ADMIN);
    const stop = await desk.placeOrder(order({ type: 'STOP', limitPrice: null, stopPrice: 105 * U }), ADMIN);
    expect(stop.order.waiting).toBe(true);
    await desk.setReferencePrice('ACME', 105 * U, null);
    expect(store.orders.get(stop.order.id)).toMatchObject({ status: 'FILLED', waiting: false });
  });

  it('refuses a second portfolio of the same name', async () => {
    expect(await refusal(desk.createPortfolio({ name: 'Alpha', startingCash: 1n, allowShort: false }, ADMIN))).toBe('PORTFOLIO_EXISTS');
  });
});

describe('a failed commit', () => {
  it('answers 503 for its batch, reloads what was committed, and serves again', async () => {
    const kept = await desk.placeOrder(order({ limitPrice: 90 * U }), ADMIN);
    store.failNextCommit();
    expect(await refusal(desk.placeOrder(order({ limitPrice: 95 * U }), ADMIN))).toBe('UNAVAILABLE');
    for (let i = 0; i < 100 && !desk.healthy; i++) await new Promise((r) => setTimeout(r, 5));
    expect(desk.health).toBe('ok');
    // The book holds the committed order only; the refused one never happened.
    expect(desk.instrument('ACME')!.book.depth(5).bids).toEqual([{ price: 90 * U, quantity: 10, orders: 1 }]);
    expect(desk.liveOrder(kept.order.id)).toBeDefined();
    expect((await desk.placeOrder(order({ limitPrice: 95 * U }), ADMIN)).order.status).toBe('NEW');
  });
});
