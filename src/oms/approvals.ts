import { conflict, notFound, rejected } from './errors.js';
import { canUsePortfolio, hasScope } from './access.js';
import { ChangeSet } from './oms-events.js';
import { applyEngineEvents } from './apply-events.js';
import { bookEntry } from './book-entry.js';
import { checkRiskPolicy, checkRisk, orderNotional } from './risk-check.js';
import { checkMarketOpen } from './market-open.js';
import { actorIdentity, describeError, type Actor, type DeskCore } from './desk-core.js';
import { hold, unheld, type DeskState } from './desk-state.js';
import type { Fill, OrderRecord, PortfolioState } from './model.js';
import type { OrderRow } from './ports.js';

/** Why an order awaiting approval ended without entering the book (its `reason`). */
export const APPROVAL_EXPIRED = 'APPROVAL_EXPIRED';
export const APPROVAL_REJECTED = 'APPROVAL_REJECTED';
export const HALTED = 'HALTED';

/**
 * What an order awaiting approval holds, as a resting one would: a BUY its limit (or stop) price x
 * quantity, a market BUY what its buying-power check estimated; a SELL its shares.
 */
export function holdPending(portfolio: PortfolioState, order: OrderRecord, cash: bigint): void {
  hold(portfolio, order, cash, order.quantity - order.filled);
}

/** What a pending BUY holds: its price x quantity, or for a market order the estimate of its check. */
export function pendingCash(desk: DeskCore, order: OrderRecord): bigint {
  if (order.side === 'SELL') return 0n;
  return orderNotional(desk.state.instruments.get(order.symbol)!, order, order.quantity - order.filled, desk.options.marketCollarBps);
}

/** Restores the orders that awaited approval at the last commit: held again, and their expiry timed again. */
export function restorePending(desk: DeskCore, rows: OrderRow[]): void {
  const state = desk.state;
  for (const row of rows) {
    const order = unheld(row);
    const portfolio = state.portfolios.get(order.portfolioId)!;
    state.orders.set(order.id, order);
    portfolio.openOrders++;
    holdPending(portfolio, order, pendingCash(desk, order));
    scheduleExpiry(desk, order);
  }
}

/**
 * Times an order's expiry: APPROVAL_TIMEOUT after it was placed, a time that a restart reads from
 * its stored creation, so the expiry survives one. A timer that fires on an order no longer pending
 * (decided, or already expired by a reload's own timer) does nothing.
 */
export function scheduleExpiry(desk: DeskCore, order: OrderRecord): void {
  const id = order.id;
  const due = order.createdAt.getTime() + desk.options.approvalTimeoutMs - Date.now();
  const timer = setTimeout(() => {
    void expirePending(desk, id).catch(() => undefined);
  }, Math.max(0, due));
  timer.unref();
}

async function expirePending(desk: DeskCore, id: number): Promise<void> {
  const order = desk.state.orders.get(id);
  if (!order || order.status !== 'PENDING_APPROVAL') return;
  desk.assertHealthy();
  const changes = new ChangeSet();
  closePending(desk.state, order, 'REJECTED', APPROVAL_EXPIRED, changes);
  desk.audit(null, 'order.expire_approval', String(id), 'ok', { timeout_seconds: desk.options.approvalTimeoutMs / 1000 });
  await desk.commit(changes);
}

/** Ends an order that never entered the book: its hold released, written, published on orders:. */
export function closePending(state: DeskState, order: OrderRecord, status: 'REJECTED' | 'CANCELED' | 'EXPIRED', reason: string, changes: ChangeSet): void {
  const portfolio = state.portfolios.get(order.portfolioId)!;
  order.status = status;
  order.reason = reason;
  order.updatedAt = new Date();
  hold(portfolio, order, 0n, 0);
  state.orders.delete(order.id);
  portfolio.openOrders--;
  state.batch.order(order);
  changes.order(portfolio, order);
  changes.portfolios.add(portfolio);
}

/** The order a decision names: pending, of a portfolio the caller may use, decided by someone allowed to. */
async function pendingFor(desk: DeskCore, id: number, actor: Actor, action: string): Promise<{ order: OrderRecord; portfolio: PortfolioState }> {
  desk.assertHealthy();
  const refuse = (error: Error): never => {
    desk.audit(actor, action, String(id), 'rejected', { error: describeError(error) });
    throw error;
  };
  const state = desk.state;
  // An order no longer live is in the database only: read it to say what became of it.
  const order = state.orders.get(id) ?? (await desk.store.findOrder(id));
  desk.assertSameState(state);
  const portfolio = order ? state.portfolios.get(order.portfolioId) : undefined;
  const mayUse = (p: PortfolioState) => !actor.access || canUsePortfolio(actor.access, p.name);
  if (!order || !portfolio || !mayUse(portfolio)) return refuse(notFound('ORDER_NOT_FOUND', `no order ${id}`));
  const live = state.orders.get(id);
  if (!live || live.status !== 'PENDING_APPROVAL') return refuse(conflict('ORDER_NOT_PENDING', `order ${id} is ${(live ?? order).status.toLowerCase()}, not awaiting approval`));
  if (actor.access && !hasScope(actor.access, 'approve')) {
    return refuse(rejected('APPROVAL_NOT_ALLOWED', `deciding order ${id} takes the approve scope (an approver or an admin)`));
  }
  if (order.placedBy && order.placedBy === actorIdentity(actor)) {
    return refuse(rejected('APPROVAL_NOT_ALLOWED', `order ${id} was placed by you: another approver must decide it`));
  }
  return { order: live, portfolio };
}

/**
 * Checks again, in the synchronous step that decides it, that the order still awaits approval:
 * while a decision awaited pendingFor, another decision, a cancel or the expiry may have ended it,
 * and deciding it again would put an order no longer live into its book or release its hold twice.
 */
function assertStillPending(desk: DeskCore, order: OrderRecord, actor: Actor, action: string): void {
  desk.assertHealthy();
  if (desk.state.orders.get(order.id) === order && order.status === 'PENDING_APPROVAL') return;
  const error = conflict('ORDER_NOT_PENDING', `order ${order.id} is ${order.status.toLowerCase()}, not awaiting approval`);
  desk.audit(actor, action, String(order.id), 'rejected', { error: describeError(error) });
  throw error;
}

/**
 * Approves an order: it enters its book now (time priority from now) and may fill at once. Refused
 * while the desk or its portfolio is halted (the order stays pending until resumed, rejected or
 * expired), or reduce-only and it would not shrink the position, or when the market it needs now is
 * not there; what it holds moves from the approval hold to the book's.
 */
export async function approveOrder(desk: DeskCore, id: number, actor: Actor): Promise<{ order: OrderRecord; fills: Fill[] }> {
  const { order, portfolio } = await pendingFor(desk, id, actor, 'order.approve');
  assertStillPending(desk, order, actor, 'order.approve');
  const state = desk.state;
  const instrument = state.instruments.get(order.symbol)!;
  const changes = new ChangeSet();
  let fills: Fill[];
  try {
    checkMarketOpen(desk, instrument, order);
    const cash = pendingCash(desk, order);
    const notional = order.side === 'BUY' ? cash : orderNotional(instrument, order, order.quantity - order.filled, desk.options.marketCollarBps);
    checkRiskPolicy(state, portfolio, instrument, { side: order.side, quantity: order.quantity - order.filled, notional, orderId: order.id });
    // A market (or stop) BUY's price is estimated again: the book may have moved since it was placed.
    if (order.side === 'BUY' && order.limitPrice === null) {
      checkRisk(portfolio, instrument, { side: 'BUY', cash: cash - order.reservedCash, quantity: 0 });
    }
    order.status = 'NEW';
    const code = instrument.book.submit(bookEntry(order));
    // A refusal throws below, before anything changed (see applyEngineEvents).
    if (code === 'OK') order.updatedAt = new Date();
    fills = applyEngineEvents(state, instrument, changes).fillsOf(order.id);
  } catch (error) {
    order.status = 'PENDING_APPROVAL';
    desk.audit(actor, 'order.approve', String(id), 'rejected', { error: describeError(error) });
    throw error;
  }
  desk.audit(actor, 'order.approve', String(id), 'ok', { by: actorIdentity(actor), placed_by: order.placedBy ?? null });
  return { order: await desk.committedState(order, changes), fills };
}

/** Rejects an order awaiting approval: REJECTED with the reason given (or APPROVAL_REJECTED), its hold released. */
export async function rejectOrder(desk: DeskCore, id: number, reason: string | null, actor: Actor): Promise<OrderRecord> {
  const { order } = await pendingFor(desk, id, actor, 'order.reject');
  assertStillPending(desk, order, actor, 'order.reject');
  const changes = new ChangeSet();
  closePending(desk.state, order, 'REJECTED', reason ?? APPROVAL_REJECTED, changes);
  desk.audit(actor, 'order.reject', String(id), 'ok', { by: actorIdentity(actor), placed_by: order.placedBy ?? null, reason });
  return desk.committedState(order, changes);
}
