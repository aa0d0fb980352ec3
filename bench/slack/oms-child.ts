/**
 * The OMS of the Slack bench, in a process of its own (bench/slack/run.ts forks it): in production the
 * bot and the OMS are separate services, so they must not share one event loop in the bench either.
 * Gets its database from BENCH_OMS_DATABASE_URL, reports { baseUrl, adminKey } over IPC once listening
 * and stops on the message 'stop'.
 */
import { startTestOms } from '../../test/support/oms.js';

const databaseUrl = process.env.BENCH_OMS_DATABASE_URL;
if (!databaseUrl) throw new Error('BENCH_OMS_DATABASE_URL is not set');
// The bot and the bench script share the admin key: lift the per-key rate limit for the burst.
const oms = await startTestOms({ databaseUrl, env: { RATE_LIMIT_PER_MINUTE: '1000000' } });
process.send?.({ baseUrl: oms.baseUrl, adminKey: oms.adminKey });
process.on('message', (m) => {
  if (m !== 'stop') return;
  void oms.stop().finally(() => process.exit(0));
});
process.on('disconnect', () => {
  void oms.stop().finally(() => process.exit(0));
});
