import { App, type Logger as BoltLogger, ExpressReceiver, type ExpressReceiverOptions, SocketModeReceiver, type webApi } from '@slack/bolt';
import express, { type Response } from 'express';
import type pg from 'pg';
import { type Logger, pino } from 'pino';
import { boltLogger } from './bolt-logger.js';
import type { SlackConfig, SlackOAuthConfig } from './config.js';
import { quietWhile, type SlackLinkState, SlackConnection } from './connection.js';
import type { SlackDeps } from './deps.js';
import { FillFeed } from './fills/fill-feed.js';
import { refreshConfirmation } from './trading/refresh-confirmation.js';
import { FillNotifier } from './fills/fill-notifier.js';
import { keepAliveFetch } from './keep-alive-http.js';
import { registerListeners } from './listeners/index.js';
import { isOmsError, OmsClient } from './oms-client.js';
import { BOT_SCOPES, INSTALL_PATH, installPages, REDIRECT_PATH } from './oauth/install-pages.js';
import { withoutDebug } from './oauth/oauth-logger.js';
import { createSlackPool } from './store/db.js';
import { SecretBox } from './store/secret-box.js';
import { WorkQueue } from './work-queue.js';
import { InstallRefused, makeInstallerDeskAdmin, provisionWorkspaceDesk } from './workspaces/desk-provisioning.js';
import { PgInstallationStore } from './workspaces/installation-store.js';
import { TokenRefresher } from './workspaces/token-refresher.js';
import { Workspaces } from './workspaces/workspaces.js';
import { DailyDigest } from './digest/daily-digest.js';

export interface SlackBot {
  readonly app: App;
  /**
   * HTTP mode only: mount `receiver.router` on an Express app (before any body parser). It serves
   * POST /slack/events, answering 503 until the bot is connected to Slack.
   */
  readonly receiver: ExpressReceiver | undefined;
  /** One workspace: its fill notifier. Installs in many: undefined (each workspace has its own). */
  readonly notifier: FillNotifier | undefined;
  /** Installs in many workspaces: the workspaces served. */
  readonly workspaces: Workspaces | undefined;
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
  const db = createSlackPool(config.databaseUrl);
  const multi = config.oauth ? installsInManyWorkspaces(config, config.oauth, db, clientOptions, log, logger) : undefined;
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
        ...(multi?.receiverOptions ?? {}),
      });
  // Socket Mode's own reconnect loop is off: its failed reconnects end in unhandled rejections and it
  // gives up on network errors. The SlackConnection below reconnects instead, with backoff.
  const socket = config.appToken
    ? new SocketModeReceiver({ appToken: config.appToken, logger: log, autoReconnectEnabled: false, installerOptions: { clientOptions } })
    : undefined;
  const app = new App({
    // Installs in many workspaces: no token here; each request is authorized with its workspace's.
    ...(config.botToken ? { token: config.botToken } : {}),
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

  const workspaces = multi?.workspaces;
  const oms = new OmsClient({ baseUrl: config.omsUrl, apiKey: workspaces ? () => workspaces.currentKey() : config.omsApiKey });
  const notifier = workspaces ? undefined : new FillNotifier({ oms, db, slack: app.client, logger, pollMs: config.fillPollMs });
  // Installs in many workspaces: each digest is posted with its workspace's desk and token.
  const digest = new DailyDigest({ oms, db, slack: app.client, logger, ...(workspaces ? { forTeam: (team: string) => workspaces.digestVia(team) } : {}) });
  const awaitingApproval = new Set<string>();
  // An approval request decided elsewhere (over REST, expired, rejected by a halt) shows its fate:
  // with the one workspace's key and token, or (many workspaces) with the workspace's.
  const approvalDecided = (o: { id: string; status: string }, desk: OmsClient, client: () => Promise<webApi.WebClient>): void => {
    if (o.status === 'PENDING_APPROVAL' || !awaitingApproval.delete(o.id)) return;
    void Promise.all([desk.getOrder(o.id), client()])
      .then(([order, slack]) => refreshConfirmation(deps, slack, order))
      .catch((e: unknown) => logger.warn({ err: e, orderId: o.id }, 'approval request not updated'));
  };
  workspaces?.onOrder((ws, o) => approvalDecided(o, ws.oms, ws.slack));
  const feed = notifier
    ? new FillFeed({
        omsUrl: config.omsUrl,
        apiKey: config.omsApiKey,
        onFill: () => notifier.wake(),
        onOrder: (o) => approvalDecided(o, oms, async () => app.client),
        logger,
      })
    : undefined;
  const deps: SlackDeps = {
    config,
    oms,
    db,
    logger,
    wakeFillNotifier: () => (workspaces ? workspaces.current()?.notifier : notifier)?.wake(),
    watchFills: (portfolio) => (workspaces ? workspaces.current()?.feed : feed)?.watchPortfolio(portfolio),
    workspaceTeam: () => workspaces?.current()?.team,
    ...(workspaces ? { uninstall: (team: string) => workspaces.uninstalled(team) } : {}),
    placing: new Set(),
    awaitingApproval,
    work: new WorkQueue(8),
    decisions: new WorkQueue(32),
  };
  if (workspaces) {
    // Every request runs in its workspace's scope: the OMS calls it makes use that workspace's desk.
    app.use(async ({ context, next }) => {
      const workspace = context.teamId ? await workspaces.get(context.teamId) : undefined;
      if (workspace) await workspaces.run(workspace, next);
      else await next();
    });
  }
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
      digest.start();
      if (workspaces) {
        workspaces.start().catch((e: unknown) => logger.error({ err: e }, 'installed workspaces not served'));
        return;
      }
      notifier?.start();
      feed?.start();
    },
  });
  connection = link;
  socket?.client.on('disconnected', () => link.lost('the Socket Mode connection closed'));

  return {
    app,
    receiver,
    notifier,
    workspaces,
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
        feed?.stop();
        await digest.stop();
        await notifier?.stop();
      }
      await workspaces?.stop();
      await db.end();
    },
  };
}

/**
 * Installs in many workspaces: Bolt's OAuth (install page, state, code exchange over SLACK_API_URL)
 * with the bot's own installation store, a desk made for each new workspace, and the token refresher.
 */
function installsInManyWorkspaces(
  config: SlackConfig,
  oauth: SlackOAuthConfig,
  db: pg.Pool,
  clientOptions: webApi.WebClientOptions,
  log: BoltLogger,
  logger: Logger,
): { workspaces: Workspaces; receiverOptions: Partial<ExpressReceiverOptions> } {
  const box = new SecretBox(oauth.stateSecret);
  // The clients that send the client secret, codes and refresh tokens never write debug lines.
  const oauthClientOptions = { ...clientOptions, logger: withoutDebug(log) };
  const refresher = new TokenRefresher({ db, box, clientId: oauth.clientId, clientSecret: oauth.clientSecret, clientOptions: oauthClientOptions, logger });
  const workspaces = new Workspaces({ db, box, omsUrl: config.omsUrl, fillPollMs: config.fillPollMs, clientOptions: { ...clientOptions, logger: log }, refresher, logger });
  // The bot's own key makes desks only (operator scope); it never trades.
  const operator = new OmsClient({ baseUrl: config.omsUrl, apiKey: config.omsApiKey });
  const installationStore = new PgInstallationStore({
    db,
    box,
    async beforeStore(installation) {
      const desk = await provisionWorkspaceDesk({ operator, db, box, logger }, installation.team.id);
      await makeInstallerDeskAdmin(new OmsClient({ baseUrl: config.omsUrl, apiKey: desk.deskKey }), installation.team.id, installation.user.id).catch((e: unknown) => {
        // The desk is kept: installing again finds it and tries this once more.
        throw isOmsError(e) ? new InstallRefused(`the desk service could not make you the desk's admin (${e.code}); try installing again`) : e;
      });
    },
    afterStore: (installation) => workspaces.installed(installation),
  });
  return {
    workspaces,
    receiverOptions: {
      clientId: oauth.clientId,
      clientSecret: oauth.clientSecret,
      stateSecret: oauth.stateSecret,
      scopes: [...BOT_SCOPES],
      installationStore,
      installerOptions: {
        installPath: INSTALL_PATH,
        redirectUriPath: REDIRECT_PATH,
        // /slack/install sends the browser straight to Slack's consent page.
        directInstall: true,
        stateVerification: true,
        clientOptions: oauthClientOptions,
        // Slack's consent page sits beside its Web API (a stand-in serves both in tests).
        authorizationUrl: new URL('../oauth/v2/authorize', config.slackApiUrl).href,
        callbackOptions: installPages(logger, async (team) => (await workspaces.get(team))?.desk.deskName),
      },
    },
  };
}
