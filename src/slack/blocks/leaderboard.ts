import type { types } from '@slack/bolt';
import type { Leaderboard } from '../oms-types.js';
import { escapeMrkdwn, money, signedMoney } from './format.js';
import { type MessageContent, mrkdwn, plain } from './message.js';

/** Slack allows 100 rows per table block; one is the header. */
const MAX_ROWS = 99;

const cell = (text: string): types.RawTextElement => ({ type: 'raw_text', text });

export const LEADERBOARD_COLUMNS = ['#', 'Portfolio', 'Return', 'P&L', 'Equity'] as const;

const PERIOD_TITLES: Record<Leaderboard['period'], string> = { day: 'today', week: 'this week', month: 'this month', all: 'since the start' };

/** "1.2345" -> "+1.2345%", "-0.50" -> "-0.50%", null -> "—". */
export function signedPercent(value: string | null): string {
  if (value === null) return '—';
  if (value.startsWith('-')) return `${value}%`;
  return /[1-9]/.test(value) ? `+${value}%` : `${value}%`;
}

/** `/leaderboard` and the daily digest: the ranking as a table, the leader named in the text. */
export function buildLeaderboard(board: Leaderboard, heading = 'Leaderboard'): MessageContent {
  const title = `${heading} ${PERIOD_TITLES[board.period]}`;
  const since = board.from === null ? 'from each portfolio\'s starting cash' : `since ${board.from.slice(0, 16).replace('T', ' ')} UTC`;
  const leader = board.data[0];
  const text = leader
    ? `${title}: ${board.data.length} portfolios, led by ${leader.portfolio_name} at ${signedPercent(leader.return_pct)} (${signedMoney(leader.pnl)})`
    : `${title}: no portfolios yet`;
  const shown = board.data.slice(0, MAX_ROWS);
  const body: types.KnownBlock[] =
    shown.length === 0
      ? [{ type: 'section', text: mrkdwn('No portfolios to rank yet: create one with the API, then trade.') }]
      : [
          {
            type: 'table',
            block_id: 'leaderboard',
            column_settings: [{ align: 'right' }, { align: 'left' }, { align: 'right' }, { align: 'right' }, { align: 'right' }],
            rows: [
              LEADERBOARD_COLUMNS.map(cell),
              ...shown.map((e) => [cell(String(e.rank)), cell(e.portfolio_name), cell(signedPercent(e.return_pct)), cell(signedMoney(e.pnl)), cell(money(e.equity))]),
            ],
          },
          ...(board.data.length > shown.length ? [{ type: 'context' as const, elements: [mrkdwn(`…and ${board.data.length - shown.length} more.`)] }] : []),
        ];
  return {
    text,
    blocks: [
      { type: 'header', text: plain(title) },
      ...body,
      { type: 'context', elements: [mrkdwn(`Return ${escapeMrkdwn(since)} to now · cash plus positions at reference prices · as of ${escapeMrkdwn(board.as_of)}`)] },
    ],
  };
}
