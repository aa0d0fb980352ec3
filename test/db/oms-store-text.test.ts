import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { reconcile } from '../../src/db/reconciliation.js';
import { storableJson, storableText } from '../../src/db/storable.js';
import type { TestOms } from '../support/oms.js';
import { startApi, type ApiClient } from '../api/support/client.js';

/**
 * The floor under the edge checks: whatever text reaches the group commit, the batch commits. The
 * edges refuse this text (test/api/hostile-input.test.ts); here it goes straight to the OMS, as it
 * would through a path that forgot the check.
 */

/** `{a:{a:{...}}}`, `levels` objects deep, with `leaf` at the bottom. */
const nested = (levels: number, leaf: unknown = 'bottom'): unknown => {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};
const depthOf = (v: unknown): number => (typeof v === 'object' && v !== null ? 1 + depthOf((v as { a?: unknown }).a) : 0);

describe('storable text and JSON', () => {
  it('replaces NUL and unpaired surrogates with U+FFFD, and keeps every script and surrogate pair', () => {
    expect(storableText('a\u0000b\ud800c\udc00d')).toBe('a\ufffdb\ufffdc\ufffdd');
    expect(storableText('Café Ünïcödé 日本 📈')).toBe('Café Ünïcödé 日本 📈');
    // Only NUL is unstorable among the controls: the edge refuses the others, the column takes them.
    expect(storableText('tab\tbell\u0007')).toBe('tab\tbell\u0007');
  });

  it('cuts text to its column width without leaving half a surrogate pair', () => {
    expect(storableText('x'.repeat(300), 128)).toBe('x'.repeat(128));
    expect(storableText('ab📈', 3)).toBe('ab\ufffd');
    expect(storableText('ab📈', 4)).toBe('ab📈');
  });

  it('JSON: keys and strings cleaned, bigints as strings, dates as ISO text, nesting capped, cycles cut', () => {
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    const json = storableJson({ 'k\u0000': 'v\ud800', n: 10n, at: new Date(0), list: ['\u0000'], cycle, deep: nested(100) })!;
    expect(json).not.toMatch(/\\u0000|\\ud[89a-f]/);
    const back = JSON.parse(json);
    expect({ ...back, cycle: undefined, deep: undefined }).toEqual({ 'k\ufffd': 'v\ufffd', n: '10', at: '1970-01-01T00:00:00.000Z', list: ['\ufffd'] });
    expect(depthOf(back.deep)).toBe(31);
    expect(back.cycle.self.self.name).toBe('loop');
    expect(storableJson(null)).toBeNull();
    expect(storableJson(undefined)).toBeNull();
  });
});

describe('a batch holding text the edge refuses still commits', () => {
  let oms: TestOms;
  let api: ApiClient;

  beforeAll(async () => {
    ({ oms, api } = await startApi());
    await api.createPortfolio('Floor', '1000000.00');
    await api.createPortfolio('Street', '1000000.00', true);
  }, 60_000);

  afterAll(async () => {
    await oms?.stop();
  });

  const actor = { keyId: null, name: 'a path without the edge check' };
  const order = (fields: Record<string, unknown>) =>
    oms.service.oms.placeOrder(
      {
        symbol: 'AAPL',
        side: 'BUY',
        type: 'LIMIT',
        quantity: 1,
        limitPrice: 10_000,
        stopPrice: null,
        tif: 'GTC',
        portfolioName: 'Floor',
        clientOrderId: null,
        userId: null,
        origin: null,
        ...fields,
      },
      actor,
    );

  it('an order with NUL, unpaired surrogates, an over-long user_id and a too deep origin is stored, cleaned', async () => {
    const placed = await order({ clientOrderId: 'c\u0000\ud800', userId: `u\u0000${'x'.repeat(300)}`, origin: { 'k\u0000': 'v\udc00', deep: nested(100) } });
    expect(placed.created).toBe(true);
    const row = await oms.service.prisma.order.findUniqueOrThrow({ where: { id: BigInt(placed.order.id) } });
    expect({ clientOrderId: row.clientOrderId, userId: row.userId }).toEqual({ clientOrderId: 'c\ufffd\ufffd', userId: `u\ufffd${'x'.repeat(126)}` });
    const origin = row.origin as { 'k\ufffd': string; deep: unknown };
    expect(origin['k\ufffd']).toBe('v\ufffd');
    expect(depthOf(origin.deep)).toBe(31);
    // A retry with the same client_order_id finds the order as stored: the one order, not a second.
    const again = await order({ clientOrderId: 'c\u0000\ud800' });
    expect({ created: again.created, id: again.order.id }).toEqual({ created: false, id: placed.order.id });
  });

  it('an audit row with unstorable details and a target over its column rides the next commit', async () => {
    oms.service.oms.audit(null, 'auth.failure', `GET /api/v1/${'x'.repeat(500)}`, 'denied', { reason: 'r\u0000', 'k\u0000': '\udc00', n: 10n, deep: nested(100) });
    // The audit row commits with this order's batch; the order is acknowledged only after it.
    expect((await api.post('/orders', { symbol: 'AAPL', side: 'SELL', type: 'LIMIT', quantity: 1, limit_price: '1.00', portfolio_name: 'Street' })).status).toBe(201);
    const row = await oms.service.prisma.auditEvent.findFirstOrThrow({ where: { action: 'auth.failure' }, orderBy: { id: 'desc' } });
    expect(row.target).toBe(`GET /api/v1/${'x'.repeat(116)}`);
    const details = row.details as Record<string, unknown>;
    expect({ ...details, deep: undefined }).toEqual({ reason: 'r\ufffd', 'k\ufffd': '\ufffd', n: '10' });
  });

  it('the desk is still up: healthy, trading, reconciled', async () => {
    const health = await api.get('~/health');
    expect({ status: health.status, body: health.body }).toEqual({ status: 200, body: { status: 'ok', database: 'ok', market_data: 'ok' } });
    // The SELL at 1.00 above filled against the resting BUY at 1.00.
    const fills = await api.get('/trades?portfolio=Floor');
    expect(fills.body.data.map((t: { quantity: number; price: string }) => [t.quantity, t.price])).toEqual([[1, '1.00']]);
    expect(await reconcile(oms.service.prisma)).toMatchObject({ ok: true, problems: [] });
  });
});
