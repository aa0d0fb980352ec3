import { unavailable } from './errors.js';
import { type AuditRecord, type Fill, type InstrumentMarket, type InstrumentState, type OrderRecord, type PortfolioState, type TradeRecord, type TradingSession } from './model.js';
import { ChangeSet, OmsEvents } from './oms-events.js';
import { WriterReplacedError, type InstrumentRow, type OmsStore, type OrderRow } from './ports.js';
import { DeskState, HOUSE, unheld } from './desk-state.js';
import type { Actor, DeskCore, DeskOptions } from './desk-core.js';
import { placeOrder, type OrderResult, type PlaceOrderInput } from './place-order.js';
import { cancelOrder, modifyOrder, type ModifyOrderInput } from './amend-order.js';
import { bookTrade, type BookTradeInput } from './book-trade.js';
import { addInstrument, adoptInstrument, createPortfolio, expireDay, expireDayOf, setReferencePrice, setSession } from './market-admin.js';
import { changeCash, resetPortfolio, type CashInput, type ResetInput } from './portfolio-cash.js';
import type { DeskInfo } from './desks.js';
import { NO_FEES, type FeeSchedule } from './fees.js';
import { formatUnits } from './units.js';
import { approveOrder, rejectOrder, restorePending } from './approvals.js';
import { setLimits, setRiskState, type LimitsInput, type RiskStateInput } from './risk-states.js';
import type { PortfolioRisk, RiskState } from './risk-model.js';

export type { LimitsInput, RiskStateInput };
export type { Actor, BookTradeInput, CashInput, Fill, ModifyOrderInput, OrderResult, PlaceOrderInput, ResetInput };

/** What the OMS tells its owner about its own health (for the log). */
export interface OmsMonitor {
  /** A commit failed: the OMS answers 503 and reloads the committed state. */
  commitFailed(error: unknown): void;
  /** Another OMS took over the database: this one accepts nothing more, for good. */
  replaced(error: WriterReplacedError): void;
  /** The committed state is loaded again and the OMS serves. */
  reloaded(afterMs: number): void;
  /** A reload attempt failed (the database still away): retried after `retryMs`. */
  reloadFailed(error: unknown, retryMs: number): void;
}

const SILENT_MONITOR: OmsMonitor = { commitFailed() {}, replaced() {}, reloaded() {}, reloadFailed() {} };

export type OmsOptions = Partial<DeskOptions>;

/** The desk every deployment has (see db/desks.ts); a store made without a desk serves it. */
const MAIN_DESK: DeskInfo = { id: 1, name: 'main', createdAt: new Date(0) };
/** An instrument no market data feed follows: priced by the simulator or by admins, always live. */
const DEFAULT_MARKET: InstrumentMarket = { source: 'simulator', status: 'live' };
const DEFAULTS: DeskOptions = { bookedPriceBandBps: 2000, lastDayEnd: null, marketCollarBps: 500, fees: NO_FEES, approvalTimeoutMs: 900_000 };
/** Reload retries after a failed commit: quick at first (a blip), then no faster than this. */
const RELOAD_RETRY_MS = [100, 250, 500, 1000, 2000, 5000] as const;
const REPLACED = 'another OMS has taken over the database and answers in place of this one: retry';

/**
 * The desk core: its state (books, portfolios, open orders, reservations), the group commit that
 * makes each command durable before it is acknowledged, publication after the commit, and health
 * (a failed commit reloads the committed state; a takeover is for good). The use-cases live in
 * their own files (place-order, amend-order, book-trade, market-admin, portfolio-cash) and run against DeskCore.
 * All state changes happen synchronously between awaits, which is what makes each symbol's
 * engine single-writer.
 */
export class Oms implements DeskCore {
  readonly events = new OmsEvents();
  state: DeskState;
  /** Why the OMS takes no work now: a failed commit it is recovering from, or a takeover (for good). */
  private failed: unknown = null;
  private onInstrument: ((instrument: InstrumentState) => Promise<void>) | null = null;
  /** Per symbol, where prices come from and whether they flow; outside DeskState, so a reload keeps it. */
  private readonly markets = new Map<string, InstrumentMarket>();

  private constructor(
    readonly store: OmsStore,
    private readonly monitor: OmsMonitor,
    readonly options: DeskOptions,
    /** Which desk this is: the store reads and writes its rows only. */
    readonly desk: DeskInfo,
  ) {
    this.state = this.freshState();
  }

  static async open(store: OmsStore, monitor: OmsMonitor = SILENT_MONITOR, options: OmsOptions = {}, desk: DeskInfo = MAIN_DESK): Promise<Oms> {
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    const oms = new Oms(store, monitor, { ...DEFAULTS, ...defined }, desk);
    await oms.load();
    return oms;
  }

  private freshState(): DeskState {
    return new DeskState(this.store, (error) => this.fail(error));
  }

  private async load(): Promise<void> {
    const state = this.state;
    const loaded = await this.store.loadState();
    state.fees = (await this.store.loadFees()) ?? this.options.fees;
    const risk = await this.store.loadRisk();
    state.deskRisk = risk.desk;
    for (const [id, r] of risk.portfolios) state.portfolioRisk.set(id, r);
    for (const row of loaded.instruments) state.addInstrument(row);
    for (const p of loaded.portfolios) state.indexPortfolio(p);
    const bySymbol = new Map<string, OrderRow[]>();
    const lastDayEnd = this.options.lastDayEnd;
    const missedExpiry: OrderRow[] = [];
    const pending: OrderRow[] = [];
    for (const row of loaded.openOrders) {
      if (lastDayEnd && row.tif === 'DAY' && row.createdAt < lastDayEnd) {
        missedExpiry.push(row);
        continue;
      }
      if (row.status === 'PENDING_APPROVAL') {
        pending.push(row);
        continue;
      }
      const list = bySymbol.get(row.symbol) ?? [];
      list.push(row);
      bySymbol.set(row.symbol, list);
    }
    for (const [symbol, rows] of bySymbol) {
      const instrument = state.instruments.get(symbol);
      if (!instrument) throw new Error(`open orders for unknown instrument ${symbol}`);
      state.rebuildBook(instrument, rows);
    }
    restorePending(this, pending);
    if (missedExpiry.length > 0) {
      const now = new Date();
      for (const row of missedExpiry) {
        state.batch.order(unheld({ ...row, status: 'EXPIRED', reason: 'END_OF_DAY', updatedAt: now }));
      }
      this.audit(null, 'order.expire', 'day end', 'ok', { missed: missedExpiry.length, day_end: lastDayEnd!.toISOString() });
      await this.durable();
    }
    if (!state.portfoliosByName.has(HOUSE)) {
      state.indexPortfolio(await this.store.insertPortfolio({ name: HOUSE, cash: 0n, allowShort: true, isHouse: true, createdBy: null }));
    }
  }

  // ---- queries -------------------------------------------------------------------------------

  instrument(symbol: string): InstrumentState | undefined {
    return this.state.instruments.get(symbol.toUpperCase());
  }

  listInstruments(): InstrumentState[] {
    return [...this.state.instruments.values()].sort((a, b) => a.symbol.localeCompare(b.symbol));
  }

  portfolio(name: string): PortfolioState | undefined {
    return this.state.portfoliosByName.get(name);
  }

  portfolioNames(): IterableIterator<string> {
    return this.state.portfoliosByName.keys();
  }

  portfolioById(id: number): PortfolioState | undefined {
    return this.state.portfolios.get(id);
  }

  listPortfolios(): PortfolioState[] {
    return [...this.state.portfolios.values()].sort((a, b) => a.id - b.id);
  }

  /** A live (open or just-changed) order, if the OMS holds it in memory. */
  liveOrder(id: number): OrderRecord | undefined {
    return this.state.orders.get(id);
  }

  openOrdersOf(portfolioId: number): OrderRecord[] {
    return this.state.openOrdersOf(portfolioId);
  }

  // ---- use-cases -----------------------------------------------------------------------------

  placeOrder(input: PlaceOrderInput, actor: Actor): Promise<OrderResult> {
    return placeOrder(this, input, actor);
  }

  cancelOrder(id: number, actor: Actor): Promise<OrderRecord> {
    return cancelOrder(this, id, actor);
  }

  modifyOrder(id: number, input: ModifyOrderInput, actor: Actor): Promise<{ order: OrderRecord; fills: Fill[] }> {
    return modifyOrder(this, id, input, actor);
  }

  bookTrade(input: BookTradeInput, actor: Actor): Promise<{ trade: TradeRecord; created: boolean }> {
    return bookTrade(this, input, actor);
  }

  approveOrder(id: number, actor: Actor): Promise<{ order: OrderRecord; fills: Fill[] }> {
    return approveOrder(this, id, actor);
  }

  rejectOrder(id: number, reason: string | null, actor: Actor): Promise<OrderRecord> {
    return rejectOrder(this, id, reason, actor);
  }

  /** The desk's trading state (portfolio null) or a portfolio's. */
  setRiskState(portfolio: string | null, input: RiskStateInput, actor: Actor): Promise<{ canceled: number }> {
    return setRiskState(this, portfolio, input, actor);
  }

  setLimits(portfolio: string, input: LimitsInput, actor: Actor): Promise<PortfolioRisk> {
    return setLimits(this, portfolio, input, actor);
  }

  get deskRisk(): RiskState {
    return this.state.deskRisk;
  }

  riskOf(portfolio: PortfolioState): PortfolioRisk {
    return this.state.riskOf(portfolio.id);
  }

  /** Orders of a portfolio waiting for approval. */
  pendingOf(portfolioId: number): OrderRecord[] {
    return this.state.pendingOf(portfolioId);
  }

  setReferencePrice(symbol: string, price: number, actor: Actor | null): Promise<InstrumentState> {
    return setReferencePrice(this, symbol, price, actor);
  }

  expireDay(): Promise<number> {
    return expireDay(this);
  }

  expireDayOf(symbol: string): Promise<number> {
    return expireDayOf(this, symbol);
  }

  /** `write`: this desk writes the deployment's row (the others only follow it). */
  setSession(symbol: string, session: TradingSession, actor: Actor | null, write: boolean): Promise<InstrumentState> {
    return setSession(this, symbol, session, actor, write);
  }

  createPortfolio(input: { name: string; startingCash: bigint; allowShort: boolean }, actor: Actor): Promise<PortfolioState> {
    return createPortfolio(this, input, actor);
  }

  changeCash(name: string, input: CashInput, actor: Actor): Promise<PortfolioState> {
    return changeCash(this, name, input, actor);
  }

  resetPortfolio(name: string, input: ResetInput, actor: Actor): Promise<PortfolioState> {
    return resetPortfolio(this, name, input, actor);
  }

  addInstrument(row: InstrumentRow, actor: Actor): Promise<InstrumentState> {
    return addInstrument(this, row, actor);
  }

  adoptInstrument(row: InstrumentRow): Promise<InstrumentState> {
    return adoptInstrument(this, row);
  }

  /** Runs after a new instrument is committed, before its creation is answered (the house quotes it). */
  onInstrumentAdded(fn: (instrument: InstrumentState) => Promise<void>): void {
    this.onInstrument = fn;
  }

  async instrumentAdded(instrument: InstrumentState): Promise<void> {
    await this.onInstrument?.(instrument);
  }

  /** The fee schedule charged on this desk's client fills now. */
  get fees(): FeeSchedule {
    return this.state.fees;
  }

  /** An admin's new fee schedule: stored first, then charged from the next fill on, audited. */
  async setFees(fees: FeeSchedule, actor: Actor): Promise<FeeSchedule> {
    this.assertHealthy();
    const state = this.state;
    const before = state.fees;
    await this.written(this.store.saveFees(fees));
    // A reload meanwhile read the stored schedule already.
    if (state === this.state) state.fees = fees;
    // bpsE4 has the scale of units: four decimals of a basis point.
    const text = (s: FeeSchedule) => ({ per_share: formatUnits(s.perShare), bps: formatUnits(s.bpsE4), min_per_order: formatUnits(s.minPerOrder) });
    this.audit(actor, 'desk.fees', this.desk.name, 'ok', { before: text(before), after: text(fees) });
    await this.commit(new ChangeSet());
    return this.state.fees;
  }

  marketOf(symbol: string): InstrumentMarket {
    return this.markets.get(symbol) ?? DEFAULT_MARKET;
  }

  /** Set by the market data feed when a symbol's source or status changes. */
  setMarket(symbol: string, market: InstrumentMarket): void {
    const before = this.markets.get(symbol) ?? DEFAULT_MARKET;
    this.markets.set(symbol, market);
    // Nothing to commit: a status is the market's, not the database's. Dashboards hear it at once.
    const instrument = this.state.instruments.get(symbol);
    if (instrument && before.status !== market.status) this.events.emit('ticker', [instrument]);
  }

  // ---- commit and publish --------------------------------------------------------------------

  /** Records an auth failure or any other event worth an audit row; written with the next commit. */
  audit(actor: Actor | null, action: string, target: string | null, outcome: string, details: unknown): void {
    if (actor?.audited === false) return;
    const record: AuditRecord = {
      at: new Date(),
      keyId: actor?.keyId ?? null,
      actor: actor?.name ?? null,
      action,
      target,
      outcome,
      details: details ?? null,
    };
    this.state.batch.audit(record);
  }

  /**
   * Commits like commit(), and answers `order` as the batch that commits this command writes it.
   * By the time that batch is durable, a command of the next batch may have changed the order in
   * memory (filled it, say); an acknowledgement must not report what a crash could still undo.
   */
  async committedState(order: OrderRecord, changes: ChangeSet): Promise<OrderRecord> {
    let committed: OrderRecord = order;
    this.state.batch.onClose(() => {
      committed = { ...order };
      return changes.capture(this.events);
    });
    await this.durable();
    return committed;
  }

  commit(changes: ChangeSet): Promise<void> {
    this.state.batch.onClose(() => changes.capture(this.events));
    return this.durable();
  }

  private durable(): Promise<void> {
    return this.state.batch.durable().catch((error: unknown) => {
      throw unavailable(
        error instanceof WriterReplacedError
          ? `${REPLACED}; the order was not applied`
          : 'the order could not be made durable; it was not applied',
      );
    });
  }

  /** A write outside the group commit: refused once another OMS has taken over, like a commit. */
  async written<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (error) {
      if (!(error instanceof WriterReplacedError)) throw error;
      this.fail(error);
      throw unavailable(`${REPLACED}; nothing was done`);
    }
  }

  /** Waits until everything accepted so far is durable. */
  async drain(): Promise<void> {
    await this.state.batch.drain();
  }

  // ---- health --------------------------------------------------------------------------------

  get healthy(): boolean {
    return this.failed === null;
  }

  /** True once another OMS has taken over the database (this one then only answers 503s). */
  get replaced(): boolean {
    return this.failed instanceof WriterReplacedError;
  }

  /** `ok`, `degraded` (recovering from a failed commit: back by itself) or `replaced` (for good). */
  get health(): 'ok' | 'degraded' | 'replaced' {
    return this.failed === null ? 'ok' : this.replaced ? 'replaced' : 'degraded';
  }

  assertHealthy(): void {
    if (this.failed) {
      throw unavailable(this.replaced ? `${REPLACED}; nothing was done` : 'a commit failed and the OMS is reloading its state; nothing was done: retry in a moment');
    }
  }

  assertSameState(state: DeskState): void {
    if (state !== this.state) throw unavailable('the OMS reloaded its state while this request waited; nothing was done: retry');
    this.assertHealthy();
  }

  /**
   * A failed commit leaves memory ahead of the database: refuse new work, then load the committed
   * state again, as a restart would (books and portfolios exactly as committed), and serve again.
   * A takeover by another OMS is for good: that one serves now.
   */
  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = error;
    if (error instanceof WriterReplacedError) {
      this.monitor.replaced(error);
      return;
    }
    this.monitor.commitFailed(error);
    void this.recover(Date.now());
  }

  private async recover(since: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      // The failed batch's waiters have been told; a batch still in flight settles first.
      await this.state.batch.drain();
      this.state = this.freshState();
      try {
        await this.load();
      } catch (error) {
        if (error instanceof WriterReplacedError) {
          this.failed = error;
          this.monitor.replaced(error);
          return;
        }
        const retryMs = RELOAD_RETRY_MS[Math.min(attempt, RELOAD_RETRY_MS.length - 1)];
        this.monitor.reloadFailed(error, retryMs);
        await new Promise((r) => setTimeout(r, retryMs));
        continue;
      }
      this.failed = null;
      // Listeners (the feed) hold books and summaries as last committed, which is what was loaded;
      // a fresh snapshot of each book and price realigns anyone who may have missed a step.
      const instruments = [...this.state.instruments.values()];
      for (const i of instruments) this.events.emit('book', i);
      this.events.emit('ticker', instruments);
      this.monitor.reloaded(Date.now() - since);
      return;
    }
  }
}

