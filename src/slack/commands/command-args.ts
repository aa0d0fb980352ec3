import { commandTextProblem } from './command-text.js';
import { type Parsed, parseSymbol, tokenize } from './trade-grammar.js';

/**
 * Pure parsers for the small commands; like the trade grammar they return values, never throw, and
 * first refuse text no command can hold (command-text.ts).
 */

export const PORTFOLIO_USAGE = [
  '`/portfolio`  the summary of this channel\'s portfolio',
  '`/portfolio Tech Portfolio`  the summary of a named portfolio',
  '`/portfolio use Tech Portfolio`  make it this channel\'s default for `/trade` and `/orders`',
].join('\n');
export const ORDERS_USAGE = '`/orders`  open orders of this channel\'s portfolio, or `/orders Tech Portfolio`';
export const CANCEL_USAGE = '`/cancel 1234`  cancel an open order by id (`/orders` lists them)';
export const QUOTE_USAGE = '`/quote AAPL`  best bid and ask, last trade and reference price';

export type PortfolioArgs = { readonly kind: 'show'; readonly name?: string } | { readonly kind: 'use'; readonly name: string };

/** A portfolio name from the words of a command: quotes are dropped, inner spaces kept. */
export function portfolioName(text: string): string | undefined {
  const name = tokenize(text).map((t) => t.text).join(' ').trim();
  return name === '' ? undefined : name;
}

export function parsePortfolioArgs(text: string): Parsed<PortfolioArgs> {
  const problem = commandTextProblem(text);
  if (problem !== null) return { ok: false, error: problem };
  const tokens = tokenize(text);
  if (tokens.length > 0 && !tokens[0].quoted && tokens[0].text.toLowerCase() === 'use') {
    const name = portfolioName(text.trim().slice(3));
    if (!name) return { ok: false, error: 'Which portfolio should this channel use? For example `/portfolio use Tech Portfolio`.' };
    return { ok: true, value: { kind: 'use', name } };
  }
  const name = portfolioName(text);
  return { ok: true, value: name ? { kind: 'show', name } : { kind: 'show' } };
}

/** `/orders [portfolio]`: the portfolio named, if any. */
export function parseOrdersArgs(text: string): Parsed<{ readonly portfolio?: string }> {
  const problem = commandTextProblem(text);
  if (problem !== null) return { ok: false, error: problem };
  const name = portfolioName(text);
  return { ok: true, value: name === undefined ? {} : { portfolio: name } };
}

export function parseOrderId(text: string): Parsed<string> {
  const problem = commandTextProblem(text);
  if (problem !== null) return { ok: false, error: problem };
  const t = text.trim().replace(/^#/, '');
  if (t === '') return { ok: false, error: 'Which order? Give its id, for example `/cancel 1234`.' };
  // The OMS's ids are at most 15 digits (safe integers).
  if (!/^\d{1,15}$/.test(t)) return { ok: false, error: `"${text.trim()}" is not an order id; ids are numbers like 1234.` };
  return { ok: true, value: t };
}

export function parseQuoteArgs(text: string): Parsed<string> {
  const problem = commandTextProblem(text);
  if (problem !== null) return { ok: false, error: problem };
  const t = text.trim();
  if (t === '') return { ok: false, error: 'Which symbol? For example `/quote AAPL`.' };
  if (/\s/.test(t)) return { ok: false, error: 'Quote one symbol at a time, for example `/quote AAPL`.' };
  return parseSymbol(t);
}
