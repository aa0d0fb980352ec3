import type { Order } from '../oms-types.js';

/**
 * Display formatting of the OMS's decimal strings, done on the strings themselves: no float ever
 * touches a price or an amount, so what Slack shows is exactly what the OMS holds.
 */

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "1234567.5" -> "1,234,567.50" (at least 2 decimals, the OMS's up to 4 kept). */
export function decimal(value: string): string {
  const negative = value.startsWith('-');
  const [int, frac = ''] = value.replace(/^[-+]/, '').split('.');
  const body = `${groupThousands(int.replace(/^0+(?=\d)/, ''))}.${frac.padEnd(2, '0')}`;
  return negative && /[1-9]/.test(value) ? `-${body}` : body;
}

/** "-1234.5" -> "-$1,234.50"; null -> "—". */
export function money(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = decimal(value);
  return d.startsWith('-') ? `-$${d.slice(1)}` : `$${d}`;
}

/** P&L with an explicit sign: "+$12.00", "-$3.00", "$0.00". */
export function signedMoney(value: string | null | undefined): string {
  const m = money(value);
  if (m === '—' || m.startsWith('-') || !/[1-9]/.test(m)) return m;
  return `+${m}`;
}

export function quantity(n: number): string {
  return groupThousands(String(n));
}

const TYPE_WORDS: Record<string, string> = { MARKET: 'market', LIMIT: 'limit', STOP: 'stop', STOP_LIMIT: 'stop-limit' };

/** "BUY 100 AAPL limit $175.25 GTC", the one-line description of an order used everywhere. */
export function describeOrder(order: Pick<Order, 'side' | 'quantity' | 'symbol' | 'type' | 'limit_price' | 'stop_price' | 'time_in_force'>): string {
  const parts = [`${order.side} ${quantity(order.quantity)} ${order.symbol}`];
  // A STOP says so in its stop price ("stop $180.00"): its type word would only repeat it.
  if (order.type !== 'STOP') parts.push(TYPE_WORDS[order.type] ?? order.type.toLowerCase());
  if (order.stop_price) parts.push(`stop ${money(order.stop_price)}`);
  if (order.limit_price) parts.push(`${order.type === 'STOP_LIMIT' ? 'limit ' : ''}${money(order.limit_price)}`);
  if (order.type !== 'MARKET') parts.push(order.time_in_force);
  return parts.join(' ');
}

const STATUS_WORDS: Record<string, string> = {
  NEW: 'Working',
  PARTIALLY_FILLED: 'Partially filled',
  FILLED: 'Filled',
  CANCELED: 'Canceled',
  REJECTED: 'Rejected',
  EXPIRED: 'Expired',
  PENDING_APPROVAL: 'Awaiting approval',
};

/** "Partially filled 40/100 @ avg $175.25", or "Waiting for stop" for an untriggered stop. */
export function describeStatus(order: Pick<Order, 'status' | 'filled_quantity' | 'quantity' | 'avg_fill_price' | 'reason' | 'triggered'>): string {
  if (order.status === 'NEW' && order.triggered === false) return 'Waiting for the stop to trigger';
  if (order.status === 'REJECTED' && order.reason === 'APPROVAL_EXPIRED') return 'Expired: not approved in time';
  const word = STATUS_WORDS[order.status] ?? order.status;
  const filled = order.filled_quantity > 0 ? ` ${quantity(order.filled_quantity)}/${quantity(order.quantity)} @ avg ${money(order.avg_fill_price)}` : '';
  // A rejection's reason may be anyone's free text (POST /orders/{id}/reject): shown, never parsed.
  const reason = order.reason && (order.status === 'CANCELED' || order.status === 'REJECTED') ? ` (${escapeMrkdwn(order.reason.toLowerCase().replaceAll('_', ' '))})` : '';
  return `${word}${filled}${reason}`;
}

/** Slack mrkdwn needs &, < and > escaped in text we did not write (portfolio names, OMS messages). */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
