import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { OrderIndex } from '../../src/engine/order-index.js';

describe('OrderIndex', () => {
  it('answers like a Map over random sets, adds, replaces and deletes, through growth', () => {
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
            // add() is set() for an absent id: every other absent id goes through it.
            if (!model.has(id) && step % 2 === 0) index.add(id, `v${step}`);
            else index.set(id, `v${step}`);
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

  it('keeps every entry reachable after deleting from the middle of a chain', () => {
    const index = new OrderIndex<number>(16);
    // Consecutive ids beyond the table's size force growth; deleting every other one unlinks entries
    // from the middle and the ends of bucket chains.
    for (let id = 1; id <= 5_000; id++) index.set(id, id * 10);
    for (let id = 1; id <= 5_000; id += 2) expect(index.delete(id)).toBe(true);
    expect(index.size).toBe(2_500);
    for (let id = 1; id <= 5_000; id++) expect(index.get(id)).toBe(id % 2 === 0 ? id * 10 : undefined);
    expect(index.delete(1)).toBe(false);
  });

  // Ids that share buckets on purpose: a table size apart (same place in their block of 128),
  // power-of-two strides, and a block's worth of consecutive ids, with entries freed and reused.
  it('answers like a Map for ids that collide, while freed entries are reused', () => {
    const patterns = [
      (n: number) => n * 16 + (n % 3) * 2 ** 20,
      (n: number) => n * 128,
      (n: number) => n * 2 ** 14,
      (n: number) => (n % 128) + Math.floor(n / 128) * 4096,
      (n: number) => 2 ** 40 + n * 2 ** 33,
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...patterns.keys()),
        fc.array(fc.record({ del: fc.boolean(), n: fc.integer({ min: 0, max: 400 }) }), { minLength: 50, maxLength: 500 }),
        (p, ops) => {
          const index = new OrderIndex<number>(16);
          const model = new Map<number, number>();
          ops.forEach(({ del, n }, step) => {
            const id = patterns[p](n);
            if (del) expect(index.delete(id)).toBe(model.delete(id));
            else {
              index.set(id, step);
              model.set(id, step);
            }
          });
          expect(index.size).toBe(model.size);
          for (let n = 0; n <= 400; n++) expect(index.get(patterns[p](n))).toBe(model.get(patterns[p](n)));
          expect([...index.values()].sort((a, b) => a - b)).toEqual([...model.values()].sort((a, b) => a - b));
        },
      ),
      { seed: 5, numRuns: 100 },
    );
  });

  it('spreads power-of-two strides and ids a table size apart over the buckets', () => {
    // Not a guarantee of the design but its point: no pattern of ids an OMS might use piles them
    // into a few chains. Probes per lookup, averaged over the entries, stay near 1.
    for (const stride of [1, 2, 16, 128, 1024, 2 ** 14, 2 ** 20, 2 ** 32, 1000]) {
      const index = new OrderIndex<number>();
      for (let n = 0; n < 20_000; n++) index.set(n * stride, n);
      const internals = index as unknown as { heads: Int32Array; nexts: Int32Array };
      let probes = 0;
      for (let b = 0; b < internals.heads.length; b++) {
        let length = 0;
        for (let e = internals.heads[b] - 1; e >= 0; e = internals.nexts[e] - 1) probes += ++length;
      }
      expect(probes / 20_000).toBeLessThan(4);
    }
  });
});

