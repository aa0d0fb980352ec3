import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { type Deployment, startDeployment } from '../../../src/deployment.js';
import { TEST_ADMIN_KEY } from '../../support/oms.js';
import { SIGNING_SECRET } from './bot-harness.js';
import { send, slashCommand, type SentResponse } from './signed-request.js';

/** One line of the service's log, as pino wrote it. */
export type LogLine = { level: number; msg: string; slack?: string; [field: string]: unknown };

export interface RunningDesk {
  readonly desk: Deployment;
  readonly baseUrl: string;
  /** Everything logged so far (debug and up). */
  readonly logs: LogLine[];
  health(): Promise<{ status: number; body: Record<string, unknown> }>;
  /** A signed slash command to the desk's own /slack/events. */
  command(command: string, text: string, responseUrl: string): Promise<SentResponse>;
  /** Active (unrevoked) API keys, over the REST API. */
  activeKeys(): Promise<{ id: number; name: string; scopes: string[] }[]>;
  stop(): Promise<void>;
}

/**
 * What `npm start` runs (the same start function), in this process, on a test database and an
 * ephemeral port, with no simulator or market maker. `env` adds or overrides variables (Slack's
 * among them); the bot retries Slack every 20 ms at first, 200 ms at most, so tests see it recover fast.
 */
export async function runDesk(databaseUrl: string, env: Record<string, string | undefined> = {}): Promise<RunningDesk> {
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const desk = await startDeployment(
    {
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      OMS_API_KEY: TEST_ADMIN_KEY,
      SIMULATOR_ENABLED: 'false',
      MARKET_MAKER_ENABLED: 'false',
      SLACK_RETRY_MIN_MS: '20',
      SLACK_RETRY_MAX_MS: '200',
      ...env,
    },
    { logger },
  );
  const baseUrl = `http://127.0.0.1:${desk.port}`;
  return {
    desk,
    baseUrl,
    logs,
    async health() {
      const res = await fetch(`${baseUrl}/health`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    command(command, text, responseUrl) {
      return send(`${baseUrl}/slack/events`, slashCommand(env.SLACK_SIGNING_SECRET ?? SIGNING_SECRET, { command, text, response_url: responseUrl }));
    },
    async activeKeys() {
      const res = await fetch(`${baseUrl}/api/v1/keys`, { headers: { 'x-api-key': TEST_ADMIN_KEY } });
      if (res.status !== 200) throw new Error(`GET /keys answered ${res.status}`);
      const { data } = (await res.json()) as { data: { id: number; name: string; scopes: string[]; revoked_at: string | null }[] };
      return data.filter((k) => k.revoked_at === null).map(({ id, name, scopes }) => ({ id, name, scopes }));
    },
    stop: () => desk.stop(),
  };
}

/** A port nothing listens on (it was free a moment ago): a Slack that does not answer. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

/** The Slack settings of a bot in HTTP mode talking to the Web API at `apiUrl`. */
export function slackEnv(apiUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return { SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_API_URL: apiUrl, ...extra };
}
