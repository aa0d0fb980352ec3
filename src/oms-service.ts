import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import pg from 'pg';
import type { Env } from './config/env.js';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from './db/embedded-postgres.js';
import { applyMigrations } from './db/migrator.js';
import { createPrismaClient, type PrismaClient } from './db/prisma-client.js';
import { PrismaOmsStore } from './db/oms-store.js';
import { MemberRepository } from './db/member.repository.js';
import { MemberDirectory } from './oms/members.js';
import { HistoryQueries } from './db/history-queries.js';
import { ApiKeyRepository, generateKey } from './db/api-key.repository.js';
import { seedInstruments } from './db/seed.js';
import { Oms } from './oms/oms.js';
import { DeskMovedError } from './oms/ports.js';
import { Desks, type DeskInfo } from './oms/desks.js';
import { feeScheduleOf } from './oms/fees.js';
import { DeskRepository } from './db/desk.repository.js';
import { WriterRole } from './db/writer-role.js';
import { COMMIT_POOL_OPTIONS, SharedCommit } from './db/shared-commit.js';
import { MAIN_DESK_ID } from './db/desks.js';
import { createApp } from './api/app.js';
import { answerClientError } from './api/client-error.js';
import { CachedKeyLookup } from './api/auth.js';
import { PaperMarket } from './market/paper-market.js';
import { RandomWalkSource } from './market/price-source.js';
import { LiveMarket } from './market/live-market.js';
import { BarBuilder } from './market/bar-builder.js';
import { BarRepository } from './db/bars.repository.js';
import { followedSymbols, marketDataSourceFromEnv, marketDataSourceResumedAt } from './market/sources/from-env.js';
import { DayEndScheduler, lastDayEnd } from './oms/day-end-scheduler.js';
import { SessionSchedule } from './market/session-schedule.js';
import { marketClockOf, wallClock } from './market/market-clock.js';
import { attachFeed, type Feed } from './feed/feed-server.js';
import { EquityRepository } from './db/equity.repository.js';
import { EquitySnapshots } from './oms/equity-snapshots.js';
import { startCluster, type Cluster } from './cluster/start-cluster.js';
import { LeaseFence, type DeskLease } from './cluster/desk-lease.js';
import { attachFeedRelay } from './cluster/feed-relay.js';
import { RelayedMarketSource, runPublishedSource } from './market/market-relay.js';

/** How long a shutdown waits for requests in flight before it cuts their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface OmsService {
  readonly server: Server;
  readonly port: number;
  readonly databaseUrl: string;
  /** Desk main (the desk of single-team deployments, and of the tests); in a cluster, this process's first desk, if any. */
  readonly oms: Oms;
  /** In a cluster (CLUSTER_MODE=on): this process's membership. */
  readonly cluster: Cluster | null;
  readonly desks: Desks;
  readonly prisma: PrismaClient;
  readonly logger: Logger;
  /** The bootstrap admin key when it was generated on this start (printed once), else null. */
  readonly generatedAdminKey: string | null;
  /** Every portfolio's equity, written every EQUITY_SNAPSHOT_SECONDS and at session closes. */
  readonly equitySnapshots: EquitySnapshots;
  stop(): Promise<void>;
}

export interface OmsServiceOptions {
  readonly logger?: Logger;
  /** Mount extra routes (the Slack bot's /slack/events) before the API's 404 handler. */
  readonly mount?: (app: import('express').Express, context: { databaseUrl: string; prisma: PrismaClient }) => void;
  /** Extra fields of a healthy /health answer (see ApiDeps.healthComponents). */
  readonly healthComponents?: () => Readonly<Record<string, string>>;
}

export function packageRoot(): string {
  // src/oms-service.ts and dist/oms-service.js both sit one level below the package root.
  return resolve(dirname(fileURLToPath(import.meta.url)), '..');
}

/** Starts everything the OMS needs: database (embedded when no URL), migrations, seed, engine, HTTP, feed. */
export async function startOmsService(env: Env, options: OmsServiceOptions = {}): Promise<OmsService> {
  const logger = options.logger ?? pino({ level: env.LOG_LEVEL, redact: ['req.headers["x-api-key"]', 'apiKey', 'key'] });
  let embedded: EmbeddedPostgresServer | null = null;
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    const dataDir = resolve(env.DATA_DIR, 'pg');
    embedded = await startEmbeddedPostgres({ dataDir, persistent: true });
    databaseUrl = embedded.url;
    logger.info({ dataDir }, 'embedded PostgreSQL started');
  }
  const cleanup: (() => Promise<void>)[] = [];
  let unprintedKey: (() => Promise<void>) | null = null;
  if (embedded) cleanup.push(() => embedded!.stop());
  try {
    const applied = await applyMigrations(databaseUrl, join(packageRoot(), 'prisma', 'migrations'), (m) => logger.debug(m));
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const prisma = createPrismaClient(databaseUrl, { max: 10 });
    cleanup.unshift(() => prisma.$disconnect());
    // The group commit's own connection: one statement per batch, never queued behind reads.
    const commitPool = new pg.Pool({ connectionString: databaseUrl, max: 2, ...COMMIT_POOL_OPTIONS });
    // An idle connection dropped by the server (restart, shutdown) must not crash the process;
    // the next commit gets a fresh one, and a failed commit is handled by the OMS.
    commitPool.on('error', (err) => logger.warn({ err }, 'commit connection lost'));
    cleanup.unshift(() => commitPool.end());
    await seedInstruments(prisma);
    const keys = new ApiKeyRepository(prisma);
    let generatedAdminKey: string | null = null;
    // The bootstrap key is admin of desk main and the deployment's operator (it makes desks).
    if (env.OMS_API_KEY) {
      await keys.ensure(env.OMS_API_KEY, 'bootstrap admin (OMS_API_KEY)', ['admin', 'operator']);
    } else if ((await keys.count()) === 0) {
      generatedAdminKey = generateKey();
      const { record } = await keys.create({ name: 'bootstrap admin (generated)', scopes: ['admin', 'operator'], portfolios: [], key: generatedAdminKey });
      // Printed only once the service is up: a start that fails after this (a port in use) revokes
      // it, so that the next start makes and prints another instead of leaving no key anyone saw.
      unprintedKey = () => keys.revoke(record.id).then(() => undefined);
    }

    let stopping = false;
    // The market data feed, once started below; /health reads its link's state.
    let live: LiveMarket | null = null;
    // Ready once the desks can trade: state loaded and, with the house on, its first quotes committed.
    let ready = false;
    const writer = new WriterRole(prisma);
    // One process for the whole database: the writer role, claimed before any desk loads (it waits
    // for a batch a previous OMS has in flight). A cluster fences each desk by its lease instead.
    if (!env.CLUSTER_MODE) await writer.ensureClaimed();
    // One group commit over every desk's batches (see SharedCommit).
    const shared = new SharedCommit(commitPool, env.CLUSTER_MODE ? new LeaseFence() : writer);
    const deskOptions = {
      bookedPriceBandBps: env.BOOKED_PRICE_BAND_BPS,
      lastDayEnd: lastDayEnd(env.DAY_END_UTC, new Date()),
      marketCollarBps: env.MARKET_ORDER_COLLAR_BPS,
      approvalTimeoutMs: env.APPROVAL_TIMEOUT_SECONDS * 1000,
      fees: feeScheduleOf(env.FEE_PER_SHARE, env.FEE_BPS, env.FEE_MIN_PER_ORDER)!,
    };
    const openDesk = (info: DeskInfo, lease?: DeskLease): Promise<Oms> => {
      const log = logger.child({ desk: info.name });
      return Oms.open(
        new PrismaOmsStore(prisma, commitPool, info.id, lease ?? writer, shared),
        {
          commitFailed: (error) => log.error({ err: error }, 'a commit failed: its requests were answered 503; reloading the committed state'),
          replaced: (error) =>
            error instanceof DeskMovedError
              ? log.warn(`${error.message}: its requests go to that process`)
              : log.fatal(`${error.message}: this one stops accepting orders and can be stopped`),
          reloaded: (afterMs) => log.info({ afterMs }, 'committed state reloaded: the desk serves again'),
          reloadFailed: (error, retryMs) => log.warn({ err: error, retryMs }, 'reloading the committed state failed; retrying'),
        },
        deskOptions,
        info,
      );
    };
    const deskRows = new DeskRepository(prisma);
    const desks = new Desks(MAIN_DESK_ID);
    // In a cluster, desks are taken once this process listens (its peers forward to that address).
    if (!env.CLUSTER_MODE) for (const info of await deskRows.list()) await desks.add(await openDesk(info));
    let cluster: Cluster | null = null;
    const history = new HistoryQueries(prisma);
    // Bars are written off the order path, in small batches about once a second.
    const barRows = new BarRepository(prisma);
    const bars = new BarBuilder(barRows, logger.child({ name: 'bars' }));
    const keyLookup = new CachedKeyLookup(keys, env.API_KEY_CACHE_MS);
    // Equity snapshots go through the read pool, never the group commit's connection.
    const equityRows = new EquityRepository(prisma);
    const snapshots = new EquitySnapshots(desks, equityRows, logger.child({ name: 'equity' }), { intervalMs: env.EQUITY_SNAPSHOT_SECONDS * 1000 });
    const members = new MemberDirectory(new MemberRepository(prisma), { deskId: MAIN_DESK_ID, users: env.SLACK_ADMIN_USERS });
    // A desk that moved away may come back after its new owner changed its members.
    desks.onRemoved((desk) => members.forget(desk.desk.id));
    const app = createApp({
      desks,
      history,
      bars: barRows,
      equity: equityRows,
      keys: keyLookup,
      keyAdmin: keys,
      members,
      createDesk: async (name, options = {}) => {
        const info = await deskRows.create(name);
        if (!info) return null;
        if (cluster) {
          // Placed like every desk: it is answered once its owner serves it.
          await cluster.placed(info.id);
        } else {
          const desk = await openDesk(info);
          await desks.add(desk);
        }
        const { key } = await keys.create({ name: `${name} admin`, scopes: options.actAs ? ['admin', 'act_as'] : ['admin'], portfolios: [], deskId: info.id });
        return { desk: info, adminKey: key };
      },
      forward: env.CLUSTER_MODE ? (deskId, req, res) => cluster?.forward(deskId, req, res) ?? false : undefined,
      cluster: env.CLUSTER_MODE ? async () => cluster!.status() : undefined,
      allDesks: env.CLUSTER_MODE ? () => deskRows.list() : undefined,
      logger,
      env,
      checkDatabase: async () => {
        await prisma.$queryRawUnsafe('SELECT 1');
      },
      stopping: () => stopping,
      ready: () => ready,
      mount: options.mount && ((app) => options.mount!(app, { databaseUrl: databaseUrl!, prisma })),
      healthComponents: () => ({ ...options.healthComponents?.(), market_data: live?.linkState ?? 'ok' }),
    });
    const server = createServer(app);
    server.on('clientError', answerClientError);
    // In a cluster, clients reach the feed of their desk's owner through a relay (see FeedRelay).
    const relay = env.CLUSTER_MODE
      ? attachFeedRelay(server, { ownerOf: (deskId) => cluster?.node.ownerUrl(deskId) ?? null, refresh: async () => cluster?.node.refresh(), keys: keyLookup, logger: logger.child({ name: 'feed-relay' }) })
      : null;
    const feed: Feed = attachFeed(relay?.localServer ?? server, { desks, keys: keyLookup, keyRecheckMs: Math.max(env.API_KEY_CACHE_MS, 100), history, logger, bars: { builder: bars, repository: barRows } });
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        reject(error.code === 'EADDRINUSE' ? new Error(`port ${env.PORT} on ${env.HOST} is already in use: stop what holds it or set PORT`) : error);
      });
      server.listen(env.PORT, env.HOST, () => resolveListen());
    });
    const port = (server.address() as AddressInfo).port;
    if (env.CLUSTER_MODE) {
      cluster = await startCluster({ env, port, pool: commitPool, desks, openDesk, logger: logger.child({ name: 'cluster' }), move: (symbol, price) => market.moveAndQuote(symbol, price) });
      cleanup.unshift(() => cluster!.close());
    }
    const oms = desks.main;

    // Reference prices: the simulator by default, or a market data source (MARKET_DATA) that every
    // desk follows; the house re-quotes around them each interval either way.
    const provider = marketDataSourceFromEnv(env, logger);
    // In a cluster, the provider runs in the market lease holder only; every process takes its
    // prices from the relay (see MarketLease), each for its own desks.
    const relayed = provider && cluster ? new RelayedMarketSource(provider.name, (deliver) => cluster!.listenMarket(deliver), marketClockOf(provider)) : null;
    const source = relayed ?? provider;
    const catalogue = desks.all().length > 0 ? desks.main.listInstruments().map((i) => i.symbol) : (await prisma.instrument.findMany({ select: { symbol: true } })).map((i) => i.symbol);
    const followed = followedSymbols(env, catalogue);
    live = source
      ? new LiveMarket(source, desks, followed, logger.child({ name: 'market-data' }), {
          staleMs: env.MARKET_DATA_STALE_MS,
          bars,
          // Each commit statement carries every symbol's latest price (see LiveMarket.flush).
          beforeNextStatement: (fn) => shared.beforeNextStatement(fn),
          // Bound late: the paper market below holds the houses.
          moveAndQuote: (symbol, price) => market.moveAndQuote(symbol, price),
        })
      : null;
    const market = new PaperMarket(
      desks,
      env.SIMULATOR_ENABLED && !live ? new RandomWalkSource(env.SIMULATOR_SEED) : null,
      env.MARKET_MAKER_ENABLED
        ? { levels: env.MARKET_MAKER_LEVELS, spreadBps: env.MARKET_MAKER_SPREAD_BPS, stepBps: env.MARKET_MAKER_STEP_BPS, size: env.MARKET_MAKER_SIZE }
        : null,
      env.SIMULATOR_INTERVAL_MS,
      logger,
      (symbol) => live?.quoteOf(symbol) ?? null,
      bars,
    );
    bars.start();
    await market.start();
    // Every process follows the catalogue an operator changes through desk main's owner; with the
    // simulator, the prices desk main's owner draws too.
    cluster?.followCatalogue(source ? 1000 : env.SIMULATOR_INTERVAL_MS, !source);
    // A provider that does not answer does not hold the start: its symbols go stale until it does.
    await live?.start();
    // A replay taken over resumes at the market time this process last heard from the old holder.
    if (relayed) {
      const sourceLog = logger.child({ name: 'market-source' });
      await cluster!.runMarketData((publish, heartbeatMs) => runPublishedSource(marketDataSourceResumedAt(env, logger, relayed.lastHeard)!, followed, publish, sourceLog, heartbeatMs));
    }
    // Sessions run on the market's clock: a replay's is the replayed day's (in a cluster, the holder's, relayed).
    const sessions = new SessionSchedule(desks, relayed && marketClockOf(provider) !== wallClock ? relayed : marketClockOf(source), logger.child({ name: 'sessions' }), {
      statusAtOpen: (symbol) => live?.statusOf(symbol) ?? 'live',
      afterClose: () => void snapshots.take(),
    });
    await sessions.start();
    ready = true;
    const dayEnd = new DayEndScheduler(
      env.DAY_END_UTC,
      () =>
        desks.expireDay().finally(() => {
          // The close of the 24/7 instruments' day: an equity point of its own.
          void snapshots.take();
        }),
      logger,
    );
    dayEnd.start();
    snapshots.start();

    return {
      server,
      port,
      databaseUrl,
      oms,
      cluster,
      desks,
      prisma,
      logger,
      generatedAdminKey,
      equitySnapshots: snapshots,
      async stop() {
        if (stopping) return;
        stopping = true;
        dayEnd.stop();
        await snapshots.stop();
        await sessions.stop();
        await live?.stop();
        await market.stop();
        // What the market applied last is written before the database goes.
        await bars.stop().catch((err: unknown) => logger.warn({ err }, 'could not write the last bars'));
        await relay?.close();
        await feed.close();
        // Requests in flight are answered once their commits land (the OMS keeps committing); new
        // ones get a 503. Connections close as they fall idle; past the grace, whatever is left.
        await new Promise<void>((r) => {
          const sweep = setInterval(() => server.closeIdleConnections(), 50);
          const cut = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
          server.close(() => {
            clearInterval(sweep);
            clearTimeout(cut);
            r();
          });
          server.closeIdleConnections();
        });
        await desks.drain();
        // Drained and committed: the desks' leases are released for the other processes to take at once.
        await cluster?.stop();
        for (const fn of cleanup) await fn().catch(() => undefined);
      },
    };
  } catch (error) {
    await unprintedKey?.().catch(() => undefined);
    for (const fn of cleanup) await fn().catch(() => undefined);
    throw error;
  }
}
