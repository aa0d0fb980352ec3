import { DeskMovedError } from '../oms/ports.js';
import type { BatchFence, CommitFence, WriteFence } from '../db/writer-role.js';
import type { DeskBatch } from '../db/batch-statement.js';

/**
 * A desk held by this process at one epoch: the fence of the writes its store makes outside the
 * batch statement. A new epoch (the desk lost and taken again) is a new DeskLease and a new store,
 * so a state loaded under an old epoch can never write under the new one.
 */
export class DeskLease implements WriteFence {
  constructor(
    readonly deskId: number,
    readonly epoch: number,
  ) {}

  ensureClaimed(): Promise<void> {
    return Promise.resolve();
  }

  /** Holds the lease row (FOR KEY SHARE) until the write commits: a takeover waits for it. */
  guard(param: number): string {
    return `EXISTS (SELECT 1 FROM desk_leases WHERE desk_id = ${Math.trunc(this.deskId)} AND epoch = $${param}::bigint AND expires_at > now() FOR KEY SHARE)`;
  }

  get token(): number {
    return this.epoch;
  }

  refused(): Error {
    return new DeskMovedError(this.deskId, this.epoch);
  }
}

/** The group commit's fence in a cluster: each batch at its desk's epoch (see batchStatement). */
export class LeaseFence implements CommitFence {
  fenceOf(batches: readonly DeskBatch[]): BatchFence {
    return { desks: batches.map((b) => b.deskId), epochs: batches.map((b) => b.epoch ?? -1) };
  }

  refused(batches: readonly DeskBatch[]): Error {
    // Of several desks, which one moved is not known: each is tried alone next (SharedCommit).
    if (batches.length !== 1) return new Error('a desk of this statement moved to another OMS process');
    return new DeskMovedError(batches[0].deskId, batches[0].epoch ?? -1);
  }
}
