import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { buildErrorReply, buildInfoReply } from '../../blocks/error-reply.js';
import { escapeMrkdwn } from '../../blocks/format.js';
import { buildPortfolioSummary } from '../../blocks/portfolio-summary.js';
import { parsePortfolioArgs, PORTFOLIO_USAGE } from '../../commands/command-args.js';
import type { SlackDeps } from '../../deps.js';
import { setChannelDefault } from '../../store/channel-defaults.js';
import { choosePortfolio, NO_PORTFOLIO } from '../../trading/portfolio-choice.js';
import { replyEphemeral, replyError, replyInChannel } from '../replies.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** `/portfolio [name]` posts the summary in the channel; `/portfolio use <name>` sets the channel default. */
export function portfolioCommand(deps: SlackDeps) {
  return async ({ command, ack, respond }: Args): Promise<void> => {
    const args = parsePortfolioArgs(command.text ?? '');
    if (!args.ok) {
      await ack({ response_type: 'ephemeral', ...buildErrorReply(args.error, PORTFOLIO_USAGE) });
      return;
    }
    await ack();
    await deps.work.run(async () => {
      try {
        if (args.value.kind === 'use') {
          // Read it first: a typo must fail now, not at the next /trade; and keep the OMS's spelling.
          const summary = await deps.oms.as({ team: command.team_id, user: command.user_id, channel: command.channel_id }).getPortfolio(args.value.name);
          await setChannelDefault(deps.db, command.team_id, command.channel_id, summary.name);
          await replyInChannel(
            respond,
            deps.logger,
            buildInfoReply(`<@${command.user_id}> set this channel's portfolio to *${escapeMrkdwn(summary.name)}*: \`/trade\` and \`/orders\` use it from now on.`),
          );
          return;
        }
        const name = await choosePortfolio(deps, command.team_id, command.channel_id, args.value.name);
        if (!name) {
          await replyEphemeral(respond, deps.logger, buildErrorReply(NO_PORTFOLIO, PORTFOLIO_USAGE));
          return;
        }
        await replyInChannel(respond, deps.logger, buildPortfolioSummary(await deps.oms.as({ team: command.team_id, user: command.user_id, channel: command.channel_id }).getPortfolio(name)));
      } catch (e) {
        await replyError(respond, deps.logger, e, PORTFOLIO_USAGE);
      }
    });
  };
}
