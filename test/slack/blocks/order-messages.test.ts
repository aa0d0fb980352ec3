import { describe, expect, it } from '@jest/globals';
import { CANCEL_ORDER_ACTION } from '../../../src/slack/blocks/cancel-button.js';
import { buildBookedTrade } from '../../../src/slack/blocks/booked-trade.js';
import { buildFillReply } from '../../../src/slack/blocks/fill-reply.js';
import { buildOrderConfirmation, slackUserOf } from '../../../src/slack/blocks/order-confirmation.js';
import { anOrder, aTrade, visibleText } from '../support/fixtures.js';

describe('order confirmation', () => {
  it('describes a working limit order and offers Cancel with the order id', () => {
    const msg = buildOrderConfirmation(anOrder());
    expect(msg.text).toBe('BUY 100 AAPL limit $175.25 GTC in Tech Portfolio: Working (order 101)');
    expect(msg.blocks[0]).toEqual({
      type: 'section',
      block_id: 'confirmation_101',
      text: { type: 'mrkdwn', text: '*BUY 100 AAPL limit $175.25 GTC*\nPortfolio *Tech Portfolio* · by <@U1>' },
      accessory: expect.objectContaining({ type: 'button', action_id: CANCEL_ORDER_ACTION, value: '101' }),
    });
    expect(visibleText(msg.blocks.slice(1))).toBe('Order `101` · *Working*');
  });

  it("escapes a rejection's free-text reason (given over REST): it cannot mention the channel nor post a link in the bot's voice", () => {
    const msg = buildOrderConfirmation(anOrder({ status: 'REJECTED', reason: '<!channel> see <https://evil.example|the memo> & act' }));
    const shown = `${msg.text}\n${JSON.stringify(msg.blocks)}`;
    expect(shown).not.toMatch(/<!channel>|<https:/);
    expect(msg.text).toContain('Rejected (&lt;!channel&gt; see &lt;https://evil.example|the memo&gt; &amp; act)');
  });

  it('shows fills and average price, and no Cancel once the order is done', () => {
    const msg = buildOrderConfirmation(anOrder({ status: 'FILLED', filled_quantity: 100, remaining_quantity: 0, avg_fill_price: '175.2' }));
    expect(visibleText(msg.blocks)).toContain('*Filled 100/100 @ avg $175.20*');
    expect(JSON.stringify(msg.blocks)).not.toContain(CANCEL_ORDER_ACTION);
  });

  it('shows a partial fill as still cancelable', () => {
    const msg = buildOrderConfirmation(anOrder({ status: 'PARTIALLY_FILLED', filled_quantity: 40, remaining_quantity: 60, avg_fill_price: '175.25' }));
    expect(msg.text).toContain('Partially filled 40/100 @ avg $175.25');
    expect(JSON.stringify(msg.blocks)).toContain(CANCEL_ORDER_ACTION);
  });

  it('describes market, stop and stop-limit orders and their states', () => {
    expect(buildOrderConfirmation(anOrder({ type: 'MARKET', limit_price: null, time_in_force: 'DAY' })).text).toMatch(/^BUY 100 AAPL market in /);
    expect(buildOrderConfirmation(anOrder({ type: 'STOP', limit_price: null, stop_price: '250', triggered: false })).text).toBe(
      'BUY 100 AAPL stop $250.00 GTC in Tech Portfolio: Waiting for the stop to trigger (order 101)',
    );
    expect(buildOrderConfirmation(anOrder({ type: 'STOP_LIMIT', limit_price: '251', stop_price: '250' })).text).toMatch(/stop-limit stop \$250\.00 limit \$251\.00 GTC/);
    expect(buildOrderConfirmation(anOrder({ status: 'CANCELED', reason: 'SELF_TRADE' })).text).toContain('Canceled (self trade)');
  });

  it('names the Slack user only for Slack user ids', () => {
    expect(slackUserOf('slack:T1:U9')).toBe('U9');
    expect(slackUserOf('script-7')).toBeUndefined();
    expect(visibleText(buildOrderConfirmation(anOrder({ user_id: 'script-7' })).blocks)).not.toContain('<@');
  });
});

describe('fill thread reply', () => {
  it('says what this order bought, at what price, with the GMV and trade id', () => {
    const msg = buildFillReply(aTrade(), '101');
    expect(msg.text).toBe('Fill: Bought 40 AAPL @ $175.25 (GMV $7,010.00, trade 9001)');
    expect(visibleText(msg.blocks)).toContain('Trade `9001` · order `101` · <!date^1795428300^{date_short} {time_secs}|2026-11-23T10:05:00.000Z>');
  });

  it('speaks from the seller side when the order sold', () => {
    expect(buildFillReply(aTrade(), '202').text).toMatch(/^Fill: Sold 40 AAPL/);
  });
});

describe('booked (gmv) trade confirmation', () => {
  it('states the booking from the portfolio\'s side, with GMV, trade id and author', () => {
    const trade = aTrade({ kind: 'BOOKED', buy_order_id: null, sell_order_id: null, buy_portfolio: 'Growth', sell_portfolio: 'HOUSE', quantity: 100, price: '175', gmv: '17500' });
    const msg = buildBookedTrade(trade, 'Growth', 'U1');
    expect(msg.text).toBe('Booked: BUY 100 AAPL @ $175.00 in Growth (GMV $17,500.00, trade 9001)');
    expect(visibleText(msg.blocks)).toContain('Portfolio *Growth* · by <@U1>');
    expect(buildBookedTrade({ ...trade, buy_portfolio: 'HOUSE', sell_portfolio: 'Growth' }, 'Growth').text).toMatch(/^Booked: SELL 100 AAPL/);
  });
});
