import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Oms } from '../oms/oms.js';
import type { Desks, DeskInfo } from '../oms/desks.js';
import { ownerOf } from './placement.js';
import { DeskLease } from './desk-lease.js';
import type { ClusterStore, LeaseRow, MemberRow } from './cluster-store.js';

/** A desk this process holds: its state at one epoch, and until when it may serve it. */
interface Held {
  readonly oms: Oms;
  readonly lease: DeskLease;
  /** Past this (this process's clock), the desk is not served until a renewal lands. */
  validUntil: number;
  serving: boolean;
}

export interface ClusterView {
  readonly members: readonly MemberRow[];
  readonly leases: readonly LeaseRow[];
}

export interface ClusterNodeOptions {
  readonly store: ClusterStore;
  readonly desks: Desks;
  readonly internalUrl: string;
  /** This member's id; a new random one when not given. */
  readonly id?: string;
  readonly leaseMs: number;
  /** Loads a desk's committed state under a lease (a store fenced by it). */
  readonly openDesk: (info: DeskInfo, lease: DeskLease) => Promise<Oms>;
  readonly logger: Logger;
}

/**
 * One OMS process of a cluster: it heartbeats, renews the leases of the desks it holds, and
 * places every desk by rendezvous hashing over the live members, taking the desks it wins that
 * nobody holds and handing over the ones another member now wins. A desk whose lease cannot be
 * renewed in time stops being served here before the lease can run out; one whose lease was lost
 * is dropped (its batch statements would be refused anyway: see DeskLease).
 */
export class ClusterNode {
  readonly id: string;
  private readonly held = new Map<number, Held>();
  private timer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private view: ClusterView = { members: [], leases: [] };
  private readonly renewMs: number;
  /** Stop serving this long before the lease would run out, for a clock or a pause in between. */
  private readonly marginMs: number;

  constructor(private readonly options: ClusterNodeOptions) {
    this.id = options.id ?? randomUUID();
    this.renewMs = Math.max(100, Math.floor(options.leaseMs / 4));
    this.marginMs = Math.floor(options.leaseMs / 4);
  }

  async start(): Promise<void> {
    await this.options.store.prepare();
    await this.options.store.heartbeat(this.id, this.options.internalUrl);
    await this.tick();
    this.timer = setInterval(() => {
      this.running ??= this.tick().finally(() => {
        this.running = null;
      });
    }, this.renewMs);
    this.watchdog = setInterval(() => this.enforceDeadlines(), Math.max(50, Math.floor(this.renewMs / 2)));
  }

  /** The desks this process serves now. */
  get owned(): number[] {
    return [...this.held.entries()].filter(([, h]) => h.serving).map(([id]) => id);
  }

  /** As last read from the database (every renewal interval). */
  get lastView(): ClusterView {
    return this.view;
  }

  /** The internal address of a desk's owner, as last read; null when it has none now. */
  ownerUrl(deskId: number): { id: string; url: string } | null {
    const lease = this.view.leases.find((l) => l.deskId === deskId);
    if (!lease?.live || !lease.owner) return null;
    const member = this.view.members.find((m) => m.id === lease.owner);
    return member ? { id: member.id, url: member.internalUrl } : null;
  }

  /** Reads the leases again now (a desk just made, or an owner that did not answer). */
  async refresh(): Promise<void> {
    const [members, leases] = await Promise.all([this.options.store.members(), this.options.store.leases()]);
    this.view = { members, leases };
  }

  /** Runs a placement round now, after the one in flight (a desk just made is placed at once). */
  async placeNow(): Promise<void> {
    await this.running;
    this.running = this.tick().finally(() => {
      this.running = null;
    });
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const { store, logger } = this.options;
    try {
      const sentAt = Date.now();
      await store.heartbeat(this.id, this.options.internalUrl);
      const renewed = await store.renew(this.id, new Map([...this.held].map(([id, h]) => [id, h.lease.epoch])));
      for (const [deskId, h] of this.held) {
        if (renewed.has(deskId) && !h.oms.replaced) {
          h.validUntil = sentAt + this.options.leaseMs - this.marginMs;
          if (!h.serving) await this.serve(h);
        } else if (renewed.has(deskId)) {
          // Still ours, but its state took a refusal (the lease ran out for a moment): given up now
          // and taken again next round under a new epoch, with its committed state.
          logger.warn({ desk: deskId, epoch: h.lease.epoch }, 'desk refused a write under its lease; loading it again');
          this.drop(deskId);
          await store.release(deskId, this.id, h.lease.epoch);
        } else {
          logger.warn({ desk: deskId, epoch: h.lease.epoch }, 'desk lease lost: another OMS process serves the desk now');
          this.drop(deskId);
        }
      }
      await this.refresh();
      await this.place();
    } catch (error) {
      logger.warn({ err: error }, 'cluster round failed; the leases run on until their time');
    }
  }

  private async place(): Promise<void> {
    const live = this.view.members.filter((m) => m.live).map((m) => m.id);
    if (!live.includes(this.id)) live.push(this.id);
    for (const lease of this.view.leases) {
      if (this.stopped) return;
      const want = ownerOf(lease.deskId, live);
      const mine = this.held.get(lease.deskId);
      if (mine && want !== this.id) await this.handOver(lease.deskId);
      else if (!mine && want === this.id && !lease.live) await this.take({ id: lease.deskId, name: lease.deskName, createdAt: new Date(0) });
    }
  }

  private async take(info: DeskInfo): Promise<void> {
    const { store, logger } = this.options;
    const takenAt = Date.now();
    const epoch = await store.take(info.id, this.id);
    if (epoch === null) return;
    const lease = new DeskLease(info.id, epoch);
    let oms: Oms;
    try {
      oms = await this.options.openDesk(info, lease);
    } catch (error) {
      logger.error({ err: error, desk: info.id }, 'loading a taken desk failed; releasing it');
      await store.release(info.id, this.id, epoch).catch(() => undefined);
      return;
    }
    const held: Held = { oms, lease, validUntil: takenAt + this.options.leaseMs - this.marginMs, serving: false };
    this.held.set(info.id, held);
    await this.serve(held);
    logger.info({ desk: info.id, epoch, loadMs: Date.now() - takenAt }, 'desk taken: serving it');
  }

  private async serve(h: Held): Promise<void> {
    if (Date.now() > h.validUntil) return;
    h.serving = true;
    await this.options.desks.add(h.oms);
  }

  /** Drain, commit, release: the next owner takes the desk on its next look, with nothing lost. */
  private async handOver(deskId: number): Promise<void> {
    const h = this.held.get(deskId);
    if (!h) return;
    h.serving = false;
    this.options.desks.remove(deskId);
    await h.oms.drain();
    this.held.delete(deskId);
    await this.options.store.release(deskId, this.id, h.lease.epoch).catch(() => undefined);
    this.options.logger.info({ desk: deskId, epoch: h.lease.epoch }, 'desk handed over');
  }

  private drop(deskId: number): void {
    const h = this.held.get(deskId);
    if (!h) return;
    this.held.delete(deskId);
    if (h.serving) this.options.desks.remove(deskId);
  }

  /** A desk whose renewal is late stops being served before its lease can run out. */
  private enforceDeadlines(): void {
    const now = Date.now();
    for (const [deskId, h] of this.held) {
      if (h.serving && now > h.validUntil) {
        h.serving = false;
        this.options.desks.remove(deskId);
        this.options.logger.warn({ desk: deskId }, 'desk lease not renewed in time: not serving it until it is');
      }
    }
  }

  /** SIGTERM: every desk handed over (drained, committed, released), then this member leaves. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.watchdog) clearInterval(this.watchdog);
    await this.running;
    for (const deskId of [...this.held.keys()]) await this.handOver(deskId).catch(() => undefined);
    await this.options.store.leave(this.id).catch(() => undefined);
  }
}
