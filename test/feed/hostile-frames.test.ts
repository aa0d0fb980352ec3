// Hostile text in every string of every client frame (generated from the protocol's own schema, so a
// new op or field is attacked too): each gets an error frame naming the field and the problem, never
// a disconnect; valid text of any script is not refused as text; and afterwards the connection, the
// desk and its books are as they were.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { clientFrame } from '../../src/feed/protocol.js';
import { reconcile } from '../../src/db/reconciliation.js';
import { startTestOms, type TestOms } from '../support/oms.js';
import { FeedTestClient, isUpdate, restClient, type Frame, type RestClient } from './feed-client.js';

let oms: TestOms;
let rest: RestClient;
let c: FeedTestClient;

const HOSTILE = [
  { name: 'NUL', value: 'a\u0000b', problem: /holds a control character \(U\+0000 at index \d+\)/ },
  { name: 'a bell', value: 'a\u0007b', problem: /holds a control character \(U\+0007 at index \d+\)/ },
  // Sent as JSON text, which writes it as the escape "\ud800".
  { name: 'an unpaired surrogate', value: 'a\ud800b', problem: /holds an unpaired UTF-16 surrogate \(U\+D800 at index \d+\)/ },
  { name: 'a right-to-left override', value: 'a\u202eb', problem: /holds a bidirectional override or isolate control \(U\+202E at index \d+\)/ },
  { name: '100,000 characters', value: 'x'.repeat(100_000), problem: /is 100000 characters long|^the frame is \d+ bytes; at most 65536 are read$/ },
] as const;
const VALID = 'Café Ünïcödé 日本 📈';
const TEXT_PROBLEM = /control character|surrogate|bidirectional|tab or line break/;

/** A valid frame of each op, for the fields not under attack. */
const BASE: Record<string, Record<string, unknown>> = {
  subscribe: { op: 'subscribe', channel: 'ticker' },
  unsubscribe: { op: 'unsubscribe', channel: 'ticker' },
  auth: { op: 'auth', api_key: 'set in beforeAll' },
  ping: { op: 'ping' },
};

interface Target {
  readonly op: string;
  readonly field: string;
  /** The values sent for one hostile text: a channel is attacked bare and inside each kind of channel name. */
  values(text: string): string[];
  /** A refusal says what is wrong with the text (op is a fixed word: any refusal names it). */
  readonly saysTextProblem: boolean;
}

/** Every string field of every op, read from the protocol's zod schema. */
function targets(): Target[] {
  const out: Target[] = [];
  for (const option of clientFrame.options) {
    const shape = (z.toJSONSchema(option, { io: 'input' }) as { properties: Record<string, { type?: string; const?: string; anyOf?: { type: string }[] }> }).properties;
    const op = shape.op.const!;
    for (const [field, schema] of Object.entries(shape)) {
      const isString = schema.type === 'string' || (schema.anyOf ?? []).some((s) => s.type === 'string');
      if (!isString) continue;
      out.push({
        op,
        field,
        values: (text) => (field === 'channel' ? [text, `book:${text}`, `orders:${text}`, `portfolio:${text}`] : [text]),
        saysTextProblem: field !== 'op',
      });
    }
  }
  return out;
}

const TARGETS = targets();

let marker = 0;
/** Sends a frame, then a ping, and returns every answer in between (answers come in the order sent). */
async function answersTo(frame: Record<string, unknown>): Promise<Frame[]> {
  const id = `after-${++marker}`;
  c.send(frame);
  c.send({ op: 'ping', id });
  const answers: Frame[] = [];
  for (;;) {
    const f = await c.next();
    if (f.type === 'pong' && f.id === id) return answers;
    answers.push(f);
  }
}

beforeAll(async () => {
  oms = await startTestOms();
  rest = restClient(oms.baseUrl, oms.adminKey);
  await rest.portfolio('Hostile');
  await rest.portfolio('Other');
  BASE.auth.api_key = oms.adminKey;
  c = await FeedTestClient.connect(oms.baseUrl);
  expect((await c.auth(oms.adminKey)).type).toBe('authenticated');
});

afterAll(async () => {
  await c?.close();
  await oms?.stop();
});

describe('the barrage covers every string of every op', () => {
  it('the generator found them', () => {
    expect(TARGETS.map((t) => `${t.op}.${t.field}`).sort()).toEqual(
      ['auth.api_key', 'auth.id', 'auth.op', 'ping.id', 'ping.op', 'subscribe.channel', 'subscribe.id', 'subscribe.op', 'unsubscribe.channel', 'unsubscribe.id', 'unsubscribe.op'].sort(),
    );
  });

  it('each base frame is accepted as it is', async () => {
    for (const base of Object.values(BASE)) {
      const answers = await answersTo(base);
      expect({ op: base.op, errors: answers.filter((f) => f.type === 'error') }).toEqual({ op: base.op, errors: [] });
    }
  });
});

describe.each(TARGETS.map((t) => [`${t.op}.${t.field}`, t] as const))('%s', (_name, target) => {
  it.each(HOSTILE.map((h) => [h.name, h] as const))('%s: a BAD_MESSAGE naming the field and the problem, and the connection stays open', async (_h, hostile) => {
    for (const value of target.values(hostile.value)) {
      const answers = await answersTo({ ...BASE[target.op], [target.field]: value });
      expect(answers).toHaveLength(1);
      const [error] = answers;
      expect({ type: error.type, code: error.code, id: error.id }).toEqual({ type: 'error', code: 'BAD_MESSAGE', id: undefined });
      const oversized = /^the frame is \d+ bytes/.test(error.message!);
      if (!oversized) expect(error.message).toMatch(new RegExp(`^${target.field}: `));
      if (target.saysTextProblem || oversized) expect(error.message).toMatch(hostile.problem);
      expect(c.open).toBe(true);
    }
  });

  it('valid text of any script is not refused as text, and an id of it comes back exactly', async () => {
    for (const value of target.values(VALID)) {
      const answers = await answersTo({ ...BASE[target.op], [target.field]: value });
      expect(answers.filter((f) => f.type === 'error' && TEXT_PROBLEM.test(f.message ?? ''))).toEqual([]);
      if (target.field === 'id') expect(answers.map((f) => f.id)).toEqual([VALID]);
    }
    // An auth with a key that is no key leaves the connection without one: put the real one back.
    if (target.op === 'auth') expect((await c.auth(oms.adminKey)).type).toBe('authenticated');
  });
});

describe('after the barrage', () => {
  it('the same connection still subscribes and gets the updates of a trade', async () => {
    expect(c.open).toBe(true);
    // A private channel of a portfolio named in any script, without a key: refused and audited.
    const keyless = await FeedTestClient.connect(oms.baseUrl);
    expect(await keyless.request({ op: 'subscribe', channel: `orders:${VALID}` })).toMatchObject({ type: 'error', code: 'UNAUTHENTICATED', channel: `orders:${VALID}` });
    await keyless.close();
    const snap = await c.subscribe('trades:AAPL');
    await rest.order({ symbol: 'AAPL', side: 'SELL', quantity: 1, limit_price: '170.00', portfolio_name: 'Other' });
    await rest.order({ symbol: 'AAPL', side: 'BUY', quantity: 1, limit_price: '170.00', portfolio_name: 'Hostile' });
    const update = await c.next(isUpdate('trades:AAPL'));
    expect({ seq: update.seq, trades: update.data.trades.map((t: { price: string; quantity: number }) => [t.price, t.quantity]) }).toEqual({
      seq: snap.seq! + 1,
      trades: [['170.00', 1]],
    });
  });

  it('the desk is healthy and reconciles (the refusals it audited committed)', async () => {
    const health = await fetch(`${oms.baseUrl}/health`);
    expect({ status: health.status, body: await health.json() }).toEqual({ status: 200, body: { status: 'ok', database: 'ok', market_data: 'ok' } });
    expect(await reconcile(oms.service.prisma)).toMatchObject({ ok: true, problems: [] });
    // The refused private channel was audited with the trade's commit, its name intact.
    const audited = await oms.service.prisma.auditEvent.findMany({ where: { target: `ws orders:${VALID}` } });
    expect(audited.map((a) => [a.action, a.outcome])).toEqual([['auth.failure', 'denied']]);
  });
});
