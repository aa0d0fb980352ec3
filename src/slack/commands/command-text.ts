import { textProblem } from '../../wire/text.js';

/**
 * The text of every command and modal field passes the same check as every OMS input
 * (src/wire/text.ts) before it is parsed: a control character, an unpaired surrogate or a bidi
 * override gets a plain answer from the bot, not a refusal relayed from the OMS or a name that
 * displays as another. Command text is free text (Slack may send line breaks); modal fields are one line.
 */

/** Far beyond any command: `/trade` with the longest portfolio name is under 200 characters. */
export const MAX_COMMAND_TEXT = 1000;
/** The longest portfolio name the OMS takes. */
export const MAX_PORTFOLIO_NAME = 100;

/** Why the bot cannot read a command's text, or null when it can. */
export function commandTextProblem(text: string): string | null {
  if (text.length > MAX_COMMAND_TEXT) return `That is ${text.length} characters long; a command takes at most ${MAX_COMMAND_TEXT}.`;
  const problem = textProblem(text, true);
  return problem === null ? null : `I can't read that: the text ${problem}.`;
}

/** Why a one-line field (a portfolio name in the trade ticket) cannot be used, or null when it can. */
export function fieldTextProblem(text: string, max: number): string | null {
  if (text.length > max) return `This is ${text.length} characters long; at most ${max} are allowed.`;
  const problem = textProblem(text);
  return problem === null ? null : `This text ${problem}.`;
}
