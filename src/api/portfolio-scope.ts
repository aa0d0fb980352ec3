import { assertPortfolio } from './auth.js';
import type { ApiKeyRecord } from '../db/api-key.repository.js';
import type { Oms } from '../oms/oms.js';

/**
 * The portfolios a listing may show: the one asked for (403 if the key may not see it), else
 * those the key is limited to, else all (undefined). Unknown names match nothing (id -1).
 */
export function visiblePortfolioIds(oms: Oms, key: ApiKeyRecord, asked: string | undefined): number[] | undefined {
  if (asked !== undefined) {
    assertPortfolio(key, asked, 'portfolio');
    return [oms.portfolio(asked)?.id ?? -1];
  }
  return key.portfolios.length > 0 ? key.portfolios.map((n) => oms.portfolio(n)?.id ?? -1) : undefined;
}
