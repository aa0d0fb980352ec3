import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { createSlackBot, type SlackBot } from '../../../src/slack/app.js';
import { parseSlackConfig, type SlackConfig } from '../../../src/slack/config.js';
import type { SlackStandIn } from './slack-stand-in.js';

export const SIGNING_SECRET = 'test-signing-secret';

export interface RunningBot {
  readonly bot: SlackBot;
  readonly config: SlackConfig;
  /** The bot's /slack/events URL. */
  readonly eventsUrl: string;
  stop(): Promise<void>;
}

export interface BotOptions {
  readonly standIn: SlackStandIn;
  readonly omsUrl: string;
  readonly omsApiKey: string;
  readonly databaseUrl: string;
  readonly defaultPortfolio?: string;
  readonly fillPollMs?: number;
  /** Set: Socket Mode (the stand-in plays the WebSocket too); `eventsUrl` is then unused. */
  readonly appToken?: string;
}

/**
 * A real bot (Bolt, ExpressReceiver, signature checks) on an ephemeral port, talking to the Slack
 * stand-in and to the given OMS, connected to the stand-in (auth.test passed) when it resolves.
 */
export async function startBot(o: BotOptions): Promise<RunningBot> {
  const config = parseSlackConfig({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_API_URL: o.standIn.apiUrl,
    OMS_URL: o.omsUrl,
    SLACK_OMS_API_KEY: o.omsApiKey,
    SLACK_DATABASE_URL: o.databaseUrl,
    SLACK_DEFAULT_PORTFOLIO: o.defaultPortfolio,
    SLACK_FILL_POLL_MS: String(o.fillPollMs ?? 50),
    SLACK_APP_TOKEN: o.appToken,
  });
  const bot = createSlackBot(config, pino({ level: process.env.SLACK_TEST_LOG ?? 'silent' }));
  bot.start();
  await bot.connected();
  let server: Server | undefined;
  if (bot.receiver) {
    const app = express().use(bot.receiver.router);
    server = createServer(app);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  }
  const port = server ? (server.address() as AddressInfo).port : 0;
  return {
    bot,
    config,
    eventsUrl: `http://127.0.0.1:${port}/slack/events`,
    async stop() {
      if (server) {
        const closed = new Promise((resolve) => server!.close(resolve));
        server.closeIdleConnections();
        await closed;
      }
      await bot.stop();
    },
  };
}
