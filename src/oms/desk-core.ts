import type { DeskState } from './desk-state.js';
import type { ChangeSet, OmsEvents } from './oms-events.js';
import type { InstrumentMarket, InstrumentState, OrderRecord } from './model.js';
import type { OmsStore } from './ports.js';
import type { Access } from './access.js';
import type { FeeSchedule } from './fees.js';

/** Who acts: an API key (by id and name), or the OMS itself (null). */
export interface Actor {
  readonly keyId: number | null;
  readonly name: string | null;
  /**
   * False for the house's own quoting: its re-quotes would write an audit row every tick while
   * nobody trades, and what it does that matters (its trades) is in the trades table.
   */
  readonly audited?: boolean;
  /** What the key may do; none for the OMS's own commands (the house, the clock). */
  readonly access?: Access;
  /** The desk member (`slack:TEAM:USER`) a key with `act_as` acts for; `access` is then the member's. */
  readonly member?: string;
  /** Where the command came from, for the audit of a refusal (`DELETE /api/v1/orders/7`, and the client's address). */
  readonly request?: { readonly target: string; readonly ip: string | undefined };
}

/** Who an actor is for the four-eyes rule: the member it acts for, else its key. */
export const actorIdentity = (actor: Actor): string => actor.member ?? (actor.keyId === null ? 'oms' : `key:${actor.keyId}`);

export interface DeskOptions {
  /** See BOOKED_PRICE_BAND_BPS in .env.example; 0 turns the check off. */
  readonly bookedPriceBandBps: number;
  /**
   * The latest end of the trading day. An open DAY order placed before it missed its expiry (the
   * OMS was down at the time): it is expired at start instead of going back into its book.
   */
  readonly lastDayEnd: Date | null;
  /** See MARKET_ORDER_COLLAR_BPS in .env.example. */
  readonly marketCollarBps: number;
  /** The fee schedule of a desk whose admins set none (FEE_* in .env.example). */
  readonly fees: FeeSchedule;
  /** See APPROVAL_TIMEOUT_SECONDS in .env.example: an order waits this long for approval, from its placing. */
  readonly approvalTimeoutMs: number;
}

/**
 * What a use-case needs of its desk: the state, and the steps around it. Each use-case runs one
 * way: validate -> access -> risk -> engine -> effects -> apply and mark for the batch (all
 * synchronous, so nothing interleaves) -> commit -> publish.
 */
export interface DeskCore {
  readonly state: DeskState;
  readonly store: OmsStore;
  readonly events: OmsEvents;
  readonly options: DeskOptions;
  /** Refuses (503) while the desk takes no work: reloading after a failed commit, or replaced. */
  assertHealthy(): void;
  /** After an await: refuses (503) if the state was reloaded meanwhile (what was resolved is an orphan). */
  assertSameState(state: DeskState): void;
  audit(actor: Actor | null, action: string, target: string | null, outcome: string, details: unknown): void;
  /** Commits, then publishes `changes`; rejects with 503 if the batch fails. */
  commit(changes: ChangeSet): Promise<void>;
  /** Like commit(), answering `order` as the batch that commits it wrote it. */
  committedState(order: OrderRecord, changes: ChangeSet): Promise<OrderRecord>;
  /** A write outside the group commit (a new portfolio or instrument), fenced like a commit. */
  written<T>(write: Promise<T>): Promise<T>;
  /** Runs after a new instrument is committed (the house quotes it). */
  instrumentAdded(instrument: InstrumentState): Promise<void>;
  /** The instrument's market data source and status (kept across reloads: the market's, not the desk's). */
  marketOf(symbol: string): InstrumentMarket;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? ((error as { code?: string }).code ?? error.message) : String(error);
}
