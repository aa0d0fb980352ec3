import { rejected, validationError } from './errors.js';
import { formatUnits } from './units.js';
import type { PortfolioState } from './model.js';
import { ChangeSet } from './oms-events.js';
import { applyEngineEvents } from './apply-events.js';
import { closePending } from './approvals.js';
import { describeError, type Actor, type DeskCore } from './desk-core.js';
import { clientPortfolio } from './client-portfolio.js';

/** POST /portfolios/{name}/cash: a deposit (positive amount, in units) or a withdrawal (negative). */
export interface CashInput {
  readonly amount: bigint;
  readonly reason: string;
}

/** POST /portfolios/{name}/reset: the cash to start again with; none keeps the current starting cash. */
export interface ResetInput {
  readonly startingCash?: bigint;
}

/**
 * The most cash a deposit may leave in a portfolio: the largest amount the API reads
 * (999,999,999,999,999.9999). The column holds more, so a deposit never fails a commit.
 */
const MAX_CASH = 9_999_999_999_999_999_999n;

/** Deposits or withdraws cash; a withdrawal may take only the cash no open BUY order holds. */
export async function changeCash(desk: DeskCore, name: string, input: CashInput, actor: Actor): Promise<PortfolioState> {
  const portfolio = clientPortfolio(desk, name, actor, 'portfolio.cash', 'its cash is never deposited, withdrawn or reset');
  try {
    checkCash(portfolio, input.amount);
  } catch (error) {
    desk.audit(actor, 'portfolio.cash', name, 'rejected', { amount: formatUnits(input.amount), error: describeError(error) });
    throw error;
  }
  const state = desk.state;
  const changes = new ChangeSet();
  portfolio.cash += input.amount;
  state.batch.portfolio(portfolio);
  state.batch.portfolioEvent({ portfolioId: portfolio.id, kind: 'CASH', amount: input.amount, reason: input.reason, keyId: actor.keyId, at: new Date() });
  changes.portfolios.add(portfolio);
  desk.audit(actor, 'portfolio.cash', name, 'ok', { amount: formatUnits(input.amount), reason: input.reason });
  await desk.commit(changes);
  return portfolio;
}

function checkCash(portfolio: PortfolioState, amount: bigint): void {
  if (amount === 0n) throw validationError('amount must not be zero', [{ path: 'amount', message: 'must not be zero' }]);
  if (amount > 0n) {
    if (portfolio.cash + amount > MAX_CASH) {
      const message = `would take the cash past ${formatUnits(MAX_CASH)}`;
      throw validationError(`amount ${message}`, [{ path: 'amount', message }]);
    }
    return;
  }
  const available = portfolio.cash - portfolio.reservedCash;
  if (-amount > available) {
    // The figures to size the withdrawal again, as an order's refusal gives them.
    const left = formatUnits(available > 0n ? available : 0n);
    throw rejected('INSUFFICIENT_CASH', `portfolio ${portfolio.name} lacks the cash for this withdrawal (needs ${formatUnits(-amount)}, ${left} available)`, 'amount');
  }
}

/**
 * Starts a portfolio afresh: its open orders are canceled through their books (the books and the feed
 * see them go, as any cancel), then its cash is the starting cash and every position is zero, realized
 * P&L included. Its trades and orders stay, as history.
 */
export async function resetPortfolio(desk: DeskCore, name: string, input: ResetInput, actor: Actor): Promise<PortfolioState> {
  const portfolio = clientPortfolio(desk, name, actor, 'portfolio.reset', 'its cash is never deposited, withdrawn or reset');
  const startingCash = input.startingCash ?? portfolio.startingCash;
  if (startingCash <= 0n) {
    throw validationError('starting_cash must be positive', [{ path: 'starting_cash', message: 'must be positive' }]);
  }
  const state = desk.state;
  const changes = new ChangeSet();
  const open = state.openOrdersOf(portfolio.id);
  for (const order of open) {
    const instrument = state.instruments.get(order.symbol)!;
    instrument.book.submit({ type: 'CANCEL', id: order.id });
    applyEngineEvents(state, instrument, changes);
  }
  for (const order of state.pendingOf(portfolio.id)) closePending(state, order, 'CANCELED', 'USER', changes);
  // No order holds anything now, so nothing reserved is left on the positions being cleared.
  for (const [symbol, position] of portfolio.positions) {
    position.quantity = 0;
    position.costBasis = 0n;
    position.realizedPnl = 0n;
    state.batch.position(portfolio, symbol);
  }
  portfolio.cash = startingCash;
  portfolio.startingCash = startingCash;
  portfolio.feesPaid = 0n;
  state.batch.portfolio(portfolio);
  state.batch.portfolioEvent({ portfolioId: portfolio.id, kind: 'RESET', amount: startingCash, reason: null, keyId: actor.keyId, at: new Date() });
  changes.portfolios.add(portfolio);
  desk.audit(actor, 'portfolio.reset', name, 'ok', { starting_cash: formatUnits(startingCash), canceled: open.length });
  await desk.commit(changes);
  return portfolio;
}
