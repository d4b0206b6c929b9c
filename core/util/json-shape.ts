/**
 * Bounds on the shape of a JSON value from outside, checked before anything walks it
 * recursively or element by element:
 *
 * - depth: recursive code (zod's parse of the `Json` schema, `JSON.stringify`, a renderer
 *   walking a message) runs out of stack a few thousand levels down, which a 6 KB message can
 *   carry, and that throws where nothing expects it;
 * - cost: a value that crossed a structured clone (the service's IPC, Electron's ports) is not
 *   bounded by its size on the wire. It may share one array in many places (a few hundred bytes
 *   standing for 2^100 arrays), or hold a sparse array whose `length` is in the millions while
 *   its clone is 13 bytes. Any walk (ours, zod's, `JSON.stringify`'s) pays for every place and
 *   every index, so that is what is counted, and a hole, which JSON cannot hold, is refused.
 */

/** The deepest nesting of arrays and objects a message may have: far beyond any real message,
 * far below what recursive code survives. */
export const MAX_JSON_DEPTH = 128;
/** The most places a walk of a message may visit: every array, object, array index and object
 * key, a shared container counted wherever it appears. A 10,000-track replication batch is about
 * 300,000; 5 MiB of JSON holds at most about 2.6 million. */
export const MAX_JSON_VALUES = 4_000_000;

/**
 * What makes `value` too deep, too costly to walk, or sparse, as a phrase ("nests deeper than
 * 128 levels"), or undefined if none. A scalar is level 0, `[1]` level 1; byte arrays are
 * leaves; a cycle is too deep. Iterative, and it stops at the first limit passed (an array is
 * refused by its `length` before any index is read), so it is safe on any input. It runs on every
 * JSON message sent and received: two parallel stacks, with only containers pushed and no arrays
 * allocated, keep it several times cheaper than `JSON.stringify`.
 */
export function jsonShapeProblem(value: unknown, maxDepth = MAX_JSON_DEPTH, maxValues = MAX_JSON_VALUES): string | undefined {
  if (!isContainer(value)) return undefined;
  const items: object[] = [value];
  const depths: number[] = [1];
  let budget = maxValues;
  const tooCostly = () => `holds more than ${maxValues} values to walk (arrays, objects, their elements and keys; a shared one counted wherever it appears)`;
  const push = (child: unknown, depth: number) => {
    if (isContainer(child)) {
      items.push(child);
      depths.push(depth);
    }
  };
  while (items.length > 0) {
    const item = items.pop()!;
    const depth = depths.pop()!;
    if (depth > maxDepth) return `nests deeper than ${maxDepth} levels`;
    if (--budget < 0) return tooCostly();
    if (Array.isArray(item)) {
      const length = item.length;
      // Refused on what the walk would cost, before reading any index.
      if (length > budget) return tooCostly();
      budget -= length;
      for (let i = 0; i < length; i++) {
        const element: unknown = item[i];
        if (element === undefined && !(i in item)) return `has a hole at index ${i} (a sparse array, which JSON cannot hold)`;
        push(element, depth + 1);
      }
    } else {
      // for-in also sees inherited enumerable keys, which JSON skips: at worst an overcount.
      for (const key in item) {
        if (--budget < 0) return tooCostly();
        push((item as Record<string, unknown>)[key], depth + 1);
      }
    }
  }
  return undefined;
}

const isContainer = (value: unknown): value is object => typeof value === 'object' && value !== null && !ArrayBuffer.isView(value);
