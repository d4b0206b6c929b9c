import { describe, expect, it } from 'vitest';
import { Json } from '../protocol/shapes';
import { MAX_JSON_DEPTH, MAX_JSON_VALUES, jsonShapeProblem } from './json-shape';

/** `levels` objects and arrays, one inside the other, around `leaf`. */
function nested(levels: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { k: value };
  return value;
}

const DEEPER = `nests deeper than ${MAX_JSON_DEPTH} levels`;

describe('jsonShapeProblem', () => {
  it('counts levels of arrays and objects; scalars and byte arrays are leaves', () => {
    expect(jsonShapeProblem(1, 0)).toBeUndefined();
    expect(jsonShapeProblem(null, 0)).toBeUndefined();
    expect(jsonShapeProblem(new Uint8Array(8), 0)).toBeUndefined();
    expect(jsonShapeProblem([], 0)).toBe('nests deeper than 0 levels');
    expect(jsonShapeProblem([1], 1)).toBeUndefined();
    expect(jsonShapeProblem({ a: [1, { b: 2 }] }, 2)).toBe('nests deeper than 2 levels');
    expect(jsonShapeProblem({ a: [1, { b: 2 }] }, 3)).toBeUndefined();
    expect(jsonShapeProblem([new Uint8Array(8)], 1)).toBeUndefined();
    expect(jsonShapeProblem(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(jsonShapeProblem(nested(MAX_JSON_DEPTH + 1))).toBe(DEEPER);
  });

  it('looks at every branch, not only the first', () => {
    expect(jsonShapeProblem([1, 'a', {}, [nested(4)]], 6)).toBeUndefined();
    expect(jsonShapeProblem([1, 'a', {}, [nested(5)]], 6)).toBe('nests deeper than 6 levels');
  });

  it('answers at any depth without running out of stack, and calls a cycle too deep', () => {
    expect(jsonShapeProblem(nested(200_000))).toBe(DEEPER);
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(jsonShapeProblem(cycle)).toBe(DEEPER);
  });

  const TOO_COSTLY = /^holds more than \d+ values to walk/;
  /** An array of `length` places and no elements. */
  const holes = (length: number) => Object.assign([], { length });

  it('counts what a walk visits: containers, elements and keys, a shared container wherever it appears', () => {
    // The outer array and its 3 elements, then each inner array: 7.
    expect(jsonShapeProblem([[], [], []], 8, 7)).toBeUndefined();
    expect(jsonShapeProblem([[], [], []], 8, 6)).toMatch(TOO_COSTLY);
    // An object, its 2 keys, and the array under one of them with its 1 element: 5.
    expect(jsonShapeProblem({ a: 1, b: [2] }, 8, 5)).toBeUndefined();
    expect(jsonShapeProblem({ a: 1, b: [2] }, 8, 4)).toMatch(TOO_COSTLY);
    // 100 levels, each holding the one below twice: a few hundred bytes through a structured
    // clone, 2^100 containers to any walk.
    let shared: unknown[] = [];
    for (let i = 0; i < 100; i++) shared = [shared, shared];
    expect(jsonShapeProblem(shared)).toMatch(TOO_COSTLY);
  });

  it('refuses an array by the length it claims, before reading any index', () => {
    const claims = new Proxy([] as unknown[], {
      get: (target, key) => (key === 'length' ? MAX_JSON_VALUES : Reflect.get(target, key)),
      has: () => {
        throw new Error('an index was read');
      },
    });
    expect(jsonShapeProblem(claims)).toMatch(TOO_COSTLY);
    // As a structured clone carries it: 13 bytes for five million empty places.
    expect(jsonShapeProblem(structuredClone({ message: holes(5_000_000) }))).toMatch(TOO_COSTLY);
  });

  it('refuses holes, which JSON cannot hold, but not undefined elements (JSON.stringify writes null)', () => {
    const sparse = [1, 2];
    sparse[5] = 3;
    expect(jsonShapeProblem({ list: sparse })).toBe('has a hole at index 2 (a sparse array, which JSON cannot hold)');
    expect(jsonShapeProblem(structuredClone(holes(10)))).toBe('has a hole at index 0 (a sparse array, which JSON cannot hold)');
    expect(jsonShapeProblem([1, undefined, 3])).toBeUndefined();
  });
});

describe('the Json schema', () => {
  it('fails, rather than throws or runs for ever, on a value too deep or too shared, and accepts one at the limit', () => {
    const deep = Json.safeParse(nested(5000));
    expect(deep.success).toBe(false);
    expect(deep.error!.issues[0]!.message).toBe(DEEPER);
    expect(Json.safeParse(nested(MAX_JSON_DEPTH + 1)).success).toBe(false);
    let shared: unknown[] = [];
    for (let i = 0; i < 100; i++) shared = [shared, shared];
    expect(Json.safeParse(shared).error!.issues[0]!.message).toMatch(/^holds more than/);
    const atLimit = nested(MAX_JSON_DEPTH);
    expect(Json.parse(atLimit)).toEqual(atLimit);
    expect(Json.safeParse({ a: [() => 1] }).success).toBe(false); // still only JSON
  });
});
