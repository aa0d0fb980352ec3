import { pino } from 'pino';
import { loadDotEnvOrExit } from '../config/dotenv.js';
import { createSlackBot } from './app.js';
import { parseSlackConfig } from './config.js';

/**
 * The bot as its own service (`npm run start:slack`): HTTP on SLACK_PORT (default 3001), or Socket
 * Mode when SLACK_APP_TOKEN is set. SIGINT/SIGTERM stop it cleanly.
 */
loadDotEnvOrExit();
const logger = pino({ name: 'slack', level: process.env.LOG_LEVEL ?? 'info' });

async function main(): Promise<void> {
  const config = parseSlackConfig(process.env);
  const bot = createSlackBot(config, logger);
  // The platform's health check (render.yaml) for the bot as its own service.
  bot.receiver?.router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  try {
    await bot.start(config.port);
  } catch (e) {
    await bot.stop().catch(() => undefined);
    throw e;
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping the Slack bot');
    bot.stop().then(
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
  // A configuration error is one line naming the variables; anything else (Slack or the port
  // unreachable at start) is logged with its cause.
  logger.fatal(e instanceof Error && e.name === 'SlackConfigError' ? e.message : { err: e }, 'the Slack bot could not start');
  process.exit(1);
});
