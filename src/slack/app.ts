import type { AddressInfo } from 'node:net';
import { App, ExpressReceiver, type webApi } from '@slack/bolt';
import type pg from 'pg';
import { type Logger, pino } from 'pino';
import { boltLogger } from './bolt-logger.js';
import type { SlackConfig } from './config.js';
import type { SlackDeps } from './deps.js';
import { FillFeed } from './fills/fill-feed.js';
import { FillNotifier } from './fills/fill-notifier.js';
import { keepAliveFetch } from './keep-alive-http.js';
import { registerListeners } from './listeners/index.js';
import { OmsClient } from './oms-client.js';
import { createSlackPool } from './store/db.js';
import { WorkQueue } from './work-queue.js';

export interface SlackBot {
  readonly app: App;
  /** HTTP mode only: mount `receiver.router` on another Express app (before any body parser). */
  readonly receiver: ExpressReceiver | undefined;
  readonly notifier: FillNotifier;
  readonly db: pg.Pool;
  /**
   * Checks the token (auth.test), starts the fill notifier and: in Socket Mode connects; in HTTP mode
   * listens on `port` when one is given (0: any free port), else leaves serving to whoever mounted
   * the router. Resolves with the port listened on, if any.
   */
  start(port?: number): Promise<{ port?: number }>;
  /** Stops listening, lets started listener work and the current notifier pass finish, closes the pool. */
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

export function createSlackBot(config: SlackConfig, logger: Logger = pino({ name: 'slack' })): SlackBot {
  const log = boltLogger(logger);
  const socketMode = config.appToken !== undefined;
  const receiver = socketMode
    ? undefined
    : new ExpressReceiver({
        signingSecret: config.signingSecret,
        endpoints: '/slack/events',
        signatureVerification: true,
        // Ack first: a listener's slow work (OMS, Slack calls) never delays the HTTP answer.
        processBeforeResponse: false,
        logger: log,
      });
  const app = new App({
    token: config.botToken,
    ...(receiver ? { receiver } : { socketMode: true, appToken: config.appToken }),
    clientOptions: slackClientOptions(config),
    logger: log,
    // auth.test runs in start(), where its failure is an error to the caller rather than an
    // unhandled rejection from the constructor.
    deferInitialization: true,
  });
  app.error(async (error) => {
    logger.error({ err: error }, 'Slack listener failed');
  });

  const db = createSlackPool(config.databaseUrl);
  const oms = new OmsClient({ baseUrl: config.omsUrl, apiKey: config.omsApiKey });
  const notifier = new FillNotifier({ oms, db, slack: app.client, logger, pollMs: config.fillPollMs });
  const feed = new FillFeed({ omsUrl: config.omsUrl, apiKey: config.omsApiKey, onFill: () => notifier.wake(), logger });
  const deps: SlackDeps = {
    config,
    oms,
    db,
    logger,
    wakeFillNotifier: () => notifier.wake(),
    watchFills: (portfolio) => feed.watchPortfolio(portfolio),
    placing: new Set(),
    work: new WorkQueue(8),
  };
  registerListeners(app, deps);

  let listening = false;
  return {
    app,
    receiver,
    notifier,
    db,
    async start(port?: number) {
      await app.init();
      notifier.start();
      feed.start();
      if (socketMode) {
        await app.start();
        listening = true;
        logger.info('Slack bot connected (Socket Mode)');
        return {};
      }
      if (port === undefined) return {};
      const server = (await app.start(port)) as { address(): AddressInfo | string | null };
      listening = true;
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      logger.info({ port: bound }, 'Slack bot listening on /slack/events');
      return { port: bound };
    },
    async stop() {
      if (listening) await app.stop();
      listening = false;
      await deps.work.idle();
      feed.stop();
      await notifier.stop();
      await db.end();
    },
  };
}
