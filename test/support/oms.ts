import { pino } from 'pino';
import { loadEnv } from '../../src/config/env.js';
import { startOmsService, type OmsService } from '../../src/oms-service.js';
import { createTestDatabase } from './database.js';

export interface TestOms {
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly databaseUrl: string;
  readonly port: number;
  readonly service: OmsService;
  stop(): Promise<void>;
}

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';

/**
 * An end of day twelve hours from now (HH:MM UTC). With the default (21:00) a run that crosses it
 * would see the OMS expire the resting DAY orders (the API's default) in the middle of a test.
 */
function dayEndFarFromNow(): string {
  const at = new Date(Date.now() + 12 * 3600_000);
  return `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')}`;
}

/**
 * The real OMS on an ephemeral port over a fresh migrated PostgreSQL database, with the simulator
 * and the house market maker off so books hold only the test's orders. Passing the same port and
 * databaseUrl restarts it on the same data.
 */
export async function startTestOms(
  opts: { port?: number; databaseUrl?: string; env?: Record<string, string> } = {},
): Promise<TestOms> {
  let dropDatabase: (() => Promise<void>) | null = null;
  let databaseUrl = opts.databaseUrl;
  if (!databaseUrl) {
    const db = await createTestDatabase();
    databaseUrl = db.url;
    dropDatabase = db.drop;
  }
  const env = loadEnv({
    NODE_ENV: 'test',
    PORT: String(opts.port ?? 0),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    OMS_API_KEY: TEST_ADMIN_KEY,
    SIMULATOR_ENABLED: 'false',
    MARKET_MAKER_ENABLED: 'false',
    DAY_END_UTC: dayEndFarFromNow(),
    ...opts.env,
  });
  const service = await startOmsService(env, { logger: pino({ level: 'silent' }) });
  return {
    baseUrl: `http://127.0.0.1:${service.port}`,
    adminKey: TEST_ADMIN_KEY,
    databaseUrl,
    port: service.port,
    service,
    async stop() {
      await service.stop();
      // The database outlives a stop so a restart can reuse it; it is dropped with the run.
      void dropDatabase;
    },
  };
}
