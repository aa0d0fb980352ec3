import { REJECTED } from '../engine/index.js';
import { conflict, notFound, OmsError, rejected } from './errors.js';
import { formatUnits } from './units.js';
import { codeOfEngineRefusal } from './error-catalogue.js';
import { OPEN_STATUSES, type Fill, type OrderRecord, type PortfolioState } from './model.js';
import { ChangeSet } from './oms-events.js';
import { checkRisk, checkRiskPolicy, orderNotional } from './risk-check.js';
import { closePending } from './approvals.js';
import { checkTickAndLot } from './order-checks.js';
import { applyEngineEvents } from './apply-events.js';
import { describeError, type Actor, type DeskCore } from './desk-core.js';
import { canUsePortfolio } from './access.js';
import { tradeRefusal } from './members.js';

export interface ModifyOrderInput {
  readonly quantity?: number;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
}

/**
 * The prologue cancel and modify share: the order must be open and the caller allowed on its
 * portfolio. Access is checked before anything is said about the order, so a caller cannot learn
 * of another's orders from the refusal. Synchronous for an open order, so a command is applied at
 * the moment it is called (the house re-quotes into the batch about to close); only the refusal of
 * an order that is not open reads the database.
 */
function openOrderFor(desk: DeskCore, id: number, actor: Actor, action: string): { order: OrderRecord; portfolio: PortfolioState } | Promise<never> {
  desk.assertHealthy();
  const order = desk.state.orders.get(id);
  if (!order || !OPEN_STATUSES.has(order.status)) {
    return notOpen(desk, id, actor).then((error) => {
      desk.audit(actor, action, String(id), 'rejected', { error: describeError(error) });
      throw error;
    });
  }
  const portfolio = desk.state.portfolios.get(order.portfolioId)!;
  assertMayUse(desk, actor, portfolio, id);
  // A member who may see the order may still lack the grant to trade its portfolio.
  const refusal = actor.access && tradeRefusal(actor.access, portfolio.name);
  if (refusal) {
    desk.audit(actor, action, String(id), 'rejected', { error: describeError(refusal) });
    throw refusal;
  }
  return { order, portfolio };
}

/** Runs a command's synchronous step now; a throw there is the command's rejection, as from an async function. */
function now<T>(step: () => Promise<T>): Promise<T> {
  try {
    return step();
  } catch (error) {
    return Promise.reject(error);
  }
}

async function notOpen(desk: DeskCore, id: number, actor: Actor): Promise<Error> {
  const stored = desk.state.orders.get(id) ?? (await desk.store.findOrder(id));
  if (!stored) return notFound('ORDER_NOT_FOUND', `no order ${id}`);
  const portfolio = desk.state.portfolios.get(stored.portfolioId);
  if (portfolio) assertMayUse(desk, actor, portfolio, id);
  return conflict('ORDER_NOT_OPEN', `order ${id} is ${stored.status.toLowerCase()}, no longer open`);
}

/**
 * An order of a portfolio the caller may not use answers as if it did not exist, as a read does: a
 * 403 would tell the caller the order exists and whose it is. The attempt is audited all the same.
 */
function assertMayUse(desk: DeskCore, actor: Actor, portfolio: PortfolioState, id: number): void {
  if (!actor.access || canUsePortfolio(actor.access, portfolio.name)) return;
  desk.audit(actor, 'auth.forbidden', actor.request?.target ?? `order ${id}`, 'denied', {
    reason: `this API key may not act on portfolio ${portfolio.name}`,
    ip: actor.request?.ip,
  });
  throw notFound('ORDER_NOT_FOUND', `no order ${id}`);
}

export function cancelOrder(desk: DeskCore, id: number, actor: Actor): Promise<OrderRecord> {
  return now(() => {
    const pending = desk.state.orders.get(id);
    if (pending?.status === 'PENDING_APPROVAL') return cancelPending(desk, pending, actor);
    const open = openOrderFor(desk, id, actor, 'order.cancel');
    if (open instanceof Promise) return open;
    const { order } = open;
    const instrument = desk.state.instruments.get(order.symbol)!;
    const changes = new ChangeSet();
    const code = instrument.book.submit({ type: 'CANCEL', id });
    applyEngineEvents(desk.state, instrument, changes);
    desk.audit(actor, 'order.cancel', String(id), code === 'OK' ? 'ok' : 'rejected', null);
    return desk.committedState(order, changes);
  });
}

/** An order awaiting approval is canceled without its book (it is not in it): its hold released. */
async function cancelPending(desk: DeskCore, order: OrderRecord, actor: Actor): Promise<OrderRecord> {
  desk.assertHealthy();
  const portfolio = desk.state.portfolios.get(order.portfolioId)!;
  assertMayUse(desk, actor, portfolio, order.id);
  const refusal = actor.access && tradeRefusal(actor.access, portfolio.name);
  if (refusal) {
    desk.audit(actor, 'order.cancel', String(order.id), 'rejected', { error: describeError(refusal) });
    throw refusal;
  }
  const changes = new ChangeSet();
  closePending(desk.state, order, 'CANCELED', 'USER', changes);
  desk.audit(actor, 'order.cancel', String(order.id), 'ok', null);
  return desk.committedState(order, changes);
}

export function modifyOrder(
  desk: DeskCore,
  id: number,
  input: ModifyOrderInput,
  actor: Actor,
): Promise<{ order: OrderRecord; fills: Fill[] }> {
  return now(() => {
    const open = openOrderFor(desk, id, actor, 'order.modify');
    if (open instanceof Promise) return open;
    const { order, portfolio } = open;
    let step: { changes: ChangeSet; fills: Fill[] };
    try {
      step = applyModify(desk, order, portfolio, input);
    } catch (error) {
      desk.audit(actor, 'order.modify', String(id), 'rejected', { error: describeError(error) });
      throw error;
    }
    desk.audit(actor, 'order.modify', String(id), 'ok', null);
    return desk.committedState(order, step.changes).then((committed) => ({ order: committed, fills: step.fills }));
  });
}

/** The checks and the engine step of a modify (synchronous: nothing interleaves); a throw changed nothing. */
function applyModify(desk: DeskCore, order: OrderRecord, portfolio: PortfolioState, input: ModifyOrderInput): { changes: ChangeSet; fills: Fill[] } {
  const id = order.id;
  const instrument = desk.state.instruments.get(order.symbol)!;
  if (input.quantity !== undefined && input.quantity <= order.filled) {
    throw rejected('INVALID_MODIFY', `quantity must be above the ${order.filled} already filled`, 'quantity');
  }
  if (input.limitPrice !== undefined && order.limitPrice === null) {
    throw rejected('INVALID_MODIFY', `a ${order.type} order has no limit price`, 'limit_price');
  }
  if (input.stopPrice !== undefined && !order.waiting) {
    throw rejected('INVALID_MODIFY', 'only a waiting stop order has a stop price to change', 'stop_price');
  }
  checkTickAndLot(instrument, input.quantity, input.limitPrice, input.stopPrice);
  const quantity = input.quantity ?? order.quantity;
  // Only a smaller quantity is not a new risk: a halt lets that through, and the limits need not see it.
  const grows = quantity > order.quantity || input.limitPrice !== undefined || input.stopPrice !== undefined;
  // At its new prices (a STOP BUY moved to a stop the last price already reached is priced at the market).
  const priced = { side: order.side, type: order.type, limitPrice: input.limitPrice ?? order.limitPrice, stopPrice: input.stopPrice ?? order.stopPrice };
  const worth = (q: number): bigint => orderNotional(instrument, priced, q, desk.options.marketCollarBps);
  if (grows) {
    const notional = worth(quantity);
    checkRiskPolicy(desk.state, portfolio, instrument, { side: order.side, quantity: quantity - order.filled, notional, orderId: id });
    // An order placed below the approval threshold (or approved at its notional) may not grow past it
    // by a change: the approval would be skipped.
    const threshold = desk.state.riskOf(portfolio.id).approvalThreshold;
    const was = BigInt(order.limitPrice ?? order.stopPrice ?? 0) * BigInt(order.quantity);
    if (threshold !== null && !portfolio.isHouse && notional > threshold && notional > was) {
      throw new OmsError('RISK_LIMIT', `portfolio ${portfolio.name}'s approval_threshold is ${formatUnits(threshold)}: a change to ${formatUnits(notional)} cannot wait for approval; place a new order instead`, [
        { path: 'approval_threshold', message: `limit ${formatUnits(threshold)}, would be ${formatUnits(notional)}` },
      ]);
    }
  }
  checkRisk(portfolio, instrument, {
    side: order.side,
    cash: worth(quantity - order.filled) - order.reservedCash,
    quantity: quantity - order.filled - order.reservedQty,
  });
  const changes = new ChangeSet();
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
  const fills = applyEngineEvents(desk.state, instrument, changes).fillsOf(id);
  return { changes, fills };
}
