// Reconnecting after a server restart: the OMS stops (connected clients see the connection close) and
// starts again on the same port and database; a new connection gets snapshots equal to the state
// before the restart.

import { afterAll, describe, expect, it } from '@jest/globals';
import { ApiKeyRepository } from '../../src/db/api-key.repository.js';
import { startTestOms, type TestOms } from '../support/oms.js';
import { FeedTestClient, isUpdate, restClient } from './feed-client.js';

let oms: TestOms | undefined;

afterAll(async () => {
  await oms?.stop();
});

const CHANNELS = ['book:AAPL', 'trades:AAPL', 'ticker', 'orders:A', 'portfolio:A', 'book:MSFT', 'trades:MSFT'];

async function snapshots(baseUrl: string, key: string): Promise<Record<string, unknown>> {
  const c = await FeedTestClient.connect(baseUrl);
  try {
    expect(await c.auth(key)).toMatchObject({ type: 'authenticated' });
    const out: Record<string, unknown> = {};
    for (const channel of CHANNELS) {
      const data = (await c.subscribe(channel)).data;
      if (channel.startsWith('portfolio:')) delete data.as_of;
      out[channel] = data;
    }
    return out;
  } finally {
    await c.close();
  }
}

describe('server restart', () => {
  it('closes live connections on stop; after a restart on the same port and database a new connection gets the same snapshots', async () => {
    oms = await startTestOms();
    const rest = restClient(oms.baseUrl, oms.adminKey);
    await rest.portfolio('A', '1000000');
    await rest.portfolio('B', '1000000');
    const { key } = await new ApiKeyRepository(oms.service.prisma).create({ name: 'reader A', scopes: ['read'], portfolios: ['A'] });

    // Some state: resting orders on both sides, trades, a new reference price.
    for (let i = 0; i < 5; i++) {
      await rest.order({ symbol: 'AAPL', side: 'BUY', quantity: 10 + i, limit_price: (174 - i * 0.05).toFixed(2), portfolio_name: 'A' });
      await rest.order({ symbol: 'AAPL', side: 'SELL', quantity: 10 + i, limit_price: (176 + i * 0.05).toFixed(2), portfolio_name: 'B' });
    }
    await rest.order({ symbol: 'AAPL', side: 'BUY', quantity: 12, limit_price: '176.05', portfolio_name: 'A' });
    await rest.order({ symbol: 'AAPL', side: 'SELL', quantity: 3, limit_price: '173.00', portfolio_name: 'B' });
    await rest.order({ symbol: 'MSFT', side: 'SELL', quantity: 7, limit_price: '413.00', portfolio_name: 'B' });
    await rest.order({ symbol: 'MSFT', side: 'BUY', quantity: 2, limit_price: '413.00', portfolio_name: 'A' });
    expect((await rest.call('PUT', '/instruments/MSFT/price', { price: '415.00' })).status).toBe(200);

    const live = await FeedTestClient.connect(oms.baseUrl);
    await live.subscribe('book:AAPL');
    const before = await snapshots(oms.baseUrl, key);
    expect((before['trades:AAPL'] as { trades: unknown[] }).trades.length).toBeGreaterThan(0);
    expect((before['orders:A'] as { orders: unknown[] }).orders.length).toBeGreaterThan(0);
    expect((before['portfolio:A'] as { positions: unknown[] }).positions.length).toBe(2);

    const { port, databaseUrl } = oms;
    await oms.stop();
    oms = undefined;
    const closed = await live.closed;
    // The server went away (1001), not the network: the client must reconnect.
    expect(closed).toEqual({ code: 1001, reason: 'server shutting down' });
    await expect(FeedTestClient.connect(`http://127.0.0.1:${port}`)).rejects.toThrow();

    oms = await startTestOms({ port, databaseUrl });
    expect(oms.port).toBe(port);
    const after = await snapshots(oms.baseUrl, key);
    expect(after).toEqual(before);

    // And the feed is live again: a new order is an update on the new connection.
    const again = await FeedTestClient.connect(oms.baseUrl);
    const snap = await again.subscribe('book:AAPL');
    await restClient(oms.baseUrl, oms.adminKey).order({ symbol: 'AAPL', side: 'BUY', quantity: 1, limit_price: '170.00', portfolio_name: 'A' });
    const u = await again.next(isUpdate('book:AAPL'));
    expect(u.seq).toBe(snap.seq! + 1);
    expect(u.data.bids.at(-1)).toEqual({ price: '170.00', quantity: 1, orders: 1 });
    await again.close();
  });
});
