import { ACCEPTED, CANCELED, EXPIRED, MODIFIED, REJECTED, RESTED, TRADE, TRIGGERED } from '../engine/index.js';
import { rejected } from './errors.js';
import { codeOfEngineRefusal } from './error-catalogue.js';
import { OPEN_STATUSES, type Fill, type InstrumentState, type OrderRecord, type TradeRecord } from './model.js';
import type { ChangeSet } from './oms-events.js';
import type { DeskState } from './desk-state.js';
import { applyFill } from './portfolio-ledger.js';
import { fillFee } from './fees.js';

/** What one engine command did, beyond the state it changed: the fills, from each order's side. */
export class EngineEffects {
  private readonly fills = new Map<number, Fill[]>();

  add(orderId: number, fill: Fill): void {
    const list = this.fills.get(orderId);
    if (list) list.push(fill);
    else this.fills.set(orderId, [fill]);
  }

  fillsOf(orderId: number): Fill[] {
    return this.fills.get(orderId) ?? [];
  }
}

/**
 * Applies the events the book left in its output columns by the command just submitted (read
 * here, before any other command: the columns are reused) to the desk's orders and portfolios,
 * marks what changed for the batch and for publication, and returns the fills. A REJECTED event
 * throws the refusal; the engine refuses before changing anything.
 */
export function applyEngineEvents(state: DeskState, instrument: InstrumentState, changes: ChangeSet): EngineEffects {
  const out = instrument.book.output;
  const effects = new EngineEffects();
  const touched = new Set<OrderRecord>();
  for (let i = 0; i < out.length; i++) {
    switch (out.kind[i]) {
      case ACCEPTED: {
        const o = state.order(out.orderId[i]);
        // A waiting stop's place in its trigger queue is its ACCEPTED seq; stored, so a restart
        // rebuilds the queue in the same order.
        if (o.waiting) o.priority = out.seq[i];
        touched.add(o);
        break;
      }
      case RESTED: {
        const o = state.order(out.orderId[i]);
        o.priority = out.seq[i];
        o.waiting = false;
        touched.add(o);
        break;
      }
      case TRIGGERED: {
        const o = state.order(out.orderId[i]);
        o.waiting = false;
        touched.add(o);
        break;
      }
      case MODIFIED: {
        const o = state.order(out.orderId[i]);
        o.quantity = out.quantity[i];
        // 0 stands for "no price" (prices are positive).
        o.limitPrice = out.price[i] || null;
        o.stopPrice = out.stopPrice[i] || null;
        if (!out.keptPriority(i) && o.waiting) o.priority = out.seq[i];
        touched.add(o);
        break;
      }
      case CANCELED: {
        const o = state.order(out.orderId[i]);
        o.status = 'CANCELED';
        o.reason = out.cancelReason(i);
        touched.add(o);
        break;
      }
      case EXPIRED: {
        const o = state.order(out.orderId[i]);
        o.status = 'EXPIRED';
        o.reason = 'END_OF_DAY';
        touched.add(o);
        break;
      }
      case TRADE: {
        for (const o of applyTrade(state, instrument, changes, effects, i)) touched.add(o);
        break;
      }
      case REJECTED: {
        const reason = out.rejectReason(i);
        throw rejected(codeOfEngineRefusal(reason), `the engine refused the command: ${reason}`);
      }
    }
  }
  const now = new Date();
  for (const o of touched) {
    o.updatedAt = now;
    const p = state.portfolios.get(o.portfolioId)!;
    state.reserve(p, o);
    if (!OPEN_STATUSES.has(o.status)) {
      state.orders.delete(o.id);
      p.openOrders--;
    }
    // Its summary counts open orders and what they hold: an order placed, resting or modified
    // changes it as much as a fill does.
    changes.portfolios.add(p);
    state.batch.order(o);
    changes.order(p, o);
  }
  if (touched.size > 0) changes.books.add(instrument);
  return effects;
}

/** One match: both orders filled, both portfolios booked at the resting price. */
function applyTrade(state: DeskState, instrument: InstrumentState, changes: ChangeSet, effects: EngineEffects, i: number): [OrderRecord, OrderRecord] {
  const out = instrument.book.output;
  const price = out.price[i];
  const quantity = out.quantity[i];
  const aggressorSide = out.aggressorSide(i);
  const taker = state.order(out.orderId[i]);
  const maker = state.order(out.makerOrderId[i]);
  const notional = BigInt(price) * BigInt(quantity);
  const buy = aggressorSide === 'BUY' ? taker : maker;
  const sell = aggressorSide === 'BUY' ? maker : taker;
  // Charged to clients only: the house is the desk's own market making. Read before the fill is
  // counted, so an order's first fill is the one that pays its minimum.
  const feeOf = (o: OrderRecord): bigint =>
    state.portfolios.get(o.portfolioId)!.isHouse ? 0n : fillFee(state.fees, quantity, notional, o.filled === 0);
  const fees = new Map<OrderRecord, bigint>([
    [buy, feeOf(buy)],
    [sell, feeOf(sell)],
  ]);
  const trade: TradeRecord = {
    id: 0n,
    symbol: instrument.symbol,
    price,
    quantity,
    gmv: notional,
    aggressorSide,
    buyOrderId: buy.id,
    sellOrderId: sell.id,
    buyPortfolioId: buy.portfolioId,
    sellPortfolioId: sell.portfolioId,
    kind: 'MATCH',
    clientOrderId: null,
    buyFee: fees.get(buy)!,
    sellFee: fees.get(sell)!,
    createdAt: new Date(),
  };
  for (const o of [taker, maker]) {
    o.filled += quantity;
    o.filledNotional += notional;
    o.status = o.filled === o.quantity ? 'FILLED' : 'PARTIALLY_FILLED';
    const p = state.portfolios.get(o.portfolioId)!;
    applyFill(p, instrument.symbol, o.side, quantity, notional);
    const fee = fees.get(o)!;
    p.cash -= fee;
    p.feesPaid += fee;
    state.batch.portfolio(p);
    state.batch.position(p, instrument.symbol);
    changes.portfolios.add(p);
    effects.add(o.id, { trade, side: o.side, liquidity: o === taker ? 'TAKER' : 'MAKER' });
  }
  instrument.lastPrice = price;
  state.batch.instrument(instrument);
  state.batch.trade(trade);
  changes.trade(instrument, trade);
  changes.tickers.add(instrument);
  return [taker, maker];
}
