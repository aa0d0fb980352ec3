/**
 * The Slack bot of the bench, in a process of its own (bench/slack/run.ts forks it): in production the
 * bot shares its event loop neither with the OMS nor with Slack, so in the bench it shares it neither
 * with the OMS (its own child) nor with the load generator and the Slack stand-in (the parent).
 * Gets its settings from BENCH_BOT (JSON), reports { eventsUrl } over IPC and stops on 'stop'.
 */
import { startBot } from '../../test/slack/support/bot-harness.js';
import type { SlackStandIn } from '../../test/slack/support/slack-stand-in.js';

const o = JSON.parse(process.env.BENCH_BOT ?? 'null') as { apiUrl: string; omsUrl: string; omsApiKey: string; databaseUrl: string; fillPollMs: number } | null;
if (!o) throw new Error('BENCH_BOT is not set');
// startBot only reads the stand-in's Web API URL; the stand-in itself runs in the parent.
const bot = await startBot({ ...o, standIn: { apiUrl: o.apiUrl } as SlackStandIn });
process.send?.({ eventsUrl: bot.eventsUrl });
let stopping: Promise<void> | undefined;
const stop = () => (stopping ??= bot.stop().finally(() => process.exit(0)));
process.on('message', (m) => {
  if (m === 'stop') void stop();
});
process.on('disconnect', () => void stop());
