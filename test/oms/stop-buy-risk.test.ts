import { beforeEach, describe, expect, it } from '@jest/globals';
import { Oms, type Actor } from '../../src/oms/oms.js';
import { MemoryStore } from './support/memory-store.js';
import { ADMIN, U, orderInput as order, refusal } from './support/commands.js';

/**
 * A STOP BUY whose stop is at or below the last price triggers at once and buys at the market: its
 * buying-power check, its limits and its approval threshold price it at that market (as a market BUY),
 * not at its stop, so a stop far below the market is no way around them.
 */
let desk: Oms;
const approver = (member: string): Actor => ({ keyId: 7, name: 'slack bot', member, access: { scopes: ['read', 'trade', 'approve'], portfolios: [] } });
const stopBuy = (quantity: number, stop: number) => order({ type: 'STOP', stopPrice: stop, limitPrice: null, quantity });
const alpha = () => desk.portfolio('Alpha')!;

beforeEach(async () => {
  const store = new MemoryStore([{ symbol: 'ACME', name: 'Acme', tickSize: 100, lotSize: 1, referencePrice: 100 * U, lastPrice: null }]);
  desk = await Oms.open(store);
  await desk.createPortfolio({ name: 'Alpha', startingCash: 10_000n * BigInt(U), allowShort: false }, ADMIN);
  await desk.createPortfolio({ name: 'Street', startingCash: 1_000_000n * BigInt(U), allowShort: true }, ADMIN);
  // Asks at 100.00, and a trade there: the last price is 100.00.
  await desk.placeOrder(order({ portfolioName: 'Street', side: 'SELL', quantity: 1_000, limitPrice: 100 * U }), ADMIN);
  await desk.placeOrder(order({ portfolioName: 'Street', quantity: 1, limitPrice: 100 * U }), ADMIN);
});

describe('a STOP BUY below the market', () => {
  it('needs the buying power of the market it buys from: the cash never goes negative', async () => {
    expect(await refusal(desk.placeOrder(stopBuy(150, 1 * U), ADMIN))).toBe('INSUFFICIENT_CASH');
    expect(alpha().cash).toBe(10_000n * BigInt(U));
    const bought = await desk.placeOrder(stopBuy(90, 1 * U), ADMIN);
    expect(bought.order.status).toBe('FILLED');
    expect(alpha().cash).toBe(1_000n * BigInt(U));
  });

  it('meets max_order_notional at the market price', async () => {
    await desk.setLimits('Alpha', { maxOrderNotional: 600n * BigInt(U) }, ADMIN);
    await expect(desk.placeOrder(stopBuy(50, 1 * U), ADMIN)).rejects.toMatchObject({ code: 'RISK_LIMIT', details: [{ path: 'max_order_notional', message: 'limit 600.00, would be 5000.00' }] });
    expect(alpha().positions.get('ACME')?.quantity ?? 0).toBe(0);
  });

  it('above the approval threshold at the market price, waits for approval, holding that cash', async () => {
    await desk.setLimits('Alpha', { approvalThreshold: 500n * BigInt(U) }, ADMIN);
    const placed = await desk.placeOrder(stopBuy(50, 1 * U), approver('slack:T:U1'));
    expect(placed.order.status).toBe('PENDING_APPROVAL');
    expect(alpha().reservedCash).toBe(5_000n * BigInt(U));
    expect(await refusal(desk.placeOrder(order({ quantity: 51, limitPrice: 100 * U }), ADMIN))).toBe('INSUFFICIENT_CASH');
    const approved = await desk.approveOrder(placed.order.id, approver('slack:T:U2'));
    expect(approved.order.status).toBe('FILLED');
    expect(alpha().cash).toBe(5_000n * BigInt(U));
  });

  it('a STOP BUY above the market is still priced at its stop', async () => {
    await desk.setLimits('Alpha', { maxOrderNotional: 1_100n * BigInt(U) }, ADMIN);
    const resting = await desk.placeOrder(stopBuy(10, 110 * U), ADMIN);
    expect(resting.order.status).toBe('NEW');
    expect(alpha().reservedCash).toBe(1_100n * BigInt(U));
  });
});

describe('a resting STOP BUY whose stop is moved below the market', () => {
  it('is priced at the asks it will buy from: no more than the cash it has', async () => {
    const store = new MemoryStore([{ symbol: 'ACME', name: 'Acme', tickSize: 100, lotSize: 1, referencePrice: 100 * U, lastPrice: null }]);
    desk = await Oms.open(store);
    await desk.createPortfolio({ name: 'Alpha', startingCash: 10_000n * BigInt(U), allowShort: false }, ADMIN);
    await desk.createPortfolio({ name: 'Beta', startingCash: 10_000n * BigInt(U), allowShort: false }, ADMIN);
    await desk.createPortfolio({ name: 'Street', startingCash: 1_000_000n * BigInt(U), allowShort: true }, ADMIN);
    // A trade at 100.00 (the last price), then asks only at 200.00.
    await desk.placeOrder(order({ portfolioName: 'Street', side: 'SELL', quantity: 1, limitPrice: 100 * U }), ADMIN);
    await desk.placeOrder(order({ portfolioName: 'Beta', quantity: 1, limitPrice: 100 * U }), ADMIN);
    await desk.placeOrder(order({ portfolioName: 'Street', side: 'SELL', quantity: 100, limitPrice: 200 * U }), ADMIN);
    const resting = await desk.placeOrder(stopBuy(60, 150 * U), ADMIN);
    expect({ status: resting.order.status, reserved: alpha().reservedCash }).toEqual({ status: 'NEW', reserved: 9_000n * BigInt(U) });
    expect(await refusal(desk.modifyOrder(resting.order.id, { stopPrice: 1 * U }, ADMIN))).toBe('INSUFFICIENT_CASH');
    expect(alpha().cash).toBe(10_000n * BigInt(U));
    await desk.setLimits('Alpha', { maxOrderNotional: 8_000n * BigInt(U) }, ADMIN);
    await expect(desk.modifyOrder(resting.order.id, { stopPrice: 1 * U, quantity: 45 }, ADMIN)).rejects.toMatchObject({ code: 'RISK_LIMIT', details: [{ path: 'max_order_notional' }] });
    const moved = await desk.modifyOrder(resting.order.id, { stopPrice: 1 * U, quantity: 40 }, ADMIN);
    expect(moved.order.status).toBe('FILLED');
    expect(alpha().cash).toBe(2_000n * BigInt(U));
  });
});
