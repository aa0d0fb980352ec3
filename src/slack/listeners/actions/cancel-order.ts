import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { buildErrorReply, buildInfoReply } from '../../blocks/error-reply.js';
import { describeOrder } from '../../blocks/format.js';
import { buildOpenOrders, MAX_LISTED_ORDERS } from '../../blocks/open-orders.js';
import type { SlackDeps } from '../../deps.js';
import { explainError } from '../../error-help.js';
import { publishHome } from '../../trading/app-home.js';
import { refreshConfirmation } from '../../trading/refresh-confirmation.js';
import { replyEphemeral } from '../replies.js';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/**
 * The Cancel button, wherever it is: on an `/orders` list (re-rendered in place), on App Home
 * (re-published) or on a confirmation (updated through refreshConfirmation, as for every cancel).
 */
export function cancelOrderAction(deps: SlackDeps) {
  return async ({ ack, action, body, respond, client }: Args): Promise<void> => {
    await ack();
    await deps.work.run(async () => {
      const orderId = action.value ?? '';
      const onHome = body.container?.type === 'view';
      const oms = deps.oms.as({ team: body.team?.id ?? body.user.team_id ?? '', user: body.user.id, ...(body.channel?.id ? { channel: body.channel.id } : {}) });
      try {
        const order = await oms.cancelOrder(orderId);
        const notice = `Canceled order ${order.id}: ${describeOrder(order)}.`;
        await refreshConfirmation(deps, client, order);
        if (onHome) {
          await publishHome(deps, client, body.team?.id ?? body.user.team_id ?? '', body.user.id, notice);
        } else if (body.container?.is_ephemeral) {
          const page = await oms.listOrders({ portfolio: order.portfolio_name, status: 'open', limit: MAX_LISTED_ORDERS });
          const list = buildOpenOrders(page.data, order.portfolio_name, page.next_cursor !== null);
          await respond({ replace_original: true, text: `${notice}\n${list.text}`, blocks: [...buildInfoReply(notice).blocks, ...list.blocks] });
        }
      } catch (e) {
        if (onHome) await publishHome(deps, client, body.team?.id ?? body.user.team_id ?? '', body.user.id, explainError(e).text).catch(() => undefined);
        else await replyEphemeral(respond, deps.logger, buildErrorReply(explainError(e).text));
      }
    });
  };
}
