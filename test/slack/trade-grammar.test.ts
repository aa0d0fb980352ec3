import { describe, expect, it } from '@jest/globals';
import { isHelpRequest, parsePrice, parseQuantity, parseTrade, TRADE_USAGE } from '../../src/slack/commands/trade-grammar.js';

describe('/trade grammar: every form', () => {
  it.each([
    ['buy 100 AAPL', { kind: 'order', side: 'BUY', quantity: 100, symbol: 'AAPL', type: 'MARKET' }],
    ['sell 50 MSFT @ 412.50 gtc', { kind: 'order', side: 'SELL', quantity: 50, symbol: 'MSFT', type: 'LIMIT', limitPrice: '412.50', timeInForce: 'GTC' }],
    ['sell 50 MSFT limit 412.5', { kind: 'order', side: 'SELL', quantity: 50, symbol: 'MSFT', type: 'LIMIT', limitPrice: '412.5' }],
    ['sell 50 MSFT @412.50', { kind: 'order', side: 'SELL', quantity: 50, symbol: 'MSFT', type: 'LIMIT', limitPrice: '412.50' }],
    ['buy 10 TSLA stop 250 limit 251', { kind: 'order', side: 'BUY', quantity: 10, symbol: 'TSLA', type: 'STOP_LIMIT', stopPrice: '250', limitPrice: '251' }],
    ['buy 10 TSLA limit 251 stop 250 ioc', { kind: 'order', side: 'BUY', quantity: 10, symbol: 'TSLA', type: 'STOP_LIMIT', stopPrice: '250', limitPrice: '251', timeInForce: 'IOC' }],
    ['buy 10 TSLA stop 250', { kind: 'order', side: 'BUY', quantity: 10, symbol: 'TSLA', type: 'STOP', stopPrice: '250' }],
    ['buy 100 AAPL gmv 17500', { kind: 'gmv', side: 'BUY', quantity: 100, symbol: 'AAPL', gmv: '17500' }],
    ['buy 100 AAPL gmv 17,500.25 in Tech Portfolio', { kind: 'gmv', side: 'BUY', quantity: 100, symbol: 'AAPL', gmv: '17500.25', portfolio: 'Tech Portfolio' }],
    ['buy 1,000 aapl fok', { kind: 'order', side: 'BUY', quantity: 1000, symbol: 'AAPL', type: 'MARKET', timeInForce: 'FOK' }],
    ['BUY 5 msft @ $412.5 DAY', { kind: 'order', side: 'BUY', quantity: 5, symbol: 'MSFT', type: 'LIMIT', limitPrice: '412.5', timeInForce: 'DAY' }],
    ['buy 100 AAPL in Tech Portfolio', { kind: 'order', side: 'BUY', quantity: 100, symbol: 'AAPL', type: 'MARKET', portfolio: 'Tech Portfolio' }],
    ['buy 100 AAPL market', { kind: 'order', side: 'BUY', quantity: 100, symbol: 'AAPL', type: 'MARKET' }],
    ['sell 5 MSFT MKT ioc in Growth', { kind: 'order', side: 'SELL', quantity: 5, symbol: 'MSFT', type: 'MARKET', timeInForce: 'IOC', portfolio: 'Growth' }],
    ['buy 100 AAPL in "Tech Portfolio" @ 170 gtc', { kind: 'order', side: 'BUY', quantity: 100, symbol: 'AAPL', type: 'LIMIT', limitPrice: '170', timeInForce: 'GTC', portfolio: 'Tech Portfolio' }],
    ['buy 100 AAPL in \u201CTech Portfolio\u201D gtc', { kind: 'order', side: 'BUY', quantity: 100, symbol: 'AAPL', type: 'MARKET', timeInForce: 'GTC', portfolio: 'Tech Portfolio' }],
    ["sell 1 BRK.B in 'Value & Co'", { kind: 'order', side: 'SELL', quantity: 1, symbol: 'BRK.B', type: 'MARKET', portfolio: 'Value & Co' }],
    ['sell 1 AAPL in R&amp;D', { kind: 'order', side: 'SELL', quantity: 1, symbol: 'AAPL', type: 'MARKET', portfolio: 'R&D' }],
    ['  buy   7   AAPL   @   0.0001  ', { kind: 'order', side: 'BUY', quantity: 7, symbol: 'AAPL', type: 'LIMIT', limitPrice: '0.0001' }],
  ])('%s', (text, order) => {
    expect(parseTrade(text)).toEqual({ ok: true, order });
  });

  it('reads a portfolio named in any script', () => {
    expect(parseTrade('buy 1 AAPL in Café Ünïcödé 日本 📈')).toMatchObject({ ok: true, order: { portfolio: 'Café Ünïcödé 日本 📈' } });
  });

  it('refuses a market order with a price', () => {
    for (const text of ['buy 1 AAPL market @ 170', 'buy 1 AAPL mkt stop 170', 'buy 1 AAPL gmv 170 market']) {
      expect(parseTrade(text)).toEqual({ ok: false, error: 'A market order takes no price: drop `market` or the price.' });
    }
  });

  it('keeps prices as exact decimal strings, never floats', () => {
    const parsed = parseTrade('buy 3 AAPL @ 0.1000');
    expect(parsed).toEqual({ ok: true, order: expect.objectContaining({ limitPrice: '0.1000' }) });
    const big = parseTrade('buy 1 AAPL @ 123456789012345.1234');
    expect(big).toEqual({ ok: true, order: expect.objectContaining({ limitPrice: '123456789012345.1234' }) });
  });
});

describe('/trade grammar: every error is a value with a message', () => {
  it.each([
    ['', /what to trade/],
    ['purchase 100 AAPL', /Start with `buy` or `sell` \(got "purchase"\)/],
    ['buy', /How many shares/],
    ['buy AAPL', /quantity before the symbol.*buy 100 AAPL/],
    ['buy 100', /Which symbol/],
    ['buy AAPL 100', /quantity before the symbol.*buy 100 AAPL/],
    ['buy ten AAPL', /whole number of shares.*"ten"/],
    ['buy 1.5 AAPL', /whole number of shares/],
    ['buy -5 AAPL', /whole number of shares/],
    ['buy 0 AAPL', /more than 0/],
    ['buy 2000000000 AAPL', /at most 1,000,000,000/],
    ['buy 100 4AAPL', /not a symbol/],
    ['buy 100 AAPL @', /needs a number after it/],
    ['buy 100 AAPL @ abc', /limit price must be a number.*"abc"/],
    ['buy 100 AAPL @ 0', /limit price must be more than 0/],
    ['buy 100 AAPL @ 1.23456', /at most 4 decimals/],
    ['buy 100 AAPL stop x', /stop price must be a number/],
    ['buy 100 AAPL @ 1 limit 2', /limit price is given twice/],
    ['buy 100 AAPL stop 1 stop 2', /stop price is given twice/],
    ['buy 100 AAPL gtc ioc', /time in force is given twice/],
    ['buy 100 AAPL gmv 1 gmv 2', /gmv is given twice/],
    ['buy 100 AAPL gmv 17500 @ 175', /gmv.*takes no price/],
    ['buy 100 AAPL gmv 17500 gtc', /gmv.*takes no price, stop or time in force/],
    ['buy 100 AAPL in', /Which portfolio/],
    ['buy 100 AAPL in "Tech" in "Other"', /portfolio is given twice/],
    ['buy 100 AAPL now', /I don't understand "now"/],
    ['buy 100 AAPL in "Tech', /quote is not closed/],
    ['buy 100 AAPL in Te\u0000ch', /^I can't read that: the text holds a control character \(U\+0000 at index 18\)\.$/],
    ['buy 100 AAPL in T\u202Eech', /^I can't read that: the text holds a bidirectional override or isolate control \(U\+202E at index 17\)/],
    ['buy 100 AAPL in T\udc00', /^I can't read that: the text holds an unpaired UTF-16 surrogate \(U\+DC00 at index 17\)/],
    [`buy 100 AAPL in ${'x'.repeat(1000)}`, /^That is 1016 characters long; a command takes at most 1000\.$/],
  ])('%j', (text, message) => {
    const parsed = parseTrade(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });

  it('never throws, whatever the text', () => {
    for (const text of ['"', "'", '@', '@@@', 'buy "', 'buy 1 A in "', '\u0000', 'sell 1 X @ 1e5', 'x'.repeat(5000)]) {
      expect(() => parseTrade(text)).not.toThrow();
      expect(parseTrade(text).ok).toBe(false);
    }
  });
});

describe('numbers', () => {
  it('parses quantities with thousands separators and rejects bad grouping', () => {
    expect(parseQuantity('12,345')).toEqual({ ok: true, value: 12345 });
    expect(parseQuantity('1,23').ok).toBe(false);
  });

  it('drops $ and commas from prices', () => {
    expect(parsePrice('$1,234.5')).toEqual({ ok: true, value: '1234.5' });
    expect(parsePrice('1e3').ok).toBe(false);
    expect(parsePrice('.5').ok).toBe(false);
  });
});

describe('help', () => {
  it('recognises help words only', () => {
    expect(['help', 'HELP', '?', ' usage '].every(isHelpRequest)).toBe(true);
    expect(isHelpRequest('buy 1 AAPL')).toBe(false);
  });

  it('shows every form in the usage', () => {
    for (const form of ['buy 100 AAPL', 'sell 50 MSFT @ 412.50 gtc', 'stop 250 limit 251', 'stop 250`', 'gmv 17500', 'in Tech Portfolio', 'fok']) {
      expect(TRADE_USAGE).toContain(form);
    }
  });
});
