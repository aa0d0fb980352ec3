import { buildLeaderboard } from '../../blocks/leaderboard.js';
import { LEADERBOARD_USAGE, parseLeaderboardArgs } from '../../commands/pnl-args.js';
import { replyInChannel } from '../replies.js';
import { parsedCommand } from './parsed-command.js';

/** `/leaderboard [day|week|month|all]`: the desk's portfolios ranked by return, in the channel. */
export const leaderboardCommand = parsedCommand(LEADERBOARD_USAGE, parseLeaderboardArgs, async (deps, { args: period, respond, oms }) => {
  await replyInChannel(respond, deps.logger, buildLeaderboard(await oms.leaderboard(period)));
});
