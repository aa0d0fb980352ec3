import type { webApi } from '@slack/bolt';
import type { MessageContent } from '../blocks/message.js';
import type { SlackDeps } from '../deps.js';
import { classifySlackFailure } from '../slack-failure.js';

/**
 * Posts a confirmation in the channel. Never throws: the trade is done whatever Slack says, so the
 * outcome tells the caller what to keep for later (pending: worth retrying; failed: Slack will not
 * take it in this channel, e.g. the bot is not a member).
 */
export async function postConfirmation(
  deps: SlackDeps,
  client: webApi.WebClient,
  channel: string,
  message: MessageContent,
): Promise<{ outcome: 'posted' | 'pending' | 'failed'; ts?: string; channel?: string; slackError?: string }> {
  try {
    const posted = await client.chat.postMessage({ channel, ...message });
    // `channel` is where it landed: for a user id, the bot's direct-message channel with that user.
    return { outcome: 'posted', ...(posted.ts ? { ts: posted.ts } : {}), ...(posted.channel ? { channel: posted.channel } : {}) };
  } catch (e) {
    const failure = classifySlackFailure(e);
    const slackError = failure.kind === 'rate_limited' ? 'ratelimited' : failure.code;
    deps.logger.warn({ channel, slackError }, 'confirmation not posted');
    return { outcome: failure.kind === 'permanent' ? 'failed' : 'pending', slackError };
  }
}
