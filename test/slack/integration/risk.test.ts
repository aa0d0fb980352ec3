import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { APPROVE_ORDER_ACTION, REJECT_ORDER_ACTION } from '../../../src/slack/blocks/approval-buttons.js';
import { Desk } from '../support/desk.js';
import { CHANNEL, USER } from '../support/signed-request.js';
import { visibleText } from '../support/fixtures.js';
import { waitFor } from '../support/slack-stand-in.js';

/**
 * /halt, /resume and /reduce-only, and the approval request of an order above its portfolio's
 * threshold with its Approve and Reject buttons: signed requests to the real bot, the Slack stand-in,
 * a real OMS.
 */
let desk: Desk;
let approverKey: string;
const OTHER_USER = 'U0APPROVER';

beforeAll(async () => {
  desk = await Desk.start();
  await desk.createPortfolio('Tech Portfolio', '100000');
  await desk.createPortfolio('Gated', '100000');
  await desk.createPortfolio('Street', '100000000', true);
  await desk.placeDirect({ portfolio_name: 'Street', symbol: 'AAPL', side: 'SELL', quantity: 500, limit_price: '175.00' });
  await desk.rest('PUT', '/portfolios/Gated/limits', { approval_threshold: '1000.00' });
  approverKey = (await desk.rest<{ key: string }>('POST', '/keys', { name: 'desk approver', scopes: ['read', 'approve'] })).key;
}, 60_000);

afterAll(async () => {
  await desk?.stop();
});

/** Sends `/trade <text>` and returns its new confirmation in the channel. */
async function placeFromSlack(text: string, trigger: string) {
  const seen = desk.standIn.callsTo('chat.postMessage').length;
  await desk.command('/trade', text, trigger, { trigger_id: trigger });
  return waitFor(() => desk.standIn.callsTo('chat.postMessage').slice(seen).find((c) => !c.body.thread_ts), 10_000, `the confirmation of ${text}`);
}

async function asApprover(method: string, path: string, body: unknown = {}) {
  const res = await fetch(`${desk.oms.baseUrl}/api/v1${path}`, { method, headers: { 'x-api-key': approverKey, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

describe('/halt and /resume', () => {
  it('/halt halts the desk, said in the channel; /trade is then refused with the reason; /resume, and it is accepted', async () => {
    await desk.command('/halt', '', 'halt-desk');
    const halted = (await desk.standIn.waitForResponse('halt-desk')).body;
    expect({ type: halted.response_type, text: halted.text }).toEqual({
      type: 'in_channel',
      text: `Trading is halted on the desk: no new orders until \`/resume\`. Open orders can still be canceled. (by <@${USER}>)`,
    });
    expect(await desk.rest('GET', '/desk/risk-state')).toEqual({ desk: 'main', state: 'HALTED' });

    await desk.command('/trade', 'buy 1 AAPL in Tech Portfolio', 'trade-halted', { trigger_id: 'trig-halted' });
    const refused = (await desk.standIn.waitForResponse('trade-halted')).body;
    expect(refused.response_type).toBe('ephemeral');
    expect(refused.text).toMatch(/^Trading is halted on this desk: no new orders until an approver or admin runs `\/resume`\. You can still `\/cancel` open orders\. the desk is halted/);
    expect((await desk.ordersOf('Tech Portfolio')).length).toBe(0);

    await desk.command('/resume', '', 'resume-desk');
    expect((await desk.standIn.waitForResponse('resume-desk')).body.text).toBe(`Trading resumed on the desk. (by <@${USER}>)`);
    const confirmation = await placeFromSlack('buy 1 AAPL in Tech Portfolio', 'trig-resumed');
    expect(confirmation.body.text).toMatch(/^BUY 1 AAPL market in Tech Portfolio: Filled 1\/1 @ avg \$175\.00 \(order \d+\)$/);
  });

  it('/halt <portfolio> --cancel halts that portfolio and cancels its open orders; others trade on', async () => {
    await placeFromSlack('buy 2 AAPL @ 150 gtc in Tech Portfolio', 'trig-resting');
    await desk.command('/halt', 'Tech Portfolio --cancel', 'halt-tech');
    const text = (await desk.standIn.waitForResponse('halt-tech')).body.text;
    expect(text).toBe(`Trading is halted on portfolio *Tech Portfolio*: no new orders until \`/resume\`. Open orders can still be canceled. 1 open order canceled. (by <@${USER}>)`);
    expect(await desk.openOrders('Tech Portfolio')).toEqual([]);
    await desk.command('/trade', 'buy 1 AAPL in Tech Portfolio', 'trade-pf-halted', { trigger_id: 'trig-pf-halted' });
    expect((await desk.standIn.waitForResponse('trade-pf-halted')).body.text).toMatch(/^Trading is halted in this portfolio/);
    await desk.command('/resume', 'Tech Portfolio', 'resume-tech');
    expect((await desk.standIn.waitForResponse('resume-tech')).body.text).toBe(`Trading resumed on portfolio *Tech Portfolio*. (by <@${USER}>)`);
  });

  it('/reduce-only refuses a growing /trade with its reason; an unknown option is refused with the usage', async () => {
    await desk.command('/reduce-only', 'Tech Portfolio', 'reduce-tech');
    expect((await desk.standIn.waitForResponse('reduce-tech')).body.text).toMatch(/^Portfolio \*Tech Portfolio\* is reduce-only/);
    await desk.command('/trade', 'buy 1 AAPL in Tech Portfolio', 'trade-reducing', { trigger_id: 'trig-reducing' });
    expect((await desk.standIn.waitForResponse('trade-reducing')).body.text).toMatch(/^This desk or portfolio is reduce-only: only orders that shrink a position go through/);
    await desk.command('/resume', 'Tech Portfolio', 'resume-tech-2');
    await desk.standIn.waitForResponse('resume-tech-2');
    const res = await desk.command('/resume', '--cancel', 'resume-flag');
    const reply = (await res.json()) as { response_type: string; text: string };
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toMatch(/^I don't know the option `--cancel`\./);
  });
});

describe('approval requests', () => {
  it('an order above the threshold is posted awaiting approval, with Approve and Reject buttons carrying its id', async () => {
    const posted = await placeFromSlack('buy 10 AAPL @ 170 gtc in Gated', 'trig-big');
    const id = /\(order (\d+)\)$/.exec(posted.body.text)![1];
    expect(posted.body.text).toBe(`BUY 10 AAPL limit $170.00 GTC in Gated: Awaiting approval (order ${id})`);
    const actions = posted.body.blocks.find((b: any) => b.type === 'actions');
    expect(actions.elements.map((e: any) => [e.action_id, e.value, e.text.text])).toEqual([
      [APPROVE_ORDER_ACTION, id, 'Approve'],
      [REJECT_ORDER_ACTION, id, 'Reject'],
    ]);
    expect((await desk.rest('GET', `/orders/${id}`)).status).toBe('PENDING_APPROVAL');
  });

  it("Approve from the order's placer is refused by the OMS, answered to the clicker alone; the order keeps waiting", async () => {
    const posted = await placeFromSlack('buy 11 AAPL @ 170 gtc in Gated', 'trig-own');
    const id = /\(order (\d+)\)$/.exec(posted.body.text)![1];
    const row = await waitFor(async () => {
      const r = await desk.orderMessage(id);
      return r?.message_ts ? r : undefined;
    }, 5000, 'the order message row');
    // The bot placed it on behalf of USER: USER's own click is the placer's.
    const res = await desk.click({ actionId: APPROVE_ORDER_ACTION, value: id, replyId: 'approve-own', user_id: USER, container: { type: 'message', message_ts: row.message_ts! } });
    expect(res.status).toBe(200);
    const reply = (await desk.standIn.waitForResponse('approve-own')).body;
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toBe(`Only another approver or admin can decide this order: not the person who placed it, and not a plain trader. order ${id} was placed by you: another approver must decide it`);
    expect((await desk.rest('GET', `/orders/${id}`)).status).toBe('PENDING_APPROVAL');
    // Another member's click on the same Slack order decides it.
    await desk.click({ actionId: APPROVE_ORDER_ACTION, value: id, replyId: 'approve-other', user_id: OTHER_USER, container: { type: 'message', message_ts: row.message_ts! } });
    await waitFor(async () => ((await desk.rest<{ status: string }>('GET', `/orders/${id}`)).status !== 'PENDING_APPROVAL' ? true : undefined), 5000, 'the approval by another member');
    expect((await desk.rest<{ status: string }>('GET', `/orders/${id}`)).status).toMatch(/^(NEW|PARTIALLY_FILLED|FILLED)$/);
  });

  it('Approve clicked by an approver on an order someone else placed: in the book now, and the request says who approved', async () => {
    // Placed by a script's trader key: the bot's key, which decides for the clicker, is not its placer.
    const traderKey = (await desk.rest<{ key: string }>('POST', '/keys', { name: 'script trader', scopes: ['read', 'trade'] })).key;
    const placed = await fetch(`${desk.oms.baseUrl}/api/v1/orders`, {
      method: 'POST',
      headers: { 'x-api-key': traderKey, 'content-type': 'application/json' },
      body: JSON.stringify({ portfolio_name: 'Gated', symbol: 'AAPL', side: 'BUY', type: 'LIMIT', quantity: 20, limit_price: '160', time_in_force: 'GTC' }),
    });
    const order = (await placed.json()) as { id: string; status: string };
    expect({ status: placed.status, order: order.status }).toEqual({ status: 202, order: 'PENDING_APPROVAL' });
    const ts = '1700000000.000200';
    expect((await desk.click({ actionId: APPROVE_ORDER_ACTION, value: order.id, replyId: 'approve-ok', user_id: OTHER_USER, container: { type: 'message', message_ts: ts } })).status).toBe(200);
    const update = await desk.standIn.waitForCall('chat.update', (c) => c.body.ts === ts, 10_000);
    expect(update.body.text).toBe(`BUY 20 AAPL limit $160.00 GTC in Gated: Working (order ${order.id})`);
    expect(visibleText(update.body.blocks)).toContain(`Approved by <@${OTHER_USER}>`);
    expect(update.body.blocks.some((b: any) => b.type === 'actions')).toBe(false);
    expect(await desk.rest('GET', `/orders/${order.id}`)).toMatchObject({ status: 'NEW' });
    const book = await desk.rest<{ bids: { price: string; quantity: number }[] }>('GET', '/book/AAPL');
    expect(book.bids).toContainEqual(expect.objectContaining({ price: '160.00', quantity: 20 }));

    const second = (await (
      await fetch(`${desk.oms.baseUrl}/api/v1/orders`, {
        method: 'POST',
        headers: { 'x-api-key': traderKey, 'content-type': 'application/json' },
        body: JSON.stringify({ portfolio_name: 'Gated', symbol: 'AAPL', side: 'BUY', type: 'LIMIT', quantity: 20, limit_price: '160', time_in_force: 'GTC' }),
      })
    ).json()) as { id: string };
    const ts2 = '1700000000.000300';
    await desk.click({ actionId: REJECT_ORDER_ACTION, value: second.id, replyId: 'reject-ok', user_id: OTHER_USER, container: { type: 'message', message_ts: ts2 } });
    const rejected = await desk.standIn.waitForCall('chat.update', (c) => c.body.ts === ts2, 10_000);
    expect(rejected.body.text).toBe(`BUY 20 AAPL limit $160.00 GTC in Gated: Rejected (approval rejected) (order ${second.id})`);
    expect(visibleText(rejected.body.blocks)).toContain(`Rejected by <@${OTHER_USER}>`);
    expect(await desk.rest('GET', `/orders/${second.id}`)).toMatchObject({ status: 'REJECTED', reason: 'APPROVAL_REJECTED' });
  });

  it('approved by another approver: the request becomes the confirmation, without buttons, and its fill is threaded', async () => {
    const posted = await placeFromSlack('buy 12 AAPL @ 175 gtc in Gated', 'trig-approve');
    const id = /\(order (\d+)\)$/.exec(posted.body.text)![1];
    const row = await waitFor(async () => {
      const r = await desk.orderMessage(id);
      return r?.message_ts ? r : undefined;
    }, 5000, 'the order message row');
    const approved = await asApprover('POST', `/orders/${id}/approve`);
    expect({ status: approved.status, order: approved.body.status }).toEqual({ status: 200, order: 'FILLED' });
    const update = await desk.standIn.waitForCall('chat.update', (c) => c.body.ts === row.message_ts && !String(c.body.text).includes('Awaiting'), 10_000);
    expect(update.body.text).toBe(`BUY 12 AAPL limit $175.00 GTC in Gated: Filled 12/12 @ avg $175.00 (order ${id})`);
    expect(update.body.blocks.some((b: any) => b.type === 'actions')).toBe(false);
    const fill = await desk.standIn.waitForCall('chat.postMessage', (c) => c.body.thread_ts === row.message_ts, 10_000);
    expect(fill.body.text).toMatch(/^Fill: Bought 12 AAPL @ \$175\.00 \(GMV \$2,100\.00, trade \d+\)$/);
  });

  it('rejected by an approver over REST: the request shows it rejected, with the reason', async () => {
    const posted = await placeFromSlack('buy 13 AAPL @ 170 gtc in Gated', 'trig-reject');
    const id = /\(order (\d+)\)$/.exec(posted.body.text)![1];
    const row = await waitFor(async () => {
      const r = await desk.orderMessage(id);
      return r?.message_ts ? r : undefined;
    }, 5000, 'the order message row');
    expect((await asApprover('POST', `/orders/${id}/reject`, { reason: 'too big today' })).status).toBe(200);
    const update = await desk.standIn.waitForCall('chat.update', (c) => c.body.ts === row.message_ts, 10_000);
    expect(update.body.text).toBe(`BUY 13 AAPL limit $170.00 GTC in Gated: Rejected (too big today) (order ${id})`);
    expect(visibleText(update.body.blocks)).not.toContain('Approve');
  });

  it('a click on a request decided meanwhile says so and shows what became of the order', async () => {
    const posted = await placeFromSlack('buy 14 AAPL @ 170 gtc in Gated', 'trig-late');
    const id = /\(order (\d+)\)$/.exec(posted.body.text)![1];
    const row = await waitFor(async () => {
      const r = await desk.orderMessage(id);
      return r?.message_ts ? r : undefined;
    }, 5000, 'the order message row');
    await desk.rest('DELETE', `/orders/${id}`);
    await desk.click({ actionId: REJECT_ORDER_ACTION, value: id, replyId: 'reject-late', user_id: OTHER_USER, channel_id: CHANNEL, container: { type: 'message', message_ts: row.message_ts! } });
    const reply = (await desk.standIn.waitForResponse('reject-late')).body;
    expect(reply.text).toBe(`That order is no longer waiting for approval (already approved, rejected, expired or canceled). order ${id} is canceled, not awaiting approval`);
    const update = await desk.standIn.waitForCall('chat.update', (c) => c.body.ts === row.message_ts, 10_000);
    expect(update.body.text).toBe(`BUY 14 AAPL limit $170.00 GTC in Gated: Canceled (user) (order ${id})`);
  });
});

describe('an approval request nobody decides', () => {
  let quick: Desk;

  beforeAll(async () => {
    quick = await Desk.start({ omsEnv: { APPROVAL_TIMEOUT_SECONDS: '1' } });
    await quick.createPortfolio('Gated', '100000');
    await quick.rest('PUT', '/portfolios/Gated/limits', { approval_threshold: '100.00' });
  }, 60_000);

  afterAll(async () => {
    await quick?.stop();
  });

  it('expires: the request says so and loses its buttons', async () => {
    const seen = quick.standIn.callsTo('chat.postMessage').length;
    await quick.command('/trade', 'buy 10 AAPL @ 170 gtc in Gated', 'expiring', { trigger_id: 'trig-expiring' });
    const posted = await waitFor(() => quick.standIn.callsTo('chat.postMessage').slice(seen).find((c) => !c.body.thread_ts), 10_000, 'the request');
    const id = /\(order (\d+)\)$/.exec(posted.body.text)![1];
    const update = await quick.standIn.waitForCall('chat.update', (c) => String(c.body.text).includes(`(order ${id})`), 10_000);
    expect(update.body.text).toBe(`BUY 10 AAPL limit $170.00 GTC in Gated: Expired: not approved in time (order ${id})`);
    expect(update.body.blocks.some((b: any) => b.type === 'actions')).toBe(false);
    expect(await quick.rest('GET', `/orders/${id}`)).toMatchObject({ status: 'REJECTED', reason: 'APPROVAL_EXPIRED' });
  });
});
