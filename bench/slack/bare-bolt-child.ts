/**
 * The baseline of bench/slack: a bare Bolt app (ExpressReceiver, signature checks on) whose `/trade`
 * listener acks and does nothing else. What the bot's ack costs beyond this is the bot's own doing.
 * In a process of its own, like the bot; reports { eventsUrl } over IPC and stops on 'stop'.
 */
import type { AddressInfo } from 'node:net';
import { App, ExpressReceiver, LogLevel } from '@slack/bolt';
import { SIGNING_SECRET } from '../../test/slack/support/bot-harness.js';

const receiver = new ExpressReceiver({ signingSecret: SIGNING_SECRET, endpoints: '/slack/events', processBeforeResponse: false });
// Fixed credentials: a single token would make Bolt call auth.test (Slack itself) on the first event.
const app = new App({ receiver, authorize: async () => ({ botToken: 'xoxb-bench', botId: 'B1', botUserId: 'U0' }), logLevel: LogLevel.ERROR });
app.command('/trade', async ({ ack }) => {
  await ack();
});
const server = (await app.start(0)) as { address(): AddressInfo };
process.send?.({ eventsUrl: `http://127.0.0.1:${server.address().port}/slack/events` });
const stop = () => void app.stop().finally(() => process.exit(0));
process.on('message', (m) => {
  if (m === 'stop') stop();
});
process.on('disconnect', stop);
