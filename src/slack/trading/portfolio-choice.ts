import type { SlackDeps } from '../deps.js';
import { getChannelDefault } from '../store/channel-defaults.js';

export const NO_PORTFOLIO =
  'Which portfolio? Add `in <portfolio>` to the command, or set this channel\'s default with `/portfolio use <name>`.';

/** The portfolio a command acts on: named in the command, else the channel's default, else the bot's. */
export async function choosePortfolio(deps: SlackDeps, team: string, channel: string, named?: string): Promise<string | undefined> {
  if (named) return named;
  return (await getChannelDefault(deps.db, team, channel)) ?? deps.config.defaultPortfolio;
}
