import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { buildErrorReply, buildInfoReply } from '../../blocks/error-reply.js';
import { describeOrder } from '../../blocks/format.js';
import { CANCEL_USAGE, parseOrderId } from '../../commands/command-args.js';
import type { SlackDeps } from '../../deps.js';
import { refreshConfirmation } from '../../trading/refresh-confirmation.js';
import { replyEphemeral, replyError } from '../replies.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** `/cancel <order id>`; the order's confirmation, if it has one, shows the new status too. */
export function cancelCommand(deps: SlackDeps) {
  return async ({ command, ack, respond, client }: Args): Promise<void> => {
    const id = parseOrderId(command.text ?? '');
    if (!id.ok) {
      await ack({ response_type: 'ephemeral', ...buildErrorReply(id.error, CANCEL_USAGE) });
      return;
    }
    await ack();
    await deps.work.run(async () => {
      try {
        const order = await deps.oms.as({ team: command.team_id, user: command.user_id, channel: command.channel_id }).cancelOrder(id.value);
        await replyEphemeral(respond, deps.logger, buildInfoReply(`Canceled order \`${order.id}\`: ${describeOrder(order)}.`));
        await refreshConfirmation(deps, client, order);
      } catch (e) {
        await replyError(respond, deps.logger, e, CANCEL_USAGE);
      }
    });
  };
}
