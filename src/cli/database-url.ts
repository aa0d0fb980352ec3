import { resolve } from 'node:path';
import { loadEnv } from '../config/env.js';
import { runningEmbeddedUrl, startEmbeddedPostgres } from '../db/embedded-postgres.js';
import { applyMigrations } from '../db/migrator.js';
import { createPrismaClient, type PrismaClient } from '../db/prisma-client.js';
import { packageRoot } from '../oms-service.js';
import { join } from 'node:path';

/**
 * Opens the same database `npm start` uses: DATABASE_URL, or the embedded one under DATA_DIR
 * (the running service's server, or one started for the command when the service is not running).
 */
export async function withDatabase<T>(fn: (prisma: PrismaClient) => Promise<T>): Promise<T> {
  const env = loadEnv();
  let stop: (() => Promise<void>) | null = null;
  let url = env.DATABASE_URL;
  if (!url) {
    const dataDir = resolve(env.DATA_DIR, 'pg');
    url = runningEmbeddedUrl(dataDir) ?? undefined;
    if (!url) {
      const pg = await startEmbeddedPostgres({ dataDir, persistent: true });
      url = pg.url;
      stop = pg.stop;
    }
  }
  await applyMigrations(url, join(packageRoot(), 'prisma', 'migrations'));
  const prisma = createPrismaClient(url, { max: 2 });
  try {
    return await fn(prisma);
  } finally {
    await prisma.$disconnect();
    if (stop) await stop();
  }
}
