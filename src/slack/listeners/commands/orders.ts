import { buildErrorReply } from '../../blocks/error-reply.js';
import { buildOpenOrders, MAX_LISTED_ORDERS } from '../../blocks/open-orders.js';
import { ORDERS_USAGE, parseOrdersArgs } from '../../commands/command-args.js';
import { choosePortfolio, NO_PORTFOLIO } from '../../trading/portfolio-choice.js';
import { replyEphemeral } from '../replies.js';
import { parsedCommand } from './parsed-command.js';

/** `/orders [portfolio]`: the open orders, privately, each with a Cancel button. */
export const ordersCommand = parsedCommand(ORDERS_USAGE, parseOrdersArgs, async (deps, { args, command, respond, oms }) => {
  const name = await choosePortfolio(deps, command.team_id, command.channel_id, args.portfolio);
  if (!name) {
    await replyEphemeral(respond, deps.logger, buildErrorReply(NO_PORTFOLIO, ORDERS_USAGE));
    return;
  }
  const page = await oms.listOrders({ portfolio: name, status: 'open', limit: MAX_LISTED_ORDERS });
  // The OMS lists nothing for a name it does not know: a typo must not read as "no orders".
  if (page.data.length === 0) await oms.getPortfolio(name);
  await replyEphemeral(respond, deps.logger, buildOpenOrders(page.data, name, page.next_cursor !== null));
});
