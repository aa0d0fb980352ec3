import type pg from 'pg';
import type { Logger } from 'pino';
import type { Desks } from '../oms/desks.js';
import { decimalToUnits } from '../oms/units.js';
import { RecurringJob } from '../timing/recurring-job.js';

/**
 * Market data once for the whole cluster: the process holding desk main (under its lease) draws
 * the prices, and its commits write them to the instruments table; every other process reads them
 * from there each interval and moves its own desks (the house re-quotes around them). When desk
 * main moves, so does the drawing, from the last price written.
 */
export class PriceFollower {
  private readonly job: RecurringJob<void>;

  constructor(
    private readonly pool: pg.Pool,
    private readonly desks: Desks,
    private readonly move: (symbol: string, price: number) => Promise<void>,
    private readonly intervalMs: number,
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
    const any = this.desks.main;
    if (!any || this.desks.hasMain) return;
    try {
      const { rows } = await this.pool.query<{ symbol: string; price: string }>(`SELECT symbol, reference_price::text AS price FROM instruments`);
      for (const r of rows) {
        const price = Number(decimalToUnits(r.price));
        const known = any.instrument(r.symbol);
        if (known && known.referencePrice !== price) await this.move(r.symbol, price);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'following the cluster prices failed; trying again next interval');
    }
  }
}
