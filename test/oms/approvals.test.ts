import { beforeEach, describe, expect, it } from '@jest/globals';
import { Oms, type Actor } from '../../src/oms/oms.js';
import { MemoryStore } from './support/memory-store.js';
import { ADMIN, U, orderInput as order, refusal } from './support/commands.js';

/**
 * Orders awaiting approval at the desk's level, over the persistence port held in memory: what they
 * hold, how they end (decided, canceled, the day's end), the four-eyes rule by member, and a reload.
 */
let store: MemoryStore;
let desk: Oms;
const approver = (member: string): Actor => ({ keyId: 7, name: 'slack bot', member, access: { scopes: ['read', 'trade', 'approve'], portfolios: [] } });
const trader: Actor = { keyId: 8, name: 'trader', access: { scopes: ['read', 'trade'], portfolios: [] } };

beforeEach(async () => {
  store = new MemoryStore([{ symbol: 'ACME', name: 'Acme', tickSize: 100, lotSize: 1, referencePrice: 100 * U, lastPrice: null }]);
  desk = await Oms.open(store);
  await desk.createPortfolio({ name: 'Alpha', startingCash: 10_000n * BigInt(U), allowShort: false }, ADMIN);
  await desk.createPortfolio({ name: 'Beta', startingCash: 100_000n * BigInt(U), allowShort: true }, ADMIN);
  await desk.setLimits('Alpha', { approvalThreshold: 500n * BigInt(U) }, ADMIN);
});

const alpha = () => desk.portfolio('Alpha')!;

describe('an order awaiting approval', () => {
  it('holds its cash as a resting order would, and releases it when rejected', async () => {
    const placed = await desk.placeOrder(order({ quantity: 60 }), approver('slack:T:U1'));
    expect(placed.order.status).toBe('PENDING_APPROVAL');
    expect(alpha().reservedCash).toBe(6_000n * BigInt(U));
    expect(await refusal(desk.placeOrder(order({ quantity: 41, limitPrice: 100 * U }), approver('slack:T:U1')))).toBe('INSUFFICIENT_CASH');
    const rejected = await desk.rejectOrder(placed.order.id, 'not today', approver('slack:T:U2'));
    expect({ status: rejected.status, reason: rejected.reason }).toEqual({ status: 'REJECTED', reason: 'not today' });
    expect(alpha().reservedCash).toBe(0n);
    expect(store.orders.get(placed.order.id)).toMatchObject({ status: 'REJECTED', placedBy: 'slack:T:U1' });
  });

  it('is decided by another member with the approve scope, even through the same key; never by its placer or a plain trader', async () => {
    const placed = await desk.placeOrder(order({ quantity: 60 }), approver('slack:T:U1'));
    expect(await refusal(desk.approveOrder(placed.order.id, approver('slack:T:U1')))).toBe('APPROVAL_NOT_ALLOWED');
    expect(await refusal(desk.approveOrder(placed.order.id, trader))).toBe('APPROVAL_NOT_ALLOWED');
    const approved = await desk.approveOrder(placed.order.id, approver('slack:T:U2'));
    expect(approved.order.status).toBe('NEW');
    expect(desk.instrument('ACME')!.book.depth(1).bids).toEqual([expect.objectContaining({ price: 100 * U, quantity: 60 })]);
    expect(alpha().reservedCash).toBe(6_000n * BigInt(U));
    expect(await refusal(desk.approveOrder(placed.order.id, approver('slack:T:U3')))).toBe('ORDER_NOT_PENDING');
  });

  it('a resting order amended above the threshold is refused (RISK_LIMIT approval_threshold); one amended cheaper goes through', async () => {
    const small = await desk.placeOrder(order({ quantity: 4 }), trader);
    expect(small.order.status).toBe('NEW');
    const grown = desk.modifyOrder(small.order.id, { quantity: 60 }, trader);
    await expect(grown).rejects.toMatchObject({ code: 'RISK_LIMIT', details: [expect.objectContaining({ path: 'approval_threshold' })] });
    expect(await refusal(desk.modifyOrder(small.order.id, { limitPrice: 200 * U }, trader))).toBe('RISK_LIMIT');
    expect(desk.instrument('ACME')!.book.depth(1).bids).toEqual([expect.objectContaining({ price: 100 * U, quantity: 4 })]);
    const approved = await desk.placeOrder(order({ quantity: 60 }), approver('slack:T:U1'));
    await desk.approveOrder(approved.order.id, approver('slack:T:U2'));
    expect((await desk.modifyOrder(approved.order.id, { limitPrice: 90 * U }, approver('slack:T:U1'))).order.limitPrice).toBe(90 * U);
    expect((await desk.modifyOrder(approved.order.id, { quantity: 50 }, approver('slack:T:U1'))).order.quantity).toBe(50);
  });

  it("a pending SELL holds its shares: a second SELL beyond them is refused", async () => {
    await desk.placeOrder(order({ side: 'SELL', portfolioName: 'Beta', quantity: 10, limitPrice: 99 * U }), ADMIN);
    await desk.placeOrder(order({ quantity: 4, limitPrice: 99 * U }), ADMIN);
    const pending = await desk.placeOrder(order({ side: 'SELL', quantity: 4, limitPrice: 200 * U }), trader);
    expect(pending.order.status).toBe('PENDING_APPROVAL');
    expect(await refusal(desk.placeOrder(order({ side: 'SELL', quantity: 1, limitPrice: 101 * U }), trader))).toBe('SHORT_NOT_ALLOWED');
    await desk.cancelOrder(pending.order.id, trader);
    expect((await desk.placeOrder(order({ side: 'SELL', quantity: 1, limitPrice: 101 * U }), trader)).order.status).toBe('NEW');
  });

  it('a DAY order awaiting approval expires with the day, its hold released', async () => {
    const placed = await desk.placeOrder(order({ quantity: 60, tif: 'DAY' }), trader);
    expect(await desk.expireDay()).toBe(1);
    expect(store.orders.get(placed.order.id)).toMatchObject({ status: 'EXPIRED', reason: 'END_OF_DAY' });
    expect(alpha().reservedCash).toBe(0n);
  });

  it('survives a reload with its hold; one of a day that ended meanwhile expires at the start', async () => {
    const gtc = await desk.placeOrder(order({ quantity: 60 }), trader);
    const day = await desk.placeOrder(order({ quantity: 20, limitPrice: 50 * U, tif: 'DAY' }), trader);
    await desk.setRiskState(null, { state: 'REDUCING', cancelOpenOrders: false }, ADMIN);
    const again = await Oms.open(store, undefined, { lastDayEnd: new Date(Date.now() + 1) });
    expect(again.deskRisk).toBe('REDUCING');
    expect(again.riskOf(again.portfolio('Alpha')!).approvalThreshold).toBe(500n * BigInt(U));
    expect(again.pendingOf(again.portfolio('Alpha')!.id).map((o) => o.id)).toEqual([gtc.order.id]);
    expect(again.portfolio('Alpha')!.reservedCash).toBe(6_000n * BigInt(U));
    expect(store.orders.get(day.order.id)).toMatchObject({ status: 'EXPIRED', reason: 'END_OF_DAY' });
  });
});
