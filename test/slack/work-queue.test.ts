import { describe, expect, it } from '@jest/globals';
import { WorkQueue } from '../../src/slack/work-queue.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('after-ack work queue', () => {
  it('runs at most `concurrency` jobs at once, the others in arrival order', async () => {
    const queue = new WorkQueue(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const jobs = [0, 1, 2, 3, 4].map((i) =>
      queue.run(async () => {
        started.push(i);
        running++;
        peak = Math.max(peak, running);
        await tick();
        running--;
        return i * 10;
      }),
    );
    expect(await Promise.all(jobs)).toEqual([0, 10, 20, 30, 40]);
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });

  it('frees the slot of a job that throws, and passes the error on', async () => {
    const queue = new WorkQueue(1);
    await expect(queue.run(async () => Promise.reject(new Error('OMS down')))).rejects.toThrow('OMS down');
    expect(await queue.run(async () => 'next')).toBe('next');
  });

  it('tells when all started and waiting work is done', async () => {
    const queue = new WorkQueue(1);
    const done: string[] = [];
    void queue.run(async () => {
      await tick();
      done.push('a');
    });
    void queue.run(async () => {
      await tick();
      done.push('b');
    });
    await queue.idle();
    expect(done).toEqual(['a', 'b']);
    await expect(queue.idle()).resolves.toBeUndefined();
  });
});
