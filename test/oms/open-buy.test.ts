import { describe, expect, it } from '@jest/globals';
import { Oms, type Actor } from '../../src/oms/oms.js';
import { isLive } from '../../src/oms/model.js';
import { MemoryStore } from './support/memory-store.js';
import { ADMIN, U, orderInput as order } from './support/commands.js';

/**
 * The position and exposure limits count a portfolio's live BUY quantity in a symbol from a counter
 * each position keeps (openBuy), not by walking the desk's orders. Through a seeded run of placed,
 * changed, canceled, filled, approved, rejected and reloaded orders the counter always equals the walk.
 */
const member = (id: string): Actor => ({ keyId: 7, name: 'slack bot', member: id, access: { scopes: ['read', 'trade', 'approve'], portfolios: [] } });
const SYMBOLS = ['ACME', 'BOLT'];
const PORTFOLIOS = ['Alpha', 'Beta'];

function walked(desk: Oms, portfolio: string, symbol: string): number {
  const id = desk.portfolio(portfolio)!.id;
  let sum = 0;
  for (const o of desk.state.orders.values()) if (o.portfolioId === id && o.symbol === symbol && o.side === 'BUY' && isLive(o.status)) sum += o.quantity - o.filled;
  return sum;
}

function expectCountersMatch(desk: Oms, step: string): void {
  for (const p of PORTFOLIOS) {
    for (const s of SYMBOLS) {
      const counted = desk.portfolio(p)!.positions.get(s)?.openBuy ?? 0;
      expect([step, p, s, counted]).toEqual([step, p, s, walked(desk, p, s)]);
    }
  }
}

describe("a portfolio's live BUY quantity per symbol", () => {
  it('is counted in its position exactly as a walk over the orders finds it, through every kind of change and a reload', async () => {
    const store = new MemoryStore(SYMBOLS.map((symbol) => ({ symbol, name: symbol, tickSize: 100, lotSize: 1, referencePrice: 100 * U, lastPrice: null })));
    let desk = await Oms.open(store);
    for (const name of PORTFOLIOS) await desk.createPortfolio({ name, startingCash: 10_000_000n * BigInt(U), allowShort: true }, ADMIN);
    // Beta's larger orders wait for approval.
    await desk.setLimits('Beta', { approvalThreshold: 3_000n * BigInt(U) }, ADMIN);
    let seed = 20261207;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
    let pendings = 0;
    for (let step = 0; step < 400; step++) {
      const live = [...desk.state.orders.values()].filter((o) => isLive(o.status));
      const roll = rnd();
      const placer = member(`slack:T:U${Math.floor(rnd() * 3)}`);
      try {
        if (roll < 0.5 || live.length === 0) {
          const side = rnd() < 0.55 ? 'BUY' : 'SELL';
          const price = (95 + Math.floor(rnd() * 11)) * U;
          await desk.placeOrder(order({ portfolioName: pick(PORTFOLIOS), symbol: pick(SYMBOLS), side, quantity: 1 + Math.floor(rnd() * 50), limitPrice: price }), placer);
        } else {
          const o = pick(live);
          if (o.status === 'PENDING_APPROVAL') {
            pendings++;
            if (rnd() < 0.5) await desk.approveOrder(o.id, member('slack:T:approver'));
            else await desk.rejectOrder(o.id, 'no', member('slack:T:approver'));
          } else if (roll < 0.75) {
            await desk.modifyOrder(o.id, { quantity: o.filled + 1 + Math.floor(rnd() * 40), limitPrice: (95 + Math.floor(rnd() * 11)) * U }, ADMIN);
          } else {
            await desk.cancelOrder(o.id, ADMIN);
          }
        }
      } catch {
        // A refusal (cash, a change the engine refuses) changes nothing: the counters must still match.
      }
      expectCountersMatch(desk, `step ${step}`);
      if (step === 250) {
        // Rebuilt from the store: open orders re-counted, pending ones held again.
        await desk.drain();
        desk = await Oms.open(store);
        expectCountersMatch(desk, 'after reload');
      }
    }
    expect(pendings).toBeGreaterThan(5);
    expect(walked(desk, 'Alpha', 'ACME') + walked(desk, 'Beta', 'BOLT')).toBeGreaterThan(0);
  });
});
