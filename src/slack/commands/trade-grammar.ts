import type { OrderType, Side, TimeInForce } from '../oms-types.js';
import { commandTextProblem } from './command-text.js';

/**
 * The `/trade` language, as a pure parser: text in, a value out, never a throw.
 *
 *   <buy|sell> <quantity> <SYMBOL> [@ <price> | limit <price>] [stop <price>] [day|gtc|ioc|fok] [in <portfolio>]
 *   <buy|sell> <quantity> <SYMBOL> gmv <amount> [in <portfolio>]
 *
 * Clauses after the symbol come in any order; `in` takes the rest of the text unless its name is quoted.
 * Words are case-insensitive. Prices stay decimal strings: the OMS is exact and so must we be.
 */

export interface OrderIntent {
  readonly kind: 'order';
  readonly side: Side;
  readonly quantity: number;
  readonly symbol: string;
  readonly type: OrderType;
  readonly limitPrice?: string;
  readonly stopPrice?: string;
  readonly timeInForce?: TimeInForce;
  readonly portfolio?: string;
}

/** `gmv` books a trade at gmv / quantity through POST /trade (no price, no time in force). */
export interface GmvIntent {
  readonly kind: 'gmv';
  readonly side: Side;
  readonly quantity: number;
  readonly symbol: string;
  readonly gmv: string;
  readonly portfolio?: string;
}

export type TradeIntent = OrderIntent | GmvIntent;

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };
export type TradeParse = { readonly ok: true; readonly order: TradeIntent } | { readonly ok: false; readonly error: string };

export const TRADE_USAGE = [
  '*How to trade*',
  '`/trade buy 100 AAPL`  market order (`market` or `mkt` may be said)',
  '`/trade sell 50 MSFT @ 412.50 gtc`  limit order (`limit 412.50` works too)',
  '`/trade buy 10 TSLA stop 250`  stop order (market once triggered)',
  '`/trade buy 10 TSLA stop 250 limit 251`  stop-limit order',
  '`/trade buy 100 AAPL gmv 17500`  book a trade at gmv ÷ quantity',
  'Time in force: `day` (default), `gtc`, `ioc`, `fok`. Portfolio: `in Tech Portfolio` at the end, or quoted anywhere: `in "Tech Portfolio"`.',
  '`/trade` alone opens a trade ticket.',
  'Also: `/portfolio [name]` · `/portfolio use <name>` · `/orders [portfolio]` · `/cancel <order id>` · `/quote AAPL`',
].join('\n');

const TIFS: Record<string, TimeInForce> = { day: 'DAY', gtc: 'GTC', ioc: 'IOC', fok: 'FOK' };
const MAX_QUANTITY = 1_000_000_000;

const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

export function parseQuantity(text: string): Parsed<number> {
  const t = text.trim();
  if (!/^(\d+|\d{1,3}(,\d{3})+)$/.test(t)) return fail(`The quantity must be a whole number of shares, like 100 (got "${t}").`);
  const n = Number(t.replaceAll(',', ''));
  if (n <= 0) return fail('The quantity must be more than 0.');
  if (n > MAX_QUANTITY) return fail(`The quantity must be at most ${MAX_QUANTITY.toLocaleString('en-US')}.`);
  return { ok: true, value: n };
}

/** A positive decimal with up to 4 places; `$` and thousands commas are allowed and dropped. */
export function parsePrice(text: string, what = 'price'): Parsed<string> {
  const t = text.trim().replace(/^\$/, '');
  if (!/^(\d+|\d{1,3}(,\d{3})+)(\.\d+)?$/.test(t)) return fail(`The ${what} must be a number like 412.50 (got "${text.trim()}").`);
  const plain = t.replaceAll(',', '');
  if ((plain.split('.')[1] ?? '').length > 4) return fail(`The ${what} can have at most 4 decimals (got "${text.trim()}").`);
  if (/^[0.]+$/.test(plain)) return fail(`The ${what} must be more than 0.`);
  return { ok: true, value: plain };
}

export function parseSymbol(text: string): Parsed<string> {
  const t = text.trim();
  if (!/^[A-Za-z][A-Za-z0-9.-]{0,15}$/.test(t)) return fail(`"${t}" is not a symbol; symbols look like AAPL.`);
  return { ok: true, value: t.toUpperCase() };
}

interface Token {
  readonly text: string;
  readonly quoted: boolean;
}

/**
 * Splits on spaces, keeping "quoted words" (Slack clients often turn quotes into curly ones) whole,
 * decodes the three HTML entities Slack escapes in command text, and splits a glued `@412.5`.
 */
export function tokenize(text: string): Token[] {
  const normalized = text
    .replace(/[\u201C\u201D\u201E\u00AB\u00BB]/g, '"')
    .replace(/[\u2018\u2019]/g, "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
  const tokens: Token[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of normalized.matchAll(re)) {
    if (m[3] === undefined) tokens.push({ text: (m[1] ?? m[2] ?? '').trim(), quoted: true });
    else if (m[3].length > 1 && m[3].startsWith('@')) tokens.push({ text: '@', quoted: false }, { text: m[3].slice(1), quoted: false });
    else tokens.push({ text: m[3], quoted: false });
  }
  return tokens;
}

export function parseTrade(text: string): TradeParse {
  const problem = commandTextProblem(text);
  if (problem !== null) return fail(problem);
  const tokens = tokenize(text);
  if (tokens.length === 0) return fail('Tell me what to trade, for example `buy 100 AAPL`.');
  if (tokens.some((t) => !t.quoted && /^["']/.test(t.text))) return fail('A quote is not closed: write `in "Tech Portfolio"`.');

  const sideWord = tokens[0].text.toLowerCase();
  if (sideWord !== 'buy' && sideWord !== 'sell') return fail(`Start with \`buy\` or \`sell\` (got "${tokens[0].text}").`);
  const side: Side = sideWord === 'buy' ? 'BUY' : 'SELL';

  if (tokens.length < 2) return fail(`How many shares? For example \`${sideWord} 100 AAPL\`.`);
  if (tokens.length < 3) {
    if (parseSymbol(tokens[1].text).ok) return fail(`Give the quantity before the symbol, for example \`${sideWord} 100 ${tokens[1].text.toUpperCase()}\`.`);
    return fail(`Which symbol? For example \`${sideWord} ${tokens[1].text} AAPL\`.`);
  }
  const quantity = parseQuantity(tokens[1].text);
  if (!quantity.ok) {
    if (parseSymbol(tokens[1].text).ok && parseQuantity(tokens[2].text).ok) {
      return fail(`Give the quantity before the symbol, for example \`${sideWord} ${tokens[2].text} ${tokens[1].text.toUpperCase()}\`.`);
    }
    return quantity;
  }
  const symbol = parseSymbol(tokens[2].text);
  if (!symbol.ok) return symbol;

  let limitPrice: string | undefined;
  let stopPrice: string | undefined;
  let gmv: string | undefined;
  let timeInForce: TimeInForce | undefined;
  let portfolio: string | undefined;
  /** `market` (or `mkt`) said aloud: what a trader types, though no price already means market. */
  let saidMarket = false;

  for (let i = 3; i < tokens.length; i++) {
    const word = tokens[i].text.toLowerCase();
    const next = tokens[i + 1];
    if (word === '@' || word === 'limit' || word === 'stop' || word === 'gmv') {
      const label = word === 'stop' ? 'stop price' : word === 'gmv' ? 'gmv' : 'limit price';
      if (!next) return fail(`\`${tokens[i].text}\` needs a number after it, for example \`${word} 412.50\`.`);
      const value = parsePrice(next.text, label);
      if (!value.ok) return value;
      if (word === 'stop') {
        if (stopPrice !== undefined) return fail('The stop price is given twice.');
        stopPrice = value.value;
      } else if (word === 'gmv') {
        if (gmv !== undefined) return fail('The gmv is given twice.');
        gmv = value.value;
      } else {
        if (limitPrice !== undefined) return fail('The limit price is given twice (`@` and `limit` mean the same).');
        limitPrice = value.value;
      }
      i++;
    } else if ((word === 'market' || word === 'mkt') && !tokens[i].quoted) {
      saidMarket = true;
    } else if (word in TIFS && !tokens[i].quoted) {
      if (timeInForce !== undefined) return fail('The time in force is given twice.');
      timeInForce = TIFS[word];
    } else if (word === 'in') {
      if (portfolio !== undefined) return fail('The portfolio is given twice.');
      if (!next || next.text === '') return fail('Which portfolio? For example `in Tech Portfolio`.');
      if (next.quoted) {
        portfolio = next.text;
        i++;
      } else {
        portfolio = tokens.slice(i + 1).map((t) => t.text).join(' ');
        break;
      }
    } else {
      return fail(`I don't understand "${tokens[i].text}".`);
    }
  }

  if (saidMarket && (limitPrice !== undefined || stopPrice !== undefined || gmv !== undefined)) {
    return fail('A market order takes no price: drop `market` or the price.');
  }
  if (gmv !== undefined) {
    if (limitPrice !== undefined || stopPrice !== undefined || timeInForce !== undefined) {
      return fail('`gmv` books a trade at gmv ÷ quantity: it takes no price, stop or time in force.');
    }
    return { ok: true, order: { kind: 'gmv', side, quantity: quantity.value, symbol: symbol.value, gmv, ...(portfolio ? { portfolio } : {}) } };
  }

  const type: OrderType = stopPrice !== undefined ? (limitPrice !== undefined ? 'STOP_LIMIT' : 'STOP') : limitPrice !== undefined ? 'LIMIT' : 'MARKET';
  const order: OrderIntent = {
    kind: 'order',
    side,
    quantity: quantity.value,
    symbol: symbol.value,
    type,
    ...(limitPrice !== undefined ? { limitPrice } : {}),
    ...(stopPrice !== undefined ? { stopPrice } : {}),
    ...(timeInForce !== undefined ? { timeInForce } : {}),
    ...(portfolio !== undefined ? { portfolio } : {}),
  };
  return { ok: true, order };
}

/** `/trade help` (and `?`) shows the usage instead of trading. */
export const isHelpRequest = (text: string): boolean => /^(help|\?|usage)$/i.test(text.trim());
