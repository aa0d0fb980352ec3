import { buildErrorReply, buildInfoReply } from '../../blocks/error-reply.js';
import { escapeMrkdwn } from '../../blocks/format.js';
import { buildPortfolioSummary } from '../../blocks/portfolio-summary.js';
import { parsePortfolioArgs, PORTFOLIO_USAGE } from '../../commands/command-args.js';
import { setChannelDefault } from '../../store/channel-defaults.js';
import { choosePortfolio, NO_PORTFOLIO } from '../../trading/portfolio-choice.js';
import { replyEphemeral, replyInChannel } from '../replies.js';
import { parsedCommand } from './parsed-command.js';

/** `/portfolio [name]` posts the summary in the channel; `/portfolio use <name>` sets the channel default. */
export const portfolioCommand = parsedCommand(PORTFOLIO_USAGE, parsePortfolioArgs, async (deps, { args, command, respond, oms }) => {
  if (args.kind === 'use') {
    // Read it first: a typo must fail now, not at the next /trade; and keep the OMS's spelling.
    const summary = await oms.getPortfolio(args.name);
    await setChannelDefault(deps.db, command.team_id, command.channel_id, summary.name);
    await replyInChannel(
      respond,
      deps.logger,
      buildInfoReply(`<@${command.user_id}> set this channel's portfolio to *${escapeMrkdwn(summary.name)}*: \`/trade\` and \`/orders\` use it from now on.`),
    );
    return;
  }
  const name = await choosePortfolio(deps, command.team_id, command.channel_id, args.name);
  if (!name) {
    await replyEphemeral(respond, deps.logger, buildErrorReply(NO_PORTFOLIO, PORTFOLIO_USAGE));
    return;
  }
  await replyInChannel(respond, deps.logger, buildPortfolioSummary(await oms.getPortfolio(name)));
});
