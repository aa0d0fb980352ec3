import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { buildErrorReply } from '../../blocks/error-reply.js';
import { buildOrderConfirmation } from '../../blocks/order-confirmation.js';
import type { SlackDeps } from '../../deps.js';
import { explainError } from '../../error-help.js';
import { isOmsError } from '../../oms-client.js';
import { refreshConfirmation } from '../../trading/refresh-confirmation.js';
import { replyEphemeral } from '../replies.js';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/**
 * Approve or Reject on an approval request: the OMS decides for the member who clicked (it refuses the
 * order's placer and anyone without the approver role, answered to the clicker alone); once decided,
 * the request becomes the order's confirmation, saying who decided.
 */
export function decideOrderAction(deps: SlackDeps, decision: 'approve' | 'reject') {
  return async ({ ack, action, body, respond, client }: Args): Promise<void> => {
    await ack();
    await deps.decisions.run(async () => {
      const orderId = action.value ?? '';
      const team = body.team?.id ?? body.user.team_id ?? '';
      const who = deps.oms.as({ team, user: body.user.id, channel: body.channel?.id ?? '' });
      try {
        const order = decision === 'approve' ? await who.approveOrder(orderId) : await who.rejectOrder(orderId);
        deps.awaitingApproval.delete(order.id);
        const line = `${decision === 'approve' ? 'Approved' : 'Rejected'} by <@${body.user.id}>`;
        const where = body.channel?.id && body.message?.ts ? { channel: body.channel.id, ts: body.message.ts } : null;
        if (decision === 'approve' && (order.fills?.length ?? 0) > 0) deps.wakeFillNotifier();
        // Queued as work of its own, after the decisions in flight: under a burst of clicks, each
        // decision reaches the OMS before the messages that report the earlier ones are posted.
        void deps.work.run(async () => {
          await deps.decisions.idle();
          if (!where) return refreshConfirmation(deps, client, order);
          await client.chat.update({ ...where, ...buildOrderConfirmation(order, line) }).catch((e: unknown) => deps.logger.warn({ err: e, orderId }, 'approval request not updated'));
        });
      } catch (e) {
        // Decided meanwhile (by someone else, or expired): the request shows what became of it.
        if (isOmsError(e, 'ORDER_NOT_PENDING')) await deps.oms.getOrder(orderId).then((o) => refreshConfirmation(deps, client, o)).catch(() => undefined);
        await replyEphemeral(respond, deps.logger, buildErrorReply(explainError(e).text));
      }
    });
  };
}
