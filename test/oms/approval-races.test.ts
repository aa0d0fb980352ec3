import { beforeEach, describe, expect, it } from '@jest/globals';
import { Oms, type Actor } from '../../src/oms/oms.js';
import { MemoryStore } from './support/memory-store.js';
import { ADMIN, U, orderInput as order } from './support/commands.js';

/**
 * Two decisions on one order awaiting approval started together (a double click, two approvers at
 * once, a cancel racing an approval): exactly one of them decides it, and what the order holds, the
 * portfolio's open orders and the book agree with that one outcome.
 */
let store: MemoryStore;
let desk: Oms;
const approver = (member: string): Actor => ({ keyId: 7, name: 'slack bot', member, access: { scopes: ['read', 'trade', 'approve'], portfolios: [] } });

beforeEach(async () => {
  store = new MemoryStore([{ symbol: 'ACME', name: 'Acme', tickSize: 100, lotSize: 1, referencePrice: 100 * U, lastPrice: null }]);
  desk = await Oms.open(store);
  await desk.createPortfolio({ name: 'Alpha', startingCash: 10_000n * BigInt(U), allowShort: false }, ADMIN);
  await desk.setLimits('Alpha', { approvalThreshold: 500n * BigInt(U) }, ADMIN);
});

const alpha = () => desk.portfolio('Alpha')!;
const bids = () => desk.instrument('ACME')!.book.depth(1).bids;
const outcomes = async (decisions: Promise<unknown>[]) =>
  (await Promise.allSettled(decisions)).map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code?: string }).code));

const placePending = async () => {
  const placed = await desk.placeOrder(order({ quantity: 60 }), approver('slack:T:U1'));
  expect(placed.order.status).toBe('PENDING_APPROVAL');
  return placed.order.id;
};

describe('decisions on one pending order started together', () => {
  it('an approval and a rejection: the approval decides, the rejection finds it no longer pending', async () => {
    const id = await placePending();
    expect(await outcomes([desk.approveOrder(id, approver('slack:T:U2')), desk.rejectOrder(id, null, approver('slack:T:U3'))])).toEqual(['ok', 'ORDER_NOT_PENDING']);
    expect(store.orders.get(id)?.status).toBe('NEW');
    expect(bids()).toEqual([expect.objectContaining({ price: 100 * U, quantity: 60 })]);
    expect({ reserved: alpha().reservedCash, open: alpha().openOrders }).toEqual({ reserved: 6_000n * BigInt(U), open: 1 });
  });

  it('a cancel by its placer and an approval: the order is canceled and never enters the book', async () => {
    const id = await placePending();
    expect(await outcomes([desk.approveOrder(id, approver('slack:T:U2')), desk.cancelOrder(id, approver('slack:T:U1'))])).toEqual(['ORDER_NOT_PENDING', 'ok']);
    expect(store.orders.get(id)?.status).toBe('CANCELED');
    expect(bids()).toEqual([]);
    expect({ reserved: alpha().reservedCash, open: alpha().openOrders }).toEqual({ reserved: 0n, open: 0 });
  });

  it('two rejections: its hold is released once', async () => {
    const id = await placePending();
    expect(await outcomes([desk.rejectOrder(id, null, approver('slack:T:U2')), desk.rejectOrder(id, null, approver('slack:T:U3'))])).toEqual(['ok', 'ORDER_NOT_PENDING']);
    expect({ reserved: alpha().reservedCash, open: alpha().openOrders }).toEqual({ reserved: 0n, open: 0 });
    expect((await desk.placeOrder(order({ quantity: 4 }), approver('slack:T:U1'))).order.status).toBe('NEW');
    expect(alpha().openOrders).toBe(1);
  });

  it('two approvals: the order enters its book once', async () => {
    const id = await placePending();
    expect(await outcomes([desk.approveOrder(id, approver('slack:T:U2')), desk.approveOrder(id, approver('slack:T:U3'))])).toEqual(['ok', 'ORDER_NOT_PENDING']);
    expect(bids()).toEqual([expect.objectContaining({ quantity: 60, orders: 1 })]);
  });
});
