import type { PrismaClient } from './prisma-client.js';
import { WriterReplacedError } from '../oms/ports.js';
import type { DeskBatch } from './batch-statement.js';

/**
 * What a desk's write outside the batch statement (a new portfolio, instrument, fee schedule) must
 * still hold when it lands: the process's writer role (one OMS per database) or, in a cluster, the
 * desk's lease at the epoch it was taken with.
 */
export interface WriteFence {
  /** Resolves once this process may write (the writer role claimed; a desk's lease is taken before its store exists). */
  ensureClaimed(): Promise<unknown>;
  /** An SQL condition, true while the write is allowed; `$param` is bound to `token`. */
  guard(param: number): string;
  readonly token: number;
  /** The desk's lease epoch, carried by each of its batches; none for the writer role. */
  readonly epoch?: number;
  /** The error of a write the guard refused: nothing was written. */
  refused(): Error;
}

/**
 * What a batch statement checks before it writes anything: the writer number, or the lease epoch
 * of each desk whose batch it carries. See batchStatement.
 */
export type BatchFence = number | { readonly desks: readonly number[]; readonly epochs: readonly number[] };

/** The guard of the group commit's statements (see SharedCommit). */
export interface CommitFence {
  fenceOf(batches: readonly DeskBatch[]): BatchFence;
  /** The error of a statement whose fence matched nothing: none of its rows were written. */
  refused(batches: readonly DeskBatch[]): Error;
}

/**
 * One OMS writes a database at a time: a second one started on it (a deploy that starts the new
 * instance before stopping the old, or two starts by hand) takes over, and the first is fenced off.
 * The claim bumps the `writer` row, which every batch statement locks and checks: it waits for a
 * batch the old writer has in flight, so the state loaded next includes that batch, and every later
 * batch of the old writer matches no writer row and writes nothing.
 *
 * Claimed once per process and shared by every desk's store: a desk reloading after a failed commit
 * must not fence off the process's other desks. (A cluster of OMS processes fences by desk instead:
 * src/cluster/desk-lease.ts.)
 */
export class WriterRole implements WriteFence, CommitFence {
  private number: number | null = null;
  private claiming: Promise<number> | null = null;

  constructor(private readonly prisma: PrismaClient) {}

  /** Claims the role the first time; later calls answer the number claimed then. */
  ensureClaimed(): Promise<number> {
    this.claiming ??= this.claim();
    return this.claiming;
  }

  private async claim(): Promise<number> {
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO id_sequences (name, next) VALUES ('order', 1), ('trade', 1), ('writer', 0) ON CONFLICT (name) DO NOTHING`,
    );
    const rows = await this.prisma.$queryRawUnsafe<{ next: bigint }[]>(
      `UPDATE id_sequences SET next = next + 1 WHERE name = 'writer' RETURNING next`,
    );
    this.number = Number(rows[0].next);
    return this.number;
  }

  get current(): number {
    if (this.number === null) throw new Error('a write before the writer role was claimed');
    return this.number;
  }

  /** The claim waits for a write that holds this (FOR SHARE), so the state it loads next includes it. */
  guard(param: number): string {
    return `EXISTS (SELECT 1 FROM id_sequences WHERE name = 'writer' AND next = $${param}::bigint FOR SHARE)`;
  }

  get token(): number {
    return this.current;
  }

  refused(): Error {
    return new WriterReplacedError(this.current);
  }

  fenceOf(): BatchFence {
    return this.current;
  }
}
