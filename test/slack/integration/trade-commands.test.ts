import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TICKET } from '../../../src/slack/blocks/trade-ticket.js';
import { Desk } from '../support/desk.js';
import { type RecordedCall, waitFor } from '../support/slack-stand-in.js';

/**
 * `/trade` end to end: signed command -> Bolt -> real OMS over REST -> confirmation at the Slack
 * stand-in -> the bot's own row. Street (a script's portfolio, shorting allowed) provides liquidity.
 */
let desk: Desk;

beforeAll(async () => {
  desk = await Desk.start();
  await desk.createPortfolio('Tech Portfolio', '1000000', true);
  await desk.createPortfolio('Street', '100000000', true);
  await desk.createPortfolio('Growth', '500000');
  await desk.createPortfolio('Small', '100');
  await desk.setReferencePrice('TSLA', '240');
  await desk.placeDirect({ portfolio_name: 'Street', symbol: 'AAPL', side: 'SELL', quantity: 1000, limit_price: '175.00' });
  await desk.placeDirect({ portfolio_name: 'Street', symbol: 'MSFT', side: 'BUY', quantity: 1000, limit_price: '400.00' });
}, 60_000);

afterAll(async () => {
  await desk?.stop();
});

/** Sends `/trade <text>`, waits for the confirmation naming the new order, returns the OMS order. */
async function trade(text: string, trigger = `trig-${Math.random()}`): Promise<{ order: any; confirmation: any }> {
  const before = new Set(desk.standIn.callsTo('chat.postMessage').map((c) => c.body.text));
  const res = await desk.command('/trade', text, `trade-${trigger}`, { trigger_id: trigger });
  expect([res.status, res.text]).toEqual([200, '']);
  const confirmation = await desk.standIn.waitForCall('chat.postMessage', (c) => !c.body.thread_ts && !before.has(c.body.text), 10_000);
  const id = /\(order (\d+)\)$/.exec(confirmation.body.text)?.[1];
  expect(id).toBeDefined();
  const order = await desk.rest('GET', `/orders/${id}`);
  return { order, confirmation };
}

describe('each /trade form is placed end to end', () => {
  it('market: buy 100 AAPL fills against the book and is confirmed in the channel', async () => {
    const { order, confirmation } = await trade('buy 100 AAPL in Tech Portfolio');
    expect(order).toEqual(
      expect.objectContaining({
        symbol: 'AAPL',
        side: 'BUY',
        type: 'MARKET',
        quantity: 100,
        status: 'FILLED',
        filled_quantity: 100,
        portfolio_name: 'Tech Portfolio',
        user_id: 'slack:T1:U1',
        origin: { slack: { team: 'T1', channel: 'C1', user: 'U1' } },
        client_order_id: expect.stringMatching(/^slack-[0-9a-f]{40}$/),
      }),
    );
    expect(confirmation.body.channel).toBe('C1');
    expect(confirmation.body.text).toBe(`BUY 100 AAPL market in Tech Portfolio: Filled 100/100 @ avg $175.00 (order ${order.id})`);
    expect(confirmation.token).toBe('xoxb-test-token');
    const row = await waitFor(async () => desk.orderMessage(order.id), 5000, 'the order message row');
    expect(row).toEqual({ channel_id: 'C1', message_ts: confirmation.response.ts });
  });

  it('limit with time in force: sell 50 MSFT @ 412.50 gtc rests', async () => {
    const { order } = await trade('sell 50 MSFT @ 412.50 gtc in Tech Portfolio');
    expect(order).toEqual(expect.objectContaining({ side: 'SELL', type: 'LIMIT', quantity: 50, limit_price: '412.50', time_in_force: 'GTC', status: 'NEW' }));
  });

  it('limit written with the word: buy 5 MSFT limit 399.99 ioc is canceled unfilled', async () => {
    const { order } = await trade('buy 5 MSFT limit 399.99 ioc in Tech Portfolio');
    expect(order).toEqual(expect.objectContaining({ type: 'LIMIT', limit_price: '399.99', time_in_force: 'IOC', status: 'CANCELED' }));
  });

  it('stop-limit: buy 10 TSLA stop 250 limit 251 waits for its trigger', async () => {
    const { order, confirmation } = await trade('buy 10 TSLA stop 250 limit 251 in Tech Portfolio');
    expect(order).toEqual(expect.objectContaining({ type: 'STOP_LIMIT', stop_price: '250.00', limit_price: '251.00', status: 'NEW' }));
    expect(confirmation.body.text).toContain('stop-limit stop $250.00 limit $251.00');
  });

  it('stop: buy 10 TSLA stop 250', async () => {
    const { order } = await trade('buy 10 TSLA stop 250 in Tech Portfolio');
    expect(order).toEqual(expect.objectContaining({ type: 'STOP', stop_price: '250.00', limit_price: null, status: 'NEW' }));
  });

  it('gmv: buy 100 AAPL gmv 17500 books at 175 through POST /trade, confirmed in the channel', async () => {
    await desk.command('/trade', 'buy 100 AAPL gmv 17500 in Growth', 'gmv', { trigger_id: 'trig-gmv' });
    const confirmation = await desk.standIn.waitForCall('chat.postMessage', (c) => String(c.body.text).startsWith('Booked:'), 10_000);
    expect(confirmation.body.text).toMatch(/^Booked: BUY 100 AAPL @ \$175\.00 in Growth \(GMV \$17,500\.00, trade (\d+)\)$/);
    const tradeId = /trade (\d+)\)$/.exec(confirmation.body.text)![1];
    expect(await desk.rest('GET', `/trades/${tradeId}`)).toEqual(
      expect.objectContaining({ symbol: 'AAPL', price: '175.00', quantity: 100, gmv: '17500.00', kind: 'BOOKED', buy_portfolio: 'Growth' }),
    );
    const growth = await desk.rest('GET', '/portfolio/Growth');
    expect(growth.positions).toEqual([expect.objectContaining({ symbol: 'AAPL', quantity: 100, avg_cost: '175.00' })]);
  });

  it('a quoted portfolio anywhere: buy 1 AAPL in "Growth" @ 170 day', async () => {
    const { order } = await trade('buy 1 AAPL in "Growth" @ 170 day');
    expect(order).toEqual(expect.objectContaining({ portfolio_name: 'Growth', limit_price: '170.00', time_in_force: 'DAY', status: 'NEW' }));
  });

  it('the channel default applies after /portfolio use, and the default setting is announced', async () => {
    await desk.command('/portfolio', 'use Growth', 'use-growth', { channel_id: 'C-growth' });
    const announced = await desk.standIn.waitForResponse('use-growth');
    expect(announced.body).toEqual(expect.objectContaining({ response_type: 'in_channel', text: expect.stringContaining("set this channel's portfolio to *Growth*") }));
    await desk.command('/trade', 'buy 2 AAPL @ 170', 'default-trade', { channel_id: 'C-growth', trigger_id: 'trig-default' });
    const confirmation = await desk.standIn.waitForCall('chat.postMessage', (c) => c.body.channel === 'C-growth');
    expect(confirmation.body.text).toMatch(/^BUY 2 AAPL limit \$170\.00 DAY in Growth: Working/);
  });

  it("the trade ticket shows the portfolio a command would use: the channel's default over the bot's", async () => {
    const ticketPortfolio = async (channel: string, trigger: string) => {
      await desk.command('/trade', '', `ticket-${trigger}`, { channel_id: channel, trigger_id: trigger });
      const open = await desk.standIn.waitForCall('views.open', (c) => c.body.trigger_id === trigger);
      const block = open.body.view.blocks.find((b: { block_id?: string }) => b.block_id === TICKET.portfolio.block);
      return block.element.initial_value as string | undefined;
    };
    await desk.command('/portfolio', 'use Growth', 'use-growth-ticket', { channel_id: 'C-ticket' });
    await desk.standIn.waitForResponse('use-growth-ticket');
    expect(await ticketPortfolio('C-ticket', 'trig-ticket-1')).toBe('Growth');
    expect(await ticketPortfolio('C-no-default', 'trig-ticket-2')).toBeUndefined();
  });

  it('a redelivered command (same trigger_id) places one order and one confirmation', async () => {
    const first = await desk.command('/trade', 'buy 3 AAPL @ 160 gtc in Tech Portfolio', 'dup-1', { trigger_id: 'trig-dup' });
    const second = await desk.command('/trade', 'buy 3 AAPL @ 160 gtc in Tech Portfolio', 'dup-2', { trigger_id: 'trig-dup' });
    expect([first.status, second.status]).toEqual([200, 200]);
    await desk.standIn.waitForCall('chat.postMessage', (c) => /BUY 3 AAPL limit \$160\.00 GTC/.test(c.body.text));
    await new Promise((r) => setTimeout(r, 500));
    const orders = (await desk.ordersOf('Tech Portfolio')).filter((o) => o.limit_price === '160.00');
    expect(orders).toHaveLength(1);
    expect(desk.standIn.callsTo('chat.postMessage').filter((c) => /BUY 3 AAPL limit \$160\.00 GTC/.test(c.body.text))).toHaveLength(1);
  });

  it('a redelivered gmv command (same trigger_id) books one trade and one confirmation', async () => {
    const gmvTrades = async () => (await desk.rest<{ data: any[] }>('GET', '/trades?portfolio=Growth&symbol=AAPL&limit=500')).data.filter((t) => t.gmv === '3300.00');
    await desk.command('/trade', 'buy 20 AAPL gmv 3300 in Growth', 'gmv-dup-1', { trigger_id: 'trig-gmv-dup' });
    await desk.command('/trade', 'buy 20 AAPL gmv 3300 in Growth', 'gmv-dup-2', { trigger_id: 'trig-gmv-dup' });
    const booked = (c: RecordedCall) => String(c.body.text).startsWith('Booked: BUY 20 AAPL @ $165.00 in Growth (GMV $3,300.00');
    await desk.standIn.waitForCall('chat.postMessage', booked, 10_000);
    // Both deliveries have been answered by now or soon; give the second one time to (not) book.
    await new Promise((r) => setTimeout(r, 500));
    expect(await gmvTrades()).toHaveLength(1);
    expect(desk.standIn.callsTo('chat.postMessage').filter(booked)).toHaveLength(1);
  });
});

describe('each error is an ephemeral reply with the usage', () => {
  async function replyTo(text: string, id: string): Promise<any> {
    const res = await desk.command('/trade', text, id);
    expect(res.status).toBe(200);
    if (res.text !== '') return res.json();
    return (await desk.standIn.waitForResponse(id, 10_000)).body;
  }

  it.each([
    ['bad text', 'buy 100 AAPL at once', /^I don't understand "at"\./],
    ['unknown symbol', 'buy 1 ZZZZ in Tech Portfolio', /^That symbol is not traded on this desk\./],
    ['unknown portfolio', 'buy 1 AAPL in No Such Portfolio', /^There is no portfolio by that name\./],
    ['insufficient cash', 'buy 100 AAPL @ 175 in Small', /^Not enough cash in the portfolio for this order\./],
    ['short selling', 'sell 10 MSFT @ 500 in Growth', /^This portfolio cannot sell short/],
    ['price off tick', 'buy 1 AAPL @ 170.001 in Tech Portfolio', /^The price is not a multiple of the symbol's tick size\./],
    ['a control character', 'buy 1 AAPL in Tech\u0000Portfolio', /^I can't read that: the text holds a control character \(U\+0000 at index 18\)\./],
    ['a right-to-left override', 'buy 1 AAPL in \u202EoiloftroP hceT', /^I can't read that: the text holds a bidirectional override/],
  ])('%s', async (_case, text, message) => {
    const reply = await replyTo(text, `err-${text}`);
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toMatch(message);
    expect(reply.text).toContain('*How to trade*');
    expect(reply.text).toContain('/trade buy 10 TSLA stop 250 limit 251');
  });

  it('places nothing for a refused order', async () => {
    expect((await desk.ordersOf('Small')).filter((o) => o.status !== 'REJECTED')).toEqual([]);
  });
});
