import { App, ExpressReceiver, SocketModeReceiver, type webApi } from '@slack/bolt';
import express, { type Response } from 'express';
import type pg from 'pg';
import { type Logger, pino } from 'pino';
import { boltLogger } from './bolt-logger.js';
import type { SlackConfig } from './config.js';
import { quietWhile, type SlackLinkState, SlackConnection } from './connection.js';
import type { SlackDeps } from './deps.js';
import { FillFeed } from './fills/fill-feed.js';
import { refreshConfirmation } from './trading/refresh-confirmation.js';
import { FillNotifier } from './fills/fill-notifier.js';
import { keepAliveFetch } from './keep-alive-http.js';
import { registerListeners } from './listeners/index.js';
import { OmsClient } from './oms-client.js';
import { createSlackPool } from './store/db.js';
import { WorkQueue } from './work-queue.js';
import { DailyDigest } from './digest/daily-digest.js';

export interface SlackBot {
  readonly app: App;
  /**
   * HTTP mode only: mount `receiver.router` on an Express app (before any body parser). It serves
   * POST /slack/events, answering 503 until the bot is connected to Slack.
   */
  readonly receiver: ExpressReceiver | undefined;
  readonly notifier: FillNotifier;
  /** The channels' daily digests, checked every 20 s once connected (`check(at)` runs one now). */
  readonly digest: DailyDigest;
  readonly db: pg.Pool;
  /** The link to Slack, for /health. */
  readonly state: SlackLinkState;
  /**
   * Connects to Slack in the background (auth.test; in Socket Mode, the socket too) and keeps
   * retrying with backoff until it does; the fill notifier starts once connected. Never throws.
   */
  start(): void;
  /** Resolves once connected to Slack. */
  connected(): Promise<void>;
  /** Stops connecting and listening, lets started listener work and the current notifier pass finish, closes the pool. */
  stop(): Promise<void>;
}

/**
 * The Web API policy. Slack answers in ms or not at all: a couple of quick retries for 5xx and network
 * errors, none for 429 (rejectRateLimitedCalls) because the WebClient would pause every call for
 * Retry-After, views.open included. What must not be lost (confirmations, fills) sits in PostgreSQL
 * and the fill notifier retries it after Retry-After. Calls (and Bolt's `respond`, which uses the same
 * `fetch`) go over kept-alive node:http(s) connections: see keep-alive-http.ts.
 */
const SLACK_TIMEOUT_MS = 10_000;

export function slackClientOptions(config: SlackConfig): webApi.WebClientOptions {
  return {
    slackApiUrl: config.slackApiUrl,
    retryConfig: { retries: 2, factor: 2, minTimeout: 100, maxTimeout: 1000 },
    rejectRateLimitedCalls: true,
    timeout: SLACK_TIMEOUT_MS,
    fetch: keepAliveFetch(SLACK_TIMEOUT_MS),
  };
}

export const EVENTS_PATH = '/slack/events';

const SOCKET_CLOSE_WAIT_MS = 3000;

/** The answer to Slack's requests while the bot cannot act on them (Slack shows the user an error). */
export function refuseUntilConnected(res: Response, state: SlackLinkState): void {
  res.status(503).set('Retry-After', '5').json({
    error: { code: 'UNAVAILABLE', message: `the Slack bot is not connected to Slack (${state}); try again shortly`, details: [] },
  });
}

export function createSlackBot(config: SlackConfig, logger: Logger = pino({ name: 'slack' })): SlackBot {
  let connection: SlackConnection | undefined;
  const log = quietWhile(boltLogger(logger), () => connection !== undefined && connection.state !== 'ok');
  const clientOptions = slackClientOptions(config);
  // Before Bolt's own route: until auth.test has passed Bolt cannot authorize a request, and would
  // ack it with nothing done. A 503 tells Slack (and whoever looks) the truth instead.
  const router = express.Router();
  router.post(EVENTS_PATH, (_req, res, next) => {
    const state = connection?.state ?? 'connecting';
    if (state === 'ok') {
      next();
      return;
    }
    refuseUntilConnected(res, state);
  });
  const receiver = config.appToken
    ? undefined
    : new ExpressReceiver({
        signingSecret: config.signingSecret,
        endpoints: EVENTS_PATH,
        router,
        signatureVerification: true,
        // Ack first: a listener's slow work (OMS, Slack calls) never delays the HTTP answer.
        processBeforeResponse: false,
        logger: log,
      });
  // Socket Mode's own reconnect loop is off: its failed reconnects end in unhandled rejections and it
  // gives up on network errors. The SlackConnection below reconnects instead, with backoff.
  const socket = config.appToken
    ? new SocketModeReceiver({ appToken: config.appToken, logger: log, autoReconnectEnabled: false, installerOptions: { clientOptions } })
    : undefined;
  const app = new App({
    token: config.botToken,
    ...(receiver ? { receiver } : { socketMode: true, receiver: socket }),
    clientOptions,
    logger: log,
    // auth.test runs in the connection attempts, where its failure is a state and a retry rather
    // than an unhandled rejection from the constructor.
    deferInitialization: true,
  });
  app.error(async (error) => {
    logger.error({ err: error }, 'Slack listener failed');
  });

  const db = createSlackPool(config.databaseUrl);
  const oms = new OmsClient({ baseUrl: config.omsUrl, apiKey: config.omsApiKey });
  const notifier = new FillNotifier({ oms, db, slack: app.client, logger, pollMs: config.fillPollMs });
  const digest = new DailyDigest({ oms, db, slack: app.client, logger });
  const awaitingApproval = new Set<string>();
  const feed = new FillFeed({
    omsUrl: config.omsUrl,
    apiKey: config.omsApiKey,
    onFill: () => notifier.wake(),
    // An approval request decided elsewhere (over REST, expired, rejected by a halt) shows its fate.
    onOrder: (o) => {
      if (o.status === 'PENDING_APPROVAL' || !awaitingApproval.delete(o.id)) return;
      void deps.oms.getOrder(o.id).then((order) => refreshConfirmation(deps, app.client, order)).catch((e: unknown) => logger.warn({ err: e, orderId: o.id }, 'approval request not updated'));
    },
    logger,
  });
  const deps: SlackDeps = {
    config,
    oms,
    db,
    logger,
    wakeFillNotifier: () => notifier.wake(),
    watchFills: (portfolio) => feed.watchPortfolio(portfolio),
    placing: new Set(),
    awaitingApproval,
    work: new WorkQueue(8),
    decisions: new WorkQueue(32),
  };
  registerListeners(app, deps);

  /**
   * Closes the Socket Mode connection and waits for Slack to confirm (the receiver's own stop does
   * not wait; a peer that drops the socket mid-close then leaves the client's 30 s timer behind),
   * but never longer than a shutdown can afford.
   */
  const closeSocket = async (): Promise<void> => {
    if (!socket) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([socket.client.disconnect(), new Promise<void>((resolve) => (timer = setTimeout(resolve, SOCKET_CLOSE_WAIT_MS)))]).catch(() => undefined);
    clearTimeout(timer);
  };
  let initialized = false;
  let notifying = false;
  const link = new SlackConnection({
    retry: config.retry,
    logger,
    async connect() {
      if (!initialized) {
        await app.init();
        initialized = true;
      }
      if (socket) await socket.start();
    },
    disconnect: () => closeSocket(),
    onConnected() {
      if (notifying) return;
      notifying = true;
      notifier.start();
      feed.start();
      digest.start();
    },
  });
  connection = link;
  socket?.client.on('disconnected', () => link.lost('the Socket Mode connection closed'));

  return {
    app,
    receiver,
    notifier,
    digest,
    db,
    get state() {
      return link.state;
    },
    start() {
      link.start();
    },
    connected() {
      return link.connected();
    },
    async stop() {
      link.stop();
      await closeSocket();
      await deps.work.idle();
      if (notifying) {
        feed.stop();
        await digest.stop();
        await notifier.stop();
      }
      await db.end();
    },
  };
}
