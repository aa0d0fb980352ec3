// The feed's public channels (book:SYMBOL, trades:SYMBOL, ticker) with a real `ws` client against the
// real OMS over PostgreSQL, orders placed over REST: snapshot first, then updates whose seqs have no
// gap, published only after the commit that made them true.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startTestOms, type TestOms } from '../support/oms.js';
import { leaksOf } from '../support/anonymity.js';
import { type FeedTestClient, expectContiguous, isUpdate, restClient, sleep, waitFor, type Frame, type RestClient, FeedClientPool } from './feed-client.js';

let oms: TestOms;
let rest: RestClient;
let db: pg.Client;
const pool = new FeedClientPool(() => oms.baseUrl);
const connect = (): Promise<FeedTestClient> => pool.connect();

beforeAll(async () => {
  oms = await startTestOms();
  rest = restClient(oms.baseUrl, oms.adminKey);
  await rest.portfolio('A');
  await rest.portfolio('B');
  db = new pg.Client({ connectionString: oms.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await pool.closeAll();
  await db?.end();
  await oms?.stop();
});

/** Total resting quantity of one side of a book frame. */
const sideQty = (levels: { quantity: number }[]): number => levels.reduce((n, l) => n + l.quantity, 0);

describe('book:SYMBOL', () => {
  it('answers with a snapshot, then one update per order placed over REST, in order, seqs without a gap', async () => {
    const c = await connect();
    const snap = await c.subscribe('book:AAPL');
    expect(snap).toMatchObject({ type: 'snapshot', channel: 'book:AAPL', data: { symbol: 'AAPL', bids: [], asks: [], reference_price: '175.00' } });
    expect(typeof snap.seq).toBe('number');

    // One order at a time: each update is the book right after that order.
    for (let i = 0; i < 10; i++) {
      await rest.order({ symbol: 'AAPL', side: 'BUY', quantity: 1, limit_price: (170 - i * 0.01).toFixed(2), portfolio_name: 'A' });
      const u = await c.next(isUpdate('book:AAPL'), 5000, `book update ${i}`);
      expect(u.seq).toBe(snap.seq! + i + 1);
      expect(u.data.bids).toHaveLength(i + 1);
      expect(u.data.bids[i]).toEqual({ price: (170 - i * 0.01).toFixed(2), quantity: 1, orders: 1 });
      expect(u.data.asks).toEqual([]);
    }
    expect(c.untaken(isUpdate('book:AAPL'))).toEqual([]);
  });

  it('keeps seqs contiguous across many concurrent updates, every subscriber sees the same sequence, and the last update is the REST book', async () => {
    const a = await connect();
    const b = await connect();
    const snapA = await a.subscribe('book:AAPL');
    const snapB = await b.subscribe('book:AAPL');
    expect(snapB.seq).toBe(snapA.seq);
    expect(snapB.data).toEqual(snapA.data);

    // 300 orders, 20 in flight at a time: sells resting above the bids, and buys that cross some of them.
    const bodies: Record<string, unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      const sell = i % 3 !== 2;
      bodies.push({
        symbol: 'AAPL',
        side: sell ? 'SELL' : 'BUY',
        quantity: 1 + (i % 4),
        limit_price: sell ? (180 + (i % 30) * 0.01).toFixed(2) : '180.10',
        portfolio_name: sell ? 'B' : 'A',
      });
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < bodies.length) await rest.order(bodies[next++]);
      }),
    );
    const book = (await rest.call('GET', '/book/AAPL')).body;
    // Every command was answered, so every update was sent; wait until both clients received the last
    // one: the book as REST shows it (bids, asks and last price: equal asks alone can be an earlier
    // update), with B as far along as A.
    const showsBook = (f: Frame | undefined) =>
      f?.type === 'update' && JSON.stringify({ bids: f.data.bids, asks: f.data.asks, last_price: f.data.last_price }) === JSON.stringify({ bids: book.bids, asks: book.asks, last_price: book.last_price });
    await waitFor(() => {
      const lastA = a.framesOf('book:AAPL').at(-1);
      return showsBook(lastA) && b.framesOf('book:AAPL').at(-1)?.seq === lastA!.seq;
    }, 5000, 'the last book update on both clients');
    await sleep(100);

    const updatesA = a.framesOf('book:AAPL').slice(1);
    const updatesB = b.framesOf('book:AAPL').slice(1);
    expect(updatesA.length).toBeGreaterThanOrEqual(300); // one per command at least (fills touch the book too)
    expectContiguous(updatesA, snapA.seq! + 1);
    expect(updatesB.map((f) => f.seq)).toEqual(updatesA.map((f) => f.seq));
    expect(updatesB.map((f) => f.data)).toEqual(updatesA.map((f) => f.data));
    const last = updatesA.at(-1)!.data;
    expect({ bids: last.bids, asks: last.asks, last_price: last.last_price }).toEqual({ bids: book.bids, asks: book.asks, last_price: book.last_price });
    // A fresh subscriber's snapshot continues the same sequence.
    const c = await connect();
    const snapC = await c.subscribe('book:AAPL');
    expect(snapC.seq).toBe(updatesA.at(-1)!.seq);
    expect(snapC.data).toEqual(last);
  });

  /**
   * Runs `during` while every commit is held at a lock on the orders table, once `place` (an order)
   * has reached the commit that waits for that lock; the commits go through after it. What `during`
   * returns must not wait for a commit.
   */
  async function withCommitsHeld<T>(place: () => Promise<unknown>, during: () => Promise<T>): Promise<T> {
    const lock = new pg.Client({ connectionString: oms.databaseUrl });
    await lock.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
      const placed = place();
      await waitFor(async () => {
        const { rows } = await db.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE '%orders_up%'`,
        );
        return rows.length > 0;
      }, 5000, 'the commit to wait for the lock');
      const result = await during();
      await lock.query('COMMIT');
      await placed;
      return result;
    } finally {
      await lock.end();
    }
  }

  // Batch 1 (order 1) is held by a table lock while order 2 is applied in memory; the update sent
  // after batch 1's commit must show the book as batch 1 committed it, without order 2.
  it('publishes a book update showing only committed orders', async () => {
    const c = await connect();
    await c.subscribe('book:SPY');
    const { order2 } = await withCommitsHeld(
      () => rest.order({ symbol: 'SPY', side: 'BUY', quantity: 1, limit_price: '540.00', portfolio_name: 'A' }),
      async () => {
        const p2 = rest.order({ symbol: 'SPY', side: 'BUY', quantity: 2, limit_price: '539.00', portfolio_name: 'A' });
        // Order 2 is in memory (the REST book shows the live book), waiting for batch 2.
        await waitFor(async () => {
          const book = (await rest.call('GET', '/book/SPY')).body;
          return book.bids.some((l: { price: string }) => l.price === '539.00');
        }, 5000, 'order 2 in the in-memory book');
        // Wrapped: the order's own promise resolves only after its commit.
        return { order2: p2 };
      },
    );
    const first = await c.next(isUpdate('book:SPY'));
    await order2;
    expect(first.data.bids).toEqual([{ price: '540.00', quantity: 1, orders: 1 }]);
  });

  // A client subscribes while a batch is committing: its snapshot already carries that batch's seq
  // (and state), so the update the commit then releases is not for it.
  it('sends a client subscribing during a commit its snapshot, then only later seqs', async () => {
    const early = await connect();
    await early.subscribe('book:TSLA');
    const { late, lateSnap } = await withCommitsHeld(
      () => rest.order({ symbol: 'TSLA', side: 'BUY', quantity: 1, limit_price: '240.00', portfolio_name: 'A' }),
      async () => {
        const late = await connect();
        return { late, lateSnap: await late.subscribe('book:TSLA') };
      },
    );
    const released = await early.next(isUpdate('book:TSLA'), 5000, 'the update the commit released');
    expect(lateSnap.seq).toBe(released.seq);
    expect(lateSnap.data.bids).toEqual(released.data.bids);
    await rest.order({ symbol: 'TSLA', side: 'BUY', quantity: 2, limit_price: '239.00', portfolio_name: 'A' });
    const next = await late.next(isUpdate('book:TSLA'), 5000, 'the next update');
    expect(next.seq).toBe(lateSnap.seq! + 1);
    await early.next(isUpdate('book:TSLA'), 5000, 'the next update, early client');
    expect(late.untaken(isUpdate('book:TSLA'))).toEqual([]);
  });

  it('accepts a lower-case symbol and stops sending after unsubscribe', async () => {
    const c = await connect();
    const snap = await c.subscribe('book:msft');
    expect(snap.channel).toBe('book:MSFT');
    expect(await c.request({ op: 'unsubscribe', channel: 'book:MSFT' })).toMatchObject({ type: 'unsubscribed', channel: 'book:MSFT' });
    await rest.order({ symbol: 'MSFT', side: 'BUY', quantity: 1, limit_price: '400.00', portfolio_name: 'A' });
    await sleep(200);
    expect(c.untaken((f) => f.channel === 'book:MSFT')).toEqual([]);
  });
});

describe('trades:SYMBOL', () => {
  it('shows a trade only once the REST call that made it has committed it, with the data of the REST fill', async () => {
    const c = await connect();
    const snap = await c.subscribe('trades:GOOGL');
    expect(snap).toMatchObject({ type: 'snapshot', channel: 'trades:GOOGL', data: { symbol: 'GOOGL', trades: [] } });

    const resting = await rest.order({ symbol: 'GOOGL', side: 'SELL', quantity: 5, limit_price: '165.00', portfolio_name: 'B' });
    expect(resting.fills).toEqual([]);
    await sleep(200);
    expect(c.untaken(isUpdate('trades:GOOGL'))).toEqual([]); // a resting order is no trade

    // On receipt of the update, the trade must already be in the database.
    let committedOnReceipt: boolean | null = null;
    const seen = c.next(isUpdate('trades:GOOGL'), 5000, 'the trade').then(async (f) => {
      const ids = f.data.trades.map((t: { trade_id: string }) => t.trade_id);
      const rows = await db.query('SELECT id FROM trades WHERE id = ANY($1::bigint[])', [ids]);
      committedOnReceipt = rows.rowCount === ids.length;
      return f;
    });
    const sentAt = performance.now();
    const taker = await rest.order({ symbol: 'GOOGL', side: 'BUY', quantity: 3, limit_price: '165.50', portfolio_name: 'A' });
    const update = await seen;
    expect(committedOnReceipt).toBe(true);
    const receipt = c.log.find((r) => r.frame === update)!;
    expect(receipt.at).toBeGreaterThan(sentAt);

    expect(update.seq).toBe(snap.seq! + 1);
    expect(taker.fills).toHaveLength(1);
    const { side, liquidity, fee, ...fillTrade } = taker.fills[0];
    expect(side).toBe('BUY');
    expect(liquidity).toBe('TAKER');
    expect(fee).toBe('0.00');
    expect(fillTrade).toMatchObject({ symbol: 'GOOGL', price: '165.00', quantity: 3, aggressor_side: 'BUY', buy_portfolio: 'A', sell_portfolio: 'B', kind: 'MATCH' });
    // The public tape shows the trade, not its parties.
    const onTape = { trade_id: fillTrade.trade_id, price: '165.00', quantity: 3, aggressor_side: 'BUY', executed_at: fillTrade.executed_at };
    expect(update.data.trades).toEqual([onTape]);
    // The whole trade over REST, to a key that may read it.
    expect((await rest.call('GET', `/trades/${fillTrade.trade_id}`)).body).toEqual(fillTrade);
    // And in the next subscriber's snapshot, as on the tape.
    const d = await connect();
    const snap2 = await d.subscribe('trades:GOOGL');
    expect(snap2.seq).toBe(update.seq);
    expect(snap2.data.trades).toEqual([onTape]);
  });

  it('delivers many trades in order with contiguous seqs, each trade exactly once, equal to the database', async () => {
    const c = await connect();
    const snap = await c.subscribe('trades:AMZN');
    const before = new Set(snap.data.trades.map((t: { trade_id: string }) => t.trade_id));
    for (let i = 0; i < 40; i++) {
      await rest.order({ symbol: 'AMZN', side: 'SELL', quantity: 2, limit_price: (185 + (i % 10) * 0.01).toFixed(2), portfolio_name: 'B' });
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 80) {
          next++;
          await rest.order({ symbol: 'AMZN', side: 'BUY', quantity: 1, limit_price: '186.00', portfolio_name: 'A' });
        }
      }),
    );
    await waitFor(() => c.framesOf('trades:AMZN').slice(1).reduce((n, f) => n + f.data.trades.length, 0) >= 80, 5000, '80 trades');
    await sleep(100);
    const updates = c.framesOf('trades:AMZN').slice(1);
    expectContiguous(updates, snap.seq! + 1);
    const ids: string[] = updates.flatMap((f) => f.data.trades.map((t: { trade_id: string }) => t.trade_id));
    expect(ids).toHaveLength(80);
    expect(new Set(ids).size).toBe(80);
    expect(ids.some((id) => before.has(id))).toBe(false);
    const { rows } = await db.query<{ id: string }>(
      `SELECT id::text FROM trades WHERE symbol = 'AMZN' ORDER BY id`,
    );
    expect(ids).toEqual(rows.map((r) => r.id)); // oldest first, as committed
  });

  it('gives a snapshot first and then exactly the later trades, even to a client subscribing while trades flow', async () => {
    // Resting liquidity for a stream of crossing orders.
    for (let i = 0; i < 20; i++) {
      await rest.order({ symbol: 'TSLA', side: 'SELL', quantity: 10, limit_price: (250 + i * 0.01).toFixed(2), portfolio_name: 'B' });
    }
    let stop = false;
    const flow = Promise.all(
      Array.from({ length: 6 }, async () => {
        while (!stop) await rest.order({ symbol: 'TSLA', side: 'BUY', quantity: 1, limit_price: '251.00', portfolio_name: 'A' });
      }),
    );
    const subscribers: FeedTestClient[] = [];
    for (let i = 0; i < 30; i++) {
      const c = await connect();
      c.send({ op: 'subscribe', channel: 'trades:TSLA' });
      subscribers.push(c);
      await sleep(5);
    }
    await sleep(300);
    // Enough trades for the check below, however slow the machine (the responses mean committed).
    await waitFor(async () => (await db.query(`SELECT 1 FROM trades WHERE symbol = 'TSLA' LIMIT 31`)).rowCount! > 30, 10_000, 'more than 30 TSLA trades');
    stop = true;
    await flow;

    const { rows } = await db.query<{ id: string }>(`SELECT id::text FROM trades WHERE symbol = 'TSLA' ORDER BY id DESC`);
    const all = rows.map((r) => r.id);
    expect(all.length).toBeGreaterThan(30);
    // Every trade is committed and its update sent: wait until each subscriber has the newest one.
    const newestSeen = (c: FeedTestClient): string | undefined => {
      const last = c.framesOf('trades:TSLA').at(-1);
      const ids: string[] = (last?.data.trades ?? []).map((t: { trade_id: string }) => t.trade_id);
      return last?.type === 'snapshot' ? ids[0] : ids.at(-1);
    };
    await waitFor(() => subscribers.every((c) => newestSeen(c) === all[0]), 5000, 'every subscriber to receive the newest trade');
    await sleep(300);
    for (const c of subscribers) {
      const frames = c.framesOf('trades:TSLA');
      expect(frames[0]?.type).toBe('snapshot');
      const snap = frames[0];
      expectContiguous(frames.slice(1), snap.seq! + 1);
      // snapshot (newest first, up to 50) followed by the updates (oldest first) = the database's newest trades.
      const snapIds: string[] = snap.data.trades.map((t: { trade_id: string }) => t.trade_id);
      const later: string[] = frames.slice(1).flatMap((f: Frame) => f.data.trades.map((t: { trade_id: string }) => t.trade_id));
      const seen = [...later.reverse(), ...snapIds];
      expect(seen).toEqual(all.slice(0, seen.length));
    }
  });
});

describe('anonymity', () => {
  // The secrets: two portfolios with names found nowhere else, the ids of their orders.
  it('no public frame names a portfolio or an order, to an anonymous client or to the key of those orders', async () => {
    expect((await rest.call('POST', '/instruments', { symbol: 'ANON', reference_price: '120.00' })).status).toBe(201);
    await rest.portfolio('Quiet Harbor Fund');
    await rest.portfolio('Northwind Desk');
    const key = await rest.call('POST', '/keys', { name: 'harbor reader', scopes: ['read'], portfolios: ['Quiet Harbor Fund'] });
    const anonymous = await connect();
    const keyed = await connect();
    expect(await keyed.auth(key.body.key)).toMatchObject({ type: 'authenticated' });
    const channels = ['book:ANON', 'trades:ANON', 'ticker'];
    for (const c of [anonymous, keyed]) for (const channel of channels) await c.subscribe(channel);
    // The key's own orders channel: the control, where the ids must show.
    await keyed.subscribe('orders:Quiet Harbor Fund');

    const orders = [
      await rest.order({ symbol: 'ANON', side: 'SELL', quantity: 5, limit_price: '120.10', portfolio_name: 'Quiet Harbor Fund', client_order_id: 'qh-7' }),
      await rest.order({ symbol: 'ANON', side: 'BUY', quantity: 4, limit_price: '119.90', portfolio_name: 'Northwind Desk', user_id: 'Northwind Desk trader' }),
      await rest.order({ symbol: 'ANON', side: 'BUY', quantity: 2, limit_price: '120.10', portfolio_name: 'Northwind Desk' }),
      await rest.order({ symbol: 'ANON', side: 'SELL', type: 'MARKET', time_in_force: 'IOC', quantity: 1, portfolio_name: 'Quiet Harbor Fund' }),
    ];
    const tradeIds: string[] = orders.flatMap((o) => o.fills.map((f: { trade_id: string }) => f.trade_id));
    expect(tradeIds).toHaveLength(2);
    const hasBothTrades = (c: FeedTestClient) => {
      const seen = c.framesOf('trades:ANON').flatMap((f) => f.data.trades.map((t: { trade_id: string }) => t.trade_id));
      return tradeIds.every((id) => seen.includes(id));
    };
    await waitFor(() => hasBothTrades(anonymous) && hasBothTrades(keyed), 5000, 'both trades on both tapes');
    await waitFor(() => keyed.framesOf('orders:Quiet Harbor Fund').some((f) => f.data.orders?.some((o: { id: string }) => o.id === orders[3].id)), 5000, 'the market order on its channel');
    // The ticker is conflated: wait for its last change, so that it is in the frames (and no later test gets it).
    const settled = { symbol: 'ANON', reference_price: '120.00', last_price: '119.90', best_bid: '119.90', best_ask: '120.10', market_status: 'live' };
    await waitFor(() => anonymous.framesOf('ticker').some((f) => f.data.instruments.some((i: object) => JSON.stringify(i) === JSON.stringify(settled))), 5000, 'the settled ticker');
    // A fresh snapshot of each public channel, with the trades in it.
    const late = await connect();
    for (const channel of channels) await late.subscribe(channel);

    const secrets = { portfolios: ['Quiet Harbor Fund', 'Northwind Desk'], orderIds: orders.map((o) => o.id), tradeIds };
    const publicFrames = [anonymous, keyed, late].flatMap((c) => channels.flatMap((channel) => c.framesOf(channel)));
    expect(publicFrames.length).toBeGreaterThan(channels.length * 3);
    expect(leaksOf(publicFrames, secrets)).toEqual([]);
    // The key still sees its own orders, ids and all, where it may.
    const own = keyed.framesOf('orders:Quiet Harbor Fund').flatMap((f) => f.data.orders.map((o: { id: string }) => o.id));
    expect(own).toEqual(expect.arrayContaining([orders[0].id, orders[3].id]));
    expect(leaksOf(keyed.framesOf('orders:Quiet Harbor Fund'), secrets)).toEqual(expect.arrayContaining([expect.stringContaining(`is an id of an order`)]));
  });
});

describe('ticker', () => {
  // While nobody listens, the ticker is not compared with what it showed last; a change back to that
  // old state after someone subscribed must still reach them.
  it('after changes nobody listened to, still sends a change back to an earlier state', async () => {
    const order = await rest.order({ symbol: 'META', side: 'BUY', quantity: 1, limit_price: '495.00', portfolio_name: 'A' });
    const c = await connect();
    const snap = await c.subscribe('ticker');
    expect(snap.data.instruments.find((i: { symbol: string }) => i.symbol === 'META')).toMatchObject({ best_bid: '495.00' });
    expect((await rest.call('DELETE', `/orders/${order.id}`)).status).toBe(200);
    const u = await c.next(isUpdate('ticker'), 3000, 'a ticker update without the canceled bid');
    expect(u.data.instruments).toEqual([{ symbol: 'META', reference_price: '500.00', last_price: null, best_bid: null, best_ask: null, market_status: 'live' }]);
    expect(u.seq).toBe(snap.seq! + 1);
    await c.close();
  });

  it('snapshots every instrument and updates those a trade or a new reference price changed', async () => {
    const c = await connect();
    const snap = await c.subscribe('ticker');
    const symbols = snap.data.instruments.map((i: { symbol: string }) => i.symbol);
    expect(symbols).toEqual(expect.arrayContaining(['AAPL', 'MSFT', 'GOOGL', 'AMZN', 'TSLA', 'NVDA', 'META', 'SPY']));
    expect(snap.data.instruments.find((i: { symbol: string }) => i.symbol === 'NVDA')).toEqual({
      symbol: 'NVDA',
      reference_price: '120.00',
      last_price: null,
      best_bid: null,
      best_ask: null,
      market_status: 'live',
    });

    await rest.order({ symbol: 'NVDA', side: 'SELL', quantity: 2, limit_price: '121.00', portfolio_name: 'B' });
    await rest.order({ symbol: 'NVDA', side: 'BUY', quantity: 1, limit_price: '121.00', portfolio_name: 'A' });
    let u = await c.next((f) => isUpdate('ticker')(f) && f.data.instruments.some((i: { last_price: string }) => i.last_price === '121.00'));
    expect(u.data.instruments).toEqual([{ symbol: 'NVDA', reference_price: '120.00', last_price: '121.00', best_bid: null, best_ask: '121.00', market_status: 'live' }]);

    expect((await rest.call('PUT', '/instruments/NVDA/price', { price: '122.50' })).status).toBe(200);
    u = await c.next((f) => isUpdate('ticker')(f) && f.data.instruments.some((i: { reference_price: string }) => i.reference_price === '122.50'));
    expect(u.data.instruments).toEqual([{ symbol: 'NVDA', reference_price: '122.50', last_price: '121.00', best_bid: null, best_ask: '121.00', market_status: 'live' }]);

    const updates = c.framesOf('ticker').slice(1);
    expectContiguous(updates, snap.seq! + 1);
  });

  it('is conflated: a burst of changes arrives as few updates, the last with the latest state', async () => {
    const c = await connect();
    const snap = await c.subscribe('ticker');
    const started = performance.now();
    const bids = Array.from({ length: 12 }, (_, i) => (170 + i * 0.25).toFixed(2));
    await Promise.all(bids.map((price) => rest.order({ symbol: 'AMZN', side: 'BUY', quantity: 1, limit_price: price, portfolio_name: 'A' })));
    const last = bids[bids.length - 1];
    await c.next((f) => isUpdate('ticker')(f) && f.data.instruments.some((i: { best_bid: string }) => i.best_bid === last), 3000, 'the latest bid');
    const elapsed = performance.now() - started;
    const updates = c.framesOf('ticker').slice(1);
    expectContiguous(updates, snap.seq! + 1);
    // Twelve changes of the best bid; at most one update per 250 ms (plus the one in flight).
    expect(updates.length).toBeLessThanOrEqual(Math.floor(elapsed / 250) + 2);
    expect(updates.length).toBeLessThan(bids.length);
    for (const u of updates) expect(u.data.instruments.filter((i: { symbol: string }) => i.symbol === 'AMZN').length).toBeLessThanOrEqual(1);
    await sleep(300);
    expect(c.untaken(isUpdate('ticker'))).toEqual([]);
  });

  it("shows each instrument's market status: a stale symbol in the snapshot, then each change of it at once", async () => {
    const desks = oms.service.desks.all();
    for (const desk of desks) desk.setMarket('SPY', { source: 'replay', status: 'stale' });
    try {
      const c = await connect();
      const snap = await c.subscribe('ticker');
      expect(snap.data.instruments.find((i: { symbol: string }) => i.symbol === 'SPY')).toMatchObject({ symbol: 'SPY', market_status: 'stale' });
      expect(snap.data.instruments.find((i: { symbol: string }) => i.symbol === 'AAPL')).toMatchObject({ market_status: 'live' });
      for (const desk of desks) desk.setMarket('SPY', { source: 'replay', status: 'closed' });
      const closed = await c.next((f) => isUpdate('ticker')(f) && f.data.instruments.some((i: { symbol: string }) => i.symbol === 'SPY'), 3000, 'SPY closed');
      expect(closed.data.instruments.find((i: { symbol: string }) => i.symbol === 'SPY')).toMatchObject({ market_status: 'closed' });
      const reference = snap.data.instruments.find((i: { symbol: string }) => i.symbol === 'SPY').reference_price;
      expect((await rest.call('PUT', '/instruments/SPY/price', { price: '541.25' })).status).toBe(200);
      const u = await c.next((f) => isUpdate('ticker')(f) && f.data.instruments.some((i: { symbol: string }) => i.symbol === 'SPY'), 3000, 'a SPY ticker update');
      expect(u.data.instruments.find((i: { symbol: string }) => i.symbol === 'SPY')).toMatchObject({ reference_price: '541.25', market_status: 'closed' });
      // Back to live at the old price, seen on the channel, so no later test gets this change.
      for (const desk of desks) desk.setMarket('SPY', { source: 'simulator', status: 'live' });
      expect((await rest.call('PUT', '/instruments/SPY/price', { price: reference })).status).toBe(200);
      const back = { symbol: 'SPY', reference_price: reference, market_status: 'live' };
      await c.next((f) => isUpdate('ticker')(f) && f.data.instruments.some((i: object) => expect.objectContaining(back).asymmetricMatch(i)), 3000, 'SPY live again');
      await c.close();
    } finally {
      for (const desk of desks) desk.setMarket('SPY', { source: 'simulator', status: 'live' });
    }
  });

  it('updates best_bid / best_ask when an order rests at a new best price', async () => {
    const c = await connect();
    const snap = await c.subscribe('ticker');
    const meta = snap.data.instruments.find((i: { symbol: string }) => i.symbol === 'META');
    expect(meta.best_bid).toBeNull();
    await rest.order({ symbol: 'META', side: 'BUY', quantity: 1, limit_price: '499.00', portfolio_name: 'A' });
    const u = await c.next(isUpdate('ticker'), 3000, 'a ticker update with the new best bid');
    expect(u.data.instruments).toEqual([{ symbol: 'META', reference_price: '500.00', last_price: null, best_bid: '499.00', best_ask: null, market_status: 'live' }]);
    // An order behind the best price changes nothing the ticker shows.
    await rest.order({ symbol: 'META', side: 'BUY', quantity: 1, limit_price: '498.00', portfolio_name: 'A' });
    await sleep(200);
    expect(c.untaken(isUpdate('ticker'))).toEqual([]);
  });
});
