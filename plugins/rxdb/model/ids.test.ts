import { expect, it } from 'vitest';
import fc from 'fast-check';
import { DocId } from '../protocol';
import { sortableIds } from './ids';

it('sorts by creation, within a millisecond, across milliseconds and when the clock steps back', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 42 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 0, max: 2 ** 49 - 1 }), (clock, start) => {
      let tick = 0;
      const next = sortableIds(
        () => clock[tick++ % clock.length]!,
        () => start,
      );
      const ids = Array.from({ length: clock.length * 2 }, next);
      expect([...ids].sort()).toEqual(ids);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(DocId.safeParse(id).success, id).toBe(true);
    }),
  );
});

it('two peers at the same millisecond make different ids', () => {
  const [a, b] = [sortableIds(() => 1_700_000_000_000), sortableIds(() => 1_700_000_000_000)];
  const fromA = new Set(Array.from({ length: 10_000 }, a));
  expect(Array.from({ length: 10_000 }, b).some((id) => fromA.has(id))).toBe(false);
});
