import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { buildErrorReply } from '../../blocks/error-reply.js';
import { buildOpenOrders, MAX_LISTED_ORDERS } from '../../blocks/open-orders.js';
import { ORDERS_USAGE, parseOrdersArgs } from '../../commands/command-args.js';
import type { SlackDeps } from '../../deps.js';
import { choosePortfolio, NO_PORTFOLIO } from '../../trading/portfolio-choice.js';
import { replyEphemeral, replyError } from '../replies.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** `/orders [portfolio]`: the open orders, privately, each with a Cancel button. */
export function ordersCommand(deps: SlackDeps) {
  return async ({ command, ack, respond }: Args): Promise<void> => {
    const args = parseOrdersArgs(command.text ?? '');
    if (!args.ok) {
      await ack({ response_type: 'ephemeral', ...buildErrorReply(args.error, ORDERS_USAGE) });
      return;
    }
    await ack();
    await deps.work.run(async () => {
      try {
        const name = await choosePortfolio(deps, command.team_id, command.channel_id, args.value.portfolio);
        if (!name) {
          await replyEphemeral(respond, deps.logger, buildErrorReply(NO_PORTFOLIO, ORDERS_USAGE));
          return;
        }
        const page = await deps.oms.as({ team: command.team_id, user: command.user_id, channel: command.channel_id }).listOrders({ portfolio: name, status: 'open', limit: MAX_LISTED_ORDERS });
        // The OMS lists nothing for a name it does not know: a typo must not read as "no orders".
        if (page.data.length === 0) await deps.oms.as({ team: command.team_id, user: command.user_id, channel: command.channel_id }).getPortfolio(name);
        await replyEphemeral(respond, deps.logger, buildOpenOrders(page.data, name, page.next_cursor !== null));
      } catch (e) {
        await replyError(respond, deps.logger, e, ORDERS_USAGE);
      }
    });
  };
}
