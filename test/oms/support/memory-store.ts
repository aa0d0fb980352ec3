import type { BatchRows, InstrumentRow, LoadedState, OmsStore, OrderRow, StoredOrder } from '../../../src/oms/ports.js';
import type { FeeSchedule } from '../../../src/oms/fees.js';
import type { PortfolioRisk, RiskState, StoredRisk } from '../../../src/oms/risk-model.js';
import { portfolioState, type PortfolioState, type TradeRecord, type TradingSession } from '../../../src/oms/model.js';

interface PortfolioRow {
  id: number;
  name: string;
  cash: bigint;
  startingCash: bigint;
  allowShort: boolean;
  isHouse: boolean;
  feesPaid?: bigint;
  createdAt: Date;
}

/**
 * The OMS's persistence port held in memory, committing a batch all or nothing, for unit tests of
 * the desk's use-cases: what a commit wrote is exactly what a reload reads back. `failNextCommit`
 * refuses the next batch whole, as a database would.
 */
export class MemoryStore implements OmsStore {
  readonly instruments = new Map<string, InstrumentRow>();
  readonly portfolios = new Map<number, PortfolioRow>();
  readonly positions = new Map<string, { portfolioId: number; symbol: string; quantity: number; costBasis: bigint; realizedPnl: bigint }>();
  readonly orders = new Map<number, OrderRow>();
  readonly trades: TradeRecord[] = [];
  readonly audits: BatchRows['audits'][number][] = [];
  commits = 0;
  private nextOrderId = 1;
  private nextTradeId = 1n;
  private nextPortfolioId = 1;
  private failNext: Error | null = null;
  fees: FeeSchedule | null = null;
  deskRisk: RiskState = 'ACTIVE';
  readonly portfolioRisk = new Map<number, PortfolioRisk>();

  constructor(instruments: InstrumentRow[]) {
    for (const i of instruments) this.instruments.set(i.symbol, i);
  }

  failNextCommit(error = new Error('the database refused the batch')): void {
    this.failNext = error;
  }

  async loadState(): Promise<LoadedState> {
    const portfolios: PortfolioState[] = [...this.portfolios.values()].map((p) => portfolioState(p));
    for (const pos of this.positions.values()) {
      portfolios.find((p) => p.id === pos.portfolioId)!.positions.set(pos.symbol, { ...pos, reservedSell: 0, openBuy: 0 });
    }
    const open = [...this.orders.values()]
      .filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED' || o.status === 'PENDING_APPROVAL')
      .sort((a, b) => a.symbol.localeCompare(b.symbol) || (a.priority ?? Infinity) - (b.priority ?? Infinity) || a.id - b.id);
    return { instruments: [...this.instruments.values()].map((i) => ({ ...i })), portfolios, openOrders: open.map((o) => ({ ...o })) };
  }

  async commit(close: () => BatchRows): Promise<void> {
    await Promise.resolve();
    const batch = close();
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = null;
      throw error;
    }
    this.commits++;
    for (const t of batch.trades) this.trades.push({ ...t, id: (t.id = this.nextTradeId++) });
    for (const o of batch.orders) this.orders.set(o.id, { ...o });
    for (const p of batch.positions) this.positions.set(`${p.portfolioId}:${p.symbol}`, { ...p });
    for (const p of batch.portfolios) Object.assign(this.portfolios.get(p.id)!, { cash: p.cash, startingCash: p.startingCash, feesPaid: p.feesPaid });
    for (const i of batch.instruments) {
      const row = this.instruments.get(i.symbol)!;
      this.instruments.set(i.symbol, { ...row, referencePrice: i.referencePrice, lastPrice: i.lastPrice });
    }
    this.audits.push(...batch.audits);
  }

  async loadRisk(): Promise<StoredRisk> {
    return { desk: this.deskRisk, portfolios: new Map(this.portfolioRisk) };
  }

  async saveDeskRisk(state: RiskState): Promise<void> {
    this.deskRisk = state;
  }

  async savePortfolioRisk(portfolioId: number, risk: PortfolioRisk): Promise<void> {
    this.portfolioRisk.set(portfolioId, { ...risk });
  }

  async reserveIds(_sequence: 'order', count: number): Promise<number> {
    const first = this.nextOrderId;
    this.nextOrderId += count;
    return first;
  }

  async findOrder(id: number): Promise<StoredOrder | null> {
    const o = this.orders.get(id);
    return o ? { ...o, portfolioName: this.portfolios.get(o.portfolioId)!.name } : null;
  }

  async findOrderByClientId(portfolioId: number, clientOrderId: string): Promise<StoredOrder | null> {
    for (const o of this.orders.values()) if (o.portfolioId === portfolioId && o.clientOrderId === clientOrderId) return this.findOrder(o.id);
    return null;
  }

  async findBookedTrade(portfolioId: number, clientOrderId: string): Promise<TradeRecord | null> {
    return this.trades.find((t) => t.kind === 'BOOKED' && t.clientOrderId === clientOrderId && (t.buyPortfolioId === portfolioId || t.sellPortfolioId === portfolioId)) ?? null;
  }

  async loadFees(): Promise<FeeSchedule | null> {
    return this.fees;
  }

  async saveFees(fees: FeeSchedule): Promise<void> {
    this.fees = fees;
  }

  async insertInstrument(row: InstrumentRow): Promise<void> {
    this.instruments.set(row.symbol, row);
  }

  async updateInstrumentSession(symbol: string, session: TradingSession): Promise<void> {
    const row = this.instruments.get(symbol);
    if (row) this.instruments.set(symbol, { ...row, session });
  }

  async insertPortfolio(p: { name: string; cash: bigint; allowShort: boolean; isHouse: boolean; createdBy: string | null }): Promise<PortfolioState> {
    const row: PortfolioRow = { id: this.nextPortfolioId++, name: p.name, cash: p.cash, startingCash: p.cash, allowShort: p.allowShort, isHouse: p.isHouse, createdAt: new Date() };
    this.portfolios.set(row.id, row);
    return portfolioState(row);
  }
}
