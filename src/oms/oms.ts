import {
  ACCEPTED,
  CANCELED,
  DEFAULT_BOOK_CAPACITY,
  EXPIRED,
  MODIFIED,
  OrderBook,
  REJECTED,
  RESTED,
  TRADE,
  TRIGGERED,
  type OrderType,
  type Side,
  type TimeInForce,
} from '../engine/index.js';
import { caseHint } from './name-hint.js';
import { CommitBatcher } from './commit-batcher.js';
import { type OmsError, conflict, notFound, rejected, unavailable, validationError } from './errors.js';
import { codeOfEngineRefusal } from './error-catalogue.js';
import { ClientIdGate } from './client-id-gate.js';
import { IdBlocks } from './id-blocks.js';
import { formatUnits } from './units.js';
import { OPEN_STATUSES, type AuditRecord, type InstrumentState, type OrderRecord, type PortfolioState, type TradeRecord } from './model.js';
import { ChangeSet, OmsEvents } from './oms-events.js';
import { applyFill, positionOf } from './portfolio-ledger.js';
import { WriterReplacedError, type InstrumentRow, type OmsStore, type OrderRow } from './ports.js';
import { checkRisk, estimateMarketBuy, type Exposure } from './risk-check.js';

export interface Actor {
  readonly keyId: number | null;
  readonly name: string | null;
  /**
   * False for the house's own quoting: its re-quotes would write an audit row every tick while
   * nobody trades, and what it does that matters (its trades) is in the trades table.
   */
  readonly audited?: boolean;
}

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

export interface PlaceOrderInput {
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: number;
  readonly limitPrice: number | null;
  readonly stopPrice: number | null;
  readonly tif: TimeInForce;
  readonly portfolioName: string;
  readonly clientOrderId: string | null;
  readonly userId: string | null;
  readonly origin: unknown;
}

/** POST /trade with a gmv (money in internal units). */
export interface BookTradeInput {
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  readonly gmv: bigint;
  readonly portfolioName: string;
  readonly clientOrderId: string | null;
  readonly userId: string | null;
}

export interface ModifyOrderInput {
  readonly quantity?: number;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
}

/** A fill from one order's point of view. */
export interface Fill {
  readonly trade: TradeRecord;
  readonly side: Side;
  readonly liquidity: 'MAKER' | 'TAKER';
}

export interface OrderResult {
  readonly order: OrderRecord;
  readonly fills: Fill[];
  /** False when a repeated client_order_id returned the original order. */
  readonly created: boolean;
}

export interface OmsOptions {
  /** See BOOKED_PRICE_BAND_BPS in .env.example; 0 turns the check off. */
  readonly bookedPriceBandBps?: number;
  /**
   * The latest end of the trading day. An open DAY order placed before it missed its expiry (the
   * OMS was down at the time): it is expired at start instead of going back into its book.
   */
  readonly lastDayEnd?: Date | null;
  /**
   * How far above the best ask (or the reference price, with no ask) a market buy is priced for the
   * buying-power check; see MARKET_ORDER_COLLAR_BPS in .env.example.
   */
  readonly marketCollarBps?: number;
}

const DEFAULT_BOOKED_PRICE_BAND_BPS = 2000;
const DEFAULT_MARKET_COLLAR_BPS = 500;
/** Reload retries after a failed commit: quick at first (a blip), then no faster than this. */
const RELOAD_RETRY_MS = [100, 250, 500, 1000, 2000, 5000] as const;

/** Basis points as a percentage for messages: 2000n -> "20%", 250n -> "2.5%". */
const formatBps = (bps: bigint): string => `${bps / 100n}${bps % 100n === 0n ? '' : `.${String(bps % 100n).padStart(2, '0').replace(/0$/, '')}`}%`;

/** What a client_order_id names: the order it placed, or the trade it booked. */
type ClientIdUse = { readonly order: OrderRecord } | { readonly booking: TradeRecord };

const clientIdInUse = (clientOrderId: string, what: string): OmsError =>
  conflict('CLIENT_ORDER_ID_IN_USE', `client_order_id ${clientOrderId} already names ${what} in this portfolio`, 'client_order_id');

const HOUSE = 'HOUSE';
const REPLACED = 'another OMS has taken over the database and answers in place of this one: retry';
const CLIENT_ID_CACHE = 200_000;

/**
 * The order management system: validates, risk-checks, sequences commands into the per-symbol
 * engines, keeps portfolios exact, and acknowledges only after the group commit that makes the
 * effects durable. All state changes happen synchronously between awaits, which is what makes
 * each symbol's engine single-writer.
 */
export class Oms {
  readonly events = new OmsEvents();
  // Not readonly: a reload after a failed commit replaces the whole state at once (see recover()).
  private instruments = new Map<string, InstrumentState>();
  private portfolios = new Map<number, PortfolioState>();
  private portfoliosByName = new Map<string, PortfolioState>();
  /** Open orders, plus the orders of the batch being written. */
  private orders = new Map<number, OrderRecord>();
  /**
   * One client_order_id names one thing per portfolio: an order (POST /orders, or /trade at market)
   * or a booked trade (/trade with gmv). One gate for both, so a booking and an order cannot take
   * the same id, even at once.
   */
  private clientIds = new ClientIdGate<ClientIdUse>(CLIENT_ID_CACHE);
  private batch!: CommitBatcher;
  private orderIds!: IdBlocks;
  /** Why the OMS takes no work now: a failed commit it is recovering from, or a takeover (for good). */
  private failed: unknown = null;
  /**
   * Bumped by every reload. A command that awaited something (an id block, a client_order_id
   * lookup) checks it before touching state: objects it resolved before the reload are orphans.
   */
  private epoch = 0;
  private instrumentAdded: ((instrument: InstrumentState) => Promise<void>) | null = null;

  private constructor(
    private readonly store: OmsStore,
    private readonly monitor: OmsMonitor,
    private readonly options: Required<OmsOptions>,
  ) {
    this.freshState();
  }

  static async open(store: OmsStore, monitor: OmsMonitor = SILENT_MONITOR, options: OmsOptions = {}): Promise<Oms> {
    const oms = new Oms(store, monitor, {
      bookedPriceBandBps: options.bookedPriceBandBps ?? DEFAULT_BOOKED_PRICE_BAND_BPS,
      lastDayEnd: options.lastDayEnd ?? null,
      marketCollarBps: options.marketCollarBps ?? DEFAULT_MARKET_COLLAR_BPS,
    });
    await oms.load();
    return oms;
  }

  /** Empty state and a new group commit, as a process starts with. */
  private freshState(): void {
    this.instruments = new Map();
    this.portfolios = new Map();
    this.portfoliosByName = new Map();
    this.orders = new Map();
    this.clientIds = new ClientIdGate<ClientIdUse>(CLIENT_ID_CACHE);
    this.batch = new CommitBatcher(this.store, (error) => this.fail(error));
    this.orderIds = new IdBlocks((n) => this.store.reserveIds('order', n));
  }

  private async load(): Promise<void> {
    const state = await this.store.loadState();
    for (const row of state.instruments) this.addInstrumentState(row, []);
    for (const p of state.portfolios) this.indexPortfolio(p);
    const bySymbol = new Map<string, OrderRow[]>();
    const lastDayEnd = this.options.lastDayEnd;
    const missedExpiry: OrderRow[] = [];
    for (const row of state.openOrders) {
      if (lastDayEnd && row.tif === 'DAY' && row.createdAt < lastDayEnd) {
        missedExpiry.push(row);
        continue;
      }
      const list = bySymbol.get(row.symbol) ?? [];
      list.push(row);
      bySymbol.set(row.symbol, list);
    }
    for (const [symbol, rows] of bySymbol) {
      const instrument = this.instruments.get(symbol);
      if (!instrument) throw new Error(`open orders for unknown instrument ${symbol}`);
      this.instruments.set(symbol, this.rebuildInstrument(instrument, rows));
    }
    if (missedExpiry.length > 0) {
      const now = new Date();
      for (const row of missedExpiry) {
        this.batch.order({ ...row, status: 'EXPIRED', reason: 'END_OF_DAY', updatedAt: now, reservedCash: 0n, reservedQty: 0 });
      }
      this.audit(null, 'order.expire', 'day end', 'ok', { missed: missedExpiry.length, day_end: lastDayEnd!.toISOString() });
      await this.durable();
    }
    if (!this.portfoliosByName.has(HOUSE)) {
      const house = await this.store.insertPortfolio({ name: HOUSE, cash: 0n, allowShort: true, isHouse: true, createdBy: null });
      this.indexPortfolio(house);
    }
  }

  /** Restores a book from its open orders in their stored priority, and their reservations. */
  private rebuildInstrument(instrument: InstrumentState, rows: OrderRow[]): InstrumentState {
    const records = rows.map((r) => ({ ...r, reservedCash: 0n, reservedQty: 0 }));
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
    const rebuilt = { ...instrument, book };
    for (const r of records) {
      this.orders.set(r.id, r);
      const p = this.portfolios.get(r.portfolioId)!;
      p.openOrders++;
      this.reserve(p, r);
    }
    return rebuilt;
  }

  // ---- queries -------------------------------------------------------------------------------

  instrument(symbol: string): InstrumentState | undefined {
    return this.instruments.get(symbol.toUpperCase());
  }

  listInstruments(): InstrumentState[] {
    return [...this.instruments.values()].sort((a, b) => a.symbol.localeCompare(b.symbol));
  }

  portfolio(name: string): PortfolioState | undefined {
    return this.portfoliosByName.get(name);
  }

  portfolioNames(): IterableIterator<string> {
    return this.portfoliosByName.keys();
  }

  portfolioById(id: number): PortfolioState | undefined {
    return this.portfolios.get(id);
  }

  listPortfolios(): PortfolioState[] {
    return [...this.portfolios.values()].sort((a, b) => a.id - b.id);
  }

  /** A live (open or just-changed) order, if the OMS holds it in memory. */
  liveOrder(id: number): OrderRecord | undefined {
    return this.orders.get(id);
  }

  openOrdersOf(portfolioId: number): OrderRecord[] {
    const out: OrderRecord[] = [];
    for (const o of this.orders.values()) if (o.portfolioId === portfolioId && OPEN_STATUSES.has(o.status)) out.push(o);
    return out;
  }

  // ---- commands ------------------------------------------------------------------------------

  async placeOrder(input: PlaceOrderInput, actor: Actor): Promise<OrderResult> {
    this.assertHealthy();
    const epoch = this.epoch;
    let instrument: InstrumentState;
    let portfolio: PortfolioState;
    try {
      instrument = this.requireInstrument(input.symbol);
      portfolio = this.requirePortfolio(input.portfolioName);
    } catch (error) {
      this.auditRejectedOrder(actor, input, error);
      throw error;
    }
    if (input.clientOrderId === null) return this.placeNew(instrument, portfolio, input, actor, epoch);
    return this.placeOnce(`${portfolio.id}:${input.clientOrderId}`, instrument, portfolio, input, actor);
  }

  /** Places an order with a client_order_id at most once (see ClientIdGate). */
  private async placeOnce(
    key: string,
    instrument: InstrumentState,
    portfolio: PortfolioState,
    input: PlaceOrderInput,
    actor: Actor,
  ): Promise<OrderResult> {
    const epoch = this.epoch;
    let fills: Fill[] = [];
    const { value: use, created } = await this.clientIds.once(
      key,
      () => this.findClientIdUse(portfolio.id, input.clientOrderId!),
      async () => {
        const result = await this.placeNew(instrument, portfolio, input, actor, epoch);
        fills = result.fills;
        return { order: result.order };
      },
    );
    const refuse = (what: string): never => {
      const error = clientIdInUse(input.clientOrderId!, what);
      this.auditRejectedOrder(actor, input, error);
      throw error;
    };
    if (!('order' in use)) return refuse(`a booked trade (${use.booking.id})`);
    const order = use.order;
    if (created) return { order, fills, created };
    // The terms a modify cannot change: a retry must agree on them, another order may not.
    if (order.symbol !== instrument.symbol || order.side !== input.side || order.type !== input.type || order.tif !== input.tif) {
      refuse(`order ${order.id} (${order.side} ${order.type} ${order.tif} ${order.symbol})`);
    }
    // A retry answers the order as it stands now, but only as far as that is committed.
    const live = this.orders.get(order.id);
    if (live) return { order: await this.committedState(live, new ChangeSet()), fills, created };
    const stored = await this.store.findOrder(order.id);
    return { order: stored ? { ...stored, reservedCash: 0n, reservedQty: 0 } : order, fills, created };
  }

  /** What a client_order_id of a portfolio already names, if anything. */
  private async findClientIdUse(portfolioId: number, clientOrderId: string): Promise<ClientIdUse | null> {
    const [row, booking] = await Promise.all([
      this.store.findOrderByClientId(portfolioId, clientOrderId),
      this.store.findBookedTrade(portfolioId, clientOrderId),
    ]);
    if (row) return { order: this.orders.get(row.id) ?? { ...row, reservedCash: 0n, reservedQty: 0 } };
    return booking && { booking };
  }

  /** Validates, risk-checks and executes a new order; resolves once its effects are durable. */
  private async placeNew(
    instrument: InstrumentState,
    portfolio: PortfolioState,
    input: PlaceOrderInput,
    actor: Actor,
    epoch: number,
  ): Promise<OrderResult> {
    await this.orderIds.ready();
    this.assertSameState(epoch);
    // From here to the commit request nothing awaits: the command is applied atomically.
    let order: OrderRecord;
    const changes = new ChangeSet();
    const fills: Fill[] = [];
    try {
      this.validateOrderShape(instrument, input);
      checkRisk(portfolio, instrument, this.exposureOfNew(instrument, input));
      const now = new Date();
      order = {
        id: this.orderIds.next(),
        clientOrderId: input.clientOrderId,
        portfolioId: portfolio.id,
        symbol: instrument.symbol,
        side: input.side,
        type: input.type,
        tif: input.tif,
        quantity: input.quantity,
        filled: 0,
        filledNotional: 0n,
        limitPrice: input.type === 'LIMIT' || input.type === 'STOP_LIMIT' ? input.limitPrice : null,
        stopPrice: input.type === 'STOP' || input.type === 'STOP_LIMIT' ? input.stopPrice : null,
        status: 'NEW',
        reason: null,
        waiting: input.type === 'STOP' || input.type === 'STOP_LIMIT',
        priority: null,
        userId: input.userId,
        origin: input.origin ?? null,
        createdAt: now,
        updatedAt: now,
        reservedCash: 0n,
        reservedQty: 0,
      };
      const code = instrument.book.submit({
        type: 'NEW',
        id: order.id,
        owner: portfolio.id,
        side: order.side,
        orderType: order.type,
        tif: order.tif,
        quantity: order.quantity,
        price: order.limitPrice ?? undefined,
        stopPrice: order.stopPrice ?? undefined,
      });
      // The engine refuses before changing anything, so a refused order is never recorded;
      // applyEvents turns the REJECTED event into the error.
      if (code === 'OK') {
        this.orders.set(order.id, order);
        portfolio.openOrders++;
      }
      this.applyEvents(instrument, changes, fills, order.id);
    } catch (error) {
      this.auditRejectedOrder(actor, input, error);
      throw error;
    }
    this.audit(actor, 'order.place', String(order.id), 'ok', { symbol: instrument.symbol, portfolio: portfolio.name });
    return { order: await this.committedState(order, changes), fills, created: true };
  }

  async cancelOrder(id: number, actor: Actor, allowed: (portfolio: PortfolioState) => void): Promise<OrderRecord> {
    this.assertHealthy();
    const order = this.orders.get(id);
    if (!order || !OPEN_STATUSES.has(order.status)) {
      const error = await this.notOpen(id, allowed);
      this.audit(actor, 'order.cancel', String(id), 'rejected', { error: describe(error) });
      throw error;
    }
    const portfolio = this.portfolios.get(order.portfolioId)!;
    allowed(portfolio);
    const instrument = this.instruments.get(order.symbol)!;
    const changes = new ChangeSet();
    const code = instrument.book.submit({ type: 'CANCEL', id });
    this.applyEvents(instrument, changes, [], null);
    this.audit(actor, 'order.cancel', String(id), code === 'OK' ? 'ok' : 'rejected', null);
    return this.committedState(order, changes);
  }

  async modifyOrder(
    id: number,
    input: ModifyOrderInput,
    actor: Actor,
    allowed: (portfolio: PortfolioState) => void,
  ): Promise<{ order: OrderRecord; fills: Fill[] }> {
    this.assertHealthy();
    const order = this.orders.get(id);
    if (!order || !OPEN_STATUSES.has(order.status)) {
      const error = await this.notOpen(id, allowed);
      this.audit(actor, 'order.modify', String(id), 'rejected', { error: describe(error) });
      throw error;
    }
    const portfolio = this.portfolios.get(order.portfolioId)!;
    allowed(portfolio);
    let step: { changes: ChangeSet; fills: Fill[] };
    try {
      step = this.applyModify(order, portfolio, input);
    } catch (error) {
      this.audit(actor, 'order.modify', String(id), 'rejected', { error: describe(error) });
      throw error;
    }
    this.audit(actor, 'order.modify', String(id), 'ok', null);
    return { order: await this.committedState(order, step.changes), fills: step.fills };
  }

  /** The checks and the engine step of a modify (synchronous: nothing interleaves); a throw changed nothing. */
  private applyModify(order: OrderRecord, portfolio: PortfolioState, input: ModifyOrderInput): { changes: ChangeSet; fills: Fill[] } {
    const id = order.id;
    const instrument = this.instruments.get(order.symbol)!;
    if (input.quantity !== undefined && input.quantity <= order.filled) {
      throw rejected('INVALID_MODIFY', `quantity must be above the ${order.filled} already filled`, 'quantity');
    }
    if (input.limitPrice !== undefined && order.limitPrice === null) {
      throw rejected('INVALID_MODIFY', `a ${order.type} order has no limit price`, 'limit_price');
    }
    if (input.stopPrice !== undefined && !order.waiting) {
      throw rejected('INVALID_MODIFY', 'only a waiting stop order has a stop price to change', 'stop_price');
    }
    this.checkTickAndLot(instrument, input.quantity, input.limitPrice, input.stopPrice);
    const quantity = input.quantity ?? order.quantity;
    const price = input.limitPrice ?? order.limitPrice ?? input.stopPrice ?? order.stopPrice ?? 0;
    checkRisk(portfolio, instrument, {
      side: order.side,
      cash: BigInt(price) * BigInt(quantity - order.filled) - order.reservedCash,
      quantity: quantity - order.filled - order.reservedQty,
    });
    const changes = new ChangeSet();
    const fills: Fill[] = [];
    const code = instrument.book.submit({
      type: 'MODIFY',
      id,
      quantity: input.quantity,
      price: input.limitPrice,
      stopPrice: input.stopPrice,
    });
    if (code === 'REJECTED') {
      const out = instrument.book.output;
      throw rejected(out.kind[0] === REJECTED ? codeOfEngineRefusal(out.rejectReason(0)) : 'INVALID_MODIFY', 'the order cannot be changed that way');
    }
    this.applyEvents(instrument, changes, fills, id);
    return { changes, fills };
  }

  /**
   * POST /trade with a gmv: books an execution at gmv / quantity against the house, off the book
   * (the book's prices are not touched); with a client_order_id, at most once per portfolio.
   */
  async bookTrade(
    input: BookTradeInput,
    actor: Actor,
  ): Promise<{ trade: TradeRecord; created: boolean }> {
    this.assertHealthy();
    if (input.clientOrderId === null) return { trade: await this.bookNew(input, actor), created: true };
    const portfolio = this.portfoliosByName.get(input.portfolioName);
    // An unknown portfolio has booked nothing: the booking itself refuses it below.
    if (!portfolio) return { trade: await this.bookNew(input, actor), created: true };
    const { value: use, created } = await this.clientIds.once(
      `${portfolio.id}:${input.clientOrderId}`,
      () => this.findClientIdUse(portfolio.id, input.clientOrderId!),
      async () => ({ booking: await this.bookNew(input, actor) }),
    );
    const refuse = (what: string): never => {
      const error = clientIdInUse(input.clientOrderId!, what);
      this.audit(actor, 'trade.book', input.portfolioName, 'rejected', { symbol: input.symbol, error: describe(error) });
      throw error;
    };
    if (!('booking' in use)) return refuse(`order ${use.order.id}`);
    const trade = use.booking;
    const portfolioSide = trade.buyPortfolioId === portfolio.id ? 'BUY' : 'SELL';
    if (!created && (trade.symbol !== input.symbol || portfolioSide !== input.side || trade.quantity !== input.quantity || trade.gmv !== input.gmv)) {
      refuse(`a booked trade (${trade.id}) with other terms`);
    }
    return { trade, created };
  }

  private async bookNew(input: BookTradeInput, actor: Actor): Promise<TradeRecord> {
    let step: { trade: TradeRecord; changes: ChangeSet };
    try {
      step = this.applyBooking(input);
    } catch (error) {
      this.audit(actor, 'trade.book', input.portfolioName, 'rejected', { symbol: input.symbol, error: describe(error) });
      throw error;
    }
    this.audit(actor, 'trade.book', input.portfolioName, 'ok', { symbol: step.trade.symbol, user: input.userId });
    await this.commit(step.changes);
    return step.trade;
  }

  /** The checks and the booking in memory (synchronous: nothing interleaves); a throw changed nothing. */
  private applyBooking(input: BookTradeInput): { trade: TradeRecord; changes: ChangeSet } {
    const instrument = this.requireInstrument(input.symbol);
    const portfolio = this.requirePortfolio(input.portfolioName);
    const house = this.portfoliosByName.get(HOUSE)!;
    if (input.gmv <= 0n) throw validationError('gmv must be positive', [{ path: 'gmv', message: 'must be positive' }]);
    this.checkTickAndLot(instrument, input.quantity, undefined, undefined);
    checkRisk(portfolio, instrument, { side: input.side, cash: input.gmv, quantity: input.quantity });
    const price = Number((input.gmv + BigInt(input.quantity) / 2n) / BigInt(input.quantity));
    if (!Number.isSafeInteger(price) || price <= 0) {
      throw validationError('gmv / quantity is not a valid price', [{ path: 'gmv', message: 'gmv / quantity must be a price from 0.0001 up' }]);
    }
    this.checkBookedPrice(instrument, price);
    const buyer = input.side === 'BUY' ? portfolio : house;
    const seller = input.side === 'BUY' ? house : portfolio;
    const trade: TradeRecord = {
      id: 0n,
      symbol: instrument.symbol,
      price,
      quantity: input.quantity,
      gmv: input.gmv,
      aggressorSide: input.side,
      buyOrderId: null,
      sellOrderId: null,
      buyPortfolioId: buyer.id,
      sellPortfolioId: seller.id,
      kind: 'BOOKED',
      clientOrderId: input.clientOrderId,
      createdAt: new Date(),
    };
    const changes = new ChangeSet();
    for (const [p, side] of [[buyer, 'BUY'], [seller, 'SELL']] as const) {
      applyFill(p, instrument.symbol, side, input.quantity, input.gmv);
      this.batch.portfolio(p);
      this.batch.position(p, instrument.symbol);
      changes.portfolios.add(p);
    }
    this.batch.trade(trade);
    changes.trade(instrument, trade);
    return { trade, changes };
  }

  /** A new reference price (simulator, admin): stops may trigger. */
  async setReferencePrice(symbol: string, price: number, actor: Actor | null): Promise<InstrumentState> {
    this.assertHealthy();
    const instrument = this.requireInstrument(symbol);
    if (!Number.isSafeInteger(price) || price <= 0) {
      throw validationError('price must be positive', [{ path: 'price', message: 'must be a positive decimal' }]);
    }
    if (price % instrument.tickSize !== 0) {
      throw rejected('PRICE_OFF_TICK', `price must be a multiple of the tick size`, 'price');
    }
    const changes = new ChangeSet();
    instrument.referencePrice = price;
    this.batch.instrument(instrument);
    changes.tickers.add(instrument);
    instrument.book.submit({ type: 'REFERENCE_PRICE', price });
    this.applyEvents(instrument, changes, [], null);
    // Positions are marked at the reference price, so every holder's summary moves.
    for (const p of this.portfolios.values()) if (p.positions.get(instrument.symbol)?.quantity) changes.portfolios.add(p);
    if (actor) this.audit(actor, 'instrument.price', instrument.symbol, 'ok', { price: formatUnits(price) });
    await this.commit(changes);
    return instrument;
  }

  /** End of the trading day: DAY orders expire in every book. */
  async expireDay(): Promise<number> {
    this.assertHealthy();
    const changes = new ChangeSet();
    let expired = 0;
    for (const instrument of this.instruments.values()) {
      instrument.book.submit({ type: 'EXPIRE_DAY' });
      expired += instrument.book.output.length;
      this.applyEvents(instrument, changes, [], null);
    }
    await this.commit(changes);
    return expired;
  }

  async createPortfolio(
    input: { name: string; startingCash: bigint; allowShort: boolean },
    actor: Actor,
  ): Promise<PortfolioState> {
    this.assertHealthy();
    if (this.portfoliosByName.has(input.name)) {
      throw conflict('PORTFOLIO_EXISTS', `a portfolio named ${input.name} already exists`);
    }
    const epoch = this.epoch;
    const p = await this.written(
      this.store.insertPortfolio({
        name: input.name,
        cash: input.startingCash,
        allowShort: input.allowShort,
        isHouse: false,
        createdBy: actor.name,
      }),
    );
    // A reload meanwhile read it from the database already.
    if (epoch !== this.epoch) return this.portfoliosByName.get(p.name) ?? p;
    this.indexPortfolio(p);
    this.audit(actor, 'portfolio.create', p.name, 'ok', null);
    return p;
  }

  async addInstrument(row: InstrumentRow, actor: Actor): Promise<InstrumentState> {
    this.assertHealthy();
    if (this.instruments.has(row.symbol)) throw conflict('INSTRUMENT_EXISTS', `${row.symbol} already exists`);
    const epoch = this.epoch;
    await this.written(this.store.insertInstrument(row));
    const loaded = epoch !== this.epoch ? this.instruments.get(row.symbol) : undefined;
    if (loaded) return loaded;
    this.assertHealthy();
    const changes = new ChangeSet();
    const instrument = this.addInstrumentState(row, []);
    changes.tickers.add(instrument);
    this.audit(actor, 'instrument.create', row.symbol, 'ok', null);
    await this.commit(changes);
    await this.instrumentAdded?.(instrument);
    return instrument;
  }

  /** Runs after a new instrument is committed, before its creation is answered (the house quotes it). */
  onInstrumentAdded(fn: (instrument: InstrumentState) => Promise<void>): void {
    this.instrumentAdded = fn;
  }

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
    this.batch.audit(record);
  }

  private auditRejectedOrder(actor: Actor, input: PlaceOrderInput, error: unknown): void {
    this.audit(actor, 'order.place', input.portfolioName, 'rejected', { symbol: input.symbol, error: describe(error) });
  }

  /** Waits until everything accepted so far is durable. */
  async drain(): Promise<void> {
    await this.batch.drain();
  }

  get healthy(): boolean {
    return this.failed === null;
  }

  /** `ok`, `degraded` (recovering from a failed commit: back by itself) or `replaced` (for good). */
  get state(): 'ok' | 'degraded' | 'replaced' {
    return this.failed === null ? 'ok' : this.replaced ? 'replaced' : 'degraded';
  }

  // ---- applying engine events ----------------------------------------------------------------

  /**
   * Applies the events the book left in its output columns by the command just submitted (read
   * here, before any other command: the columns are reused). See EventBuffer for each column.
   */
  private applyEvents(instrument: InstrumentState, changes: ChangeSet, fills: Fill[], focusOrderId: number | null): void {
    const out = instrument.book.output;
    const touched = new Set<OrderRecord>();
    for (let i = 0; i < out.length; i++) {
      switch (out.kind[i]) {
        case ACCEPTED: {
          const o = this.order(out.orderId[i]);
          // A waiting stop's place in its trigger queue is its ACCEPTED seq; stored, so a restart
          // rebuilds the queue in the same order.
          if (o.waiting) o.priority = out.seq[i];
          touched.add(o);
          break;
        }
        case RESTED: {
          const o = this.order(out.orderId[i]);
          o.priority = out.seq[i];
          o.waiting = false;
          touched.add(o);
          break;
        }
        case TRIGGERED: {
          const o = this.order(out.orderId[i]);
          o.waiting = false;
          touched.add(o);
          break;
        }
        case MODIFIED: {
          const o = this.order(out.orderId[i]);
          o.quantity = out.quantity[i];
          // 0 stands for "no price" (prices are positive).
          o.limitPrice = out.price[i] || null;
          o.stopPrice = out.stopPrice[i] || null;
          const keptPriority = out.code[i] === 1;
          if (!keptPriority && o.waiting) o.priority = out.seq[i];
          touched.add(o);
          break;
        }
        case CANCELED: {
          const o = this.order(out.orderId[i]);
          o.status = 'CANCELED';
          o.reason = out.cancelReason(i);
          touched.add(o);
          break;
        }
        case EXPIRED: {
          const o = this.order(out.orderId[i]);
          o.status = 'EXPIRED';
          o.reason = 'END_OF_DAY';
          touched.add(o);
          break;
        }
        case TRADE: {
          const price = out.price[i];
          const quantity = out.quantity[i];
          const aggressorSide: Side = out.side[i] === 0 ? 'BUY' : 'SELL';
          const taker = this.order(out.orderId[i]);
          const maker = this.order(out.makerOrderId[i]);
          const notional = BigInt(price) * BigInt(quantity);
          const buy = aggressorSide === 'BUY' ? taker : maker;
          const sell = aggressorSide === 'BUY' ? maker : taker;
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
            createdAt: new Date(),
          };
          for (const o of [taker, maker]) {
            o.filled += quantity;
            o.filledNotional += notional;
            o.status = o.filled === o.quantity ? 'FILLED' : 'PARTIALLY_FILLED';
            const p = this.portfolios.get(o.portfolioId)!;
            applyFill(p, instrument.symbol, o.side, quantity, notional);
            this.batch.portfolio(p);
            this.batch.position(p, instrument.symbol);
            changes.portfolios.add(p);
            touched.add(o);
            if (o.id === focusOrderId) {
              fills.push({ trade, side: o.side, liquidity: o === taker ? 'TAKER' : 'MAKER' });
            }
          }
          instrument.lastPrice = price;
          this.batch.instrument(instrument);
          this.batch.trade(trade);
          changes.trade(instrument, trade);
          changes.tickers.add(instrument);
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
      const p = this.portfolios.get(o.portfolioId)!;
      this.reserve(p, o);
      if (!OPEN_STATUSES.has(o.status)) {
        this.orders.delete(o.id);
        p.openOrders--;
      }
      // Its summary counts open orders and what they hold: an order placed, resting or modified
      // changes it as much as a fill does.
      changes.portfolios.add(p);
      this.batch.order(o);
      changes.order(p, o);
    }
    if (touched.size > 0) changes.books.add(instrument);
  }

  /** Keeps the cash / quantity an order holds in its portfolio equal to what it can still use. */
  private reserve(p: PortfolioState, o: OrderRecord): void {
    const open = OPEN_STATUSES.has(o.status) ? o.quantity - o.filled : 0;
    const holdPrice = o.limitPrice ?? o.stopPrice ?? 0;
    const cash = o.side === 'BUY' && !p.isHouse ? BigInt(holdPrice) * BigInt(open) : 0n;
    const qty = o.side === 'SELL' ? open : 0;
    p.reservedCash += cash - o.reservedCash;
    o.reservedCash = cash;
    if (qty !== o.reservedQty) {
      positionOf(p, o.symbol).reservedSell += qty - o.reservedQty;
      o.reservedQty = qty;
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  /**
   * Commits like commit(), and answers `order` as the batch that commits this command writes it.
   * By the time that batch is durable, a command of the next batch may have changed the order in
   * memory (filled it, say); an acknowledgement must not report what a crash could still undo.
   */
  private async committedState(order: OrderRecord, changes: ChangeSet): Promise<OrderRecord> {
    let committed: OrderRecord = order;
    this.batch.onClose(() => {
      committed = { ...order };
      return changes.capture(this.events);
    });
    await this.durable();
    return committed;
  }

  private durable(): Promise<void> {
    return this.batch.durable().catch((error: unknown) => {
      throw unavailable(
        error instanceof WriterReplacedError
          ? `${REPLACED}; the order was not applied`
          : 'the order could not be made durable; it was not applied',
      );
    });
  }

  private commit(changes: ChangeSet): Promise<void> {
    this.batch.onClose(() => changes.capture(this.events));
    return this.durable();
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
      await this.batch.drain();
      this.epoch++;
      this.freshState();
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
      for (const i of this.instruments.values()) this.events.emit('book', i);
      this.events.emit('ticker', [...this.instruments.values()]);
      this.monitor.reloaded(Date.now() - since);
      return;
    }
  }

  private assertSameState(epoch: number): void {
    if (epoch !== this.epoch) throw unavailable('the OMS reloaded its state while this request waited; nothing was done: retry');
    this.assertHealthy();
  }

  /** A write outside the group commit: refused once another OMS has taken over, like a commit. */
  private async written<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (error) {
      if (!(error instanceof WriterReplacedError)) throw error;
      this.fail(error);
      throw unavailable(`${REPLACED}; nothing was done`);
    }
  }

  private assertHealthy(): void {
    if (this.failed) {
      throw unavailable(this.replaced ? `${REPLACED}; nothing was done` : 'a commit failed and the OMS is reloading its state; nothing was done: retry in a moment');
    }
  }

  /** True once another OMS has taken over the database (this one then only answers 503s). */
  get replaced(): boolean {
    return this.failed instanceof WriterReplacedError;
  }

  private order(id: number): OrderRecord {
    const o = this.orders.get(id);
    if (!o) throw new Error(`engine event for unknown order ${id}`);
    return o;
  }

  private requireInstrument(symbol: string): InstrumentState {
    const i = this.instruments.get(symbol.toUpperCase());
    if (!i) throw rejected('UNKNOWN_SYMBOL', `unknown symbol ${symbol}`, 'symbol');
    return i;
  }

  /** A booking does not go through the book, so nothing else stops it from printing any price. */
  private checkBookedPrice(instrument: InstrumentState, price: number): void {
    const band = BigInt(this.options.bookedPriceBandBps);
    if (band === 0n) return;
    const reference = BigInt(instrument.referencePrice);
    const off = BigInt(price) - reference;
    if ((off < 0n ? -off : off) * 10_000n > reference * band) {
      throw rejected(
        'PRICE_OUTSIDE_BAND',
        `gmv / quantity = ${formatUnits(price)} is more than ${formatBps(band)} from the reference price ${formatUnits(reference)} of ${instrument.symbol}`,
        'gmv',
      );
    }
  }

  private requirePortfolio(name: string): PortfolioState {
    const p = this.portfoliosByName.get(name);
    if (!p) throw rejected('UNKNOWN_PORTFOLIO', `unknown portfolio ${name}${caseHint(name, this.portfolioNames())}`, 'portfolio_name');
    return p;
  }

  private validateOrderShape(instrument: InstrumentState, input: PlaceOrderInput): void {
    const needsLimit = input.type === 'LIMIT' || input.type === 'STOP_LIMIT';
    const needsStop = input.type === 'STOP' || input.type === 'STOP_LIMIT';
    if (needsLimit && input.limitPrice === null) {
      throw validationError(`a ${input.type} order needs limit_price`, [{ path: 'limit_price', message: 'required' }]);
    }
    if (needsStop && input.stopPrice === null) {
      throw validationError(`a ${input.type} order needs stop_price`, [{ path: 'stop_price', message: 'required' }]);
    }
    // A price the order type would ignore is refused, not dropped: a LIMIT sent without its type
    // must not trade at market.
    if (!needsLimit && input.limitPrice !== null) {
      throw validationError(`a ${input.type} order takes no limit_price`, [{ path: 'limit_price', message: `not allowed for a ${input.type} order` }]);
    }
    if (!needsStop && input.stopPrice !== null) {
      throw validationError(`a ${input.type} order takes no stop_price`, [{ path: 'stop_price', message: `not allowed for a ${input.type} order` }]);
    }
    this.checkTickAndLot(
      instrument,
      input.quantity,
      needsLimit ? input.limitPrice! : undefined,
      needsStop ? input.stopPrice! : undefined,
    );
  }

  private checkTickAndLot(
    instrument: InstrumentState,
    quantity: number | undefined,
    limitPrice: number | undefined,
    stopPrice: number | undefined,
  ): void {
    if (quantity !== undefined && quantity % instrument.lotSize !== 0) {
      throw rejected('QUANTITY_OFF_LOT', `quantity must be a multiple of the lot size ${instrument.lotSize}`, 'quantity');
    }
    for (const [path, price] of [['limit_price', limitPrice], ['stop_price', stopPrice]] as const) {
      if (price !== undefined && price % instrument.tickSize !== 0) {
        throw rejected('PRICE_OFF_TICK', `${path} must be a multiple of the tick size ${formatUnits(instrument.tickSize)} of ${instrument.symbol}`, path);
      }
    }
  }

  private exposureOfNew(instrument: InstrumentState, input: PlaceOrderInput): Exposure {
    if (input.side === 'SELL') return { side: 'SELL', cash: 0n, quantity: input.quantity };
    const price = input.type === 'MARKET' ? null : input.type === 'STOP' ? input.stopPrice : input.limitPrice;
    const cash = price === null ? estimateMarketBuy(instrument, input.quantity, this.options.marketCollarBps) : BigInt(price) * BigInt(input.quantity);
    return { side: 'BUY', cash, quantity: 0 };
  }

  /** Why a cancel or modify of a missing or closed order fails; `allowed` first, so it cannot tell a caller about another's order. */
  private async notOpen(id: number, allowed: (portfolio: PortfolioState) => void): Promise<Error> {
    const stored = this.orders.get(id) ?? (await this.store.findOrder(id));
    if (!stored) return notFound('ORDER_NOT_FOUND', `no order ${id}`);
    const portfolio = this.portfolios.get(stored.portfolioId);
    if (portfolio) allowed(portfolio);
    return conflict('ORDER_NOT_OPEN', `order ${id} is ${stored.status.toLowerCase()}, no longer open`);
  }

  private addInstrumentState(row: InstrumentRow, _orders: OrderRow[]): InstrumentState {
    const instrument: InstrumentState = {
      symbol: row.symbol,
      name: row.name,
      tickSize: row.tickSize,
      lotSize: row.lotSize,
      referencePrice: row.referencePrice,
      lastPrice: row.lastPrice,
      book: new OrderBook({ tickSize: row.tickSize, lotSize: row.lotSize }),
    };
    instrument.book.submit({ type: 'REFERENCE_PRICE', price: row.lastPrice ?? row.referencePrice });
    this.instruments.set(row.symbol, instrument);
    return instrument;
  }

  private indexPortfolio(p: PortfolioState): void {
    this.portfolios.set(p.id, p);
    this.portfoliosByName.set(p.name, p);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? ((error as { code?: string }).code ?? error.message) : String(error);
}
