import { conflict, type OmsError } from './errors.js';
import type { Fill, InstrumentState, OrderRecord, PortfolioState } from './model.js';
import { ChangeSet } from './oms-events.js';
import { checkRisk, checkRiskPolicy, orderNotional, type Exposure } from './risk-check.js';
import { checkMarketOpen } from './market-open.js';
import { holdPending, scheduleExpiry } from './approvals.js';
import { worstCaseFee } from './fees.js';
import { checkOrderShape, type PlaceOrderInput } from './order-checks.js';
import { applyEngineEvents } from './apply-events.js';
import { bookEntry } from './book-entry.js';
import { unheld, type ClientIdUse, type DeskState } from './desk-state.js';
import { actorIdentity, describeError, type Actor, type DeskCore } from './desk-core.js';
import { tradeRefusal } from './members.js';

export type { PlaceOrderInput };

export interface OrderResult {
  readonly order: OrderRecord;
  readonly fills: Fill[];
  /** False when a repeated client_order_id returned the original order. */
  readonly created: boolean;
}

export const clientIdInUse = (clientOrderId: string, what: string): OmsError =>
  conflict('CLIENT_ORDER_ID_IN_USE', `client_order_id ${clientOrderId} already names ${what} in this portfolio`, 'client_order_id');

/** What a client_order_id of a portfolio already names, if anything. */
export async function findClientIdUse(desk: DeskCore, portfolioId: number, clientOrderId: string): Promise<ClientIdUse | null> {
  const [row, booking] = await Promise.all([
    desk.store.findOrderByClientId(portfolioId, clientOrderId),
    desk.store.findBookedTrade(portfolioId, clientOrderId),
  ]);
  if (row) return { order: desk.state.orders.get(row.id) ?? unheld(row) };
  return booking && { booking };
}

/** Places a new order; with a client_order_id, at most once per portfolio. */
export async function placeOrder(desk: DeskCore, input: PlaceOrderInput, actor: Actor): Promise<OrderResult> {
  desk.assertHealthy();
  const state = desk.state;
  let instrument: InstrumentState;
  let portfolio: PortfolioState;
  try {
    instrument = state.requireInstrument(input.symbol);
    portfolio = state.requirePortfolio(input.portfolioName);
    // Access: a desk member trades only where their role and grants reach (members.ts).
    const refusal = actor.access && tradeRefusal(actor.access, portfolio.name, 'portfolio_name');
    if (refusal) throw refusal;
  } catch (error) {
    auditRefusal(desk, actor, input, error);
    throw error;
  }
  const placement: Placement = { desk, state, instrument, portfolio, input, actor };
  return input.clientOrderId === null ? placeNew(placement) : placeOnce(placement);
}

/** One order being placed: the desk and state it was resolved in, and what and who. */
interface Placement {
  readonly desk: DeskCore;
  readonly state: DeskState;
  readonly instrument: InstrumentState;
  readonly portfolio: PortfolioState;
  readonly input: PlaceOrderInput;
  readonly actor: Actor;
}

/** Places an order with a client_order_id at most once (see ClientIdGate). */
async function placeOnce(placement: Placement): Promise<OrderResult> {
  const { desk, state, instrument, portfolio, input, actor } = placement;
  let fills: Fill[] = [];
  const { value: use, created } = await state.clientIds.once(
    `${portfolio.id}:${input.clientOrderId}`,
    () => findClientIdUse(desk, portfolio.id, input.clientOrderId!),
    async () => {
      const result = await placeNew(placement);
      fills = result.fills;
      return { order: result.order };
    },
  );
  const refuse = (what: string): never => {
    const error = clientIdInUse(input.clientOrderId!, what);
    auditRefusal(desk, actor, input, error);
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
  const live = desk.state.orders.get(order.id);
  if (live) return { order: await desk.committedState(live, new ChangeSet()), fills, created };
  const stored = await desk.store.findOrder(order.id);
  return { order: stored ? unheld(stored) : order, fills, created };
}

/** Validates, risk-checks and executes a new order; resolves once its effects are durable. */
async function placeNew({ desk, state, instrument, portfolio, input, actor }: Placement): Promise<OrderResult> {
  await state.orderIds.ready();
  desk.assertSameState(state);
  // From here to the commit request nothing awaits: the command is applied atomically.
  let order: OrderRecord;
  const changes = new ChangeSet();
  let fills: Fill[];
  let pending = false;
  try {
    checkOrderShape(instrument, input);
    checkMarketOpen(desk, instrument, input);
    const notional = orderNotional(instrument, input, input.quantity, desk.options.marketCollarBps);
    checkRiskPolicy(state, portfolio, instrument, { side: input.side, quantity: input.quantity, notional });
    checkRisk(portfolio, instrument, exposureOfNew(desk, input, notional));
    order = newOrder(state, portfolio, instrument, input, actor);
    const threshold = state.riskOf(portfolio.id).approvalThreshold;
    pending = threshold !== null && notional > threshold && !portfolio.isHouse;
    if (pending) {
      // Held as a resting order would be, but not in the book: it enters it when approved.
      order.status = 'PENDING_APPROVAL';
      state.orders.set(order.id, order);
      portfolio.openOrders++;
      holdPending(portfolio, order, notional);
      state.batch.order(order);
      changes.order(portfolio, order);
      changes.portfolios.add(portfolio);
      fills = [];
    } else {
      const code = instrument.book.submit(bookEntry(order));
      // The engine refuses before changing anything, so a refused order is never recorded;
      // applyEngineEvents turns the REJECTED event into the error.
      if (code === 'OK') {
        state.orders.set(order.id, order);
        portfolio.openOrders++;
      }
      fills = applyEngineEvents(state, instrument, changes).fillsOf(order.id);
    }
  } catch (error) {
    auditRefusal(desk, actor, input, error);
    throw error;
  }
  desk.audit(actor, 'order.place', String(order.id), 'ok', { symbol: instrument.symbol, portfolio: portfolio.name, ...(pending ? { pending_approval: true } : {}) });
  const committed = await desk.committedState(order, changes);
  if (pending) scheduleExpiry(desk, order);
  return { order: committed, fills, created: true };
}

function newOrder(state: DeskState, portfolio: PortfolioState, instrument: InstrumentState, input: PlaceOrderInput, actor: Actor): OrderRecord {
  const now = new Date();
  const stop = input.type === 'STOP' || input.type === 'STOP_LIMIT';
  return {
    id: state.orderIds.next(),
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
    stopPrice: stop ? input.stopPrice : null,
    status: 'NEW',
    reason: null,
    waiting: stop,
    priority: null,
    userId: input.userId,
    origin: input.origin ?? null,
    placedBy: actorIdentity(actor),
    createdAt: now,
    updatedAt: now,
    reservedCash: 0n,
    reservedQty: 0,
    countedBuy: 0,
  };
}

function exposureOfNew(desk: DeskCore, input: PlaceOrderInput, notional: bigint): Exposure {
  if (input.side === 'SELL') return { side: 'SELL', cash: 0n, quantity: input.quantity };
  // Buying power covers what the fills may charge too, so the fees never take the cash negative.
  return { side: 'BUY', cash: notional + worstCaseFee(desk.state.fees, input.quantity, notional), quantity: 0 };
}

function auditRefusal(desk: DeskCore, actor: Actor, input: PlaceOrderInput, error: unknown): void {
  desk.audit(actor, 'order.place', input.portfolioName, 'rejected', { symbol: input.symbol, error: describeError(error) });
}
