import type { Logger } from 'pino';
import { loadEnv } from './config/env.js';
import { ApiKeyRepository } from './db/api-key.repository.js';
import { startOmsService, type OmsService } from './oms-service.js';
import { createSlackBot, EVENTS_PATH, refuseUntilConnected, type SlackBot } from './slack/app.js';
import { type EnvSource, oauthRequested, parseSlackConfig, slackConfigured } from './slack/config.js';
import { ensureSlackBotKey } from './slack-bot-key.js';

export interface Deployment {
  readonly service: OmsService;
  readonly port: number;
  /** The Slack bot running beside the OMS, or null when no Slack is configured. */
  readonly bot: SlackBot | null;
  /** Stops the bot, then the OMS (requests in flight answered, commits drained, database closed). */
  stop(): Promise<void>;
}

export interface DeploymentOptions {
  readonly logger?: Logger;
}

/**
 * What `npm start` runs: the OMS, feed and dashboard, and the Slack bot beside them when Slack
 * credentials are set (its /slack/events on the OMS's port; it still reaches the OMS only over HTTP,
 * as it does as its own service). The OMS serves whatever Slack does: the bot connects in the
 * background and /health says how that goes (`slack`). Throws a ConfigError or SlackConfigError for
 * bad settings before anything starts.
 */
export async function startDeployment(source: EnvSource = process.env, options: DeploymentOptions = {}): Promise<Deployment> {
  const env = loadEnv(source);
  const withSlack = slackConfigured(source);
  // In Socket Mode, Slack's requests come over the socket: nothing to serve on /slack/events.
  const overHttp = withSlack && !source.SLACK_APP_TOKEN?.trim();
  if (withSlack) {
    // A bad Slack setting stops the start here, before the OMS runs. The key and database this
    // check stands in for are known only once the OMS runs, and are checked again then.
    parseSlackConfig({ ...source, SLACK_OMS_API_KEY: 'checked-later', SLACK_DATABASE_URL: source.SLACK_DATABASE_URL?.trim() || source.DATABASE_URL?.trim() || 'postgres://checked-later/' });
  }
  let bot: SlackBot | null = null;
  const service = await startOmsService(env, {
    logger: options.logger,
    mount: overHttp
      ? (app) => {
          app.use((req, res, next) => {
            if (bot?.receiver) bot.receiver.router(req, res, next);
            else if (req.method === 'POST' && req.path === EVENTS_PATH) refuseUntilConnected(res, 'connecting');
            else next();
          });
        }
      : undefined,
    healthComponents: () => ({ slack: withSlack ? (bot?.state ?? 'connecting') : 'off' }),
  });
  try {
    if (withSlack) {
      const logger = service.logger.child({ name: 'slack' });
      const configuredKey = source.SLACK_OMS_API_KEY?.trim();
      const signingSecret = source.SLACK_SIGNING_SECRET!.trim();
      // Made once and found again on every later start: restarts never mint keys.
      // Installed in many workspaces, the bot makes each one's desk: its own key then has the operator scope.
      const omsKey =
        configuredKey || (await ensureSlackBotKey(new ApiKeyRepository(service.prisma), signingSecret, logger, { makesDesks: oauthRequested(source) }));
      const config = parseSlackConfig({
        ...source,
        OMS_URL: source.OMS_URL?.trim() || `http://127.0.0.1:${service.port}`,
        SLACK_DATABASE_URL: source.SLACK_DATABASE_URL?.trim() || service.databaseUrl,
        SLACK_OMS_API_KEY: omsKey,
      });
      bot = createSlackBot(config, logger);
      bot.start();
    }
  } catch (error) {
    await service.stop().catch(() => undefined);
    throw error;
  }
  return {
    service,
    port: service.port,
    bot,
    async stop() {
      await bot?.stop();
      await service.stop();
    },
  };
}
