/**
 * The one access policy: what a key (or a desk member acting through one) may do. The API and the
 * feed check it at their edge; the OMS checks it again where only it knows the answer (whose order
 * an id names).
 */
export type Scope = 'read' | 'trade' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'trade', 'admin'];

export interface Access {
  readonly scopes: readonly Scope[];
  /** Empty: every portfolio. */
  readonly portfolios: readonly string[];
}

/** A key as the edges know it: who (for the audit) and what it may do. */
export interface Principal extends Access {
  readonly id: number;
  readonly name: string;
}

/** Finds the active key a client presented; a port the database implements. */
export interface KeyLookup<P extends Principal = Principal> {
  findActiveByKey(key: string): Promise<P | null>;
}

/** Admin implies every scope. */
export function hasScope(access: Access, scope: Scope): boolean {
  return access.scopes.includes(scope) || access.scopes.includes('admin');
}

export function canUsePortfolio(access: Access, portfolioName: string): boolean {
  return access.portfolios.length === 0 || access.portfolios.includes(portfolioName);
}
