import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { loadEnv } from '../../src/config/env.js';
import { startOmsService } from '../../src/oms-service.js';
import { ApiKeyRepository } from '../../src/db/api-key.repository.js';

/**
 * The real OMS over a fresh embedded PostgreSQL (durable commits: fsync on), as `npm start` runs it.
 * BENCH_DESKS=N spreads the same portfolios over N desks (made over the API, as an operator would),
 * and hands the load generator one key per desk.
 */
const dataDir = join(tmpdir(), `paper-desk-bench-${process.pid}`);
const desks = Number(process.env.BENCH_DESKS ?? 1);
const operatorKey = `bench-operator-${process.pid}-0123456789abcdef`;
const env = loadEnv({
  OMS_API_KEY: operatorKey,
  DATA_DIR: dataDir,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  SIMULATOR_ENABLED: 'false',
  MARKET_MAKER_ENABLED: 'false',
  RATE_LIMIT_PER_MINUTE: '100000000',
});
const service = await startOmsService(env, { logger: pino({ level: 'silent' }) });
const portfolios = ['BENCH-A', 'BENCH-B', 'BENCH-C', 'BENCH-D'];
const keys: string[] = [];
if (desks <= 1) {
  keys.push((await new ApiKeyRepository(service.prisma).create({ name: 'bench', scopes: ['trade', 'read'], portfolios: [] })).key);
  const actor = { keyId: null, name: 'bench' };
  for (const name of portfolios) await service.oms.createPortfolio({ name, startingCash: 10n ** 16n, allowShort: true }, actor);
} else {
  const api = (path: string, key: string, body: unknown) =>
    fetch(`http://127.0.0.1:${service.port}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(body) }).then(
      async (r) => (r.ok ? r.json() : Promise.reject(new Error(`${path}: ${r.status} ${await r.text()}`))),
    );
  for (let d = 0; d < desks; d++) {
    const made = (await api('/desks', operatorKey, { name: `bench desk ${d}` })) as { admin_key: string };
    keys.push(made.admin_key);
    for (const name of portfolios) await api('/portfolios', made.admin_key, { name, starting_cash: '1000000000000', allow_short: true });
  }
}
process.send?.({ port: service.port, key: keys[0], keys });
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
