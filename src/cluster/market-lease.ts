import type pg from 'pg';
import type { Logger } from 'pino';
import type { ClusterStore } from './cluster-store.js';
import { fencedMarketPublish } from './market-channel.js';
import { RecurringJob } from '../timing/recurring-job.js';

/**
 * The market lease's row in desk_leases: no desk has id 0 (desk ids start at 1), so the market
 * source is leased, renewed, fenced and taken over exactly as a desk is, in the same table.
 */
export const MARKET_LEASE_KEY = 0;

export interface MarketLeaseOptions {
  readonly store: ClusterStore;
  /** Publishes the prices (NOTIFY): connections of its own, never queued behind a commit. */
  readonly pool: pg.Pool;
  readonly member: string;
  readonly leaseMs: number;
  /**
   * Starts the market data source once the lease is taken (a new one each time, resuming where the
   * cluster last heard it), publishing through `publish` (fenced by this epoch); answers how to stop it.
   */
  readonly run: (publish: (payload: string) => Promise<void>, heartbeatMs: number) => { stop(): Promise<void> };
  readonly logger: Logger;
}

/**
 * Runs the market data source in exactly one process of the cluster: every process tries to take
 * the market lease each round (a quarter of a lease); the one holding it renews it, runs the source
 * and publishes its prices, fenced by the lease's epoch. A holder that cannot renew in time stops
 * its source before the lease can run out; when it dies, another takes the lease once it expires.
 */
export class MarketLease {
  private readonly job: RecurringJob<void>;
  private held: { epoch: number; running: { stop(): Promise<void> }; validUntil: number } | null = null;
  private stopped = false;
  private readonly renewMs: number;

  constructor(private readonly options: MarketLeaseOptions) {
    this.renewMs = Math.max(100, Math.floor(options.leaseMs / 4));
    this.job = new RecurringJob(() => this.round(), this.renewMs);
  }

  /** The epoch this process holds the market lease at; null when another process runs the source. */
  get epoch(): number | null {
    return this.held?.epoch ?? null;
  }

  async start(): Promise<void> {
    await this.job.run();
    this.job.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.job.stop();
    const held = this.held;
    if (!held) return;
    await this.giveUp('stopping: the market data source goes to another OMS process');
    // Released at once: the next process takes the source on its next round, not after the lease's time.
    await this.options.store.release(MARKET_LEASE_KEY, this.options.member, held.epoch).catch(() => undefined);
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    const { store, member, leaseMs, logger } = this.options;
    try {
      const sentAt = Date.now();
      if (this.held) {
        const renewed = await store.renew(member, new Map([[MARKET_LEASE_KEY, this.held.epoch]]));
        if (renewed.has(MARKET_LEASE_KEY)) this.held.validUntil = sentAt + leaseMs - Math.floor(leaseMs / 4);
        else await this.giveUp('market lease lost: another OMS process runs the market data source now');
        if (this.held && Date.now() > this.held.validUntil) await this.giveUp('market lease not renewed in time: stopping the source');
        return;
      }
      const epoch = await store.take(MARKET_LEASE_KEY, member);
      if (epoch === null) return;
      if (this.stopped) {
        await store.release(MARKET_LEASE_KEY, member, epoch);
        return;
      }
      const running = this.options.run(fencedMarketPublish(this.options.pool, MARKET_LEASE_KEY, member, epoch), this.renewMs);
      this.held = { epoch, running, validUntil: sentAt + leaseMs - Math.floor(leaseMs / 4) };
      logger.info({ epoch, takeMs: Date.now() - sentAt }, 'market lease taken: running the market data source for the cluster');
    } catch (error) {
      logger.warn({ err: error }, 'market lease round failed; trying again next round');
    }
  }

  private async giveUp(why: string): Promise<void> {
    const held = this.held;
    if (!held) return;
    this.held = null;
    this.options.logger.warn({ epoch: held.epoch }, why);
    await held.running.stop().catch(() => undefined);
  }
}
