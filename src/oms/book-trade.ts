import type { Side } from '../engine/index.js';
import { OmsError, validationError } from './errors.js';
import { formatUnits } from './units.js';
import type { TradeRecord } from './model.js';
import { ChangeSet } from './oms-events.js';
import { applyFill } from './portfolio-ledger.js';
import { checkRisk, checkRiskPolicy } from './risk-check.js';
import { checkBookedPrice, checkTickAndLot } from './order-checks.js';
import { clientIdInUse, findClientIdUse } from './place-order.js';
import { HOUSE, type DeskState } from './desk-state.js';
import { describeError, type Actor, type DeskCore } from './desk-core.js';
import { tradeRefusal } from './members.js';

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

/**
 * POST /trade with a gmv: books an execution at gmv / quantity against the house, off the book
 * (the book's prices are not touched); with a client_order_id, at most once per portfolio.
 */
export async function bookTrade(desk: DeskCore, input: BookTradeInput, actor: Actor): Promise<{ trade: TradeRecord; created: boolean }> {
  desk.assertHealthy();
  // Access: a desk member books only where their role and grants reach (members.ts).
  const refusal = actor.access && tradeRefusal(actor.access, input.portfolioName, 'portfolio_name');
  if (refusal) {
    auditRefusal(desk, actor, input, refusal);
    throw refusal;
  }
  const state = desk.state;
  if (input.clientOrderId === null) return { trade: await bookNew(desk, state, input, actor), created: true };
  const portfolio = state.portfoliosByName.get(input.portfolioName);
  // An unknown portfolio has booked nothing: the booking itself refuses it below.
  if (!portfolio) return { trade: await bookNew(desk, state, input, actor), created: true };
  const { value: use, created } = await state.clientIds.once(
    `${portfolio.id}:${input.clientOrderId}`,
    () => findClientIdUse(desk, portfolio.id, input.clientOrderId!),
    async () => ({ booking: await bookNew(desk, state, input, actor) }),
  );
  const refuse = (what: string): never => {
    const error = clientIdInUse(input.clientOrderId!, what);
    auditRefusal(desk, actor, input, error);
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

async function bookNew(desk: DeskCore, state: DeskState, input: BookTradeInput, actor: Actor): Promise<TradeRecord> {
  desk.assertSameState(state);
  let step: { trade: TradeRecord; changes: ChangeSet };
  try {
    step = applyBooking(desk, state, input);
  } catch (error) {
    auditRefusal(desk, actor, input, error);
    throw error;
  }
  desk.audit(actor, 'trade.book', input.portfolioName, 'ok', { symbol: step.trade.symbol, user: input.userId });
  await desk.commit(step.changes);
  return step.trade;
}

/** The checks and the booking in memory (synchronous: nothing interleaves); a throw changed nothing. */
function applyBooking(desk: DeskCore, state: DeskState, input: BookTradeInput): { trade: TradeRecord; changes: ChangeSet } {
  const instrument = state.requireInstrument(input.symbol);
  const portfolio = state.requirePortfolio(input.portfolioName);
  const house = state.portfoliosByName.get(HOUSE)!;
  if (input.gmv <= 0n) throw validationError('gmv must be positive', [{ path: 'gmv', message: 'must be positive' }]);
  checkTickAndLot(instrument, input.quantity, undefined, undefined);
  checkRiskPolicy(state, portfolio, instrument, { side: input.side, quantity: input.quantity, notional: input.gmv });
  // A booking is done at once: it cannot wait for an approval, so one that would need it is refused.
  const threshold = state.riskOf(portfolio.id).approvalThreshold;
  if (threshold !== null && input.gmv > threshold) {
    throw new OmsError('RISK_LIMIT', `portfolio ${portfolio.name}'s approval_threshold is ${formatUnits(threshold)}: a booking of ${formatUnits(input.gmv)} cannot wait for approval; place an order instead`, [
      { path: 'approval_threshold', message: `limit ${formatUnits(threshold)}, would be ${formatUnits(input.gmv)}` },
    ]);
  }
  checkRisk(portfolio, instrument, { side: input.side, cash: input.gmv, quantity: input.quantity });
  const price = Number((input.gmv + BigInt(input.quantity) / 2n) / BigInt(input.quantity));
  if (!Number.isSafeInteger(price) || price <= 0) {
    throw validationError('gmv / quantity is not a valid price', [{ path: 'gmv', message: 'gmv / quantity must be a price from 0.0001 up' }]);
  }
  checkBookedPrice(instrument, price, desk.options.bookedPriceBandBps);
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
    // A booking records a trade made elsewhere at the gmv given: its costs are the client's to
    // book as cash, so the desk's schedule charges nothing here.
    buyFee: 0n,
    sellFee: 0n,
    clientOrderId: input.clientOrderId,
    createdAt: new Date(),
  };
  const changes = new ChangeSet();
  for (const [p, side] of [[buyer, 'BUY'], [seller, 'SELL']] as const) {
    applyFill(p, instrument.symbol, side, input.quantity, input.gmv);
    state.batch.portfolio(p);
    state.batch.position(p, instrument.symbol);
    changes.portfolios.add(p);
  }
  state.batch.trade(trade);
  changes.trade(instrument, trade);
  return { trade, changes };
}

function auditRefusal(desk: DeskCore, actor: Actor, input: BookTradeInput, error: unknown): void {
  desk.audit(actor, 'trade.book', input.portfolioName, 'rejected', { symbol: input.symbol, error: describeError(error) });
}
