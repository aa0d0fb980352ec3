/**
 * The one access policy: what a key (or a desk member acting through one) may do. The API and the
 * feed check it at their edge; the OMS checks it again where only it knows the answer (whose order
 * an id names).
 */
export type Scope = 'read' | 'trade' | 'admin' | 'operator' | 'approve';
export const SCOPES: readonly Scope[] = ['read', 'trade', 'admin', 'operator', 'approve'];
/**
 * What an admin of a desk may do; `operator` (desks of the deployment) is never implied. `approve`:
 * decide others' orders awaiting approval, and halt, resume or limit the desk and its portfolios.
 */
const DESK_SCOPES: readonly Scope[] = ['read', 'trade', 'admin', 'approve'];

export interface Access {
  readonly scopes: readonly Scope[];
  /** Empty: every portfolio. */
  readonly portfolios: readonly string[];
}

/** A key as the edges know it: who (for the audit) and what it may do. */
export interface Principal extends Access {
  readonly id: number;
  readonly name: string;
  /** The desk the key belongs to: every command of the key acts within it. */
  readonly deskId: number;
}

/** Finds the active key a client presented; a port the database implements. */
export interface KeyLookup<P extends Principal = Principal> {
  findActiveByKey(key: string): Promise<P | null>;
}

/** Admin implies every scope of its desk; operator (the deployment's desks) only comes by name. */
export function hasScope(access: Access, scope: Scope): boolean {
  return access.scopes.includes(scope) || (DESK_SCOPES.includes(scope) && access.scopes.includes('admin'));
}

export function canUsePortfolio(access: Access, portfolioName: string): boolean {
  return access.portfolios.length === 0 || access.portfolios.includes(portfolioName);
}
