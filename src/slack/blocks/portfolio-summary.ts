import type { types } from '@slack/bolt';
import type { PortfolioSummary, Position } from '../oms-types.js';
import { decimal, escapeMrkdwn, money, quantity, signedMoney } from './format.js';
import { type MessageContent, mrkdwn, plain } from './message.js';

/** Slack allows 100 rows per table block; one is the header. */
const MAX_POSITION_ROWS = 99;

const cell = (text: string): types.RawTextElement => ({ type: 'raw_text', text });

export const POSITION_COLUMNS = ['Symbol', 'Qty', 'Avg cost', 'Ref price', 'Market value', 'Unrealized P&L', 'Realized P&L'] as const;

function positionRow(p: Position): types.RawTextElement[] {
  return [
    cell(p.symbol),
    cell(quantity(p.quantity)),
    cell(p.avg_cost === null ? '—' : decimal(p.avg_cost)),
    cell(decimal(p.reference_price)),
    cell(money(p.market_value)),
    cell(signedMoney(p.unrealized_pnl)),
    cell(signedMoney(p.realized_pnl)),
  ];
}

/** `/portfolio`: cash, equity and P&L as fields, then the positions as a table. */
export function buildPortfolioSummary(summary: PortfolioSummary): MessageContent {
  const fields: [string, string][] = [
    ['Cash', money(summary.cash)],
    ['Equity', money(summary.equity)],
    ['Market value', money(summary.market_value)],
    ['Total P&L', signedMoney(summary.total_pnl)],
    ['Unrealized P&L', signedMoney(summary.unrealized_pnl)],
    ['Realized P&L', signedMoney(summary.realized_pnl)],
    ['GMV', money(summary.gmv)],
    ['Open orders', String(summary.open_orders)],
  ];
  const shown = summary.positions.slice(0, MAX_POSITION_ROWS);
  const positions: types.KnownBlock[] =
    shown.length === 0
      ? [{ type: 'context', elements: [mrkdwn('No positions yet.')] }]
      : [
          {
            type: 'table',
            block_id: 'positions',
            column_settings: [{ align: 'left' }, ...POSITION_COLUMNS.slice(1).map(() => ({ align: 'right' as const }))],
            rows: [POSITION_COLUMNS.map(cell), ...shown.map(positionRow)],
          },
          ...(summary.positions.length > shown.length
            ? [{ type: 'context' as const, elements: [mrkdwn(`…and ${summary.positions.length - shown.length} more positions.`)] }]
            : []),
        ];
  return {
    text: `Portfolio ${summary.name}: equity ${money(summary.equity)}, cash ${money(summary.cash)}, total P&L ${signedMoney(summary.total_pnl)}`,
    blocks: [
      { type: 'header', text: plain(`Portfolio: ${summary.name}`.slice(0, 150)) },
      { type: 'section', block_id: 'totals', fields: fields.map(([k, v]) => mrkdwn(`*${k}*\n${v}`)) },
      ...positions,
      {
        type: 'context',
        elements: [mrkdwn(`Starting cash ${money(summary.starting_cash)} · prices at reference · as of ${escapeMrkdwn(summary.as_of)}`)],
      },
    ],
  };
}
