import { commandTextProblem } from './command-text.js';
import { type Parsed, tokenize } from './trade-grammar.js';

/**
 * Parsers of `/leaderboard` and `/pnl`: pure, they return values and never throw, and first refuse
 * text no command can hold (command-text.ts).
 */

export const PERIODS = ['day', 'week', 'month', 'all'] as const;
export type Period = (typeof PERIODS)[number];

export const LEADERBOARD_USAGE = [
  '`/leaderboard`  the desk\'s portfolios ranked by return today (UTC)',
  '`/leaderboard week`  this week (from Monday), `month` (from the 1st) or `all` (from the starting cash)',
].join('\n');

export const PNL_USAGE = [
  '`/pnl`  the equity curve of this channel\'s portfolio today, as a picture',
  '`/pnl Tech Portfolio week`  a named portfolio over `day`, `week`, `month` or `all`',
  '`/pnl digest 08:30`  post the leaderboard in this channel every day at 08:30 UTC; `/pnl digest off` to stop',
].join('\n');

const isPeriod = (word: string): word is Period => (PERIODS as readonly string[]).includes(word);

export function parseLeaderboardArgs(text: string): Parsed<Period> {
  const problem = commandTextProblem(text);
  if (problem !== null) return { ok: false, error: problem };
  const t = text.trim().toLowerCase();
  if (t === '') return { ok: true, value: 'day' };
  if (!isPeriod(t)) return { ok: false, error: `"${text.trim()}" is not a period: use day, week, month or all.` };
  return { ok: true, value: t };
}

export type PnlArgs =
  | { readonly kind: 'chart'; readonly portfolio?: string; readonly period: Period }
  | { readonly kind: 'digest'; readonly atMinute: number }
  | { readonly kind: 'digest-off' };

/**
 * `/pnl [portfolio] [period]`, `/pnl digest HH:MM`, `/pnl digest off`. A last word that is a period
 * is the period; the words before it the portfolio (quote a portfolio called "week" or "digest").
 */
export function parsePnlArgs(text: string): Parsed<PnlArgs> {
  const problem = commandTextProblem(text);
  if (problem !== null) return { ok: false, error: problem };
  const tokens = tokenize(text);
  if (tokens.length > 0 && !tokens[0].quoted && tokens[0].text.toLowerCase() === 'digest') {
    const rest = tokens.slice(1).map((t) => t.text);
    if (rest.length === 1 && rest[0].toLowerCase() === 'off') return { ok: true, value: { kind: 'digest-off' } };
    const m = rest.length === 1 ? /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(rest[0]) : null;
    if (!m) return { ok: false, error: 'When should the digest be posted? Give a time of day in UTC, for example `/pnl digest 08:30`, or `/pnl digest off`.' };
    return { ok: true, value: { kind: 'digest', atMinute: Number(m[1]) * 60 + Number(m[2]) } };
  }
  let period: Period = 'day';
  const last = tokens.at(-1);
  if (last && !last.quoted && isPeriod(last.text.toLowerCase())) {
    period = last.text.toLowerCase() as Period;
    tokens.pop();
  }
  const portfolio = tokens.map((t) => t.text).join(' ').trim();
  return { ok: true, value: portfolio === '' ? { kind: 'chart', period } : { kind: 'chart', portfolio, period } };
}

/** 510 -> "08:30". */
export function formatMinute(atMinute: number): string {
  return `${String(Math.floor(atMinute / 60)).padStart(2, '0')}:${String(atMinute % 60).padStart(2, '0')}`;
}
