import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TICKET, TRADE_TICKET_CALLBACK } from '../../src/slack/blocks/trade-ticket.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type RunningBot, SIGNING_SECRET, startBot } from './support/bot-harness.js';
import { signature, slashCommand, send, viewSubmission } from './support/signed-request.js';
import { SlackStandIn } from './support/slack-stand-in.js';

/**
 * The Slack edge with no OMS behind it (its URL is a closed port): signatures, acks, parsing errors,
 * the modal and the "OMS unreachable" reply. The bot is real Bolt over HTTP with its own database.
 */
let standIn: SlackStandIn;
let db: TestDatabase;
let running: RunningBot;

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

beforeAll(async () => {
  standIn = await SlackStandIn.start();
  db = await createTestDatabase();
  running = await startBot({ standIn, omsUrl: `http://127.0.0.1:${await closedPort()}`, omsApiKey: 'unused-key', databaseUrl: db.url });
});

afterAll(async () => {
  await running?.stop();
  await standIn?.stop();
  await db?.drop();
});

const command = (text: string, id: string, extra: { trigger_id?: string } = {}) =>
  slashCommand(SIGNING_SECRET, { command: '/trade', text, response_url: standIn.responseUrl(id), ...extra });

describe('request signatures', () => {
  it('accepts a correctly signed request', async () => {
    expect((await send(running.eventsUrl, command('help', 'sig-ok'))).status).toBe(200);
  });

  it('rejects a wrong signature, a missing one and a stale timestamp with 401, running nothing', async () => {
    const before = standIn.calls.length;
    const wrong = command('buy 1 AAPL in P', 'sig-wrong');
    expect((await send(running.eventsUrl, { ...wrong, headers: { ...wrong.headers, 'x-slack-signature': signature('not-the-secret', Number(wrong.headers['x-slack-request-timestamp']), wrong.body) } })).status).toBe(401);

    const unsigned = command('buy 1 AAPL in P', 'sig-missing');
    const { 'x-slack-signature': _dropped, ...headers } = unsigned.headers;
    expect((await send(running.eventsUrl, { ...unsigned, headers })).status).toBe(401);

    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 6 * 60;
    const stale = slashCommand(SIGNING_SECRET, { command: '/trade', text: 'buy 1 AAPL in P', response_url: standIn.responseUrl('sig-stale') }, { timestamp: sixMinutesAgo });
    expect((await send(running.eventsUrl, stale)).status).toBe(401);

    const tampered = command('buy 1 AAPL in P', 'sig-tampered');
    expect((await send(running.eventsUrl, { ...tampered, body: tampered.body.replace('buy', 'sell') })).status).toBe(401);

    await new Promise((r) => setTimeout(r, 100));
    expect(standIn.calls.length).toBe(before);
    expect(standIn.responses.filter((r) => r.id.startsWith('sig-'))).toEqual([]);
  });
});

describe('/trade without an OMS', () => {
  it('answers help in the ack itself', async () => {
    const res = await send(running.eventsUrl, command('help', 'help'));
    expect(res.json()).toEqual(expect.objectContaining({ response_type: 'ephemeral', text: expect.stringContaining('/trade sell 50 MSFT @ 412.50 gtc') }));
  });

  it('answers bad text at once with what is wrong and the usage', async () => {
    const res = await send(running.eventsUrl, command('buy ten AAPL', 'bad-text'));
    expect(res.status).toBe(200);
    const reply = res.json();
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toMatch(/^The quantity must be a whole number of shares, like 100 \(got "ten"\)\.\n\*How to trade\*/);
    // The answer is in the ack, which Slack needs within 3 s (a busy machine can take a good part of a
    // second for any local request: no tighter bound than Slack's).
    expect(res.ms).toBeLessThan(3000);
  });

  it('says the OMS is unreachable, privately, with the usage', async () => {
    const res = await send(running.eventsUrl, command('buy 10 AAPL in Tech', 'unreachable'));
    expect([res.status, res.text]).toEqual([200, '']);
    const reply = await standIn.waitForResponse('unreachable');
    expect(reply.body).toEqual(
      expect.objectContaining({ response_type: 'ephemeral', text: expect.stringMatching(/^The trading desk is unreachable right now, so nothing was done\..*\n\*How to trade\*/s) }),
    );
    expect(standIn.callsTo('chat.postMessage').length).toBe(0);
  });

  it('says so when no portfolio is named and the channel has no default', async () => {
    await send(running.eventsUrl, command('buy 10 AAPL', 'no-portfolio'));
    expect((await standIn.waitForResponse('no-portfolio')).body.text).toMatch(/^Which portfolio\? Add `in <portfolio>`/);
  });

  it('answers other commands\' bad input and the OMS being down the same way', async () => {
    const cancel = await send(running.eventsUrl, slashCommand(SIGNING_SECRET, { command: '/cancel', text: 'abc', response_url: standIn.responseUrl('c') }));
    expect(cancel.json().text).toMatch(/^"abc" is not an order id.*\n`\/cancel 1234`/s);
    const quote = await send(running.eventsUrl, slashCommand(SIGNING_SECRET, { command: '/quote', text: '', response_url: standIn.responseUrl('q') }));
    expect(quote.json().text).toMatch(/^Which symbol\?/);
    await send(running.eventsUrl, slashCommand(SIGNING_SECRET, { command: '/portfolio', text: 'Tech', response_url: standIn.responseUrl('p') }));
    expect((await standIn.waitForResponse('p')).body.text).toMatch(/^The trading desk is unreachable.*\n`\/portfolio`/s);
    await send(running.eventsUrl, slashCommand(SIGNING_SECRET, { command: '/orders', text: 'Tech', response_url: standIn.responseUrl('o') }));
    expect((await standIn.waitForResponse('o')).body.response_type).toBe('ephemeral');
  });
});

describe('trade ticket modal', () => {
  it('opens the modal with the command\'s trigger_id', async () => {
    const res = await send(running.eventsUrl, command('', 'modal', { trigger_id: 'trigger-modal-1' }));
    expect([res.status, res.text]).toEqual([200, '']);
    const open = await standIn.waitForCall('views.open', (c) => c.body.trigger_id === 'trigger-modal-1');
    expect(open.token).toBe('xoxb-test-token');
    expect(open.body.view).toEqual(expect.objectContaining({ type: 'modal', callback_id: TRADE_TICKET_CALLBACK, private_metadata: JSON.stringify({ team: 'T1', channel: 'C1' }) }));
  });

  it('tells the user when Slack refuses to open it (expired trigger)', async () => {
    standIn.failNext('views.open', 1, { error: 'expired_trigger_id' });
    await send(running.eventsUrl, command('', 'modal-expired'));
    expect((await standIn.waitForResponse('modal-expired')).body.text).toMatch(/^Slack refused the request \(expired_trigger_id\)\./);
  });

  const values = (fields: Partial<Record<keyof typeof TICKET, string>>) => {
    const v: Record<string, Record<string, Record<string, unknown>>> = {};
    for (const [key, ids] of Object.entries(TICKET)) {
      const given = fields[key as keyof typeof TICKET];
      const select = key === 'side' || key === 'type' || key === 'timeInForce';
      v[ids.block] = { [ids.action]: select ? { type: 'static_select', selected_option: given ? { value: given } : null } : { type: 'plain_text_input', value: given ?? null } };
    }
    return v;
  };

  it('keeps the modal open with field errors for bad input', async () => {
    const res = await send(
      running.eventsUrl,
      viewSubmission(SIGNING_SECRET, {
        callbackId: TRADE_TICKET_CALLBACK,
        privateMetadata: JSON.stringify({ team: 'T1', channel: 'C1' }),
        values: values({ side: 'BUY', symbol: 'AAPL', quantity: 'lots', type: 'LIMIT' }),
      }),
    );
    expect(res.json()).toEqual({
      response_action: 'errors',
      errors: {
        [TICKET.quantity.block]: 'The quantity must be a whole number of shares, like 100 (got "lots").',
        [TICKET.limitPrice.block]: 'A limit or stop-limit order needs a limit price.',
      },
    });
  });

  it('asks for a portfolio in the modal when none applies', async () => {
    const res = await send(
      running.eventsUrl,
      viewSubmission(SIGNING_SECRET, {
        callbackId: TRADE_TICKET_CALLBACK,
        privateMetadata: JSON.stringify({ team: 'T1', channel: 'C-without-default' }),
        values: values({ side: 'BUY', symbol: 'AAPL', quantity: '5', type: 'MARKET', timeInForce: 'DAY' }),
      }),
    );
    expect(res.json()).toEqual({ response_action: 'errors', errors: { [TICKET.portfolio.block]: expect.stringMatching(/^Which portfolio\?/) } });
  });
});

describe('events', () => {
  it('answers Slack\'s URL verification challenge', async () => {
    const body = JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 't' });
    const ts = Math.floor(Date.now() / 1000);
    const res = await send(running.eventsUrl, {
      body,
      headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature(SIGNING_SECRET, ts, body) },
    });
    expect(res.json()).toEqual({ challenge: 'c-123' });
  });
});
