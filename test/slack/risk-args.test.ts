import { describe, expect, it } from '@jest/globals';
import { parseRiskArgs } from '../../src/slack/commands/risk-args.js';

/** `/halt`, `/resume` and `/reduce-only` arguments: the desk only when no portfolio is written at all. */
describe('parseRiskArgs', () => {
  it('reads a portfolio and --cancel, or the whole desk for no text', () => {
    expect(parseRiskArgs('', true)).toEqual({ ok: true, value: { cancel: false } });
    expect(parseRiskArgs('Tech Portfolio --CANCEL', true)).toEqual({ ok: true, value: { portfolio: 'Tech Portfolio', cancel: true } });
    expect(parseRiskArgs('"Tech Portfolio"', false)).toEqual({ ok: true, value: { portfolio: 'Tech Portfolio', cancel: false } });
  });

  it('an empty quoted name is no portfolio, never the whole desk', () => {
    for (const text of ['""', "''", '" "', '"" --cancel', '\u201C\u201D']) {
      const parsed = parseRiskArgs(text, true);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error).toBe('Which portfolio? Name it, or write nothing for the whole desk.');
    }
  });

  it('refuses options it does not take', () => {
    expect(parseRiskArgs('Tech --cancel', false)).toEqual({ ok: false, error: "I don't know the option `--cancel`." });
    expect(parseRiskArgs('Tech --cancelled', true).ok).toBe(false);
  });
});
