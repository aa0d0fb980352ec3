import { pino } from 'pino';
import { loadDotEnvOrExit } from '../config/dotenv.js';
import { startSlackService } from './service.js';

/**
 * The bot as its own service (`npm run start:slack`): /health and, in HTTP mode, /slack/events on
 * SLACK_PORT (default 3001); Socket Mode when SLACK_APP_TOKEN is set. It keeps retrying Slack rather
 * than exit. SIGINT/SIGTERM stop it cleanly.
 */
loadDotEnvOrExit();
const logger = pino({ name: 'slack', level: process.env.LOG_LEVEL ?? 'info' });

async function main(): Promise<void> {
  const service = await startSlackService(process.env, logger);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping the Slack bot');
    service.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((e: unknown) => {
  // A configuration error is one line naming the variables; anything else (the port taken) is
  // logged with its cause.
  logger.fatal(e instanceof Error && e.name === 'SlackConfigError' ? e.message : { err: e }, 'the Slack bot could not start');
  process.exit(1);
});
