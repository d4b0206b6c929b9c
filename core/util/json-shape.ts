/**
 * Bounds on the shape of a JSON value from outside, checked before anything walks it
 * recursively:
 *
 * - depth: recursive code (zod's parse of the `Json` schema, `JSON.stringify`, a renderer
 *   walking a message) runs out of stack a few thousand levels down, which a 6 KB message can
 *   carry, and that throws where nothing expects it;
 * - size: a value that crossed a structured clone (the service's IPC, Electron's ports) may share
 *   one array or object in many places, which JSON text cannot. A few hundred bytes can then
 *   stand for 2^100 containers, and any walk (ours, zod's, `JSON.stringify`'s) would never end.
 */

/** The deepest nesting of arrays and objects a message may have: far beyond any real message,
 * far below what recursive code survives. */
export const MAX_JSON_DEPTH = 128;
/** The most arrays and objects a message may hold, a shared one counted wherever it appears: a
 * 10,000-track replication batch holds about 30,000. */
export const MAX_JSON_CONTAINERS = 1_000_000;

/**
 * What makes `value` too deep or too large to walk, as a phrase ("nests deeper than 128
 * levels"), or undefined if neither. A scalar is level 0, `[1]` level 1; byte arrays are
 * leaves; a cycle is too deep. Iterative, and it stops at the first limit passed, so it is safe
 * on any input. It runs on every JSON message sent and received: two parallel stacks, with only
 * containers pushed and no arrays allocated, make it several times cheaper than
 * `JSON.stringify`.
 */
export function jsonShapeProblem(value: unknown, maxDepth = MAX_JSON_DEPTH, maxContainers = MAX_JSON_CONTAINERS): string | undefined {
  if (!isContainer(value)) return undefined;
  const items: object[] = [value];
  const depths: number[] = [1];
  let containers = 0;
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
    if (++containers > maxContainers) return `holds more than ${maxContainers} arrays and objects (a shared one counted wherever it appears)`;
    if (Array.isArray(item)) {
      for (let i = 0; i < item.length; i++) push(item[i], depth + 1);
    } else {
      // for-in also sees inherited enumerable keys, which JSON skips: at worst an overcount.
      for (const key in item) push((item as Record<string, unknown>)[key], depth + 1);
    }
  }
  return undefined;
}

const isContainer = (value: unknown): value is object => typeof value === 'object' && value !== null && !ArrayBuffer.isView(value);
