import type { RespondFn, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { buildErrorReply } from '../blocks/error-reply.js';
import type { MessageContent } from '../blocks/message.js';
import { explainError } from '../error-help.js';

/**
 * Replies that must never throw: they run after the ack, when a failure could only become an
 * unhandled rejection. A reply that cannot be delivered is logged and dropped.
 */

export async function replyEphemeral(respond: RespondFn, logger: Logger, content: MessageContent): Promise<void> {
  try {
    await respond({ response_type: 'ephemeral', replace_original: false, ...content });
  } catch (e) {
    logger.warn({ err: e }, 'ephemeral reply not delivered');
  }
}

export async function replyInChannel(respond: RespondFn, logger: Logger, content: MessageContent): Promise<void> {
  try {
    await respond({ response_type: 'in_channel', ...content });
  } catch (e) {
    logger.warn({ err: e }, 'in-channel reply not delivered');
  }
}

/** What went wrong and, when given, the usage of the command, as an ephemeral reply. */
export async function replyError(respond: RespondFn, logger: Logger, error: unknown, usage?: string): Promise<void> {
  const explained = explainError(error);
  if (explained.code === 'INTERNAL') logger.error({ err: error }, 'unexpected error in a Slack listener');
  await replyEphemeral(respond, logger, buildErrorReply(explained.text, usage));
}

/**
 * For modal submissions, which have no response_url: an ephemeral message in the channel of origin,
 * else (a private channel or DM the bot is not in refuses both) a direct message from the bot, so the
 * user always hears what became of the ticket.
 */
export async function notifyUser(client: webApi.WebClient, logger: Logger, channel: string, user: string, content: MessageContent): Promise<void> {
  try {
    await client.chat.postEphemeral({ channel, user, ...content });
    return;
  } catch (e) {
    logger.warn({ err: e }, 'ephemeral notice not delivered; sending it as a direct message');
  }
  try {
    await client.chat.postMessage({ channel: user, ...content });
  } catch (e) {
    logger.warn({ err: e }, 'direct message not delivered either');
  }
}
