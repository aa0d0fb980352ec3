import { describe, expect, it } from '@jest/globals';
import { parseOrderId, parsePortfolioArgs, parseQuoteArgs, portfolioName } from '../../src/slack/commands/command-args.js';

describe('small command arguments', () => {
  it('reads /portfolio forms', () => {
    expect(parsePortfolioArgs('')).toEqual({ ok: true, value: { kind: 'show' } });
    expect(parsePortfolioArgs('Tech Portfolio')).toEqual({ ok: true, value: { kind: 'show', name: 'Tech Portfolio' } });
    expect(parsePortfolioArgs('use  Tech Portfolio ')).toEqual({ ok: true, value: { kind: 'use', name: 'Tech Portfolio' } });
    expect(parsePortfolioArgs('USE "Tech Portfolio"')).toEqual({ ok: true, value: { kind: 'use', name: 'Tech Portfolio' } });
    expect(parsePortfolioArgs('"use me"')).toEqual({ ok: true, value: { kind: 'show', name: 'use me' } });
    expect(parsePortfolioArgs('use')).toEqual({ ok: false, error: expect.stringMatching(/Which portfolio should this channel use/) });
  });

  it('reads portfolio names with quotes dropped', () => {
    expect(portfolioName(' "Tech  Portfolio" ')).toBe('Tech  Portfolio');
    expect(portfolioName('   ')).toBeUndefined();
  });

  it('reads order ids', () => {
    expect(parseOrderId(' 1234 ')).toEqual({ ok: true, value: '1234' });
    expect(parseOrderId('#77')).toEqual({ ok: true, value: '77' });
    expect(parseOrderId('')).toEqual({ ok: false, error: expect.stringMatching(/Which order/) });
    expect(parseOrderId('abc')).toEqual({ ok: false, error: '"abc" is not an order id; ids are numbers like 1234.' });
    // The OMS's ids have at most 15 digits: a longer number is no id either, said by the bot itself.
    expect(parseOrderId('123456789012345')).toEqual({ ok: true, value: '123456789012345' });
    expect(parseOrderId('9223372036854775807')).toEqual({ ok: false, error: '"9223372036854775807" is not an order id; ids are numbers like 1234.' });
  });

  it('reads one quote symbol', () => {
    expect(parseQuoteArgs('aapl')).toEqual({ ok: true, value: 'AAPL' });
    expect(parseQuoteArgs('').ok).toBe(false);
    expect(parseQuoteArgs('AAPL MSFT')).toEqual({ ok: false, error: expect.stringMatching(/one symbol at a time/) });
    expect(parseQuoteArgs('$$$')).toEqual({ ok: false, error: expect.stringMatching(/not a symbol/) });
  });
});
