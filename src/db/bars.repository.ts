import type { PrismaClient } from './prisma-client.js';
import { formatUnits } from '../oms/units.js';
import { formatVolume, volumeUnits, type BarStore, type MinuteBar } from '../oms/bars.js';

/** The intervals GET /bars answers in, each as PostgreSQL reads it. */
export const BAR_INTERVALS = { '1m': '1 minute', '5m': '5 minutes', '1h': '1 hour', '1d': '1 day' } as const;
export type BarInterval = keyof typeof BAR_INTERVALS;

export interface BarQuery {
  readonly symbol: string;
  readonly interval: BarInterval;
  /** From the bar holding this time on, oldest first; without it, the latest bars before `to`. */
  readonly from?: Date;
  /** Bars starting before this time. */
  readonly to?: Date;
  readonly limit: number;
}

/** A bar as the table holds it: exact decimal text. */
export interface StoredBar {
  readonly time: Date;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly volume: string;
}

interface BarRow {
  bucket: Date;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
}

/** Buckets are aligned on the Unix epoch (UTC): a day is a UTC day, an hour starts at :00. */
const ORIGIN = `TIMESTAMPTZ '1970-01-01 00:00:00+00'`;

/** The one-minute bars table: small batched upserts from the bar builder, aggregated reads. */
export class BarRepository implements BarStore {
  constructor(private readonly prisma: PrismaClient) {}

  async write(bars: readonly MinuteBar[], replace: boolean): Promise<void> {
    if (bars.length === 0) return;
    const update = replace
      ? 'open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume'
      : 'high = GREATEST(bars.high, EXCLUDED.high), low = LEAST(bars.low, EXCLUDED.low), close = EXCLUDED.close, volume = GREATEST(bars.volume, EXCLUDED.volume)';
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO bars (symbol, start_at, open, high, low, close, volume)
       SELECT * FROM unnest($1::varchar[], $2::timestamptz[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[])
       ON CONFLICT (symbol, start_at) DO UPDATE SET ${update}`,
      bars.map((b) => b.symbol),
      bars.map((b) => new Date(b.start).toISOString()),
      bars.map((b) => formatUnits(b.open)),
      bars.map((b) => formatUnits(b.high)),
      bars.map((b) => formatUnits(b.low)),
      bars.map((b) => formatUnits(b.close)),
      bars.map((b) => formatVolume(b.volume)),
    );
  }

  /**
   * Bars of the interval, oldest first, aggregated from the one-minute rows: the open of the first,
   * the close of the last, the highest high, the lowest low, the sum of the volumes.
   */
  async read(q: BarQuery): Promise<StoredBar[]> {
    const params: unknown[] = [q.symbol, BAR_INTERVALS[q.interval]];
    const where = ['symbol = $1'];
    if (q.from) {
      params.push(q.from.toISOString());
      // From the start of the bar holding `from`: a 5m bar is whole or absent, never cut.
      where.push(`start_at >= date_bin($2::interval, $${params.length}::timestamptz, ${ORIGIN})`);
    }
    if (q.to) {
      params.push(q.to.toISOString());
      where.push(`start_at < $${params.length}::timestamptz`);
    }
    params.push(q.limit);
    const rows = await this.prisma.$queryRawUnsafe<BarRow[]>(
      `SELECT date_bin($2::interval, start_at, ${ORIGIN}) AS bucket,
              (array_agg(open ORDER BY start_at))[1]::text AS open, max(high)::text AS high, min(low)::text AS low,
              (array_agg(close ORDER BY start_at DESC))[1]::text AS close, sum(volume)::text AS volume
       FROM bars WHERE ${where.join(' AND ')}
       GROUP BY 1 ORDER BY 1 ${q.from ? 'ASC' : 'DESC'} LIMIT $${params.length}::int`,
      ...params,
    );
    const bars = rows.map((r) => ({
      time: r.bucket,
      open: price(r.open),
      high: price(r.high),
      low: price(r.low),
      close: price(r.close),
      volume: formatVolume(volumeUnits(r.volume) ?? 0n),
    }));
    return q.from ? bars : bars.reverse();
  }
}

/** The table's DECIMAL(18,4) text ("212.1000") as the API writes prices ("212.10"). */
function price(text: string): string {
  const [whole, frac = ''] = text.split('.');
  return formatUnits(BigInt(whole) * 10_000n + BigInt(frac.padEnd(4, '0').slice(0, 4)));
}
