import { describe, expect, it } from '@jest/globals';
import { parseOrderId, parseOrdersArgs, parsePortfolioArgs, parseQuoteArgs, portfolioName } from '../../src/slack/commands/command-args.js';

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

  it('reads /orders with or without a portfolio', () => {
    expect(parseOrdersArgs('')).toEqual({ ok: true, value: {} });
    expect(parseOrdersArgs(' "Tech Portfolio" ')).toEqual({ ok: true, value: { portfolio: 'Tech Portfolio' } });
  });

  it('refuses text no command can hold, before reading it, with what is wrong and where', () => {
    const parsers = { parsePortfolioArgs, parseOrdersArgs, parseOrderId, parseQuoteArgs };
    for (const [name, parse] of Object.entries(parsers)) {
      expect({ name, read: parse('Tech\u0000') }).toEqual({ name, read: { ok: false, error: "I can't read that: the text holds a control character (U+0000 at index 4)." } });
      expect({ name, read: parse('use Te\u202ech') }).toEqual({
        name,
        read: { ok: false, error: "I can't read that: the text holds a bidirectional override or isolate control (U+202E at index 6), which can make text display as other text." },
      });
      expect({ name, read: parse('a\ud800') }).toEqual({ name, read: { ok: false, error: "I can't read that: the text holds an unpaired UTF-16 surrogate (U+D800 at index 1): not valid Unicode text." } });
      expect({ name, read: parse('x'.repeat(1001)) }).toEqual({ name, read: { ok: false, error: 'That is 1001 characters long; a command takes at most 1000.' } });
    }
    // Valid text of any script, and the line breaks a command may carry, still read as before.
    expect(parsePortfolioArgs('use Café Ünïcödé 日本 📈')).toEqual({ ok: true, value: { kind: 'use', name: 'Café Ünïcödé 日本 📈' } });
    expect(parseOrdersArgs('Tech\nPortfolio')).toEqual({ ok: true, value: { portfolio: 'Tech Portfolio' } });
  });

  it('reads one quote symbol', () => {
    expect(parseQuoteArgs('aapl')).toEqual({ ok: true, value: 'AAPL' });
    expect(parseQuoteArgs('').ok).toBe(false);
    expect(parseQuoteArgs('AAPL MSFT')).toEqual({ ok: false, error: expect.stringMatching(/one symbol at a time/) });
    expect(parseQuoteArgs('$$$')).toEqual({ ok: false, error: expect.stringMatching(/not a symbol/) });
  });
});
