import type { AllMiddlewareArgs, App, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { buildInfoReply } from '../../blocks/error-reply.js';
import { CANCEL_USAGE, ORDERS_USAGE, PORTFOLIO_USAGE, QUOTE_USAGE } from '../../commands/command-args.js';
import { isHelpRequest } from '../../commands/trade-grammar.js';
import type { SlackDeps } from '../../deps.js';
import { cancelCommand } from './cancel.js';
import { ordersCommand } from './orders.js';
import { portfolioCommand } from './portfolio.js';
import { quoteCommand } from './quote.js';
import { tradeCommand } from './trade.js';
import { leaderboardCommand } from './leaderboard.js';
import { pnlCommand } from './pnl.js';
import { LEADERBOARD_USAGE, PNL_USAGE } from '../../commands/pnl-args.js';
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

/** `/trade help` has its own, longer answer (trade.ts); the others answer `help` with their usage. */
const USAGE: Partial<Record<keyof typeof SLASH_COMMANDS, string>> = {
  '/portfolio': PORTFOLIO_USAGE,
  '/orders': ORDERS_USAGE,
  '/cancel': CANCEL_USAGE,
  '/quote': QUOTE_USAGE,
  '/leaderboard': LEADERBOARD_USAGE,
  '/pnl': PNL_USAGE,
  '/halt': HALT_USAGE,
  '/resume': RESUME_USAGE,
  '/reduce-only': REDUCE_ONLY_USAGE,
};

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export function register(app: App, deps: SlackDeps): void {
  for (const [name, listener] of Object.entries(SLASH_COMMANDS)) {
    const handle = listener(deps);
    const usage = USAGE[name as keyof typeof SLASH_COMMANDS];
    app.command(name, async (args: CommandArgs) => {
      // "help" is no portfolio, symbol or order id: it always means the usage.
      if (usage !== undefined && isHelpRequest(args.command.text ?? '')) {
        await args.ack({ response_type: 'ephemeral', ...buildInfoReply(usage) });
        return;
      }
      await handle(args);
    });
  }
}
