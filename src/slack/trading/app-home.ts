import type { webApi } from '@slack/bolt';
import { buildAppHome } from '../blocks/app-home.js';
import type { SlackDeps } from '../deps.js';
import { explainError } from '../error-help.js';
import type { Order, PortfolioListItem } from '../oms-types.js';
import { slackUserId } from './place-order.js';

/** GET /orders has no user filter; one page of open orders is read and the user's kept. */
const OPEN_ORDERS_SCANNED = 500;

/**
 * Publishes a user's App Home: their open orders and the desk's portfolios. If the OMS cannot be
 * read, the Home still opens, saying so, rather than staying stale.
 */
export async function publishHome(deps: SlackDeps, client: webApi.WebClient, team: string, user: string, notice?: string): Promise<void> {
  let portfolios: PortfolioListItem[] = [];
  let orders: Order[] = [];
  let problem: string | undefined;
  try {
    const me = slackUserId(team, user);
    const [list, open] = await Promise.all([deps.oms.listPortfolios(), deps.oms.listOrders({ status: 'open', limit: OPEN_ORDERS_SCANNED })]);
    portfolios = list;
    orders = open.data.filter((o) => o.user_id === me);
  } catch (e) {
    problem = explainError(e).text;
  }
  const text = [notice, problem].filter(Boolean).join(' ');
  await client.views.publish({ user_id: user, view: buildAppHome({ portfolios, orders, ...(text ? { notice: text } : {}) }) });
}
