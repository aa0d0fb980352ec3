import type pg from 'pg';

export interface MemberRow {
  readonly id: string;
  readonly internalUrl: string;
  readonly heartbeatAt: Date;
  readonly live: boolean;
}

export interface LeaseRow {
  readonly deskId: number;
  readonly deskName: string;
  /** Null when never taken or released. */
  readonly owner: string | null;
  readonly epoch: number;
  readonly expiresAt: Date | null;
  /** Held now: an owner and not past its time (by the database's clock). */
  readonly live: boolean;
}

/**
 * The cluster's coordination, all in PostgreSQL: members with heartbeats, and one lease row per
 * desk. Every time is the database's clock, so the processes' clocks never need to agree.
 *
 * Locks: a desk's batch statement holds its lease row FOR KEY SHARE until it commits. A renewal
 * (an UPDATE of expires_at only) does not wait for it; a takeover locks the row FOR UPDATE first,
 * so it waits for the batch in flight, and the state the new owner loads next includes that batch.
 */
export class ClusterStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly leaseMs: number,
  ) {}

  /** The id sequences every desk's commits draw from (in one process, the writer role's claim makes them). */
  async prepare(): Promise<void> {
    await this.pool.query(`INSERT INTO id_sequences (name, next) VALUES ('order', 1), ('trade', 1) ON CONFLICT (name) DO NOTHING`);
  }

  async heartbeat(id: string, internalUrl: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO cluster_members (id, internal_url, heartbeat_at) VALUES ($1, $2, now())
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), internal_url = EXCLUDED.internal_url`,
      [id, internalUrl],
    );
  }

  async leave(id: string): Promise<void> {
    await this.pool.query(`DELETE FROM cluster_members WHERE id = $1`, [id]);
  }

  /** Members heard from within a lease's time are live; long-gone ones are forgotten. */
  async members(): Promise<MemberRow[]> {
    await this.pool.query(`DELETE FROM cluster_members WHERE heartbeat_at < now() - interval '1 hour'`);
    const { rows } = await this.pool.query<{ id: string; internal_url: string; heartbeat_at: Date; live: boolean }>(
      `SELECT id, internal_url, heartbeat_at, heartbeat_at > now() - $1::int * interval '1 millisecond' AS live
       FROM cluster_members ORDER BY id`,
      [this.leaseMs],
    );
    return rows.map((r) => ({ id: r.id, internalUrl: r.internal_url, heartbeatAt: r.heartbeat_at, live: r.live }));
  }

  /** Every desk with its lease, if any. */
  async leases(): Promise<LeaseRow[]> {
    const { rows } = await this.pool.query<{ id: number; name: string; owner: string | null; epoch: string | null; expires_at: Date | null; live: boolean | null }>(
      `SELECT d.id, d.name, l.owner, l.epoch::text, l.expires_at, (l.owner IS NOT NULL AND l.expires_at > now()) AS live
       FROM desks d LEFT JOIN desk_leases l ON l.desk_id = d.id ORDER BY d.id`,
    );
    return rows.map((r) => ({ deskId: r.id, deskName: r.name, owner: r.owner, epoch: Number(r.epoch ?? 0), expiresAt: r.expires_at, live: r.live === true }));
  }

  /**
   * Takes a desk that nobody holds (never taken, released, or past its time) under the next epoch;
   * null when another process holds it. Waits for the old owner's batch in flight (see above).
   */
  async take(deskId: number, owner: string): Promise<number | null> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO desk_leases (desk_id, owner, epoch, expires_at) VALUES ($1, NULL, 0, '-infinity') ON CONFLICT (desk_id) DO NOTHING`, [deskId]);
      const { rows } = await client.query<{ free: boolean }>(
        `SELECT (owner IS NULL OR expires_at <= now()) AS free FROM desk_leases WHERE desk_id = $1 FOR UPDATE`,
        [deskId],
      );
      if (!rows[0]?.free) {
        await client.query('ROLLBACK');
        return null;
      }
      const taken = await client.query<{ epoch: string }>(
        `UPDATE desk_leases SET owner = $2, epoch = epoch + 1, expires_at = now() + $3::int * interval '1 millisecond'
         WHERE desk_id = $1 RETURNING epoch::text`,
        [deskId, owner, this.leaseMs],
      );
      await client.query('COMMIT');
      return Number(taken.rows[0].epoch);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Renews the leases still held at their epochs; answers the desks renewed (a missing one is lost). */
  async renew(owner: string, held: ReadonlyMap<number, number>): Promise<Set<number>> {
    if (held.size === 0) return new Set();
    const desks = [...held.keys()];
    const { rows } = await this.pool.query<{ desk_id: number }>(
      `UPDATE desk_leases l SET expires_at = now() + $4::int * interval '1 millisecond'
       FROM unnest($2::int[], $3::bigint[]) AS h(desk, epoch)
       WHERE l.desk_id = h.desk AND l.epoch = h.epoch AND l.owner = $1
       RETURNING l.desk_id`,
      [owner, desks, desks.map((d) => String(held.get(d))), this.leaseMs],
    );
    return new Set(rows.map((r) => r.desk_id));
  }

  /** Gives a desk up at once (its batches drained): another process may take it on its next look. */
  async release(deskId: number, owner: string, epoch: number): Promise<void> {
    await this.pool.query(`UPDATE desk_leases SET owner = NULL, expires_at = now() WHERE desk_id = $1 AND owner = $2 AND epoch = $3::bigint`, [deskId, owner, String(epoch)]);
  }
}
