import { beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Oms, type Actor, type PlaceOrderInput } from '../../src/oms/oms.js';
import { Desks } from '../../src/oms/desks.js';
import { SessionSchedule } from '../../src/market/session-schedule.js';
import type { MarketClock } from '../../src/market/market-clock.js';
import { MemoryStore } from '../oms/support/memory-store.js';
import { ADMIN, U, orderInput, refusal } from '../oms/support/commands.js';

/**
 * The session schedule on two desks, driven by an injected market clock: a us-equities symbol opens
 * and closes at its calendar's instants (an early close, a holiday), its DAY orders expire at its
 * close while a 24/7 symbol's stay, and a closed symbol refuses what cannot rest.
 */
const row = (symbol: string) => ({ symbol, name: symbol, tickSize: 100, lotSize: 1, referencePrice: 100 * U, lastPrice: null });

let desks: Desks;
let clock: { at: Date } & MarketClock;
let schedule: SessionSchedule;

const order = (fields: Partial<PlaceOrderInput>): PlaceOrderInput => orderInput({ limitPrice: 99 * U, tif: 'DAY', ...fields });

/** Moves the market clock and runs one check. */
const at = async (iso: string) => {
  clock.at = new Date(iso);
  await schedule.check();
};

const statuses = (symbol: string) => desks.all().map((d) => d.marketOf(symbol));

beforeEach(async () => {
  desks = new Desks(1);
  for (const id of [1, 2]) {
    const desk = await Oms.open(new MemoryStore([row('ACME'), row('COIN')]), undefined, {}, { id, name: `desk ${id}`, createdAt: new Date(0) });
    await desk.createPortfolio({ name: 'Alpha', startingCash: 100_000n * BigInt(U), allowShort: true }, ADMIN);
    await desk.createPortfolio({ name: 'Beta', startingCash: 100_000n * BigInt(U), allowShort: true }, ADMIN);
    await desks.add(desk);
    desk.setMarket('ACME', { source: 'replay', status: 'live' });
  }
  await desks.setSession('ACME', 'us-equities', ADMIN, desks.main);
  clock = { at: new Date(0), now: () => clock.at };
  schedule = new SessionSchedule(desks, clock, pino({ level: 'silent' }));
});

describe('the session schedule', () => {
  it('opens and closes a us-equities symbol at its instants on every desk, keeping its source, across an early close and a holiday', async () => {
    const seen: [string, string[]][] = [];
    const step = async (iso: string) => {
      await at(iso);
      seen.push([iso, statuses('ACME').map((m) => `${m.source}:${m.status}`)]);
    };
    // Wednesday 2026-11-25: a normal day; Thursday 26: Thanksgiving; Friday 27: early close at 13:00.
    await step('2026-11-25T14:29:59Z');
    await step('2026-11-25T14:30:00Z');
    await step('2026-11-25T20:59:59Z');
    await step('2026-11-25T21:00:00Z');
    await step('2026-11-26T15:00:00Z');
    await step('2026-11-27T14:30:00Z');
    await step('2026-11-27T17:59:59Z');
    await step('2026-11-27T18:00:00Z');
    expect(seen).toEqual([
      ['2026-11-25T14:29:59Z', ['replay:closed', 'replay:closed']],
      ['2026-11-25T14:30:00Z', ['replay:live', 'replay:live']],
      ['2026-11-25T20:59:59Z', ['replay:live', 'replay:live']],
      ['2026-11-25T21:00:00Z', ['replay:closed', 'replay:closed']],
      ['2026-11-26T15:00:00Z', ['replay:closed', 'replay:closed']],
      ['2026-11-27T14:30:00Z', ['replay:live', 'replay:live']],
      ['2026-11-27T17:59:59Z', ['replay:live', 'replay:live']],
      ['2026-11-27T18:00:00Z', ['replay:closed', 'replay:closed']],
    ]);
    // The 24/7 symbol is never touched.
    expect(statuses('COIN')).toEqual([
      { source: 'simulator', status: 'live' },
      { source: 'simulator', status: 'live' },
    ]);
  });

  it("expires the symbol's DAY orders at its close in every desk; GTC orders and another symbol's DAY orders stay", async () => {
    await at('2026-11-27T15:00:00Z');
    const placed: { day: number; gtc: number; other: number }[] = [];
    for (const desk of desks.all()) {
      placed.push({
        day: (await desk.placeOrder(order({}), ADMIN)).order.id,
        gtc: (await desk.placeOrder(order({ tif: 'GTC' }), ADMIN)).order.id,
        other: (await desk.placeOrder(order({ symbol: 'COIN' }), ADMIN)).order.id,
      });
    }
    const status = () => desks.all().map((d, i) => [d.liveOrder(placed[i].day)?.status, d.liveOrder(placed[i].gtc)?.status, d.liveOrder(placed[i].other)?.status]);
    await at('2026-11-27T17:59:59Z');
    // DAY_END_UTC's expiry is the 24/7 symbols' only: ACME's DAY orders wait for ACME's close.
    expect(await desks.expireDay()).toBe(2);
    expect(status()).toEqual([
      ['NEW', 'NEW', undefined],
      ['NEW', 'NEW', undefined],
    ]);
    const other: number[] = [];
    for (const desk of desks.all()) other.push((await desk.placeOrder(order({ symbol: 'COIN' }), ADMIN)).order.id);
    placed.forEach((p, i) => (p.other = other[i]));
    expect(status()).toEqual([
      ['NEW', 'NEW', 'NEW'],
      ['NEW', 'NEW', 'NEW'],
    ]);
    await at('2026-11-27T18:00:01Z');
    expect(status()).toEqual([
      [undefined, 'NEW', 'NEW'],
      [undefined, 'NEW', 'NEW'],
    ]);
    expect(desks.all().map((d) => d.instrument('ACME')!.book.getOrder(placed[0].day))).toEqual([undefined, undefined]);
  });

  it('a close passed between two checks (a clock that jumps) still expires DAY orders, once; a DAY order placed while closed lives to the next close', async () => {
    await at('2026-11-25T15:00:00Z');
    const before = (await desks.main.placeOrder(order({}), ADMIN)).order.id;
    // From Wednesday's session straight to Friday after its early close: two closes passed.
    await at('2026-11-27T19:00:00Z');
    expect(desks.main.liveOrder(before)).toBeUndefined();
    const after = (await desks.main.placeOrder(order({}), ADMIN)).order;
    expect(after.status).toBe('NEW');
    await at('2026-11-28T12:00:00Z');
    await at('2026-11-30T14:30:00Z');
    expect(desks.main.liveOrder(after.id)?.status).toBe('NEW');
    await at('2026-11-30T21:00:00Z');
    expect(desks.main.liveOrder(after.id)).toBeUndefined();
  });

  it('while closed, refuses MARKET, IOC and FOK orders with MARKET_CLOSED; LIMIT and STOP orders, DAY or GTC, rest', async () => {
    await at('2026-11-26T15:00:00Z');
    const desk = desks.main;
    expect([
      await refusal(desk.placeOrder(order({ type: 'MARKET', limitPrice: null, tif: 'DAY' }), ADMIN)),
      await refusal(desk.placeOrder(order({ tif: 'IOC' }), ADMIN)),
      await refusal(desk.placeOrder(order({ tif: 'FOK' }), ADMIN)),
    ]).toEqual(['MARKET_CLOSED', 'MARKET_CLOSED', 'MARKET_CLOSED']);
    const rested = [
      await desk.placeOrder(order({ tif: 'DAY' }), ADMIN),
      await desk.placeOrder(order({ tif: 'GTC' }), ADMIN),
      await desk.placeOrder(order({ type: 'STOP', limitPrice: null, stopPrice: 110 * U, tif: 'GTC' }), ADMIN),
    ];
    expect(rested.map((r) => r.order.status)).toEqual(['NEW', 'NEW', 'NEW']);
    // The 24/7 symbol trades on.
    expect((await desk.placeOrder(order({ symbol: 'COIN', tif: 'IOC' }), ADMIN)).order.status).toBe('CANCELED');
    // At the open the orders that rested are in the book as placed, and a market order takes from them.
    await at('2026-11-27T14:30:00Z');
    expect(rested.map((r) => desk.liveOrder(r.order.id)?.status)).toEqual(['NEW', 'NEW', 'NEW']);
    const sell = await desk.placeOrder(order({ side: 'SELL', type: 'MARKET', limitPrice: null, quantity: 1, portfolioName: 'Beta' }), ADMIN);
    expect(sell.fills.map((f) => [f.trade.price, f.trade.buyOrderId])).toEqual([[99 * U, rested[0].order.id]]);
  });

  it('an instrument made 24/7 while closed opens at the next check; made us-equities, it closes', async () => {
    await at('2026-11-26T15:00:00Z');
    expect(statuses('ACME').map((m) => m.status)).toEqual(['closed', 'closed']);
    await desks.setSession('ACME', '24/7', ADMIN, desks.main);
    expect(desks.all().map((d) => d.instrument('ACME')!.session)).toEqual(['24/7', '24/7']);
    await at('2026-11-26T15:00:01Z');
    expect(statuses('ACME').map((m) => m.status)).toEqual(['live', 'live']);
    await desks.setSession('COIN', 'us-equities', ADMIN, desks.all()[1]);
    await at('2026-11-26T15:00:02Z');
    expect(statuses('COIN').map((m) => m.status)).toEqual(['closed', 'closed']);
  });
});
