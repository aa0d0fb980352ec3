import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { createSlackBot, type SlackBot } from '../../../src/slack/app.js';
import { parseSlackConfig } from '../../../src/slack/config.js';
import { SIGNING_SECRET } from './bot-harness.js';
import { eventCallback, type SentResponse, send, slashCommand } from './signed-request.js';
import type { SlackStandIn } from './slack-stand-in.js';

export const CLIENT_ID = '1111.2222';
export const CLIENT_SECRET = 'client-secret-for-tests';
export const STATE_SECRET = 'state-secret-for-tests-0123456789abcdef';

/** A bot installed in many workspaces (OAuth), on an ephemeral port, against the stand-in and an OMS. */
export class OAuthBot {
  private constructor(
    readonly bot: SlackBot,
    private readonly server: Server,
    readonly baseUrl: string,
    private readonly standIn: SlackStandIn,
    /** Every line the bot logged, debug level and up. */
    readonly logs: string[],
  ) {}

  static async start(o: { standIn: SlackStandIn; omsUrl: string; omsApiKey: string; databaseUrl: string }): Promise<OAuthBot> {
    const config = parseSlackConfig({
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_CLIENT_ID: CLIENT_ID,
      SLACK_CLIENT_SECRET: CLIENT_SECRET,
      SLACK_STATE_SECRET: STATE_SECRET,
      SLACK_API_URL: o.standIn.apiUrl,
      OMS_URL: o.omsUrl,
      SLACK_OMS_API_KEY: o.omsApiKey,
      SLACK_DATABASE_URL: o.databaseUrl,
      SLACK_FILL_POLL_MS: '50',
    });
    const logs: string[] = [];
    const bot = createSlackBot(config, pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) }));
    bot.start();
    await bot.connected();
    const server = createServer(express().use(bot.receiver!.router));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new OAuthBot(bot, server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, o.standIn, logs);
  }

  /** The first leg as a browser takes it: /slack/install, redirected to Slack's consent page with a state cookie. */
  async startInstall(): Promise<{ status: number; location: URL; cookie: string; state: string }> {
    const res = await fetch(`${this.baseUrl}/slack/install`, { redirect: 'manual' });
    const location = new URL(res.headers.get('location') ?? 'about:blank');
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
    return { status: res.status, location, cookie, state: location.searchParams.get('state') ?? '' };
  }

  /** Slack sending the browser back to /slack/oauth_redirect. */
  async redirect(query: Record<string, string>, cookie?: string): Promise<{ status: number; html: string }> {
    const res = await fetch(`${this.baseUrl}/slack/oauth_redirect?${new URLSearchParams(query)}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
    return { status: res.status, html: await res.text() };
  }

  /** A whole install of one workspace by one of its users; resolves with the final page. */
  async install(team: { id: string; name: string }, user: string): Promise<{ status: number; html: string }> {
    const started = await this.startInstall();
    return this.redirect({ code: this.standIn.grantCode(team, user), state: started.state }, started.cookie);
  }

  command(team: string, command: string, text: string, replyId: string, fields: { channel_id?: string; user_id?: string } = {}): Promise<SentResponse> {
    return send(
      `${this.baseUrl}/slack/events`,
      slashCommand(SIGNING_SECRET, { command, text, response_url: this.standIn.responseUrl(replyId), team_id: team, trigger_id: `trigger-${randomUUID()}`, ...fields }),
    );
  }

  /** An Events API callback from a workspace (app_uninstalled, tokens_revoked). */
  event(team: string, event: Record<string, unknown>): Promise<SentResponse> {
    return send(`${this.baseUrl}/slack/events`, eventCallback(SIGNING_SECRET, event, { team }));
  }

  async stop(): Promise<void> {
    const closed = new Promise((resolve) => this.server.close(resolve));
    this.server.closeIdleConnections();
    await closed;
    await this.bot.stop();
  }
}
