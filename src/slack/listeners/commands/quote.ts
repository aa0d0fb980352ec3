import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { buildErrorReply } from '../../blocks/error-reply.js';
import { buildQuote } from '../../blocks/quote.js';
import { parseQuoteArgs, QUOTE_USAGE } from '../../commands/command-args.js';
import type { SlackDeps } from '../../deps.js';
import { replyError, replyInChannel } from '../replies.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** `/quote SYMBOL`: top of book, last and reference price, and where prices come from, in the channel. */
export function quoteCommand(deps: SlackDeps) {
  return async ({ command, ack, respond }: Args): Promise<void> => {
    const symbol = parseQuoteArgs(command.text ?? '');
    if (!symbol.ok) {
      await ack({ response_type: 'ephemeral', ...buildErrorReply(symbol.error, QUOTE_USAGE) });
      return;
    }
    await ack();
    await deps.work.run(async () => {
      try {
        const oms = deps.oms.as({ team: command.team_id, user: command.user_id, channel: command.channel_id });
        const [book, instrument] = await Promise.all([oms.getBook(symbol.value, 1), oms.getInstrument(symbol.value)]);
        await replyInChannel(respond, deps.logger, buildQuote(book, instrument));
      } catch (e) {
        await replyError(respond, deps.logger, e, QUOTE_USAGE);
      }
    });
  };
}
