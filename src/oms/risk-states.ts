import { formatUnits } from './units.js';
import { ChangeSet } from './oms-events.js';
import { applyEngineEvents } from './apply-events.js';
import { closePending, HALTED } from './approvals.js';
import { UNLIMITED, type PortfolioRisk, type RiskState } from './risk-model.js';
import type { Actor, DeskCore } from './desk-core.js';
import { clientPortfolio } from './client-portfolio.js';

/** A change of trading state: the state, and whether a halt also cancels the scope's open orders. */
export interface RiskStateInput {
  readonly state: RiskState;
  readonly cancelOpenOrders: boolean;
}

/** The limits a change sets; a field left out keeps its value, a null one lifts the limit. */
export type LimitsInput = Partial<Omit<PortfolioRisk, 'state'>>;

/**
 * Changes of one desk's risk settings, one at a time: each is stored, then applied in memory, and two
 * at once could otherwise be stored in one order and applied in the other.
 */
const changing = new WeakMap<DeskCore, Promise<unknown>>();

function oneAtATime<T>(desk: DeskCore, change: () => Promise<T>): Promise<T> {
  const run = (changing.get(desk) ?? Promise.resolve()).then(change, change);
  changing.set(desk, run.catch(() => undefined));
  return run;
}

/**
 * Sets the desk's trading state (portfolio null) or a portfolio's. Stored first; then, in one
 * synchronous step, every later order of the scope meets the new state in its risk step (an order
 * checked before it is in a batch that commits no later than this change's) and, for a halt with
 * cancel_open_orders, the scope's open orders are canceled through their books and those awaiting
 * approval rejected (reason HALTED). Answered once all of that is committed.
 */
export function setRiskState(desk: DeskCore, portfolioName: string | null, input: RiskStateInput, actor: Actor): Promise<{ canceled: number }> {
  return oneAtATime(desk, () => applyRiskState(desk, portfolioName, input, actor));
}

async function applyRiskState(desk: DeskCore, portfolioName: string | null, input: RiskStateInput, actor: Actor): Promise<{ canceled: number }> {
  const action = portfolioName === null ? 'desk.risk_state' : 'portfolio.risk_state';
  const portfolio = portfolioName === null ? null : clientPortfolio(desk, portfolioName, actor, action, 'it is never halted or limited');
  desk.assertHealthy();
  const state = desk.state;
  const before = portfolio ? state.riskOf(portfolio.id) : null;
  const after = before ? { ...before, state: input.state } : null;
  await desk.written(portfolio ? desk.store.savePortfolioRisk(portfolio.id, after!) : desk.store.saveDeskRisk(input.state));
  desk.assertSameState(state);
  const was = portfolio ? before!.state : state.deskRisk;
  if (portfolio) state.portfolioRisk.set(portfolio.id, after!);
  else state.deskRisk = input.state;
  const changes = new ChangeSet();
  let canceled = 0;
  if (input.state === 'HALTED' && input.cancelOpenOrders) {
    const scope = portfolio ? [portfolio] : [...state.portfolios.values()].filter((p) => !p.isHouse);
    for (const p of scope) {
      for (const order of state.openOrdersOf(p.id)) {
        const instrument = state.instruments.get(order.symbol)!;
        instrument.book.submit({ type: 'CANCEL', id: order.id });
        applyEngineEvents(state, instrument, changes);
        canceled++;
      }
      for (const order of state.pendingOf(p.id)) {
        closePending(state, order, 'REJECTED', HALTED, changes);
        canceled++;
      }
    }
  }
  desk.audit(actor, action, portfolio?.name ?? 'desk', 'ok', { before: was, after: input.state, canceled });
  await desk.commit(changes);
  desk.events.emit('risk', portfolio);
  return { canceled };
}

/** Sets a portfolio's limits and approval threshold: stored, then read by every later order's risk step. */
export function setLimits(desk: DeskCore, name: string, input: LimitsInput, actor: Actor): Promise<PortfolioRisk> {
  return oneAtATime(desk, () => applyLimits(desk, name, input, actor));
}

async function applyLimits(desk: DeskCore, name: string, input: LimitsInput, actor: Actor): Promise<PortfolioRisk> {
  const portfolio = clientPortfolio(desk, name, actor, 'portfolio.limits', 'it is never halted or limited');
  const state = desk.state;
  const before = state.riskOf(portfolio.id);
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as LimitsInput;
  const after: PortfolioRisk = { ...before, ...defined };
  await desk.written(desk.store.savePortfolioRisk(portfolio.id, after));
  desk.assertSameState(state);
  state.portfolioRisk.set(portfolio.id, after);
  desk.audit(actor, 'portfolio.limits', name, 'ok', { before: limitsJson(before), after: limitsJson(after) });
  await desk.commit(new ChangeSet());
  desk.events.emit('risk', portfolio);
  return after;
}

const money = (v: bigint | null): string | null => (v === null ? null : formatUnits(v));

/** A portfolio's limits as the API, the feed and the audit show them. */
export function limitsJson(r: PortfolioRisk = UNLIMITED) {
  return {
    max_order_notional: money(r.maxOrderNotional),
    max_position: r.maxPosition,
    max_gross_exposure: money(r.maxGrossExposure),
    approval_threshold: money(r.approvalThreshold),
  };
}
