import type { webApi } from '@slack/bolt';
import { buildAppHome } from '../blocks/app-home.js';
import type { SlackDeps } from '../deps.js';
import { explainError } from '../error-help.js';
import type { Member, Order, PortfolioListItem } from '../oms-types.js';
import { describeAccess } from '../blocks/members.js';
import { isOmsError } from '../oms-client.js';
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
  let access: string | undefined;
  let members: Member[] | undefined;
  const me = slackUserId(team, user);
  // The OMS answers as it would to this user's commands: their role decides what the Home shows.
  const oms = deps.oms.as({ team, user });
  try {
    const view = await oms.getMember(me);
    access = describeAccess(view);
    if (view.role === 'admin') members = await oms.listMembers();
  } catch (e) {
    deps.logger.warn({ err: e }, 'the member behind App Home not read');
  }
  try {
    const [list, open] = await Promise.all([oms.listPortfolios(), oms.listOrders({ status: 'open', limit: OPEN_ORDERS_SCANNED })]);
    portfolios = list;
    orders = open.data.filter((o) => o.user_id === me);
  } catch (e) {
    // A stranger's refusal says the same as their access line above: said once.
    if (access === undefined || !isOmsError(e, 'NOT_A_MEMBER')) problem = explainError(e).text;
  }
  const text = [notice, problem].filter(Boolean).join(' ');
  const data = { portfolios, orders, ...(text ? { notice: text } : {}), ...(access ? { access } : {}), ...(members ? { members } : {}) };
  await client.views.publish({ user_id: user, view: buildAppHome(data) });
}
