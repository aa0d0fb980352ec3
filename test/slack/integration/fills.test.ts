import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RecordedCall } from '../support/slack-stand-in.js';
import { waitFor } from '../support/slack-stand-in.js';
import { Desk } from '../support/desk.js';

/**
 * Fills that happen after the order was placed: threaded under the confirmation exactly once, through
 * Slack rate limits, a failed confirmation and a restart of the bot.
 */
let desk: Desk;
let priceLevel = 150;

beforeAll(async () => {
  desk = await Desk.start();
  await desk.createPortfolio('Tech Portfolio', '10000000');
  await desk.createPortfolio('Street', '100000000', true);
}, 60_000);

afterAll(async () => {
  await desk?.stop();
});

/** A resting Slack buy at a price of its own (so tests do not fill each other's orders). */
async function restingBuy(quantity: number): Promise<{ orderId: string; ts: string; price: string }> {
  const price = `${priceLevel--}.00`;
  const trigger = `trig-rest-${price}`;
  await desk.command('/trade', `buy ${quantity} AAPL @ ${price} gtc in Tech Portfolio`, trigger, { trigger_id: trigger });
  const confirmation = await desk.standIn.waitForCall('chat.postMessage', (c) => !c.body.thread_ts && c.body.text.includes(`limit $${price}`), 10_000);
  const orderId = /\(order (\d+)\)$/.exec(confirmation.body.text)![1];
  const ts = (await waitForRow(orderId)).message_ts!;
  expect(ts).toBe(confirmation.response.ts);
  return { orderId, ts, price };
}

function waitForRow(orderId: string): Promise<{ channel_id: string; message_ts: string | null }> {
  return waitFor(() => desk.orderMessage(orderId), 5000, `the slack_order_messages row of order ${orderId}`);
}

const repliesUnder = (ts: string): RecordedCall[] => desk.standIn.callsTo('chat.postMessage').filter((c) => c.body.thread_ts === ts);
const updatesOf = (ts: string): RecordedCall[] => desk.standIn.callsTo('chat.update').filter((c) => c.body.ts === ts);

/** Gives the notifier several more polls, to catch a duplicate that would come late. */
const settle = () => new Promise((r) => setTimeout(r, 600));

describe('fill notifications', () => {
  it('threads a later fill of a resting order under its confirmation and updates the confirmation', async () => {
    const { orderId, ts, price } = await restingBuy(100);
    expect(repliesUnder(ts)).toEqual([]);

    const sell = await desk.placeDirect({ portfolio_name: 'Street', symbol: 'AAPL', side: 'SELL', quantity: 40, limit_price: price });
    const tradeId = sell.fills[0].trade_id;
    const reply = await desk.standIn.waitForCall('chat.postMessage', (c) => c.body.thread_ts === ts);
    expect(reply.body).toEqual(
      expect.objectContaining({ channel: 'C1', thread_ts: ts, text: `Fill: Bought 40 AAPL @ $${price} (GMV $${(Number(price) * 40).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}, trade ${tradeId})` }),
    );
    const update = await desk.standIn.waitForCall('chat.update', (c) => c.body.ts === ts);
    expect(update.body.channel).toBe('C1');
    expect(update.body.text).toBe(`BUY 100 AAPL limit $${price} GTC in Tech Portfolio: Partially filled 40/100 @ avg $${price} (order ${orderId})`);

    await desk.placeDirect({ portfolio_name: 'Street', symbol: 'AAPL', side: 'SELL', quantity: 60, limit_price: price });
    await waitFor(() => repliesUnder(ts).length === 2 || undefined, 5000, 'the second fill');
    await waitFor(() => updatesOf(ts).some((u) => u.body.text.includes('Filled 100/100')) || undefined, 5000, 'the Filled update');
    await settle();
    expect(repliesUnder(ts).map((c) => c.body.text.replace(/, trade \d+\)$/, ')'))).toEqual([
      expect.stringMatching(/^Fill: Bought 40 AAPL/),
      expect.stringMatching(/^Fill: Bought 60 AAPL/),
    ]);
    const { rows } = await desk.bot.bot.db.query('SELECT count(*)::int AS n, count(posted_at)::int AS posted FROM slack_fill_notices WHERE order_id = $1', [orderId]);
    expect(rows[0]).toEqual({ n: 2, posted: 2 });
  });

  it('a 429 on the fill reply does not lose it: posted once, after Retry-After', async () => {
    const { ts, price } = await restingBuy(10);
    desk.standIn.failNext('chat.postMessage', 1, { status: 429, retryAfter: 1 });
    await desk.placeDirect({ portfolio_name: 'Street', symbol: 'AAPL', side: 'SELL', quantity: 10, limit_price: price });

    const refused = await waitFor(() => desk.standIn.callsTo('chat.postMessage', 'rate_limited').find((c) => c.body.thread_ts === ts), 5000, 'the 429');
    const reply = await desk.standIn.waitForCall('chat.postMessage', (c) => c.body.thread_ts === ts, 10_000);
    expect(reply.at - refused.at).toBeGreaterThanOrEqual(950);
    await settle();
    expect(repliesUnder(ts)).toHaveLength(1);
  });

  it('an order whose confirmation Slack refused still gets its confirmation, then its fills', async () => {
    const price = `${priceLevel--}.00`;
    // Refused twice: at placement, and at the notifier's first retry (which then waits Retry-After).
    desk.standIn.failNext('chat.postMessage', 2, { status: 429, retryAfter: 1 });
    await desk.command('/trade', `buy 5 AAPL @ ${price} gtc in Tech Portfolio`, 'refused-confirmation', { trigger_id: 'trig-refused' });

    const notice = await desk.standIn.waitForResponse('refused-confirmation');
    expect(notice.body.response_type).toBe('ephemeral');
    expect(notice.body.text).toMatch(/Slack is busy; the confirmation and its fills will follow shortly\./);
    const orderId = /\(order (\d+)\)/.exec(notice.body.text)![1];
    expect(await waitForRow(orderId)).toEqual({ channel_id: 'C1', message_ts: null });

    await desk.placeDirect({ portfolio_name: 'Street', symbol: 'AAPL', side: 'SELL', quantity: 5, limit_price: price });
    const confirmation = await desk.standIn.waitForCall('chat.postMessage', (c) => !c.body.thread_ts && c.body.text.endsWith(`(order ${orderId})`), 10_000);
    const ts = confirmation.response.ts as string;
    await waitFor(async () => (await desk.orderMessage(orderId))?.message_ts === ts, 5000, 'the confirmation ts stored');
    const reply = await desk.standIn.waitForCall('chat.postMessage', (c) => c.body.thread_ts === ts, 10_000);
    expect(reply.body.text).toMatch(/^Fill: Bought 5 AAPL/);
    expect(reply.at).toBeGreaterThanOrEqual(confirmation.at);
    await settle();
    expect(repliesUnder(ts)).toHaveLength(1);
  });

  it('a bot restart between the order and its fill still posts the fill exactly once', async () => {
    const { ts, price } = await restingBuy(7);
    await desk.restartBot(async () => {
      // The fill happens while no bot runs.
      await desk.placeDirect({ portfolio_name: 'Street', symbol: 'AAPL', side: 'SELL', quantity: 7, limit_price: price });
    });
    const reply = await desk.standIn.waitForCall('chat.postMessage', (c) => c.body.thread_ts === ts, 10_000);
    expect(reply.body.text).toMatch(/^Fill: Bought 7 AAPL/);
    await desk.restartBot();
    await settle();
    expect(repliesUnder(ts)).toHaveLength(1);
  });

  it('a 5xx on the fill reply is retried by the bounded WebClient policy: posted once', async () => {
    const { ts, price } = await restingBuy(3);
    desk.standIn.failNext('chat.postMessage', 1, { status: 503 });
    await desk.placeDirect({ portfolio_name: 'Street', symbol: 'AAPL', side: 'SELL', quantity: 3, limit_price: price });
    await desk.standIn.waitForCall('chat.postMessage', (c) => c.body.thread_ts === ts, 10_000);
    await settle();
    expect(repliesUnder(ts)).toHaveLength(1);
    expect(desk.standIn.callsTo('chat.postMessage', 'http_error').filter((c) => c.body.thread_ts === ts)).toHaveLength(1);
  });

  it('a fill reply Slack refuses for good (channel gone) is given up, not retried forever', async () => {
    const { orderId, ts, price } = await restingBuy(2);
    desk.standIn.failNext('chat.postMessage', 1, { error: 'channel_not_found' });
    await desk.placeDirect({ portfolio_name: 'Street', symbol: 'AAPL', side: 'SELL', quantity: 2, limit_price: price });
    await waitFor(() => desk.standIn.callsTo('chat.postMessage', 'error').find((c) => c.body.thread_ts === ts), 5000, 'the refused reply');
    await settle();
    expect(desk.standIn.callsTo('chat.postMessage', 'any').filter((c) => c.body.thread_ts === ts)).toHaveLength(1);
    // The notifier marks the notice handled only after Slack's refusal came back: wait for that write.
    await waitFor(async () => {
      const { rows } = await desk.bot.bot.db.query('SELECT count(posted_at)::int AS handled FROM slack_fill_notices WHERE order_id = $1', [orderId]);
      return rows[0].handled === 1 || undefined;
    }, 5000, 'the refused notice to be marked handled');
  });

  it('an order whose channel refuses its confirmation is confirmed in the user\'s DM, and its fills follow there', async () => {
    const price = `${priceLevel--}.00`;
    desk.standIn.failNext('chat.postMessage', 1, { error: 'not_in_channel' });
    await desk.command('/trade', `buy 4 AAPL @ ${price} gtc in Tech Portfolio`, 'dm-order', { trigger_id: 'trig-dm-order', channel_id: 'G-private' });
    const dm = await desk.standIn.waitForCall('chat.postMessage', (c) => c.body.channel === 'U1' && !c.body.thread_ts && c.body.text.includes(`limit $${price}`), 10_000);
    expect(dm.body.text).toContain("I could not post in <#G-private> (not_in_channel), so this order's confirmation and fills come here.");
    // Its author hears where it went, privately, in the channel the command came from.
    expect((await desk.standIn.waitForResponse('dm-order')).body.text).toContain('go to our direct messages');
    const orderId = /\(order (\d+)\)/.exec(dm.body.text)![1];
    expect(await waitForRow(orderId)).toMatchObject({ channel_id: 'U1', message_ts: dm.response.ts });

    await desk.placeDirect({ portfolio_name: 'Street', symbol: 'AAPL', side: 'SELL', quantity: 4, limit_price: price });
    const reply = await desk.standIn.waitForCall('chat.postMessage', (c) => c.body.thread_ts === dm.response.ts, 10_000);
    expect(reply.body.channel).toBe('U1');
    expect(reply.body.text).toMatch(/4/);
  });

  it('in a burst of fills, confirmation updates wait their turn (2 at a time) behind the fill replies', async () => {
    // Six resting Slack buys of NVDA (no other test trades it), then one sell that fills them all.
    const orders: { orderId: string; ts: string }[] = [];
    for (let k = 0; k < 6; k++) {
      const price = `${120 - k}.00`;
      const trigger = `trig-burst-${k}`;
      await desk.command('/trade', `buy 10 NVDA @ ${price} gtc in Tech Portfolio`, trigger, { trigger_id: trigger });
      const confirmation = await desk.standIn.waitForCall('chat.postMessage', (c) => !c.body.thread_ts && c.body.text.includes(`NVDA limit $${price}`), 10_000);
      const orderId = /\(order (\d+)\)$/.exec(confirmation.body.text)![1];
      orders.push({ orderId, ts: (await waitForRow(orderId)).message_ts! });
    }
    desk.standIn.slowDown('chat.update', 150);
    desk.standIn.maxInFlight.delete('chat.update');
    try {
      const sell = await desk.placeDirect({ portfolio_name: 'Street', symbol: 'NVDA', side: 'SELL', quantity: 60, limit_price: '115.00' });
      expect(sell.fills).toHaveLength(6);
      const replies = await waitFor(() => {
        const r = orders.map(({ ts }) => repliesUnder(ts)[0]);
        return r.every(Boolean) && r;
      }, 10_000, 'a fill reply under each of the six confirmations');
      const updates = await waitFor(() => {
        const u = orders.map(({ ts }) => updatesOf(ts)[0]);
        return u.every(Boolean) && u;
      }, 10_000, 'an update of each of the six confirmations');
      expect(desk.standIn.maxInFlight.get('chat.update')).toBeLessThanOrEqual(2);
      // Two at a time, the last of six 150 ms updates arrives 300 ms or more after the first; the replies did not wait.
      expect(Math.max(...replies.map((c) => c.at))).toBeLessThan(Math.max(...updates.map((c) => c.at)));
      for (const u of updates) expect(u.body.text).toMatch(/^BUY 10 NVDA limit \$\d+\.00 GTC in Tech Portfolio: Filled 10\/10/);
    } finally {
      desk.standIn.slowDown('chat.update', 0);
    }
  });

  it('fills of orders not placed from Slack are not posted', async () => {
    const before = desk.standIn.callsTo('chat.postMessage').length;
    await desk.placeDirect({ portfolio_name: 'Tech Portfolio', symbol: 'AAPL', side: 'BUY', quantity: 1, limit_price: '100.00' });
    await desk.placeDirect({ portfolio_name: 'Street', symbol: 'AAPL', side: 'SELL', quantity: 1, limit_price: '100.00' });
    await settle();
    expect(desk.standIn.callsTo('chat.postMessage').length).toBe(before);
  });
});
