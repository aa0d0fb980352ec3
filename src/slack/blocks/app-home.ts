import type { types } from '@slack/bolt';
import type { Member, Order, PortfolioListItem } from '../oms-types.js';
import { memberBlocks } from './members.js';
import { escapeMrkdwn, money } from './format.js';
import { mrkdwn, plain } from './message.js';
import { MAX_LISTED_ORDERS, openOrderBlocks } from './open-orders.js';

export interface AppHomeData {
  readonly portfolios: readonly PortfolioListItem[];
  /** The user's own open orders (placed as slack:TEAM:USER). */
  readonly orders: readonly Order[];
  /** A one-off line on top, e.g. the outcome of a Cancel pressed on the Home tab. */
  readonly notice?: string;
  /** The user's role on the desk and whom to ask (mrkdwn, mentions included). */
  readonly access?: string;
  /** The desk's members, shown to its admins only. */
  readonly members?: readonly Member[];
}

/** Slack allows 100 blocks in a Home view; keep room for the fixed ones. */
const MAX_PORTFOLIOS = 40;

export function buildAppHome(data: AppHomeData): types.HomeView {
  const portfolios = data.portfolios.slice(0, MAX_PORTFOLIOS);
  return {
    type: 'home',
    blocks: [
      ...(data.notice ? [{ type: 'section' as const, block_id: 'notice', text: mrkdwn(`:information_source: ${escapeMrkdwn(data.notice)}`) }] : []),
      ...(data.access ? [{ type: 'section' as const, block_id: 'access', text: mrkdwn(data.access) }] : []),
      { type: 'header', text: plain('Your open orders') },
      ...(data.orders.length === 0 ? [{ type: 'context' as const, elements: [mrkdwn('No open orders. Place one with `/trade`.')] }] : openOrderBlocks(data.orders)),
      ...(data.orders.length > MAX_LISTED_ORDERS
        ? [{ type: 'context' as const, elements: [mrkdwn(`Showing the newest ${MAX_LISTED_ORDERS} of ${data.orders.length}.`)] }]
        : []),
      { type: 'divider' },
      { type: 'header', text: plain('Portfolios') },
      ...(portfolios.length === 0
        ? [{ type: 'context' as const, elements: [mrkdwn('No portfolios yet.')] }]
        : portfolios.map((p) => ({
            type: 'section' as const,
            block_id: `portfolio_${p.name}`.slice(0, 255),
            text: mrkdwn(`*${escapeMrkdwn(p.name)}*  ·  cash ${money(p.cash)}  ·  started with ${money(p.starting_cash)}`),
          }))),
      { type: 'context', elements: [mrkdwn('`/portfolio <name>` posts a full summary; `/portfolio use <name>` sets a channel\'s default.')] },
      ...(data.members ? [{ type: 'divider' as const }, ...memberBlocks(data.members)] : []),
    ],
  };
}
