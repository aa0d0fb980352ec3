import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { OrderIndex } from '../../src/engine/order-index.js';

describe('OrderIndex', () => {
  it('answers like a Map over random sets, replaces and deletes, through growth', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), id: fc.integer({ min: 0, max: 300 }) }),
      fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 0, max: 300 }) }),
      // Large and negative safe integers share low bits with small ones: they must not collide in meaning.
      fc.record({ kind: fc.constant('set' as const), id: fc.constantFrom(2 ** 32 + 5, 2 ** 40 + 5, -5, 5) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
        const index = new OrderIndex<string>(16);
        const model = new Map<number, string>();
        ops.forEach(({ kind, id }, step) => {
          if (kind === 'set') {
            index.set(id, `v${step}`);
            model.set(id, `v${step}`);
          } else {
            expect(index.delete(id)).toBe(model.delete(id));
          }
          expect(index.size).toBe(model.size);
        });
        for (let id = -5; id <= 300; id++) {
          expect(index.get(id)).toBe(model.get(id));
          expect(index.has(id)).toBe(model.has(id));
        }
        for (const id of [2 ** 32 + 5, 2 ** 40 + 5]) expect(index.get(id)).toBe(model.get(id));
        expect([...index.values()].sort()).toEqual([...model.values()].sort());
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('keeps every entry reachable after deleting from the middle of a long probe run', () => {
    const index = new OrderIndex<number>(16);
    // Consecutive ids beyond half the table force growth; deleting every other one shifts runs back.
    for (let id = 1; id <= 5_000; id++) index.set(id, id * 10);
    for (let id = 1; id <= 5_000; id += 2) expect(index.delete(id)).toBe(true);
    expect(index.size).toBe(2_500);
    for (let id = 1; id <= 5_000; id++) expect(index.get(id)).toBe(id % 2 === 0 ? id * 10 : undefined);
    expect(index.delete(1)).toBe(false);
  });
});
