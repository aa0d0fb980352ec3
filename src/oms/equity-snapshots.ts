import type { Logger } from 'pino';
import type { Desks } from './desks.js';
import { equityOf, type EquitySnapshotRow, type EquityStore } from './equity.js';
import { RecurringJob } from '../timing/recurring-job.js';

export interface EquitySnapshotsOptions {
  /** How often every portfolio's equity is written. */
  readonly intervalMs: number;
  readonly now?: () => Date;
}

/**
 * Writes every client portfolio's equity, on every desk, every `intervalMs` and when asked (a
 * session's close), off the order path: each desk's state is read between its commits, in memory,
 * and the rows go out in one statement on the read pool, never through the group commit. A failed
 * write is logged and the next one goes on: the desks never wait on it.
 */
export class EquitySnapshots {
  private readonly job: RecurringJob<number>;
  readonly counts = { taken: 0, written: 0, failed: 0 };

  constructor(
    private readonly desks: Desks,
    private readonly store: EquityStore,
    private readonly logger: Logger,
    private readonly options: EquitySnapshotsOptions,
  ) {
    this.job = new RecurringJob(() => this.takeAll(), options.intervalMs);
  }

  start(): void {
    this.job.start();
  }

  stop(): Promise<void> {
    return this.job.stop();
  }

  /**
   * One snapshot of every portfolio; a call while one is being taken shares it (closes of many
   * symbols at one instant make one snapshot). Resolves with the rows written (0 when it failed).
   */
  take(): Promise<number> {
    return this.job.run();
  }

  private async takeAll(): Promise<number> {
    const rows: EquitySnapshotRow[] = [];
    for (const desk of this.desks.all()) {
      // A desk reloading after a failed commit holds no state worth writing; its next snapshot will.
      if (!desk.healthy) continue;
      // What was accepted so far is durable first: a snapshot never shows what a failed commit undoes.
      await desk.drain().catch(() => undefined);
      if (!desk.healthy) continue;
      const at = this.options.now?.() ?? new Date();
      for (const p of desk.listPortfolios()) {
        if (p.isHouse) continue;
        rows.push({ deskId: desk.desk.id, portfolioId: p.id, at, cash: p.cash, equity: equityOf(p, (s) => desk.instrument(s)?.referencePrice) });
      }
    }
    this.counts.taken++;
    try {
      await this.store.write(rows);
      this.counts.written += rows.length;
      return rows.length;
    } catch (error) {
      this.counts.failed++;
      this.logger.warn({ err: error, portfolios: rows.length }, 'equity snapshot not written; the next one will be');
      return 0;
    }
  }
}
