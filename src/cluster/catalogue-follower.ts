import type pg from 'pg';
import type { Logger } from 'pino';
import type { Desks } from '../oms/desks.js';
import { TRADING_SESSIONS, type TradingSession } from '../oms/model.js';
import { decimalToUnits } from '../oms/units.js';
import { RecurringJob } from '../timing/recurring-job.js';

interface CatalogueRow {
  symbol: string;
  name: string;
  tick: string;
  lot: number;
  price: string;
  session: string;
}

/**
 * The instruments table, followed by every process of a cluster. Instruments are the deployment's,
 * but an operator adds one, or sets its session, through the process that owns desk main: the other
 * processes take it from the table each interval, so their desks can trade it within a second or so.
 * With the simulator (`prices`), the process holding desk main also draws the prices, its commits
 * write them to the table, and every other process moves its own desks to them (the house
 * re-quoting around them); when desk main moves, so does the drawing, from the last price written.
 */
export class CatalogueFollower {
  private readonly job: RecurringJob<void>;

  constructor(
    private readonly pool: pg.Pool,
    private readonly desks: Desks,
    private readonly move: ((symbol: string, price: number) => Promise<void>) | null,
    intervalMs: number,
    private readonly logger: Logger,
  ) {
    this.job = new RecurringJob(() => this.follow(), intervalMs);
  }

  start(): void {
    this.job.start();
  }

  stop(): Promise<void> {
    return this.job.stop();
  }

  private async follow(): Promise<void> {
    if (!this.desks.main) return;
    try {
      const { rows } = await this.pool.query<CatalogueRow>(
        `SELECT symbol, name, tick_size::text AS tick, lot_size AS lot, reference_price::text AS price, session FROM instruments ORDER BY symbol`,
      );
      for (const r of rows) await this.followInstrument(r);
    } catch (error) {
      this.logger.warn({ err: error }, 'following the cluster catalogue failed; trying again next interval');
    }
  }

  private async followInstrument(r: CatalogueRow): Promise<void> {
    const price = Number(decimalToUnits(r.price));
    const session: TradingSession = TRADING_SESSIONS.find((s) => s === r.session) ?? '24/7';
    for (const desk of this.desks.all()) {
      if (!desk.healthy) continue;
      const known = desk.instrument(r.symbol);
      if (!known) {
        const row = { symbol: r.symbol, name: r.name, tickSize: Number(decimalToUnits(r.tick)), lotSize: r.lot, referencePrice: price, lastPrice: null, session };
        await desk.adoptInstrument(row).catch((error: unknown) => this.logger.warn({ err: error, symbol: r.symbol }, 'could not take in an instrument of the cluster'));
      } else if (known.session !== session) {
        await desk.setSession(r.symbol, session, null, false).catch((error: unknown) => this.logger.warn({ err: error, symbol: r.symbol }, 'could not follow an instrument session of the cluster'));
      }
    }
    const any = this.desks.main!;
    const known = any.instrument(r.symbol);
    if (this.move && !this.desks.hasMain && known && known.referencePrice !== price) await this.move(r.symbol, price);
  }
}
