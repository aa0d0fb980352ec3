import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { loadEnv } from '../../src/config/env.js';
import { startOmsService } from '../../src/oms-service.js';
import { ApiKeyRepository } from '../../src/db/api-key.repository.js';

/** The real OMS over a fresh embedded PostgreSQL (durable commits: fsync on), as `npm start` runs it. */
const dataDir = join(tmpdir(), `paper-desk-bench-${process.pid}`);
const env = loadEnv({
  DATA_DIR: dataDir,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  SIMULATOR_ENABLED: 'false',
  MARKET_MAKER_ENABLED: 'false',
  RATE_LIMIT_PER_MINUTE: '100000000',
});
const service = await startOmsService(env, { logger: pino({ level: 'silent' }) });
const { key } = await new ApiKeyRepository(service.prisma).create({ name: 'bench', scopes: ['trade', 'read'], portfolios: [] });
const actor = { keyId: null, name: 'bench' };
for (const name of ['BENCH-A', 'BENCH-B', 'BENCH-C', 'BENCH-D']) {
  await service.oms.createPortfolio({ name, startingCash: 10n ** 16n, allowShort: true }, actor);
}
process.send?.({ port: service.port, key });
process.on('message', async (msg: { type: string }) => {
  if (msg.type !== 'stats') return;
  const rows = await service.prisma.$queryRawUnsafe<{ orders: bigint; trades: bigint }[]>(
    `SELECT (SELECT count(*) FROM orders WHERE portfolio_id IN (SELECT id FROM portfolios WHERE name LIKE 'BENCH-%')) AS orders,
            (SELECT count(*) FROM trades) AS trades`,
  );
  process.send?.({ orders: Number(rows[0].orders), trades: Number(rows[0].trades), rss: process.memoryUsage().rss });
});
process.on('disconnect', async () => {
  await service.stop();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
});
