import type { PrismaClient } from './prisma-client.js';
import { decimalToUnits, formatUnits } from '../oms/units.js';
import type { EquityPoint, EquitySnapshotRow, EquityStore } from '../oms/equity.js';

interface PointRow {
  portfolio_id?: number;
  taken_at: Date;
  equity: string;
  cash: string;
}

const pointOf = (r: PointRow): EquityPoint => ({ at: r.taken_at, equity: decimalToUnits(r.equity), cash: decimalToUnits(r.cash) });

/** Buckets of a thinned curve are aligned on the Unix epoch, like the bars'. */
const ORIGIN = `TIMESTAMPTZ '1970-01-01 00:00:00+00'`;

/** equity_snapshots: one batched insert per snapshot, index reads per portfolio (desk first). */
export class EquityRepository implements EquityStore {
  constructor(private readonly prisma: PrismaClient) {}

  async write(rows: readonly EquitySnapshotRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO equity_snapshots (desk_id, portfolio_id, taken_at, equity, cash)
       SELECT * FROM unnest($1::int[], $2::int[], $3::timestamptz[], $4::numeric[], $5::numeric[])
       ON CONFLICT (desk_id, portfolio_id, taken_at) DO UPDATE SET equity = EXCLUDED.equity, cash = EXCLUDED.cash`,
      rows.map((r) => r.deskId),
      rows.map((r) => r.portfolioId),
      rows.map((r) => r.at.toISOString()),
      rows.map((r) => formatUnits(r.equity)),
      rows.map((r) => formatUnits(r.cash)),
    );
  }

  async startingPoints(deskId: number, portfolioIds: readonly number[], from: Date): Promise<Map<number, EquityPoint>> {
    if (portfolioIds.length === 0) return new Map();
    // Two index seeks per portfolio, whatever the length of the period.
    const rows = await this.prisma.$queryRawUnsafe<
      { portfolio_id: number; after_at: Date | null; after_equity: string | null; after_cash: string | null; before_at: Date | null; before_equity: string | null; before_cash: string | null }[]
    >(
      `SELECT p.id AS portfolio_id,
              a.taken_at AS after_at, a.equity::text AS after_equity, a.cash::text AS after_cash,
              b.taken_at AS before_at, b.equity::text AS before_equity, b.cash::text AS before_cash
       FROM unnest($2::int[]) AS p(id)
       LEFT JOIN LATERAL (SELECT taken_at, equity, cash FROM equity_snapshots
                          WHERE desk_id = $1 AND portfolio_id = p.id AND taken_at >= $3::timestamptz
                          ORDER BY taken_at ASC LIMIT 1) a ON true
       LEFT JOIN LATERAL (SELECT taken_at, equity, cash FROM equity_snapshots
                          WHERE desk_id = $1 AND portfolio_id = p.id AND taken_at < $3::timestamptz
                          ORDER BY taken_at DESC LIMIT 1) b ON true`,
      deskId,
      [...portfolioIds],
      from.toISOString(),
    );
    const points = new Map<number, EquityPoint>();
    for (const r of rows) {
      if (r.after_at) points.set(r.portfolio_id, pointOf({ taken_at: r.after_at, equity: r.after_equity!, cash: r.after_cash! }));
      else if (r.before_at) points.set(r.portfolio_id, pointOf({ taken_at: r.before_at, equity: r.before_equity!, cash: r.before_cash! }));
    }
    return points;
  }

  async curve(deskId: number, portfolioId: number, after: Date | null, until: Date, maxPoints: number): Promise<EquityPoint[]> {
    const params: unknown[] = [deskId, portfolioId, until.toISOString()];
    let where = 'desk_id = $1 AND portfolio_id = $2 AND taken_at <= $3::timestamptz';
    let first = after;
    if (after) {
      params.push(after.toISOString());
      where += ` AND taken_at > $${params.length}::timestamptz`;
    } else {
      const oldest = await this.prisma.$queryRawUnsafe<{ taken_at: Date }[]>(
        'SELECT taken_at FROM equity_snapshots WHERE desk_id = $1 AND portfolio_id = $2 ORDER BY taken_at ASC LIMIT 1',
        deskId,
        portfolioId,
      );
      if (oldest.length === 0) return [];
      first = oldest[0].taken_at;
    }
    // The latest snapshot of each of at most maxPoints equal slices of the span.
    const stepMs = Math.max(1, Math.ceil((until.getTime() - first!.getTime()) / maxPoints));
    params.push(`${stepMs} milliseconds`);
    const bucket = `date_bin($${params.length}::interval, taken_at, ${ORIGIN})`;
    const rows = await this.prisma.$queryRawUnsafe<PointRow[]>(
      `SELECT taken_at, equity, cash FROM (
         SELECT DISTINCT ON (${bucket}) taken_at, equity::text AS equity, cash::text AS cash
         FROM equity_snapshots WHERE ${where}
         ORDER BY ${bucket}, taken_at DESC
       ) thinned ORDER BY taken_at ASC`,
      ...params,
    );
    return rows.map(pointOf);
  }
}
