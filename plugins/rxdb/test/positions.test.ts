/** Fractional positions: inserts land where asked, concurrent inserts never tie or split runs. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { comparePositions, keyAt, keysAt, type Positioned } from '../model/positions';

const place = (ordered: Positioned[], index: number, ids: string[], random?: () => number) => {
  const keys = keysAt(ordered, index, ids.length, random);
  return [...ordered, ...ids.map((id, i) => ({ id, position: keys[i]! }))].sort(comparePositions);
};

describe('track positions', () => {
  it('puts inserted tracks at the index asked, in order, without touching the others', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 4 })), { minLength: 1, maxLength: 25 }), (inserts) => {
        let list: Positioned[] = [];
        let next = 0;
        for (const [at, count] of inserts) {
          const index = at % (list.length + 1);
          const ids = Array.from({ length: count }, () => `t${String(next++).padStart(4, '0')}`);
          const before = list.map((t) => t.id);
          list = place(list, index, ids);
          expect(list.map((t) => t.id)).toEqual([...before.slice(0, index), ...ids, ...before.slice(index)]);
        }
      }),
    );
  });

  it('two peers inserting at the same spot keep their runs together, in the same order everywhere', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.999, noNaN: true }), fc.double({ min: 0, max: 0.999, noNaN: true }), fc.nat({ max: 3 }), (ra, rb, index) => {
        const start = place([], 0, ['s1', 's2', 's3']);
        const alice = keysAt(start, index, 2, () => ra).map((position, i) => ({ id: `a${i}`, position }));
        const bob = keysAt(start, index, 2, () => rb).map((position, i) => ({ id: `b${i}`, position }));
        const merged = [...start, ...alice, ...bob].sort(comparePositions).map((t) => t.id);
        expect(merged).toHaveLength(7);
        expect(merged.filter((id) => id.startsWith('s'))).toEqual(['s1', 's2', 's3']);
        // Runs stay together unless both picked the same gap (1 chance in 17): then they
        // interleave, still in one order on every peer.
        if (Math.floor(ra * 17) !== Math.floor(rb * 17)) {
          expect(merged.indexOf('a0') + 1).toBe(merged.indexOf('a1'));
          expect(merged.indexOf('b0') + 1).toBe(merged.indexOf('b1'));
        }
      }),
    );
  });

  it('inserts between neighbours whose keys tie, and keeps keys short when appending many', () => {
    const tied = [
      { id: 'x', position: 'a0' },
      { id: 'y', position: 'a0' },
    ];
    const key = keyAt(tied, 1);
    expect(key > 'a0').toBe(true);
    const many = keysAt([], 0, 10_000);
    expect(many.every((k, i) => i === 0 || many[i - 1]! < k)).toBe(true);
    expect(Math.max(...many.map((k) => k.length))).toBeLessThanOrEqual(6);
  });
});
