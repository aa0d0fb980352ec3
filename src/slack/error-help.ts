import { OmsClientError } from './oms-client.js';

/**
 * The Slack edge of the one error catalogue: every code the OMS API answers with (docs/api.md) and
 * the client's own OMS_* codes become a sentence a trader can act on. The OMS message follows, since
 * it names the field or the amount. Unknown codes fall back to the OMS message alone. A test holds
 * this table to the OMS's catalogue: a code there without help here fails it, and so does help for a
 * code the OMS does not send.
 */
export const ERROR_HELP: Readonly<Record<string, string>> = {
  OMS_UNREACHABLE: 'The trading desk is unreachable right now, so nothing was done. Try again in a moment.',
  OMS_CONNECTION_LOST: 'The connection to the trading desk dropped before it answered. An order may still have gone through: check `/orders` before retrying.',
  OMS_TIMEOUT: 'The trading desk did not answer in time. An order may still have gone through: check `/orders` before retrying.',
  OMS_BAD_RESPONSE: 'The trading desk gave an answer I could not read. An order may still have gone through: check `/orders` before retrying.',

  // What the OMS itself refuses.
  VALIDATION_ERROR: 'The trading desk rejected the request.',
  ORDER_NOT_FOUND: 'There is no order with that id.',
  TRADE_NOT_FOUND: 'There is no trade with that id.',
  PORTFOLIO_NOT_FOUND: 'There is no portfolio by that name.',
  KEY_NOT_FOUND: 'There is no API key with that id.',
  ORDER_NOT_OPEN: 'That order is no longer open (already filled, canceled or expired).',
  CLIENT_ORDER_ID_IN_USE: 'That request was already used for a different order on this portfolio, so nothing was done.',
  PORTFOLIO_EXISTS: 'A portfolio by that name already exists: pick another name, or trade in it with `/portfolio use <name>`.',
  DESK_EXISTS: 'A desk by that name already exists: pick another name.',
  INSTRUMENT_EXISTS: 'That symbol is already traded on this desk.',
  KEY_REVOKED: 'That API key is already revoked.',
  LAST_ADMIN_KEY: 'That is the last admin key of the desk: create another one before revoking it.',
  UNKNOWN_SYMBOL: 'That symbol is not traded on this desk.',
  UNKNOWN_PORTFOLIO: 'There is no portfolio by that name.',
  HOUSE_PORTFOLIO: 'That is the market maker\'s portfolio: it takes no orders or bookings. Pick one of your own with `/portfolio use <name>`.',
  INSUFFICIENT_CASH: 'Not enough cash in the portfolio for this order.',
  SHORT_NOT_ALLOWED: 'This portfolio cannot sell short: sell at most what it holds.',
  PRICE_OFF_TICK: 'The price is not a multiple of the symbol\'s tick size.',
  QUANTITY_OFF_LOT: 'The quantity is not a multiple of the symbol\'s lot size.',
  INVALID_MODIFY: 'The order cannot be changed that way.',
  PRICE_OUTSIDE_BAND: 'A booked trade must be priced near the market: gmv divided by the quantity is too far from the reference price.',
  MARKET_DATA_STALE: 'Prices for that symbol have stopped arriving, so a market order has nothing to trust. Use a limit price (`@ 175.00`), or try again once prices flow.',
  MARKET_CLOSED: 'That market is closed right now, so there is nothing to trade against at once. A limit order (`@ 175.00`, `gtc` or day) rests until the open; market, IOC and FOK orders wait for the open.',
  ORDER_REJECTED: 'The matching engine refused the order, so nothing was done.',
  UNAVAILABLE: 'The trading desk is temporarily unavailable. Try again in a moment.',
  MEMBER_NOT_FOUND: 'That user is not a member of this desk.',
  LAST_DESK_ADMIN: 'That is the desk\'s last admin: make someone else admin first (`/desk role @user admin`).',
  ROLE_REQUIRED: 'Your role on this desk does not allow that.',
  NOT_A_MEMBER: 'You are not a member of this desk yet, so I cannot do that for you.',
  PORTFOLIO_NOT_GRANTED: 'You may not trade that portfolio from here: neither you nor this channel has a grant for it.',
  CHANNEL_NOT_ALLOWED: 'This desk does not trade from this channel.',
  DESK_HALTED: 'Trading is halted on this desk: no new orders until an approver or admin runs `/resume`. You can still `/cancel` open orders.',
  PORTFOLIO_HALTED: 'Trading is halted in this portfolio: no new orders until an approver or admin runs `/resume <portfolio>`. You can still `/cancel` open orders.',
  REDUCE_ONLY: 'This desk or portfolio is reduce-only: only orders that shrink a position go through (sell at most what you hold, buy back at most your short, counting your open orders).',
  RISK_LIMIT: 'The order would break one of the portfolio\'s risk limits: trade smaller, or ask an approver or admin to change the limit.',
  APPROVAL_NOT_ALLOWED: 'Only another approver or admin can decide this order: not the person who placed it, and not a plain trader.',
  ORDER_NOT_PENDING: 'That order is no longer waiting for approval (already approved, rejected, expired or canceled).',

  // What the desk's HTTP edge refuses: the bot's key and rate, or a request the bot got wrong.
  UNAUTHENTICATED: 'The bot\'s OMS API key is missing or invalid: ask an admin to check SLACK_OMS_API_KEY.',
  FORBIDDEN: 'The bot\'s OMS API key is not allowed to do that: ask an admin to widen its scopes or portfolios.',
  RATE_LIMITED: 'Too many requests right now. Try again in a few seconds.',
  MALFORMED_JSON: 'The trading desk could not read the bot\'s request, so nothing was done.',
  BAD_REQUEST: 'The trading desk could not read the bot\'s request, so nothing was done.',
  UNSUPPORTED_MEDIA_TYPE: 'The trading desk could not read the bot\'s request, so nothing was done.',
  PAYLOAD_TOO_LARGE: 'That request is too large for the trading desk, so nothing was done.',
  HEADERS_TOO_LARGE: 'That request is too large for the trading desk, so nothing was done.',
  REQUEST_TIMEOUT: 'The trading desk did not receive that request in time, so nothing was done. Try again.',
  NOT_FOUND: 'The trading desk does not know that request: the bot and the desk may be of different versions.',
  INTERNAL: 'The trading desk failed on its side. An order may still have gone through: check `/orders` before retrying.',
};

// Own keys only: a code is data from the wire, and "constructor" is no help text.
const helpFor = (code: string): string | undefined => (Object.hasOwn(ERROR_HELP, code) ? ERROR_HELP[code] : undefined);

export interface ErrorExplanation {
  readonly code: string;
  readonly text: string;
}

export function explainError(error: unknown): ErrorExplanation {
  if (error instanceof OmsClientError) {
    const help = helpFor(error.code) ?? (error.code.endsWith('_NOT_FOUND') ? 'Not found.' : undefined);
    // The OMS's message already holds each detail ("limit_price: limit_price is too large", or a
    // business refusal repeated to name its field): said once is enough.
    const details = error.details
      .filter((d) => !error.message.includes(d.message))
      .map((d) => (d.path ? `${d.path}: ${d.message}` : d.message))
      .join('; ');
    const omsSays = [error.message, details].filter((s) => s && s !== error.code).join(' ');
    // Client-side codes carry our own message already (it may name the OMS URL, never a key).
    const text = error.code.startsWith('OMS_') ? (helpFor(error.code) ?? omsSays) : [help, omsSays].filter(Boolean).join(' ');
    return { code: error.code, text: text || error.code };
  }
  const slackCode = (error as { data?: { error?: unknown } } | null)?.data?.error;
  if (typeof slackCode === 'string') return { code: 'SLACK_API_ERROR', text: `Slack refused the request (${slackCode}).` };
  return { code: 'INTERNAL', text: 'Something went wrong on our side; nothing more is known. Try again in a moment.' };
}
