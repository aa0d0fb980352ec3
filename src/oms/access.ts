/**
 * The one access policy: what a key (or a desk member acting through one) may do. The API and the
 * feed check it at their edge; the OMS checks it again where only it knows the answer (whose order
 * an id names).
 */
export type Scope = 'read' | 'trade' | 'admin' | 'operator' | 'act_as' | 'approve';
export const SCOPES: readonly Scope[] = ['read', 'trade', 'admin', 'operator', 'act_as', 'approve'];
/**
 * What an admin of a desk may do; `operator` (desks of the deployment) and `act_as` are never implied.
 * `approve`: decide others' orders awaiting approval, and halt, resume or limit the desk and its portfolios.
 */
const DESK_SCOPES: readonly Scope[] = ['read', 'trade', 'admin', 'approve'];

export interface Access {
  readonly scopes: readonly Scope[];
  /** Empty: every portfolio. */
  readonly portfolios: readonly string[];
  /** Set when a key with `act_as` acts for a desk member: the member's role and grants (members.ts). */
  readonly member?: MemberAccess;
}

/** A desk member as a request acting for them sees it: who, their role, and where they may trade. */
export interface MemberAccess {
  /** `slack:TEAM:USER`. */
  readonly id: string;
  /** Null: not a member (refused everything on a desk that has members). */
  readonly role: 'viewer' | 'trader' | 'approver' | 'admin' | null;
  /** False until the desk has a member: until then, members act with the key's own scopes. */
  readonly deskHasMembers: boolean;
  /** The channel the request came from, if it names one. */
  readonly channel: string | null;
  /** The portfolios the member may trade in (own grants and the channel's); null: every one. */
  readonly tradePortfolios: readonly string[] | null;
  /** The desk's trading channels; empty: any channel trades. */
  readonly tradingChannels: readonly string[];
  /** The desk's admins, for refusals to say who can grant what is missing. */
  readonly admins: readonly string[];
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
  return (
    access.scopes.includes(scope) ||
    (DESK_SCOPES.includes(scope) && access.scopes.includes('admin')) ||
    // The deployment's operator may hand act_as to a key (POST /keys), so it holds it already.
    (scope === 'act_as' && access.scopes.includes('operator'))
  );
}

export function canUsePortfolio(access: Access, portfolioName: string): boolean {
  return access.portfolios.length === 0 || access.portfolios.includes(portfolioName);
}
