import { buildErrorReply, buildInfoReply } from '../../blocks/error-reply.js';
import { describeCurve, renderEquityChart } from '../../charts/equity-chart.js';
import { formatMinute, parsePnlArgs, PNL_USAGE } from '../../commands/pnl-args.js';
import { shareFile } from '../../files/external-upload.js';
import { subscribeDigest, unsubscribeDigest } from '../../store/digests.js';
import { choosePortfolio } from '../../trading/portfolio-choice.js';
import { replyEphemeral, replyInChannel } from '../replies.js';
import { parsedCommand } from './parsed-command.js';

const NO_CHART_PORTFOLIO = 'Which portfolio? Name it (`/pnl Tech Portfolio week`), or set this channel\'s default with `/portfolio use <name>`.';

/** Slack's Web API errors carry their code here (`not_in_channel`, `channel_not_found`, ...). */
const slackErrorCode = (e: unknown): string | undefined => (e as { data?: { error?: unknown } } | null)?.data?.error as string | undefined;

/**
 * `/pnl [portfolio] [period]`: the portfolio's equity curve as a PNG, drawn here and shared in the
 * channel with Slack's external upload flow. `/pnl digest HH:MM` and `/pnl digest off` subscribe
 * the channel to the daily leaderboard, or stop it.
 */
export const pnlCommand = parsedCommand(PNL_USAGE, parsePnlArgs, async (deps, { args: value, command, respond, client, oms }) => {
  // A digest posts the desk's leaderboard here every day: only a member the OMS lets read it now
  // may set one up or stop it.
  if (value.kind === 'digest' || value.kind === 'digest-off') {
    await oms.leaderboard('day');
  }
  if (value.kind === 'digest') {
    await subscribeDigest(deps.db, command.team_id, command.channel_id, value.atMinute, command.user_id, new Date());
    const at = formatMinute(value.atMinute);
    await replyInChannel(respond, deps.logger, buildInfoReply(`<@${command.user_id}> subscribed this channel to the daily digest: the leaderboard at ${at} UTC every day. \`/pnl digest off\` stops it.`));
    return;
  }
  if (value.kind === 'digest-off') {
    const had = await unsubscribeDigest(deps.db, command.team_id, command.channel_id);
    const text = had ? `<@${command.user_id}> stopped this channel's daily digest.` : 'This channel has no daily digest.';
    await (had ? replyInChannel : replyEphemeral)(respond, deps.logger, buildInfoReply(text));
    return;
  }
  const name = await choosePortfolio(deps, command.team_id, command.channel_id, value.portfolio);
  if (!name) {
    await replyEphemeral(respond, deps.logger, buildErrorReply(NO_CHART_PORTFOLIO, PNL_USAGE));
    return;
  }
  const curve = await oms.equityCurve(name, value.period);
  const title = describeCurve(curve);
  try {
    await shareFile(client, {
      bytes: renderEquityChart(curve),
      filename: `equity-${curve.portfolio_name.replace(/[^A-Za-z0-9_-]+/g, '-')}-${curve.period}.png`,
      title,
      altText: `Equity curve of ${title}`,
      channel: command.channel_id,
      comment: `<@${command.user_id}> ${title}`,
    });
  } catch (e) {
    const code = slackErrorCode(e);
    deps.logger.warn({ err: e, code }, 'equity picture not shared');
    const why = code === 'not_in_channel' || code === 'channel_not_found' ? 'invite the bot to this channel (`/invite @paperdesk`) and try again' : 'try again in a moment';
    await replyEphemeral(respond, deps.logger, buildErrorReply(`The picture could not be posted here (${code ?? (e as Error).message}): ${why}. ${title}.`));
  }
});
