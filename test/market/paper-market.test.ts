import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import { startTestOms, TEST_ADMIN_KEY, type TestOms } from '../support/oms.js';
import { reconcile } from '../../src/db/reconciliation.js';
import { ApiClient } from '../api/support/client.js';

/** The paper market with the house on: readiness, quotes for new instruments, audit volume, buying power. */
const HOUSE_ON = { MARKET_MAKER_ENABLED: 'true', SIMULATOR_ENABLED: 'true', SIMULATOR_INTERVAL_MS: '50', MARKET_MAKER_SIZE: '100' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('readiness', () => {
  it('a market order sent as soon as /health first answers 200 on a fresh database fills', async () => {
    const port = await freePort();
    const starting = startTestOms({ port, env: HOUSE_ON });
    const api = new ApiClient(`http://127.0.0.1:${port}`, TEST_ADMIN_KEY);
    const healthSeen: number[] = [];
    let oms: TestOms | null = null;
    starting.then((o) => (oms = o), () => undefined);
    try {
      for (;;) {
        const status = await api.as(null).get('~/health').then((r) => r.status, () => 0);
        if (healthSeen[healthSeen.length - 1] !== status) healthSeen.push(status);
        if (status === 200) break;
        if (oms === null && healthSeen.length > 50) throw new Error(`health never became 200: ${healthSeen}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      expect((await api.post('/portfolios', { name: 'Early', starting_cash: '100000.00' })).status).toBe(201);
      const res = await api.post('/orders', { symbol: 'AAPL', side: 'BUY', type: 'MARKET', quantity: 10, portfolio_name: 'Early' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ status: 'FILLED', filled_quantity: 10 });
      // Before ready it either refused connections or said it was starting: never a 200 without quotes.
      expect(healthSeen.filter((s) => s !== 0 && s !== 503 && s !== 200)).toEqual([]);
    } finally {
      await (await starting).stop();
    }
  }, 60_000);
});

let oms: TestOms;
let api: ApiClient;

beforeAll(async () => {
  oms = await startTestOms({ env: { ...HOUSE_ON, MARKET_ORDER_COLLAR_BPS: '500' } });
  api = new ApiClient(oms.baseUrl, oms.adminKey);
  await api.createPortfolio('Small', '10000.00');
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

describe('a new instrument', () => {
  it('is quoted by the house before its creation is answered', async () => {
    const created = await api.post('/instruments', { symbol: 'NEWCO', name: 'New Co', reference_price: '20.00' });
    expect(created.status).toBe(201);
    const book = await api.get('/book/NEWCO');
    expect(book.body.bids.length).toBeGreaterThan(0);
    expect(book.body.asks.length).toBeGreaterThan(0);
  });
});

describe('the house', () => {
  it('re-quotes without writing an audit row per re-quote', async () => {
    const audits = async () => oms.service.prisma.auditEvent.count();
    const moves = async () => oms.service.prisma.order.aggregate({ _max: { updatedAt: true } });
    const before = await audits();
    const firstMove = (await moves())._max.updatedAt!;
    // Wait until the house has re-quoted several times (its orders' updated_at moves on).
    const deadline = Date.now() + 20_000;
    let requotes = 0;
    let last = firstMove;
    while (requotes < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      const now = (await moves())._max.updatedAt!;
      if (now > last) {
        requotes++;
        last = now;
      }
    }
    expect(requotes).toBe(5);
    expect(await audits()).toBe(before);
  }, 30_000);
});

describe('buying power for a market buy', () => {
  it('prices the whole quantity, beyond the visible book: far beyond the cash it is refused', async () => {
    // 10,000.00 of cash; the visible asks hold 5 x 100 near 175 (500 shares), far more than enough
    // cash-wise for 50 shares but not for 5,000.
    const refused = await api.post('/orders', { symbol: 'AAPL', side: 'BUY', type: 'MARKET', quantity: 5000, portfolio_name: 'Small' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('INSUFFICIENT_CASH');
    expect(refused.body.error.details).toEqual([{ path: 'quantity', message: expect.stringMatching(/^portfolio Small lacks buying power/) }]);
    const small = await api.post('/orders', { symbol: 'AAPL', side: 'BUY', type: 'MARKET', quantity: 5, portfolio_name: 'Small' });
    expect(small.status).toBe(201);
    expect(small.body.status).toBe('FILLED');
    expect(await reconcile(oms.service.prisma)).toMatchObject({ ok: true, problems: [] });
  });
});
