import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestOms, type TestOms } from '../support/oms.js';
import { ApiClient } from '../api/support/client.js';
import { waitFor } from '../feed/feed-client.js';
import { reconcile } from '../../src/db/reconciliation.js';

/**
 * The desks on a market data source, end to end: a replayed file drives every desk's reference
 * prices, the house quotes behind the real quote, a bad tick moves nothing, and when the data stops
 * the symbol goes stale (house quotes pulled, market orders refused).
 */
const dir = mkdtempSync(join(tmpdir(), 'paper-desk-live-'));
const file = join(dir, 'day.csv');
writeFileSync(
  file,
  [
    'time,symbol,price,size,bid,ask',
    '2024-06-14T13:30:00Z,AAPL,212.10,100,212.05,212.15',
    '2024-06-14T13:30:01Z,AAPL,212.40,50,212.35,212.45',
    // A bad tick: far outside the quote of the moment; the reference must not follow it.
    '2024-06-14T13:30:02Z,AAPL,2.12,10,212.35,212.45',
    '2024-06-14T13:30:03Z,MSFT,441.00,10,440.90,441.10',
    '',
  ].join('\n'),
);

let oms: TestOms;
let api: ApiClient;

beforeAll(async () => {
  oms = await startTestOms({
    env: {
      MARKET_DATA: 'replay',
      REPLAY_FILE: file,
      REPLAY_SPEED: '0',
      MARKET_DATA_STALE_MS: '1500',
      MARKET_MAKER_ENABLED: 'true',
      SIMULATOR_INTERVAL_MS: '50',
    },
  });
  api = new ApiClient(oms.baseUrl, oms.adminKey);
  await api.createPortfolio('Trader', '1000000.00');
}, 60_000);

afterAll(async () => {
  await oms?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const instrument = async (symbol: string) => (await api.get('/instruments')).body.data.find((i: { symbol: string }) => i.symbol === symbol);

describe('a replayed day', () => {
  it("moves every desk's reference price to the last good print, and says where prices come from", async () => {
    // Each symbol's prices go one commit after another, independently: AAPL may land after MSFT.
    await waitFor(async () => (await instrument('MSFT')).reference_price === '441.00', 10_000, 'MSFT to follow the file');
    await waitFor(async () => (await instrument('AAPL')).reference_price !== '212.10', 10_000, 'AAPL past its first print');
    await waitFor(async () => (await api.get('~/health')).body.market_data === 'ended', 10_000, 'the file to end');
    // Everything delivered: the bad tick after 212.40 moved nothing.
    expect(await instrument('AAPL')).toMatchObject({ reference_price: '212.40', source: 'replay' });
    const other = await api.post('/desks', { name: 'Second' });
    const second = api.as(other.body.admin_key);
    expect((await second.get('/instruments')).body.data.find((i: { symbol: string }) => i.symbol === 'AAPL')).toMatchObject({ reference_price: '212.40' });
    expect((await api.get('~/health')).body).toMatchObject({ status: 'ok', market_data: 'ended' });
  });

  it('has the house quote behind the real quote, never inside it', async () => {
    await waitFor(async () => (await api.get('/book/AAPL')).body.bids.length > 0, 10_000, 'the house to quote AAPL');
    const book = (await api.get('/book/AAPL')).body;
    expect(Number(book.bids[0].price)).toBeLessThanOrEqual(212.35);
    expect(Number(book.asks[0].price)).toBeGreaterThanOrEqual(212.45);
    const bought = await api.post('/orders', { symbol: 'AAPL', side: 'BUY', type: 'MARKET', quantity: 5, portfolio_name: 'Trader' });
    expect(bought.body).toMatchObject({ status: 'FILLED', filled_quantity: 5 });
  });

  it('goes stale when the data stops: the house pulls its quotes and market orders are refused', async () => {
    await waitFor(async () => (await instrument('AAPL')).market_status === 'stale', 10_000, 'AAPL to go stale');
    await waitFor(async () => (await api.get('/book/AAPL')).body.bids.length === 0, 10_000, 'the house to pull its AAPL quotes');
    const res = await api.post('/orders', { symbol: 'AAPL', side: 'BUY', type: 'MARKET', quantity: 1, portfolio_name: 'Trader' });
    expect({ status: res.status, code: res.body.error.code, paths: res.body.error.details.map((d: { path: string }) => d.path) }).toEqual({ status: 422, code: 'MARKET_DATA_STALE', paths: ['type'] });
    expect(res.body.error.message).toContain("AAPL's market data (replay) has gone quiet");
    // A limit order still rests.
    expect((await api.post('/orders', { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', limit_price: '200.00', quantity: 1, portfolio_name: 'Trader' })).status).toBe(201);
    expect(await reconcile(oms.service.prisma)).toMatchObject({ ok: true, problems: [] });
  }, 30_000);
});

describe("Alpaca's stream, through a stand-in that speaks its protocol", () => {
  it('prices the desk from its trades, and says on /health when it refuses the key, recovering by itself', async () => {
    const { AlpacaStandIn } = await import('./support/alpaca-stand-in.js');
    const standIn = await AlpacaStandIn.start();
    standIn.accepted = { key: 'PKWRONG-UNTIL-LATER', secret: 'x' };
    let desk: TestOms | null = null;
    try {
      desk = await startTestOms({
        env: {
          MARKET_DATA: 'alpaca',
          MARKET_DATA_SYMBOLS: 'AAPL',
          MARKET_DATA_STREAM_URL: standIn.streamUrl,
          MARKET_DATA_REST_URL: standIn.restUrl,
          APCA_API_KEY_ID: 'PKTEST',
          APCA_API_SECRET_KEY: 'test-secret',
          MARKET_DATA_RETRY_MIN_MS: '20',
          MARKET_DATA_RETRY_MAX_MS: '200',
        },
      });
      const client = new ApiClient(desk.baseUrl, desk.adminKey);
      await waitFor(async () => (await client.get('~/health')).body.market_data === 'invalid_auth', 10_000, 'the refused key to show');
      expect((await client.get('~/health')).status).toBe(200);
      standIn.accepted = { key: 'PKTEST', secret: 'test-secret' };
      await waitFor(async () => (await client.get('~/health')).body.market_data === 'ok', 10_000, 'the source to recover');
      standIn.send(`[{"T":"t","S":"AAPL","i":1,"x":"V","p":190.01,"s":5,"t":"2024-03-01T15:30:00Z","c":["@"],"z":"C"}]`);
      const aapl = async () => (await client.get('/instruments')).body.data.find((i: { symbol: string }) => i.symbol === 'AAPL');
      await waitFor(async () => (await aapl()).reference_price === '190.01', 10_000, 'AAPL to follow the stream');
      expect(await aapl()).toMatchObject({ source: 'alpaca', market_status: 'live' });
    } finally {
      await desk?.stop();
      await standIn.close();
    }
  }, 60_000);
});

describe("Coinbase's public feed, through a stand-in that speaks its protocol", () => {
  it('adds BTC-USD at its first print, prices it from the matches, and reconnects after a drop', async () => {
    const { CoinbaseStandIn } = await import('./support/coinbase-stand-in.js');
    const standIn = await CoinbaseStandIn.start();
    let desk: TestOms | null = null;
    try {
      desk = await startTestOms({
        env: { MARKET_DATA: 'coinbase', MARKET_DATA_SYMBOLS: 'BTC-USD', MARKET_DATA_STREAM_URL: standIn.url, MARKET_DATA_RETRY_MIN_MS: '20', MARKET_DATA_RETRY_MAX_MS: '200' },
      });
      const client = new ApiClient(desk.baseUrl, desk.adminKey);
      await waitFor(async () => (await client.get('~/health')).body.market_data === 'ok', 10_000, 'the feed to subscribe');
      expect(standIn.subscribes[0]).toMatchObject({ product_ids: ['BTC-USD'] });
      const btc = async () => (await client.get('/instruments')).body.data.find((i: { symbol: string }) => i.symbol === 'BTC-USD');
      standIn.match({ price: '43210.12', sequence: 10 });
      await waitFor(async () => (await btc())?.reference_price === '43210.12', 10_000, 'BTC-USD to be added and priced');
      expect(await btc()).toMatchObject({ source: 'coinbase', market_status: 'live', tick_size: '0.01' });
      standIn.drop();
      await waitFor(() => standIn.subscribes.length >= 2, 10_000, 'a resubscription');
      await waitFor(async () => (await client.get('~/health')).body.market_data === 'ok', 10_000, 'the feed to be back');
      standIn.match({ price: '43300.50', sequence: 20 });
      await waitFor(async () => (await btc()).reference_price === '43300.50', 10_000, 'the price after the reconnect');
    } finally {
      await desk?.stop();
      await standIn.close();
    }
  }, 60_000);
});
