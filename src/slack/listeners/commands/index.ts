import type { App } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';
import { cancelCommand } from './cancel.js';
import { ordersCommand } from './orders.js';
import { portfolioCommand } from './portfolio.js';
import { quoteCommand } from './quote.js';
import { tradeCommand } from './trade.js';

/** The slash commands; slack/manifest.yml declares exactly these (test/slack/manifest.test.ts). */
export const SLASH_COMMANDS = {
  '/trade': tradeCommand,
  '/portfolio': portfolioCommand,
  '/orders': ordersCommand,
  '/cancel': cancelCommand,
  '/quote': quoteCommand,
} as const;

export function register(app: App, deps: SlackDeps): void {
  for (const [name, listener] of Object.entries(SLASH_COMMANDS)) app.command(name, listener(deps));
}
