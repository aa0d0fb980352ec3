import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { buildErrorReply } from '../../blocks/error-reply.js';
import { buildLeaderboard } from '../../blocks/leaderboard.js';
import { LEADERBOARD_USAGE, parseLeaderboardArgs } from '../../commands/pnl-args.js';
import type { SlackDeps } from '../../deps.js';
import { replyError, replyInChannel } from '../replies.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** `/leaderboard [day|week|month|all]`: the desk's portfolios ranked by return, in the channel. */
export function leaderboardCommand(deps: SlackDeps) {
  return async ({ command, ack, respond }: Args): Promise<void> => {
    const period = parseLeaderboardArgs(command.text ?? '');
    if (!period.ok) {
      await ack({ response_type: 'ephemeral', ...buildErrorReply(period.error, LEADERBOARD_USAGE) });
      return;
    }
    await ack();
    await deps.work.run(async () => {
      try {
        await replyInChannel(respond, deps.logger, buildLeaderboard(await deps.oms.as({ team: command.team_id, user: command.user_id, channel: command.channel_id }).leaderboard(period.value)));
      } catch (e) {
        await replyError(respond, deps.logger, e, LEADERBOARD_USAGE);
      }
    });
  };
}
