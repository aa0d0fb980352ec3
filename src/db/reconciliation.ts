import type { PrismaClient } from './prisma-client.js';
import { decimalToUnits, formatUnits } from '../oms/units.js';
import { foldFill } from '../oms/portfolio-ledger.js';

export interface ReconciliationReport {
  readonly ok: boolean;
  readonly problems: string[];
  readonly portfolios: number;
  readonly trades: number;
}

/**
 * Proves that stored positions and cash equal the fold of all trades (in global sequence order),
 * with the very accounting function the live OMS uses.
 */
export async function reconcile(prisma: PrismaClient): Promise<ReconciliationReport> {
  const [portfolios, positions, trades] = await Promise.all([
    prisma.portfolio.findMany(),
    prisma.position.findMany(),
    prisma.$queryRawUnsafe<{ symbol: string; quantity: bigint; gmv: string; buy_portfolio_id: number; sell_portfolio_id: number }[]>(
      'SELECT symbol, quantity, gmv::text, buy_portfolio_id, sell_portfolio_id FROM trades ORDER BY id',
    ),
  ]);
  const cash = new Map<number, bigint>(portfolios.map((p) => [p.id, decimalToUnits(p.startingCash)]));
  const folded = new Map<string, { quantity: number; costBasis: bigint; realizedPnl: bigint }>();
  const fold = (portfolioId: number, symbol: string, side: 'BUY' | 'SELL', qty: number, gmv: bigint) => {
    const key = `${portfolioId}:${symbol}`;
    let p = folded.get(key);
    if (!p) folded.set(key, (p = { quantity: 0, costBasis: 0n, realizedPnl: 0n }));
    foldFill(p, side, qty, gmv);
    cash.set(portfolioId, (cash.get(portfolioId) ?? 0n) + (side === 'BUY' ? -gmv : gmv));
  };
  for (const t of trades) {
    const gmv = decimalToUnits(t.gmv);
    fold(t.buy_portfolio_id, t.symbol, 'BUY', Number(t.quantity), gmv);
    fold(t.sell_portfolio_id, t.symbol, 'SELL', Number(t.quantity), gmv);
  }
  const problems: string[] = [];
  const names = new Map(portfolios.map((p) => [p.id, p.name]));
  for (const p of portfolios) {
    const stored = decimalToUnits(p.cash);
    const expected = cash.get(p.id)!;
    if (stored !== expected) problems.push(`${p.name}: cash ${formatUnits(stored)} != fold ${formatUnits(expected)}`);
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
