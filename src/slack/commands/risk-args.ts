import { commandTextProblem } from './command-text.js';
import { portfolioName } from './command-args.js';
import { tokenize, type Parsed } from './trade-grammar.js';

export const HALT_USAGE = [
  '`/halt`  halt the whole desk: no new orders until `/resume` (cancels still go through)',
  '`/halt Tech Portfolio`  halt one portfolio; add `--cancel` to cancel its open orders too',
].join('\n');
export const RESUME_USAGE = '`/resume`  the desk trades again, or `/resume Tech Portfolio` for one portfolio';
export const REDUCE_ONLY_USAGE = '`/reduce-only`  only orders that shrink a position, on the desk or `/reduce-only Tech Portfolio`';

export interface RiskArgs {
  /** None: the whole desk. */
  readonly portfolio?: string;
  readonly cancel: boolean;
}

/** `[portfolio] [--cancel]`; `--cancel` only where the command takes it (`/halt`). */
export function parseRiskArgs(text: string, takesCancel: boolean): Parsed<RiskArgs> {
  const problem = commandTextProblem(text);
  if (problem !== null) return { ok: false, error: problem };
  const flags = tokenize(text).filter((t) => !t.quoted && t.text.startsWith('--'));
  const unknown = flags.find((t) => !(takesCancel && t.text.toLowerCase() === '--cancel'));
  if (unknown) return { ok: false, error: `I don't know the option \`${unknown.text}\`${takesCancel ? ': the only one is `--cancel`' : ''}.` };
  const rest = text.replace(/(^|\s)--cancel(?=\s|$)/gi, ' ');
  const name = portfolioName(rest);
  // Only no text at all means the desk: `/halt ""` names a portfolio, if an empty one.
  if (name === undefined && tokenize(rest).length > 0) return { ok: false, error: 'Which portfolio? Name it, or write nothing for the whole desk.' };
  return { ok: true, value: { ...(name === undefined ? {} : { portfolio: name }), cancel: flags.length > 0 } };
}
