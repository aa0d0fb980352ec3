import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { retryDelay, SlackConnection } from '../../src/slack/connection.js';
import { waitFor } from './support/slack-stand-in.js';

describe('retry delays', () => {
  const policy = { minMs: 1000, maxMs: 60_000 };

  it('double from the start after each failure in a row, up to the ceiling', () => {
    const top = (failures: number) => retryDelay(policy, failures, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 1000].map(top)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  it('are jittered over the upper half, never shorter than half the step', () => {
    expect(retryDelay(policy, 1, () => 0)).toBe(500);
    expect(retryDelay(policy, 3, () => 0.5)).toBe(3000);
    expect(retryDelay(policy, 50, () => 0)).toBe(30_000);
    expect(retryDelay(policy, Number.MAX_SAFE_INTEGER, () => 0.999)).toBeLessThanOrEqual(60_000);
  });
});

describe('a connection that drops as soon as it opens', () => {
  it('is reopened with growing waits, not in a tight loop', async () => {
    const opened: number[] = [];
    const connection: SlackConnection = new SlackConnection({
      retry: { minMs: 20, maxMs: 10_000 },
      logger: pino({ level: 'silent' }),
      random: () => 0,
      connect: async () => {
        opened.push(performance.now());
      },
      // Each time it is up, the socket closes at once.
      onConnected: () => setImmediate(() => connection.lost('closed by the peer')),
    });
    connection.start();
    await waitFor(() => opened.length >= 6, 10_000, 'six connections');
    connection.stop();
    const waits = opened.slice(1).map((t, i) => t - opened[i]);
    // 10, 20, 40, 80, 160 ms at least (half of 20 ms doubling), as for failures in a row.
    expect(waits.map((w, i) => w >= 10 * 2 ** i - 2)).toEqual([true, true, true, true, true]);
  });
});
