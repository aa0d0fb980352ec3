import type { PrismaClient } from './prisma-client.js';
import { decimalToUnits, formatUnits } from '../oms/units.js';
import { foldFill } from '../oms/portfolio-ledger.js';

export interface ReconciliationReport {
  readonly ok: boolean;
  readonly problems: string[];
  readonly portfolios: number;
  readonly trades: number;
}

/** A trade as the fold reads it. */
export interface FoldTrade {
  readonly id: bigint;
  readonly symbol: string;
  readonly quantity: number;
  readonly gmv: bigint;
  readonly buyPortfolioId: number;
  readonly sellPortfolioId: number;
  /** What each side paid: out of its cash, into its fees paid. */
  readonly buyFee: bigint;
  readonly sellFee: bigint;
}

/** A cash change (amount added) or reset (cash set to amount, positions cleared), after trade `afterTradeId`. */
export interface FoldEvent {
  readonly portfolioId: number;
  readonly kind: 'CASH' | 'RESET';
  readonly amount: bigint;
  readonly afterTradeId: bigint;
}

export interface FoldedPosition {
  quantity: number;
  costBasis: bigint;
  realizedPnl: bigint;
}

/**
 * What the stored cash, fees paid and positions must be: every portfolio's starting cash, then the
 * trades in global sequence order (each side's cash net of its fee) with the cash changes and resets at their places among them (an event after
 * trade n folds before trade n + 1; events at the same place in the order given). Positions are keyed
 * `portfolioId:symbol`. The same accounting function as the live OMS.
 */
export function foldLedger(
  startingCash: ReadonlyMap<number, bigint>,
  trades: readonly FoldTrade[],
  events: readonly FoldEvent[],
): { cash: Map<number, bigint>; feesPaid: Map<number, bigint>; positions: Map<string, FoldedPosition> } {
  const cash = new Map(startingCash);
  const feesPaid = new Map<number, bigint>();
  const positions = new Map<string, FoldedPosition>();
  const fill = (portfolioId: number, symbol: string, side: 'BUY' | 'SELL', qty: number, gmv: bigint, fee: bigint) => {
    const key = `${portfolioId}:${symbol}`;
    let p = positions.get(key);
    if (!p) positions.set(key, (p = { quantity: 0, costBasis: 0n, realizedPnl: 0n }));
    foldFill(p, side, qty, gmv);
    cash.set(portfolioId, (cash.get(portfolioId) ?? 0n) + (side === 'BUY' ? -gmv : gmv) - fee);
    feesPaid.set(portfolioId, (feesPaid.get(portfolioId) ?? 0n) + fee);
  };
  const apply = (e: FoldEvent) => {
    if (e.kind === 'CASH') {
      cash.set(e.portfolioId, (cash.get(e.portfolioId) ?? 0n) + e.amount);
      return;
    }
    cash.set(e.portfolioId, e.amount);
    feesPaid.set(e.portfolioId, 0n);
    const prefix = `${e.portfolioId}:`;
    for (const key of positions.keys()) if (key.startsWith(prefix)) positions.delete(key);
  };
  let next = 0;
  for (const t of trades) {
    while (next < events.length && events[next].afterTradeId < t.id) apply(events[next++]);
    fill(t.buyPortfolioId, t.symbol, 'BUY', t.quantity, t.gmv, t.buyFee);
    fill(t.sellPortfolioId, t.symbol, 'SELL', t.quantity, t.gmv, t.sellFee);
  }
  while (next < events.length) apply(events[next++]);
  return { cash, feesPaid, positions };
}

/**
 * Proves that stored positions and cash equal the fold of all trades (in global sequence order)
 * and of the portfolios' cash changes and resets at their places among them, with the very
 * accounting function the live OMS uses.
 */
export async function reconcile(prisma: PrismaClient): Promise<ReconciliationReport> {
  const [portfolios, positions, trades, events] = await Promise.all([
    prisma.portfolio.findMany(),
    prisma.position.findMany(),
    prisma.$queryRawUnsafe<{ id: bigint; symbol: string; quantity: bigint; gmv: string; buy_portfolio_id: number; sell_portfolio_id: number; buy_fee: string; sell_fee: string }[]>(
      'SELECT id, symbol, quantity, gmv::text, buy_portfolio_id, sell_portfolio_id, buy_fee::text, sell_fee::text FROM trades ORDER BY id',
    ),
    prisma.$queryRawUnsafe<{ portfolio_id: number; kind: 'CASH' | 'RESET'; amount: string; after_trade_id: bigint }[]>(
      'SELECT portfolio_id, kind::text, amount::text, after_trade_id FROM portfolio_events ORDER BY after_trade_id, id',
    ),
  ]);
  const { cash, feesPaid, positions: folded } = foldLedger(
    new Map(portfolios.map((p) => [p.id, decimalToUnits(p.startingCash)])),
    trades.map((t) => ({
      id: BigInt(t.id),
      symbol: t.symbol,
      quantity: Number(t.quantity),
      gmv: decimalToUnits(t.gmv),
      buyPortfolioId: t.buy_portfolio_id,
      sellPortfolioId: t.sell_portfolio_id,
      buyFee: decimalToUnits(t.buy_fee),
      sellFee: decimalToUnits(t.sell_fee),
    })),
    events.map((e) => ({ portfolioId: e.portfolio_id, kind: e.kind, amount: decimalToUnits(e.amount), afterTradeId: BigInt(e.after_trade_id) })),
  );
  const problems: string[] = [];
  const names = new Map(portfolios.map((p) => [p.id, p.name]));
  for (const p of portfolios) {
    const stored = decimalToUnits(p.cash);
    const expected = cash.get(p.id)!;
    if (stored !== expected) problems.push(`${p.name}: cash ${formatUnits(stored)} != fold ${formatUnits(expected)}`);
    const storedFees = decimalToUnits(p.feesPaid);
    const expectedFees = feesPaid.get(p.id) ?? 0n;
    if (storedFees !== expectedFees) problems.push(`${p.name}: fees paid ${formatUnits(storedFees)} != fold ${formatUnits(expectedFees)}`);
  }
  const seen = new Set<string>();
  for (const pos of positions) {
    const key = `${pos.portfolioId}:${pos.symbol}`;
    seen.add(key);
    const f = folded.get(key) ?? { quantity: 0, costBasis: 0n, realizedPnl: 0n };
    const stored = { quantity: Number(pos.quantity), costBasis: decimalToUnits(pos.costBasis), realizedPnl: decimalToUnits(pos.realizedPnl) };
    if (stored.quantity !== f.quantity || stored.costBasis !== f.costBasis || stored.realizedPnl !== f.realizedPnl) {
      problems.push(
        `${names.get(pos.portfolioId)} ${pos.symbol}: stored ${stored.quantity} @ ${formatUnits(stored.costBasis)} (realized ${formatUnits(stored.realizedPnl)}) != fold ${f.quantity} @ ${formatUnits(f.costBasis)} (realized ${formatUnits(f.realizedPnl)})`,
      );
    }
  }
  for (const [key, f] of folded) {
    if (!seen.has(key) && (f.quantity !== 0 || f.costBasis !== 0n || f.realizedPnl !== 0n)) {
      const [pid, symbol] = key.split(':');
      problems.push(`${names.get(Number(pid))} ${symbol}: trades give ${f.quantity} but no position is stored`);
    }
  }
  return { ok: problems.length === 0, problems, portfolios: portfolios.length, trades: trades.length };
}
