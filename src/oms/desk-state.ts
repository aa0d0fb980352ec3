import { DEFAULT_BOOK_CAPACITY, OrderBook } from '../engine/index.js';
import { caseHint } from './name-hint.js';
import { rejected } from './errors.js';
import { ClientIdGate } from './client-id-gate.js';
import { CommitBatcher } from './commit-batcher.js';
import { IdBlocks } from './id-blocks.js';
import { NO_FEES, type FeeSchedule } from './fees.js';
import { positionOf } from './portfolio-ledger.js';
import { UNLIMITED, type PortfolioRisk, type RiskState } from './risk-model.js';
import { OPEN_STATUSES, type InstrumentState, type OrderRecord, type PortfolioState, type TradeRecord } from './model.js';
import type { InstrumentRow, OmsStore, OrderRow } from './ports.js';

/** What a client_order_id names: the order it placed, or the trade it booked. */
export type ClientIdUse = { readonly order: OrderRecord } | { readonly booking: TradeRecord };

export const HOUSE = 'HOUSE';
const CLIENT_ID_CACHE = 200_000;

/**
 * Everything a desk holds in memory: its books, portfolios, open orders, reservations, and the group
 * commit that writes what changes. One object, so that a reload after a failed commit replaces it
 * whole: a command that resolved something before the reload holds an orphan and can tell (see
 * Oms.assertSameState).
 */
export class DeskState {
  readonly instruments = new Map<string, InstrumentState>();
  readonly portfolios = new Map<number, PortfolioState>();
  readonly portfoliosByName = new Map<string, PortfolioState>();
  /** Open orders, plus the orders of the batch being written. */
  readonly orders = new Map<number, OrderRecord>();
  /**
   * One client_order_id names one thing per portfolio: an order (POST /orders, or /trade at market)
   * or a booked trade (/trade with gmv). One gate for both, so a booking and an order cannot take
   * the same id, even at once.
   */
  readonly clientIds = new ClientIdGate<ClientIdUse>(CLIENT_ID_CACHE);
  readonly batch: CommitBatcher;
  readonly orderIds: IdBlocks;
  /** What the desk charges on its clients' fills; set as the desk loads, and by its admins. */
  fees: FeeSchedule = NO_FEES;
  /** The desk's trading state (risk-states.ts); read by every order's risk step. */
  deskRisk: RiskState = 'ACTIVE';
  /** Portfolios whose state or limits differ from UNLIMITED, by id. */
  readonly portfolioRisk = new Map<number, PortfolioRisk>();

  constructor(store: OmsStore, onCommitFailure: (error: unknown) => void) {
    this.batch = new CommitBatcher(store, onCommitFailure);
    this.orderIds = new IdBlocks((n) => store.reserveIds('order', n));
  }

  requireInstrument(symbol: string): InstrumentState {
    const i = this.instruments.get(symbol.toUpperCase());
    if (!i) throw rejected('UNKNOWN_SYMBOL', `unknown symbol ${symbol}`, 'symbol');
    return i;
  }

  requirePortfolio(name: string): PortfolioState {
    const p = this.portfoliosByName.get(name);
    if (!p) throw rejected('UNKNOWN_PORTFOLIO', `unknown portfolio ${name}${caseHint(name, this.portfoliosByName.keys())}`, 'portfolio_name');
    return p;
  }

  /** The live order an engine event names; a missing one is a bug, never a client's doing. */
  order(id: number): OrderRecord {
    const o = this.orders.get(id);
    if (!o) throw new Error(`engine event for unknown order ${id}`);
    return o;
  }

  riskOf(portfolioId: number): PortfolioRisk {
    return this.portfolioRisk.get(portfolioId) ?? UNLIMITED;
  }

  /** Orders of a portfolio waiting for approval (not in any book). */
  pendingOf(portfolioId: number): OrderRecord[] {
    const out: OrderRecord[] = [];
    for (const o of this.orders.values()) if (o.portfolioId === portfolioId && o.status === 'PENDING_APPROVAL') out.push(o);
    return out;
  }

  openOrdersOf(portfolioId: number): OrderRecord[] {
    const out: OrderRecord[] = [];
    for (const o of this.orders.values()) if (o.portfolioId === portfolioId && OPEN_STATUSES.has(o.status)) out.push(o);
    return out;
  }

  indexPortfolio(p: PortfolioState): void {
    this.portfolios.set(p.id, p);
    this.portfoliosByName.set(p.name, p);
  }

  addInstrument(row: InstrumentRow): InstrumentState {
    const instrument: InstrumentState = {
      symbol: row.symbol,
      name: row.name,
      tickSize: row.tickSize,
      lotSize: row.lotSize,
      referencePrice: row.referencePrice,
      lastPrice: row.lastPrice,
      session: row.session ?? '24/7',
      book: new OrderBook({ tickSize: row.tickSize, lotSize: row.lotSize }),
    };
    instrument.book.submit({ type: 'REFERENCE_PRICE', price: row.lastPrice ?? row.referencePrice });
    this.instruments.set(row.symbol, instrument);
    return instrument;
  }

  /** Restores a book from its open orders in their stored priority, and their reservations. */
  rebuildBook(instrument: InstrumentState, rows: OrderRow[]): void {
    const records = rows.map(unheld);
    const book = OrderBook.restore({
      // Allocated for up front: a start with a deep book does not leave the collector to copy it.
      config: { ...instrument.book.config, capacity: Math.max(DEFAULT_BOOK_CAPACITY, rows.length) },
      seq: Math.max(0, ...records.map((r) => r.priority ?? 0)),
      marketPrice: instrument.lastPrice ?? instrument.referencePrice,
      orders: records.map((r) => ({
        id: r.id,
        owner: r.portfolioId,
        side: r.side,
        orderType: r.type,
        tif: r.tif,
        quantity: r.quantity,
        filled: r.filled,
        price: r.limitPrice,
        stopPrice: r.stopPrice,
        waiting: r.waiting,
        priority: r.priority ?? 0,
      })),
    });
    this.instruments.set(instrument.symbol, { ...instrument, book });
    for (const r of records) {
      this.orders.set(r.id, r);
      const p = this.portfolios.get(r.portfolioId)!;
      p.openOrders++;
      this.reserve(p, r);
    }
  }

  /** Keeps the cash / quantity an order holds in its portfolio equal to what it can still use. */
  reserve(p: PortfolioState, o: OrderRecord): void {
    const open = OPEN_STATUSES.has(o.status) ? o.quantity - o.filled : 0;
    const holdPrice = o.limitPrice ?? o.stopPrice ?? 0;
    hold(p, o, BigInt(holdPrice) * BigInt(open), open);
  }
}

/** An order as stored, holding nothing in its portfolio yet (hold() or reserve() gives it its hold). */
export function unheld(row: OrderRow): OrderRecord {
  return { ...row, reservedCash: 0n, reservedQty: 0, countedBuy: 0 };
}

/**
 * What an order holds in its portfolio: a BUY `cash` (none for the house, whose cash is unlimited)
 * and its `open` quantity in its position's live BUY count, a SELL its `open` shares against the
 * position. Resting orders (reserve) and orders awaiting approval hold the same way.
 */
export function hold(p: PortfolioState, o: OrderRecord, cash: bigint, open: number): void {
  const held = o.side === 'BUY' && !p.isHouse ? cash : 0n;
  const sell = o.side === 'SELL' ? open : 0;
  const buy = o.side === 'BUY' ? open : 0;
  p.reservedCash += held - o.reservedCash;
  o.reservedCash = held;
  if (sell !== o.reservedQty) {
    positionOf(p, o.symbol).reservedSell += sell - o.reservedQty;
    o.reservedQty = sell;
  }
  if (buy !== o.countedBuy) {
    positionOf(p, o.symbol).openBuy += buy - o.countedBuy;
    o.countedBuy = buy;
  }
}
