import type pg from 'pg';
import { WriterReplacedError, type BatchRows } from '../oms/ports.js';
import { batchStatement, type DeskBatch } from './batch-statement.js';
import { TradeNumbering } from './trade-numbering.js';
import type { CommitFence } from './writer-role.js';

/**
 * The group commit's connections (node-postgres Pool options). Every join of the statement looks rows
 * up by their key, and each connection keeps the plan it made once, on the tables as they were then:
 * one made on a nearly empty orders table (a hash join over a scan of all of it) would stay as the
 * table grows. Index lookups, at any size; and always the prepared statement's one generic plan:
 * planning the statement afresh for its parameters (PostgreSQL's choice for a statement's first
 * runs, and whenever it guesses that a custom plan pays) costs more than writing a dozen orders.
 * Set at connection start, so no query waits on it.
 */
export const COMMIT_POOL_OPTIONS = { options: '-c enable_seqscan=off -c enable_hashjoin=off -c enable_mergejoin=off -c plan_cache_mode=force_generic_plan' } as const;

/** A desk asking for a commit; its batch closes when the statement that writes it starts. */
interface Request {
  readonly deskId: number;
  /** The desk's lease epoch, in a cluster (see CommitFence). */
  readonly epoch?: number;
  close(): BatchRows;
  resolve(): void;
  reject(error: unknown): void;
}

interface Closed extends DeskBatch {
  readonly request: Request;
}

/**
 * The group commit one level up: one statement at a time, and when it starts, every desk that asked
 * for a commit meanwhile closes its batch into it. Many desks then cost the database what one does:
 * one statement, one plan, one fsync. The next statement starts as soon as the previous one is
 * done, with what piled up while it ran. If a shared statement fails, each batch is tried alone, so
 * one desk's trouble fails only that desk's batch.
 */
export class SharedCommit {
  private queue: Request[] = [];
  /** Work to put into the desks just before the next statement takes their batches (see beforeNextStatement). */
  private beforeNext: (() => void)[] = [];
  private writing = false;
  private scheduled = false;
  private readonly trades: TradeNumbering;

  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: CommitFence,
  ) {
    this.trades = new TradeNumbering(pool);
  }

  /** The desk (re)loads: its trades are numbered from a fresh block, above every id given before. */
  restartTradeIds(deskId: number): void {
    this.trades.restart(deskId);
  }

  /** Resolves once the batch `close` hands over is committed; `epoch`: the desk's lease epoch, in a cluster. */
  submit(deskId: number, close: () => BatchRows, epoch?: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ deskId, epoch, close, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Runs `fn` once, just before the next statement closes the desks' batches: what it changes in a
   * desk (synchronously) rides that statement. A market price applied here waits for the statement
   * in flight and its own, never for one more: applied at once it would land in a batch closing
   * later, and applied after its previous price committed, in the batch after that.
   */
  beforeNextStatement(fn: () => void): void {
    this.beforeNext.push(fn);
    this.schedule();
  }

  private schedule(): void {
    if (this.writing || this.scheduled) return;
    this.scheduled = true;
    // From idle: let every command already queued in this tick, in every desk, join the statement.
    setImmediate(() => {
      this.scheduled = false;
      void this.drainQueue();
    });
  }

  private async drainQueue(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0 || this.beforeNext.length > 0) {
        const before = this.beforeNext;
        this.beforeNext = [];
        for (const fn of before) {
          try {
            fn();
          } catch {
            // Its owner reports its own trouble; the desks' batches are written regardless.
          }
        }
        const taken = this.queue;
        this.queue = [];
        const closed: Omit<Closed, 'tradeIdBefore'>[] = [];
        for (const request of taken) {
          try {
            closed.push({ deskId: request.deskId, epoch: request.epoch, rows: request.close(), request });
          } catch (error) {
            request.reject(error);
          }
        }
        const refused = new Map<number, unknown>();
        const batches: Closed[] = [];
        // Numbered once every batch has closed, so no desk waits for another's block to close its own.
        for (const b of closed) {
          try {
            batches.push({ ...b, tradeIdBefore: await this.trades.number(b.deskId, b.rows) });
          } catch (error) {
            refused.set(b.deskId, error);
            b.request.reject(error);
          }
        }
        if (batches.length > 0) for (const [desk, error] of await this.run(batches)) refused.set(desk, error);
        // A desk whose batch was refused may have asked again while it was written: that batch
        // builds on the refused one and is refused with it, unwritten.
        if (refused.size > 0) {
          this.queue = this.queue.filter((request) => {
            if (!refused.has(request.deskId)) return true;
            request.reject(refused.get(request.deskId));
            return false;
          });
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** Writes the batches; tells each desk how its batch went, and returns the desks refused and why. */
  private async run(taken: Closed[]): Promise<Map<number, unknown>> {
    const refused = new Map<number, unknown>();
    try {
      await this.write(taken);
      for (const b of taken) b.request.resolve();
      return refused;
    } catch (error) {
      if (taken.length === 1 || error instanceof WriterReplacedError) {
        for (const b of taken) {
          refused.set(b.deskId, error);
          b.request.reject(error);
        }
        return refused;
      }
    }
    // Which batch did it? Each alone now: the others commit, the guilty one fails.
    for (const b of taken) {
      await this.write([b]).then(
        () => b.request.resolve(),
        (error: unknown) => {
          refused.set(b.deskId, error);
          b.request.reject(error);
        },
      );
    }
    return refused;
  }

  private async write(batches: readonly DeskBatch[]): Promise<void> {
    const statement = batchStatement(batches, this.writer.fenceOf(batches));
    // Straight to node-postgres: the batch statement needs none of Prisma's query building.
    const { rows } = await this.pool.query<{ writer: number }>({ name: statement.name, text: statement.text, values: statement.values });
    if (rows[0].writer === 0) throw this.writer.refused(batches);
  }
}
