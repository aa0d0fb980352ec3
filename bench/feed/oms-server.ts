/**
 * Child of bench/feed/run.ts: the real OMS (REST + WebSocket feed) over the PostgreSQL the parent
 * started (BENCH_DATABASE_URL), with the simulator and the house market maker off, as the tests run it.
 */
import { startTestOms } from '../../test/support/oms.js';
import { startProbes } from './sampler.js';

const databaseUrl = process.env.BENCH_DATABASE_URL;
if (!databaseUrl) throw new Error('BENCH_DATABASE_URL is not set');
const oms = await startTestOms({ databaseUrl, env: { RATE_LIMIT_PER_MINUTE: '100000000' } });
startProbes(oms.service.server);
process.send?.({ type: 'ready', port: oms.port, adminKey: oms.adminKey });
process.on('disconnect', () => {
  void oms.stop().finally(() => process.exit(0));
});
