import type { AllMiddlewareArgs, App, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';
import { cancelCommand } from './cancel.js';
import { ordersCommand } from './orders.js';
import { portfolioCommand } from './portfolio.js';
import { quoteCommand } from './quote.js';
import { tradeCommand } from './trade.js';
import { leaderboardCommand } from './leaderboard.js';
import { pnlCommand } from './pnl.js';
import { deskCommand } from './desk.js';
import { riskStateCommand } from './risk-state.js';
import { HALT_USAGE, REDUCE_ONLY_USAGE, RESUME_USAGE } from '../../commands/risk-args.js';

/** The slash commands; slack/manifest.yml declares exactly these (test/slack/manifest.test.ts). */
export const SLASH_COMMANDS = {
  '/trade': tradeCommand,
  '/portfolio': portfolioCommand,
  '/orders': ordersCommand,
  '/cancel': cancelCommand,
  '/quote': quoteCommand,
  '/leaderboard': leaderboardCommand,
  '/pnl': pnlCommand,
  '/desk': deskCommand,
  '/halt': riskStateCommand('HALTED', HALT_USAGE),
  '/resume': riskStateCommand('ACTIVE', RESUME_USAGE),
  '/reduce-only': riskStateCommand('REDUCING', REDUCE_ONLY_USAGE),
} as const;

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export function register(app: App, deps: SlackDeps): void {
  for (const [name, listener] of Object.entries(SLASH_COMMANDS)) {
    const handle = listener(deps);
    app.command(name, (args: CommandArgs) => handle(args));
  }
}
