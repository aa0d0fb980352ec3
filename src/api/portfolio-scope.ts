import { assertPortfolio } from './auth.js';
import { rejected } from '../oms/errors.js';
import type { ApiKeyRecord } from '../db/api-key.repository.js';
import type { Oms } from '../oms/oms.js';

/**
 * The portfolios a listing may show: the one asked for (403 if the key may not see it), else
 * those the key is limited to, else all (undefined). Unknown names match nothing (id -1).
 */
/**
 * The house portfolio is the market maker's book, not a client's: no request places or books in it
 * (an order of the house against the house is meaningless, and its P&L is the desk's reference).
 */
export function assertClientPortfolio(oms: Oms, name: string): void {
  if (oms.portfolio(name)?.isHouse) {
    throw rejected('HOUSE_PORTFOLIO', `${name} is the market maker's portfolio: it takes no orders or bookings from clients`, 'portfolio_name');
  }
}

export function visiblePortfolioIds(oms: Oms, key: ApiKeyRecord, asked: string | undefined): number[] | undefined {
  if (asked !== undefined) {
    assertPortfolio(key, asked, 'portfolio');
    return [oms.portfolio(asked)?.id ?? -1];
  }
  return key.portfolios.length > 0 ? key.portfolios.map((n) => oms.portfolio(n)?.id ?? -1) : undefined;
}

/** Names the portfolios of a desk's trades and orders by id (an id of no portfolio, as a number). */
export const portfolioNameOf = (oms: Oms) => (id: number): string => oms.portfolioById(id)?.name ?? String(id);
