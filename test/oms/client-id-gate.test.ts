import { describe, expect, it } from '@jest/globals';
import { ClientIdGate } from '../../src/oms/client-id-gate.js';

/** A promise with its resolve and reject, to hold an action open while retries arrive. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('ClientIdGate', () => {
  it('acts once for concurrent requests with one id; the others get the same value, not created', async () => {
    const gate = new ClientIdGate<string>(10);
    const action = deferred<string>();
    let acted = 0;
    const act = () => {
      acted++;
      return action.promise;
    };
    const calls = [1, 2, 3].map(() => gate.once('k', async () => null, act));
    await new Promise((r) => setImmediate(r));
    action.resolve('done');
    const results = await Promise.all(calls);
    expect(acted).toBe(1);
    expect(results).toEqual([
      { value: 'done', created: true },
      { value: 'done', created: false },
      { value: 'done', created: false },
    ]);
  });

  it('answers from the lookup (the database) without acting', async () => {
    const gate = new ClientIdGate<string>(10);
    let acted = 0;
    const result = await gate.once('k', async () => 'stored', async () => `new ${++acted}`);
    expect([result, acted]).toEqual([{ value: 'stored', created: false }, 0]);
  });

  it('releases the id when the action fails, so a waiting retry acts afresh', async () => {
    const gate = new ClientIdGate<string>(10);
    const first = deferred<string>();
    const failing = gate.once('k', async () => null, () => first.promise);
    const retry = gate.once('k', async () => null, async () => 'second try');
    await new Promise((r) => setImmediate(r));
    first.reject(new Error('refused'));
    await expect(failing).rejects.toThrow('refused');
    expect(await retry).toEqual({ value: 'second try', created: true });
  });

  it('forgets the oldest ids past its capacity, leaving them to the lookup', async () => {
    const gate = new ClientIdGate<string>(2);
    const stored = new Map<string, string>();
    const once = (key: string) =>
      gate.once(key, async () => stored.get(key) ?? null, async () => {
        stored.set(key, `value of ${key}`);
        return `value of ${key}`;
      });
    await once('a');
    await once('b');
    await once('c');
    let looked = 0;
    const again = await gate.once('a', async () => (looked++, stored.get('a') ?? null), async () => 'acted again');
    expect([again, looked]).toEqual([{ value: 'value of a', created: false }, 1]);
  });
});
