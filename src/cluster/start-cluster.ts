import { networkInterfaces } from 'node:os';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Request, Response } from 'express';
import type { Env } from '../config/env.js';
import type { Desks, DeskInfo } from '../oms/desks.js';
import type { Oms } from '../oms/oms.js';
import type { ClusterOut } from '../wire/response-schemas.js';
import { ClusterNode } from './cluster-node.js';
import { ClusterStore } from './cluster-store.js';
import { Forwarder, FORWARDED_HEADER } from './forwarder.js';
import { CatalogueFollower } from './catalogue-follower.js';
import type { DeskLease } from './desk-lease.js';
import { MarketLease, type MarketLeaseOptions } from './market-lease.js';
import { listenMarket } from './market-channel.js';

/** How long a new desk's creation waits for its owner to serve it. */
const PLACED_WITHIN_MS = 10_000;

export interface Cluster {
  readonly node: ClusterNode;
  /** Forwards a request for a desk another process owns; false when none serves it now (503 to retry). */
  forward(deskId: number, req: Request, res: Response): boolean;
  status(): Promise<ClusterOut>;
  /** Resolves once some process serves the desk (a desk just made). */
  placed(deskId: number): Promise<void>;
  /** Keeps this process's desks on the deployment's catalogue (new instruments, sessions) and, with `prices`, on its prices. */
  followCatalogue(intervalMs: number, prices: boolean): void;
  /** Runs a live market data source in whichever process holds the market lease (see MarketLease). */
  runMarketData(run: MarketLeaseOptions['run']): Promise<void>;
  /** Hears what the market lease holder publishes; answers how to stop. */
  listenMarket(deliver: (payload: string) => void): Promise<() => Promise<void>>;
  /** SIGTERM: desks handed over, membership left. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterDeps {
  readonly env: Env;
  /** The port this process listens on. */
  readonly port: number;
  readonly pool: pg.Pool;
  readonly desks: Desks;
  readonly openDesk: (info: DeskInfo, lease: DeskLease) => Promise<Oms>;
  readonly logger: Logger;
  /** A price read from the database into this process's desks (the house re-quotes). */
  readonly move: (symbol: string, price: number) => Promise<void>;
}

/** Where peers reach this process: OMS_INTERNAL_URL, else this host's private address and port. */
export function internalUrlOf(env: Env, port: number): string {
  if (env.OMS_INTERNAL_URL) return env.OMS_INTERNAL_URL;
  if (env.HOST !== '0.0.0.0' && env.HOST !== '::') return `http://${env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST}:${port}`;
  const address = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  return `http://${address ?? '127.0.0.1'}:${port}`;
}

export async function startCluster(deps: ClusterDeps): Promise<Cluster> {
  const { env, logger, desks } = deps;
  // Heartbeats and renewals on their own connections: never queued behind a commit or a read.
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
  pool.on('error', (err) => logger.warn({ err }, 'cluster connection lost'));
  const store = new ClusterStore(pool, env.CLUSTER_LEASE_MS);
  const internalUrl = internalUrlOf(env, deps.port);
  const node = new ClusterNode({ store, desks, internalUrl, id: env.CLUSTER_MEMBER_ID, leaseMs: env.CLUSTER_LEASE_MS, openDesk: deps.openDesk, logger });
  const forwarder = new Forwarder(node.id);
  let follower: CatalogueFollower | null = null;
  let market: MarketLease | null = null;
  // The market lease holder's prices go out on a connection of their own.
  const publishPool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 1 });
  publishPool.on('error', (err) => logger.warn({ err }, 'market data publishing connection lost'));
  await node.start();
  logger.info({ member: node.id, internalUrl, desks: node.owned }, 'cluster member started');

  const unavailable = (res: Response, message: string): void => {
    res.status(503).set('Retry-After', '1').json({ error: { code: 'UNAVAILABLE', message, details: [] } });
  };

  return {
    node,
    forward(deskId, req, res) {
      // A forwarded request for a desk not here: the sender's view is behind; its client retries.
      if (req.get(FORWARDED_HEADER)) return false;
      const owner = node.ownerUrl(deskId);
      if (!owner || owner.id === node.id) return false;
      forwarder.forward(owner.url, req, res).catch((error: unknown) => {
        logger.warn({ err: error, desk: deskId, owner: owner.id }, 'the owner of a desk did not answer a forwarded request');
        void node.refresh().catch(() => undefined);
        if (!res.headersSent) unavailable(res, "the OMS process serving the key's desk did not answer; nothing was done here: retry in a moment");
      });
      return true;
    },
    async status() {
      await node.refresh();
      const { members, leases } = node.lastView;
      const owned = (id: string) => leases.filter((l) => l.live && l.owner === id).map((l) => l.deskId);
      return {
        mode: 'cluster',
        member_id: node.id,
        members: members.map((m) => ({ id: m.id, address: m.internalUrl, heartbeat_at: m.heartbeatAt.toISOString(), live: m.live, desks_owned: owned(m.id) })),
        desks: leases.map((l) => ({ id: l.deskId, name: l.deskName, owner: l.live ? l.owner : null, epoch: l.epoch, lease_expires_at: l.expiresAt && l.live ? l.expiresAt.toISOString() : null })),
      };
    },
    async placed(deskId) {
      const until = Date.now() + PLACED_WITHIN_MS;
      await node.placeNow();
      while (Date.now() < until) {
        await node.refresh();
        if (node.ownerUrl(deskId)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    followCatalogue(intervalMs, prices) {
      follower = new CatalogueFollower(deps.pool, desks, prices ? deps.move : null, intervalMs, logger);
      follower.start();
    },
    async runMarketData(run) {
      market = new MarketLease({ store, pool: publishPool, member: node.id, leaseMs: env.CLUSTER_LEASE_MS, run, logger: logger.child({ name: 'market-lease' }) });
      await market.start();
    },
    listenMarket(deliver) {
      return listenMarket(env.DATABASE_URL!, deliver, logger.child({ name: 'market-relay' }));
    },
    async stop() {
      await market?.stop();
      await follower?.stop();
      await node.stop();
    },
    async close() {
      forwarder.close();
      await publishPool.end();
      await pool.end();
    },
  };
}
