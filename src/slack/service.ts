import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Logger } from 'pino';
import { createSlackBot, type SlackBot } from './app.js';
import { type EnvSource, parseSlackConfig } from './config.js';

export interface SlackService {
  readonly bot: SlackBot;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * The bot as its own service (`npm run start:slack`): an HTTP server on SLACK_PORT with GET /health
 * and, in HTTP mode, POST /slack/events. It serves from the start, whatever Slack does; the bot
 * connects to Slack in the background. Throws a SlackConfigError for bad settings, or when the port
 * cannot be had.
 */
export async function startSlackService(env: EnvSource, logger: Logger): Promise<SlackService> {
  const config = parseSlackConfig(env);
  const bot = createSlackBot(config, logger);
  const app = express();
  app.disable('x-powered-by');
  // The platform's health check (render.yaml): the service is up; how its link to Slack is doing
  // is a field, since restarting the service would not make Slack answer sooner.
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', slack: bot.state });
  });
  if (bot.receiver) app.use(bot.receiver.router);
  const server = createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        reject(error.code === 'EADDRINUSE' ? new Error(`port ${config.port} is already in use: stop what holds it or set SLACK_PORT`) : error);
      });
      server.listen(config.port, () => resolve());
    });
  } catch (error) {
    await bot.stop().catch(() => undefined);
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const serving = bot.workspaces ? '/slack/events, /slack/install, /slack/oauth_redirect and /health' : '/slack/events and /health';
  logger.info({ port }, bot.receiver ? `Slack bot serving ${serving}` : 'Slack bot serving /health (Socket Mode)');
  bot.start();
  return {
    bot,
    port,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await bot.stop();
    },
  };
}
