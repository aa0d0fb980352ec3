/**
 * The trading state of a desk or of one portfolio: `ACTIVE`, `REDUCING` (only orders that shrink a
 * position) or `HALTED` (no new order; cancels always go through).
 */
export const RISK_STATES = ['ACTIVE', 'REDUCING', 'HALTED'] as const;
export type RiskState = (typeof RISK_STATES)[number];

/** A portfolio's risk settings; a null limit is no limit. Money in units (0.0001), positions in shares. */
export interface PortfolioRisk {
  readonly state: RiskState;
  /** The most one order may be worth (price x quantity; a market order as its buying-power check prices it). */
  readonly maxOrderNotional: bigint | null;
  /** The most shares it may be long or short of one symbol, counting its open orders on the same side. */
  readonly maxPosition: number | null;
  /** The most its positions may be worth together (|position| x reference price), with the new order's. */
  readonly maxGrossExposure: bigint | null;
  /** An order worth more than this waits for a second person's approval. */
  readonly approvalThreshold: bigint | null;
}

export const UNLIMITED: PortfolioRisk = { state: 'ACTIVE', maxOrderNotional: null, maxPosition: null, maxGrossExposure: null, approvalThreshold: null };

/** What the desk stores of its risk: its own state, and each portfolio's settings that differ from UNLIMITED. */
export interface StoredRisk {
  readonly desk: RiskState;
  readonly portfolios: ReadonlyMap<number, PortfolioRisk>;
}
