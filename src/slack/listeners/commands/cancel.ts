import { buildInfoReply } from '../../blocks/error-reply.js';
import { describeOrder } from '../../blocks/format.js';
import { CANCEL_USAGE, parseOrderId } from '../../commands/command-args.js';
import { refreshConfirmation } from '../../trading/refresh-confirmation.js';
import { replyEphemeral } from '../replies.js';
import { parsedCommand } from './parsed-command.js';

/** `/cancel <order id>`; the order's confirmation, if it has one, shows the new status too. */
export const cancelCommand = parsedCommand(CANCEL_USAGE, parseOrderId, async (deps, { args: id, respond, client, oms }) => {
  const order = await oms.cancelOrder(id);
  await replyEphemeral(respond, deps.logger, buildInfoReply(`Canceled order \`${order.id}\`: ${describeOrder(order)}.`));
  await refreshConfirmation(deps, client, order);
});
