import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { buildErrorReply, buildInfoReply } from '../../blocks/error-reply.js';
import { readTicketContext, TICKET } from '../../blocks/trade-ticket.js';
import { readTradeTicket } from '../../commands/trade-ticket-form.js';
import type { SlackDeps } from '../../deps.js';
import { explainError } from '../../error-help.js';
import { placeFromSlack } from '../../trading/place-order.js';
import { choosePortfolio, NO_PORTFOLIO } from '../../trading/portfolio-choice.js';
import { notifyUser } from '../replies.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/**
 * Trade-ticket submission. Field problems keep the modal open with the error under the field; only
 * checks that take no network round trip to the OMS run before the ack (Slack waits 3 s at most).
 * The order is then placed like a `/trade`; OMS refusals arrive as an ephemeral message.
 */
export function tradeTicketSubmission(deps: SlackDeps) {
  return async ({ ack, view, body, client }: Args): Promise<void> => {
    const read = readTradeTicket(view.state.values);
    if (!read.ok) {
      await ack({ response_action: 'errors', errors: read.errors });
      return;
    }
    const user = body.user.id;
    const origin = readTicketContext(view.private_metadata);
    const team = origin?.team ?? body.team?.id ?? body.user.team_id ?? '';
    // Opened without a channel (should not happen from /trade): confirm in the user's DM with the bot.
    const channel = origin?.channel ?? user;

    const portfolio = await choosePortfolio(deps, team, channel, read.order.portfolio).catch((e: unknown) => {
      deps.logger.warn({ err: e }, 'channel default not read');
      return undefined;
    });
    if (!portfolio) {
      await ack({ response_action: 'errors', errors: { [TICKET.portfolio.block]: NO_PORTFOLIO.replaceAll('`', '') } });
      return;
    }
    await ack();

    await deps.work.run(async () => {
      try {
        const placed = await placeFromSlack(deps, client, read.order, portfolio, { team, channel, user, requestKey: `view:${view.id}` });
        // 'direct': the confirmation itself went to the user's direct messages, saying why.
        if (placed.confirmation === 'failed') {
          const note = `Order ${placed.order.id} is placed, but I could not post in this channel (${placed.slackError}): invite me to see its fills here.`;
          await notifyUser(client, deps.logger, channel, user, buildInfoReply(note));
        }
      } catch (e) {
        await notifyUser(client, deps.logger, channel, user, buildErrorReply(explainError(e).text));
      }
    });
  };
}
