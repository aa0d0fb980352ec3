import { notFound, rejected } from './errors.js';
import { canUsePortfolio } from './access.js';
import { caseHint } from './name-hint.js';
import type { PortfolioState } from './model.js';
import { describeError, type Actor, type DeskCore } from './desk-core.js';

/**
 * The lookup and access step of the commands on a client portfolio (cash, reset, risk state,
 * limits): a portfolio of the desk the caller may use (any other answers as unknown, as a read of
 * it does), never the house, which is the desk's market making. `houseRefusal` says why not, in the
 * command's words. A refusal is audited under `action`.
 */
export function clientPortfolio(desk: DeskCore, name: string, actor: Actor, action: string, houseRefusal: string): PortfolioState {
  desk.assertHealthy();
  const mayUse = (n: string) => !actor.access || canUsePortfolio(actor.access, n);
  const portfolio = desk.state.portfoliosByName.get(name);
  let error: Error | null = null;
  if (!portfolio || !mayUse(name)) {
    const usable = [...desk.state.portfoliosByName.keys()].filter(mayUse);
    error = notFound('PORTFOLIO_NOT_FOUND', `no portfolio ${name}${caseHint(name, usable)}`);
  } else if (portfolio.isHouse) {
    error = rejected('HOUSE_PORTFOLIO', `${name} is the market maker's portfolio: ${houseRefusal}`, 'name');
  }
  if (error) {
    desk.audit(actor, action, name, 'rejected', { error: describeError(error) });
    throw error;
  }
  return portfolio!;
}
