import type { AllMiddlewareArgs, RespondFn, SlackCommandMiddlewareArgs, webApi } from '@slack/bolt';
import { buildErrorReply, buildInfoReply, withNote } from '../../blocks/error-reply.js';
import { buildOrderConfirmation } from '../../blocks/order-confirmation.js';
import { buildTradeTicket } from '../../blocks/trade-ticket.js';
import { isHelpRequest, parseTrade, TRADE_USAGE, type TradeIntent } from '../../commands/trade-grammar.js';
import type { SlackDeps } from '../../deps.js';
import { bookFromSlack } from '../../trading/book-trade.js';
import { placeFromSlack, type SlackRequester } from '../../trading/place-order.js';
import { choosePortfolio, NO_PORTFOLIO } from '../../trading/portfolio-choice.js';
import { replyEphemeral, replyError } from '../replies.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/**
 * `/trade`. Acks at once: with the reply itself for help and bad text, empty otherwise. No text opens
 * the trade ticket first thing, since a trigger_id lives 3 s and works once.
 */
export function tradeCommand(deps: SlackDeps) {
  return async ({ command, ack, respond, client }: Args): Promise<void> => {
    const text = command.text ?? '';
    if (text.trim() === '') {
      await ack();
      try {
        const portfolio = await ticketPortfolio(deps, command.team_id, command.channel_id);
        await client.views.open({
          trigger_id: command.trigger_id,
          view: buildTradeTicket({ team: command.team_id, channel: command.channel_id }, { portfolio }),
        });
      } catch (e) {
        await replyError(respond, deps.logger, e, TRADE_USAGE);
      }
      return;
    }
    if (isHelpRequest(text)) {
      await ack({ response_type: 'ephemeral', ...buildInfoReply(TRADE_USAGE) });
      return;
    }
    const parsed = parseTrade(text);
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', ...buildErrorReply(parsed.error, TRADE_USAGE) });
      return;
    }
    await ack();
    const who = { team: command.team_id, channel: command.channel_id, user: command.user_id, requestKey: `command:${command.team_id}:${command.trigger_id}` };
    await deps.work.run(() => trade(deps, client, respond, parsed.order, who));
  };
}

/** How long the ticket waits for the channel's default before it opens without a portfolio filled in. */
const TICKET_LOOKUP_MS = 500;

/**
 * The portfolio the ticket shows: the one a command in this channel would use (its default, else the
 * bot's). A trigger_id expires in 3 s, so a slow lookup leaves the field empty instead; an empty field
 * is resolved the same way when the ticket is submitted.
 */
async function ticketPortfolio(deps: SlackDeps, team: string, channel: string): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), TICKET_LOOKUP_MS);
  });
  try {
    return await Promise.race([choosePortfolio(deps, team, channel).catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function trade(deps: SlackDeps, client: webApi.WebClient, respond: RespondFn, intent: TradeIntent, who: SlackRequester): Promise<void> {
  try {
    const portfolio = await choosePortfolio(deps, who.team, who.channel, intent.portfolio);
    if (!portfolio) {
      await replyEphemeral(respond, deps.logger, buildErrorReply(NO_PORTFOLIO, TRADE_USAGE));
      return;
    }
    if (intent.kind === 'gmv') {
      const booked = await bookFromSlack(deps, client, intent, portfolio, who);
      // Nothing follows a booked trade, so a confirmation Slack refused is shown to its author now.
      if (booked.confirmation === 'pending' || booked.confirmation === 'failed') {
        const note = booked.confirmation === 'failed' ? notPostedHere(booked.slackError) : 'Slack is busy, so the channel did not get this confirmation.';
        await replyEphemeral(respond, deps.logger, withNote(booked.message, note));
      }
      return;
    }
    const placed = await placeFromSlack(deps, client, intent, portfolio, who);
    if (placed.confirmation !== 'posted' && placed.confirmation !== 'replayed') {
      // The order is placed; tell its author privately when the channel did not get the confirmation.
      const note = {
        direct: `I could not post in this channel (${placed.slackError ?? 'unknown error'}), so this order's confirmation and fills go to our direct messages; invite me here to see them in the channel.`,
        failed: notPostedHere(placed.slackError),
        pending: 'Slack is busy; the confirmation and its fills will follow shortly.',
      }[placed.confirmation];
      await replyEphemeral(respond, deps.logger, withNote(buildOrderConfirmation(placed.order), note));
    }
  } catch (e) {
    await replyError(respond, deps.logger, e, TRADE_USAGE);
  }
}

const notPostedHere = (slackError?: string): string =>
  `I could not post in this channel (${slackError ?? 'unknown error'}); invite me to it to see confirmations and fills here.`;

