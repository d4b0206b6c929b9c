import { describe, expect, it } from 'vitest';
import { Json } from '../protocol/shapes';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth';

/** `levels` objects and arrays, one inside the other, around `leaf`. */
function nested(levels: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { k: value };
  return value;
}

describe('nestsDeeperThan', () => {
  it('counts levels of arrays and objects; scalars and byte arrays are leaves', () => {
    expect(nestsDeeperThan(1, 0)).toBe(false);
    expect(nestsDeeperThan(null, 0)).toBe(false);
    expect(nestsDeeperThan([], 0)).toBe(true);
    expect(nestsDeeperThan([1], 1)).toBe(false);
    expect(nestsDeeperThan({ a: [1, { b: 2 }] }, 2)).toBe(true);
    expect(nestsDeeperThan({ a: [1, { b: 2 }] }, 3)).toBe(false);
    expect(nestsDeeperThan([new Uint8Array(8)], 1)).toBe(false);
    expect(nestsDeeperThan(new Uint8Array(8), 0)).toBe(false);
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
  });

  it('looks at every branch, not only the first', () => {
    expect(nestsDeeperThan([1, 'a', {}, [nested(4)]], 6)).toBe(false);
    expect(nestsDeeperThan([1, 'a', {}, [nested(5)]], 6)).toBe(true);
  });

  it('answers at any depth without running out of stack, and calls a cycle too deep', () => {
    expect(nestsDeeperThan(nested(200_000), MAX_JSON_DEPTH)).toBe(true);
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(nestsDeeperThan(cycle, MAX_JSON_DEPTH)).toBe(true);
  });
});

describe('the Json schema', () => {
  it('fails, rather than throws, on a value nested deeper than the limit, and accepts one at the limit', () => {
    const deep = Json.safeParse(nested(5000));
    expect(deep.success).toBe(false);
    expect(deep.error!.issues[0]!.message).toBe(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(Json.safeParse(nested(MAX_JSON_DEPTH + 1)).success).toBe(false);
    const atLimit = nested(MAX_JSON_DEPTH);
    expect(Json.parse(atLimit)).toEqual(atLimit);
    expect(Json.safeParse({ a: [() => 1] }).success).toBe(false); // still only JSON
  });
});
