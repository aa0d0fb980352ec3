// Heartbeats (docs/feed.md): a {"type":"heartbeat"} frame every 15 s and WebSocket pings; a peer that
// misses two pings is dropped, one that answers them stays. Slow by nature (the period is 15 s).

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Socket } from 'node:net';
import { startTestOms, type TestOms } from '../support/oms.js';
import { FeedTestClient } from './feed-client.js';

let oms: TestOms;

beforeAll(async () => {
  oms = await startTestOms();
});

afterAll(async () => {
  await oms?.stop();
});

describe('heartbeat', () => {
  it('sends heartbeats and pings; drops a peer after two unanswered pings, keeps one that answers', async () => {
    // The server side of each connection, by the client's port (observed, not interfered with).
    const serverSockets = new Map<number, Socket>();
    oms.service.server.on('upgrade', (_req, socket: Socket) => serverSockets.set(socket.remotePort!, socket));
    const alive = await FeedTestClient.connect(oms.baseUrl);
    const dead = await FeedTestClient.connect(oms.baseUrl);
    let pings = 0;
    alive.ws.on('ping', () => pings++);
    // A peer that reads nothing answers no ping (and, getting no updates, never fills its buffer).
    const deadSocket = (dead.ws as unknown as { _socket: Socket })._socket;
    const serverSide = serverSockets.get(deadSocket.localPort!)!;
    expect(serverSide).toBeDefined();
    // Stop reading just after a tick (its heartbeat frame follows its ping, which was answered).
    await dead.next((f) => f.type === 'heartbeat', 20_000, 'a heartbeat');
    const started = Date.now();
    deadSocket.pause();

    await new Promise((resolve) => serverSide.once('close', resolve));
    const after = Date.now() - started;
    // Ticks every 15 s: unanswered pings at +15 s and +30 s, dropped at the tick of +45 s.
    expect(after).toBeGreaterThan(40_000);
    expect(after).toBeLessThan(50_000);
    // Dropped without a close handshake: the client sees it once it reads again.
    deadSocket.resume();
    expect((await dead.closed).code).toBe(1006);

    expect(alive.open).toBe(true);
    expect(pings).toBeGreaterThanOrEqual(2);
    const beats = alive.log.filter((r) => r.frame.type === 'heartbeat').map((r) => r.frame);
    expect(beats.length).toBeGreaterThanOrEqual(2);
    for (const b of beats) {
      expect(Object.keys(b).sort()).toEqual(['ts', 'type']);
      expect(Number.isNaN(Date.parse(b.ts as string))).toBe(false);
    }
    expect(await alive.request({ op: 'ping' })).toMatchObject({ type: 'pong' });
    await alive.close();
  }, 90_000);
});
