import type pg from 'pg';
import { WriterReplacedError, type BatchRows } from '../oms/ports.js';
import { batchStatement, type DeskBatch } from './batch-statement.js';
import type { CommitFence } from './writer-role.js';

interface Waiting extends DeskBatch {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The group commit one level up: each desk closes its own batches, and the batches of every desk
 * that closed while a statement was in flight go together in the next one. Many desks then cost
 * the database what one does: one statement, one plan, one fsync. If a shared statement fails, each
 * batch is tried alone, so one desk's trouble fails only that desk's batch.
 */
export class SharedCommit {
  private queue: Waiting[] = [];
  private flushing: Promise<void> | null = null;
  private scheduled = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: CommitFence,
  ) {}

  /** `epoch`: the desk's lease epoch, in a cluster (see CommitFence). */
  submit(deskId: number, rows: BatchRows, epoch?: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ deskId, rows, epoch, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.flushing || this.scheduled) return;
    this.scheduled = true;
    // Let every desk whose batch closes in this tick join the statement.
    setImmediate(() => {
      this.scheduled = false;
      const taken = this.queue;
      this.queue = [];
      this.flushing = this.run(taken).finally(() => {
        this.flushing = null;
        if (this.queue.length > 0) this.schedule();
      });
    });
  }

  private async run(taken: Waiting[]): Promise<void> {
    try {
      await this.write(taken);
      for (const w of taken) w.resolve();
      return;
    } catch (error) {
      if (taken.length === 1 || error instanceof WriterReplacedError) {
        for (const w of taken) w.reject(error);
        return;
      }
    }
    // Which batch did it? Each alone now: the others commit, the guilty one fails.
    for (const w of taken) {
      await this.write([w]).then(
        () => w.resolve(),
        (error: unknown) => w.reject(error),
      );
    }
  }

  private async write(batches: readonly DeskBatch[]): Promise<void> {
    const statement = batchStatement(batches, this.writer.fenceOf(batches));
    // Straight to node-postgres: the batch statement needs none of Prisma's query building.
    const { rows } = await this.pool.query<{ first: string | null; writer: number }>({ name: statement.name, text: statement.text, values: statement.values });
    if (rows[0].writer === 0) throw this.writer.refused(batches);
    if (rows[0].first === null) throw new Error('id sequence trade missing');
    const first = Number(rows[0].first);
    batches.forEach((b, n) => {
      b.rows.trades.forEach((trade, k) => {
        trade.id = BigInt(first + statement.tradeOffsets[n] + k);
      });
    });
  }
}
