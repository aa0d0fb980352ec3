import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CANCEL_ORDER_ACTION } from '../../../src/slack/blocks/cancel-button.js';
import { TICKET, TRADE_TICKET_CALLBACK } from '../../../src/slack/blocks/trade-ticket.js';
import { Desk } from '../support/desk.js';
import { ticketValues, visibleText } from '../support/fixtures.js';
import { waitFor } from '../support/slack-stand-in.js';

/** The other commands, the modal, the Cancel button and App Home, against a real OMS. */
let desk: Desk;

beforeAll(async () => {
  desk = await Desk.start();
  await desk.createPortfolio('Tech Portfolio', '10000');
  await desk.createPortfolio('Street', '100000000', true);
  await desk.placeDirect({ portfolio_name: 'Street', symbol: 'AAPL', side: 'SELL', quantity: 500, limit_price: '175.00' });
  await desk.placeDirect({ portfolio_name: 'Street', symbol: 'AAPL', side: 'BUY', quantity: 300, limit_price: '174.50' });
}, 60_000);

afterAll(async () => {
  await desk?.stop();
});

/** Sends `/trade <text>` and returns the id of the order its new confirmation names. */
async function placeFromSlack(text: string, trigger: string): Promise<string> {
  const seen = desk.standIn.callsTo('chat.postMessage').length;
  await desk.command('/trade', text, trigger, { trigger_id: trigger });
  const confirmation = await waitFor(() => desk.standIn.callsTo('chat.postMessage').slice(seen).find((c) => !c.body.thread_ts), 10_000, `the confirmation of ${text}`);
  return /\(order (\d+)\)$/.exec(confirmation.body.text)![1];
}

describe('/portfolio', () => {
  it('posts the summary in the channel with the right numbers', async () => {
    // 10 AAPL bought at 175.00 from 10,000.00 cash, then marked at 180.00.
    await desk.command('/trade', 'buy 10 AAPL in Tech Portfolio', 'pf-buy', { trigger_id: 'trig-pf-buy' });
    await desk.standIn.waitForCall('chat.postMessage', (c) => c.body.text.startsWith('BUY 10 AAPL market in Tech Portfolio: Filled'));
    await desk.setReferencePrice('AAPL', '180');

    await desk.command('/portfolio', 'Tech Portfolio', 'pf-show');
    const reply = (await desk.standIn.waitForResponse('pf-show')).body;
    expect(reply.response_type).toBe('in_channel');
    const totals = reply.blocks.find((b: any) => b.block_id === 'totals');
    expect(totals.fields.map((f: any) => f.text)).toEqual([
      '*Cash*\n$8,250.00',
      '*Equity*\n$10,050.00',
      '*Market value*\n$1,800.00',
      '*Total P&L*\n+$50.00',
      '*Unrealized P&L*\n+$50.00',
      '*Realized P&L*\n$0.00',
      '*GMV*\n$1,800.00',
      '*Open orders*\n0',
    ]);
    const table = reply.blocks.find((b: any) => b.type === 'table');
    expect(table.rows[1].map((c: any) => c.text)).toEqual(['AAPL', '10', '175.00', '180.00', '$1,800.00', '+$50.00', '$0.00']);
  });

  it('explains an unknown portfolio with the usage', async () => {
    await desk.command('/portfolio', 'Nobody', 'pf-unknown');
    const reply = (await desk.standIn.waitForResponse('pf-unknown')).body;
    expect(reply).toEqual(expect.objectContaining({ response_type: 'ephemeral', text: expect.stringMatching(/^There is no portfolio by that name\..*\n`\/portfolio`/s) }));
  });
});

describe('/quote', () => {
  it('shows the top of the book and the reference price', async () => {
    await desk.command('/quote', 'aapl', 'quote');
    const reply = (await desk.standIn.waitForResponse('quote')).body;
    expect(reply.response_type).toBe('in_channel');
    expect(reply.text).toBe('AAPL: bid $174.50 × 300, ask $175.00 × 490, last $175.00, reference $180.00 (simulator, live, 24/7)');
  });

  it('explains an unknown symbol', async () => {
    await desk.command('/quote', 'ZZZZ', 'quote-unknown');
    expect((await desk.standIn.waitForResponse('quote-unknown')).body.text).toMatch(/^That symbol is not traded on this desk\./);
  });
});

describe('/orders, the Cancel button and /cancel', () => {
  it('lists open orders privately, each with a Cancel button carrying its id', async () => {
    const id = await placeFromSlack('buy 2 AAPL @ 170 gtc in Tech Portfolio', 'trig-list');
    await desk.command('/orders', 'Tech Portfolio', 'orders');
    const reply = (await desk.standIn.waitForResponse('orders')).body;
    expect(reply.response_type).toBe('ephemeral');
    const buttons = reply.blocks.filter((b: any) => b.accessory?.action_id === CANCEL_ORDER_ACTION).map((b: any) => b.accessory.value);
    expect(buttons).toEqual([id]);
  });

  it('Cancel on the list cancels in the OMS, re-renders the list and updates the confirmation', async () => {
    const id = (await desk.openOrders('Tech Portfolio'))[0].id as string;
    // The bot stores where it confirmed the order just after posting the confirmation.
    const row = await waitFor(async () => {
      const r = await desk.orderMessage(id);
      return r?.message_ts ? r : undefined;
    }, 5000, 'the order message row with its ts');
    const res = await desk.click({ actionId: CANCEL_ORDER_ACTION, value: id, replyId: 'cancel-list', container: { type: 'message', is_ephemeral: true } });
    expect(res.status).toBe(200);
    const replaced = (await desk.standIn.waitForResponse('cancel-list')).body;
    expect(replaced.replace_original).toBe(true);
    expect(visibleText(replaced.blocks)).toContain(`Canceled order ${id}: BUY 2 AAPL limit $170.00 GTC.`);
    expect(visibleText(replaced.blocks)).toContain('No open orders.');
    expect((await desk.rest('GET', `/orders/${id}`)).status).toBe('CANCELED');
    const update = await desk.standIn.waitForCall('chat.update', (c) => c.body.ts === row.message_ts);
    expect(update.body.text).toContain(`Canceled (user) (order ${id})`);
  });

  it('/orders with a portfolio that does not exist says so, not "no open orders"', async () => {
    await desk.command('/orders', 'tech portfolio', 'orders-typo');
    const reply = (await desk.standIn.waitForResponse('orders-typo')).body;
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toMatch(/^There is no portfolio by that name\..*\n`\/orders`/s);
  });

  it('text no command can hold is refused privately, with the usage, by every command', async () => {
    for (const [command, usage] of [
      ['/orders', /\n`\/orders`  open orders/],
      ['/cancel', /\n`\/cancel 1234`/],
      ['/portfolio', /\n`\/portfolio`  the summary/],
      ['/quote', /\n`\/quote AAPL`/],
      ['/trade', /\n\*How to trade\*/],
    ] as const) {
      const res = await desk.command(command, 'Tech\u0007Portfolio', `bell-${command}`);
      expect(res.status).toBe(200);
      const reply = (await res.json()) as { response_type: string; text: string };
      expect({ command, type: reply.response_type }).toEqual({ command, type: 'ephemeral' });
      expect(reply.text).toMatch(/^I can't read that: the text holds a control character \(U\+0007 at index 4\)\./);
      expect(reply.text).toMatch(usage);
    }
  });

  it('help on /orders, /cancel, /portfolio and /quote answers their usage, privately', async () => {
    for (const [command, usage] of [
      ['/orders', /^`\/orders`  open orders/],
      ['/cancel', /^`\/cancel 1234`/],
      ['/portfolio', /^`\/portfolio`  the summary/],
      ['/quote', /^`\/quote AAPL`/],
    ] as const) {
      const res = await desk.command(command, ' Help ', `help-${command}`);
      expect(res.status).toBe(200);
      const reply = (await res.json()) as { response_type: string; text: string };
      expect({ command, type: reply.response_type }).toEqual({ command, type: 'ephemeral' });
      expect(reply.text).toMatch(usage);
    }
  });

  it('/cancel cancels, and a second /cancel says the order is no longer open', async () => {
    const id = await placeFromSlack('buy 3 AAPL @ 171 gtc in Tech Portfolio', 'trig-cancel');
    await desk.command('/cancel', id, 'cancel-1');
    expect((await desk.standIn.waitForResponse('cancel-1')).body.text).toBe(`Canceled order \`${id}\`: BUY 3 AAPL limit $171.00 GTC.`);
    await desk.command('/cancel', id, 'cancel-2');
    const again = (await desk.standIn.waitForResponse('cancel-2')).body;
    expect(again.text).toMatch(/^That order is no longer open.*\n`\/cancel 1234`/s);
  });
});

describe('trade ticket modal', () => {
  const values = ticketValues;

  it('opens from /trade and places the submitted order once, confirmed in the channel it came from', async () => {
    await desk.command('/trade', '', 'modal', { trigger_id: 'trig-modal', channel_id: 'C-modal' });
    const open = await desk.standIn.waitForCall('views.open', (c) => c.body.trigger_id === 'trig-modal');
    const submission = {
      callbackId: TRADE_TICKET_CALLBACK,
      viewId: 'V-good',
      privateMetadata: open.body.view.private_metadata,
      values: values({ side: 'BUY', symbol: 'aapl', quantity: '4', type: 'LIMIT', limitPrice: '172.5', timeInForce: 'GTC', portfolio: 'Tech Portfolio' }),
    };
    const res = await desk.submitView(submission);
    expect([res.status, res.text]).toEqual([200, '']);
    const confirmation = await desk.standIn.waitForCall('chat.postMessage', (c) => c.body.channel === 'C-modal');
    expect(confirmation.body.text).toMatch(/^BUY 4 AAPL limit \$172\.50 GTC in Tech Portfolio: Working/);

    await desk.submitView(submission);
    await new Promise((r) => setTimeout(r, 300));
    expect((await desk.openOrders('Tech Portfolio')).filter((o) => o.limit_price === '172.50')).toHaveLength(1);
    expect(desk.standIn.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C-modal')).toHaveLength(1);
  });

  it('shows field errors in the modal and places nothing', async () => {
    const res = await desk.submitView({
      callbackId: TRADE_TICKET_CALLBACK,
      privateMetadata: JSON.stringify({ team: 'T1', channel: 'C-modal' }),
      values: values({ side: 'SELL', symbol: 'AAPL', quantity: '0', type: 'STOP' }),
    });
    expect(res.json()).toEqual({
      response_action: 'errors',
      errors: { [TICKET.quantity.block]: 'The quantity must be more than 0.', [TICKET.stopPrice.block]: 'A stop or stop-limit order needs a stop price.' },
    });
  });

  it('shows what is wrong with text no OMS input may hold under its field, and places nothing', async () => {
    const before = (await desk.ordersOf('Tech Portfolio')).length;
    const res = await desk.submitView({
      callbackId: TRADE_TICKET_CALLBACK,
      privateMetadata: JSON.stringify({ team: 'T1', channel: 'C-modal' }),
      values: values({ side: 'BUY', symbol: 'AAPL', quantity: '1', type: 'MARKET', portfolio: 'Tech\u0000Portfolio' }),
    });
    expect(res.json()).toEqual({ response_action: 'errors', errors: { [TICKET.portfolio.block]: 'This text holds a control character (U+0000 at index 4).' } });
    expect((await desk.ordersOf('Tech Portfolio')).length).toBe(before);
  });

  it('from a channel the bot cannot post in, says what became of the ticket in a direct message', async () => {
    desk.standIn.failNext('chat.postMessage', 1, { error: 'channel_not_found' });
    desk.standIn.failNext('chat.postEphemeral', 1, { error: 'channel_not_found' });
    const submit = (viewId: string, fields: Partial<Record<keyof typeof TICKET, string>>) =>
      desk.submitView({ callbackId: TRADE_TICKET_CALLBACK, viewId, privateMetadata: JSON.stringify({ team: 'T1', channel: 'G-private' }), values: values(fields) });
    await submit('V-private-1', { side: 'BUY', symbol: 'AAPL', quantity: '1', type: 'LIMIT', limitPrice: '150', timeInForce: 'GTC', portfolio: 'Tech Portfolio' });
    // Placed: the confirmation itself goes to the DM, saying why.
    const placed = await desk.standIn.waitForCall('chat.postMessage', (c) => c.body.channel === 'U1' && /so this order's confirmation and fills come here/.test(c.body.text));
    expect(placed.body.text).toMatch(/^BUY 1 AAPL limit \$150\.00 GTC in Tech Portfolio: Working/);
    // Refused: the whisper in the channel fails too, so the refusal is a DM as well.
    await submit('V-private-2', { side: 'BUY', symbol: 'ZZZZ', quantity: '1', type: 'MARKET', portfolio: 'Tech Portfolio' });
    const refused = await desk.standIn.waitForCall('chat.postMessage', (c) => c.body.channel === 'U1' && /not traded/.test(c.body.text));
    expect(refused.body.text).toMatch(/^That symbol is not traded on this desk\./);
  });

  it('reports an OMS refusal as an ephemeral message in the channel', async () => {
    await desk.submitView({
      callbackId: TRADE_TICKET_CALLBACK,
      privateMetadata: JSON.stringify({ team: 'T1', channel: 'C-modal' }),
      values: values({ side: 'BUY', symbol: 'ZZZZ', quantity: '1', type: 'MARKET', portfolio: 'Tech Portfolio' }),
    });
    const ephemeral = await desk.standIn.waitForCall('chat.postEphemeral', (c) => c.body.channel === 'C-modal');
    expect(ephemeral.body).toEqual(expect.objectContaining({ user: 'U1', text: expect.stringMatching(/^That symbol is not traded on this desk\./) }));
  });
});

describe('App Home', () => {
  it('publishes the user\'s open orders and the portfolios when the Home tab opens', async () => {
    const mine = (await desk.openOrders('Tech Portfolio')).filter((o) => o.user_id === 'slack:T1:U1').map((o) => o.id);
    expect(mine.length).toBeGreaterThan(0);
    await desk.event({ type: 'app_home_opened', user: 'U1', channel: 'D1', tab: 'home', event_ts: `${Date.now() / 1000}` });
    const publish = await desk.standIn.waitForCall('views.publish', (c) => c.body.user_id === 'U1');
    expect(publish.body.view.type).toBe('home');
    const buttons = publish.body.view.blocks.filter((b: any) => b.accessory?.action_id === CANCEL_ORDER_ACTION).map((b: any) => b.accessory.value);
    expect(buttons.sort()).toEqual(mine.sort());
    const text = visibleText(publish.body.view.blocks);
    expect(text).toContain('*Tech Portfolio*');
    expect(text).toContain('*Street*');
  });

  it('Cancel on App Home cancels and re-publishes the Home with a notice', async () => {
    const id = (await desk.openOrders('Tech Portfolio')).find((o) => o.user_id === 'slack:T1:U1').id as string;
    const before = desk.standIn.callsTo('views.publish').length;
    await desk.click({ actionId: CANCEL_ORDER_ACTION, value: id, replyId: 'cancel-home', container: { type: 'view', view_id: 'VHOME' } });
    const publish = await waitFor(() => desk.standIn.callsTo('views.publish')[before], 5000, 'the re-published Home');
    expect(visibleText(publish.body.view.blocks)).toContain(`Canceled order ${id}`);
    expect(JSON.stringify(publish.body.view.blocks)).not.toContain(`"value":"${id}"`);
    expect((await desk.rest('GET', `/orders/${id}`)).status).toBe('CANCELED');
  });
});
