// A client that stops reading while updates flow is closed with 1008 'slow consumer' once its send
// buffer passes the bound, instead of being buffered without limit; the server then lets go of it
// entirely. A healthy client on the same channel is unaffected. Nor does the server keep a client
// that left while its subscription was still being served.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Socket } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import pg from 'pg';
import { WebSocket } from 'ws';
import { startTestOms, type TestOms } from '../support/oms.js';
import { FeedTestClient, expectContiguous, restClient, waitFor, type RestClient } from './feed-client.js';

let oms: TestOms;
let rest: RestClient;

beforeAll(async () => {
  oms = await startTestOms({ env: { RATE_LIMIT_PER_MINUTE: '1000000' } });
  rest = restClient(oms.baseUrl, oms.adminKey);
  await rest.portfolio('A', '100000000000');
  await rest.portfolio('B', '100000000000');
});

afterAll(async () => {
  await oms?.stop();
});

const socketOf = (c: FeedTestClient): Socket => (c.ws as unknown as { _socket: Socket })._socket;

/** Runs a full garbage collection (exposed at run time: jest does not pass --expose-gc). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

describe('slow consumer', () => {
  it('closes a client that does not read with 1008 "slow consumer", releases it, and keeps serving the others', async () => {
    // A full book (20 levels a side, big numbers) makes every book update ~2 KB.
    for (let i = 0; i < 20; i++) {
      await rest.order({ symbol: 'AAPL', side: 'BUY', quantity: 1_000_000 + i, limit_price: (170 - i * 0.01).toFixed(2), portfolio_name: 'A' });
      await rest.order({ symbol: 'AAPL', side: 'SELL', quantity: 1_000_000 + i, limit_price: (180 + i * 0.01).toFixed(2), portfolio_name: 'B' });
    }

    const healthy = await FeedTestClient.connect(oms.baseUrl);
    const stalled = await FeedTestClient.connect(oms.baseUrl); // never reads again
    const lagging = await FeedTestClient.connect(oms.baseUrl); // reads again once the server gives up on it
    const snapHealthy = await healthy.subscribe('book:AAPL');
    for (const c of [stalled, lagging]) {
      await c.subscribe('book:AAPL');
      await c.subscribe('ticker');
    }

    // Record the server's close() calls (the server-side sockets are found by their peer port).
    const serverCloses: { port: number; code?: number; reason?: string; ref: WeakRef<WebSocket> }[] = [];
    const clientSockets = new Set([healthy.ws, stalled.ws, lagging.ws]);
    const originalClose = WebSocket.prototype.close;
    WebSocket.prototype.close = function (this: WebSocket, code?: number, reason?: string | Buffer) {
      if (!clientSockets.has(this)) {
        const port = (this as unknown as { _socket?: Socket })._socket?.remotePort ?? -1;
        serverCloses.push({ port, code, reason: reason?.toString(), ref: new WeakRef(this) });
        if (port === socketOf(lagging).localPort) setImmediate(() => socketOf(lagging).resume());
      }
      return originalClose.call(this, code, reason);
    };
    const stalledPort = socketOf(stalled).localPort;
    const laggingPort = socketOf(lagging).localPort;
    socketOf(stalled).pause();
    socketOf(lagging).pause();

    let placed = 0;
    try {
      // Resting orders inside the book: one ~2 KB book update each, to all three clients. Passing the
      // bound takes a number of updates set by the socket buffers (about 2,500 with Linux defaults),
      // not a time: 3 s on a quiet machine, 30 s and more on a busy one (hence the test's timeout).
      // Place until both are closed, giving up only far beyond that number.
      const MAX_ORDERS = 25_000;
      const bothClosed = () => serverCloses.some((c) => c.port === stalledPort) && serverCloses.some((c) => c.port === laggingPort);
      await Promise.all(
        Array.from({ length: 16 }, async (_, w) => {
          while (!bothClosed() && placed < MAX_ORDERS) {
            const i = placed++;
            await rest.order({ symbol: 'AAPL', side: i % 2 ? 'BUY' : 'SELL', quantity: 1, limit_price: i % 2 ? (170 - (w % 20) * 0.01).toFixed(2) : (180 + (w % 20) * 0.01).toFixed(2), portfolio_name: i % 2 ? 'A' : 'B' });
          }
        }),
      );
      // A few more updates after the close: none may be queued for the closed clients.
      for (let i = 0; i < 50; i++) await rest.order({ symbol: 'AAPL', side: 'BUY', quantity: 1, limit_price: '169.90', portfolio_name: 'A' });
      placed += 50;
    } finally {
      WebSocket.prototype.close = originalClose;
    }

    // (ws itself calls close() again to answer the close frame of a peer that reads again.)
    for (const port of [stalledPort, laggingPort]) {
      expect(serverCloses.find((c) => c.port === port)).toMatchObject({ code: 1008, reason: 'slow consumer' });
    }
    expect(new Set(serverCloses.map((c) => c.port))).toEqual(new Set([stalledPort, laggingPort]));

    // The client that reads again drains what was sent, then gets the close frame with the reason.
    expect(await lagging.closed).toEqual({ code: 1008, reason: 'slow consumer' });
    // The stalled one is dropped by the server (its socket destroyed) although it never completes the
    // close handshake, and the server keeps nothing of either: their sockets can be garbage collected.
    const refs = serverCloses.map((c) => c.ref);
    serverCloses.length = 0;
    await waitFor(
      () => refs.every((r) => r.deref() === undefined || (r.deref()!.readyState === WebSocket.CLOSED && (r.deref() as unknown as { _socket: Socket })._socket.destroyed)),
      5000,
      'the server to drop both slow connections',
    );
    await waitFor(() => {
      collectGarbage();
      return refs.every((r) => r.deref() === undefined);
    }, 5000, 'the slow clients to be garbage collected');

    // The healthy client got every update, without a gap.
    await waitFor(() => healthy.framesOf('book:AAPL').length >= placed + 1, 10_000, `all ${placed} book updates`);
    const updates = healthy.framesOf('book:AAPL').slice(1);
    expectContiguous(updates, snapHealthy.seq! + 1);
    expect(await healthy.request({ op: 'ping' })).toMatchObject({ type: 'pong' });

    socketOf(stalled).resume();
    await stalled.close();
    await healthy.close();
  }, 120_000);
});

describe('a client gone early', () => {
  it('keeps nothing of a client that disconnects while its first trades snapshot is loading', async () => {
    // The first subscription to a symbol's trades reads them from the database: hold that read
    // (a lock on the table) until the client is gone.
    const db = new pg.Client({ connectionString: oms.databaseUrl });
    const watcher = new pg.Client({ connectionString: oms.databaseUrl });
    await Promise.all([db.connect(), watcher.connect()]);
    const readsWaiting = async () =>
      (await watcher.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n;
    const serverSockets: Socket[] = [];
    const onUpgrade = (_req: unknown, socket: Socket) => serverSockets.push(socket);
    oms.service.server.on('upgrade', onUpgrade);
    const refs: WeakRef<Socket>[] = [];
    try {
      await db.query('BEGIN');
      await db.query('LOCK TABLE trades IN ACCESS EXCLUSIVE MODE');
      for (const [i, symbol] of ['SPY', 'META'].entries()) {
        const c = await FeedTestClient.connect(oms.baseUrl);
        const serverSide = serverSockets.pop()!;
        c.send({ op: 'subscribe', channel: `trades:${symbol}` });
        // Leave only once the server's read is held at the lock (the earlier ones still wait there too).
        await waitFor(async () => (await readsWaiting()) > i, 5000, `the trades:${symbol} snapshot read to wait for the lock`);
        c.ws.terminate();
        await new Promise((resolve) => serverSide.once('close', resolve));
        refs.push(new WeakRef(serverSide));
      }
    } finally {
      await db.query('COMMIT');
      await Promise.all([db.end(), watcher.end()]);
      oms.service.server.off('upgrade', onUpgrade);
    }
    await waitFor(() => {
      collectGarbage();
      return refs.every((r) => r.deref() === undefined);
    }, 5000, 'the closed clients to be garbage collected');

    // The symbols' trades channels work for the next subscriber.
    const d = await FeedTestClient.connect(oms.baseUrl);
    for (const symbol of ['SPY', 'META']) expect((await d.subscribe(`trades:${symbol}`)).data).toEqual({ symbol, trades: [] });
    await d.close();
  });
});
