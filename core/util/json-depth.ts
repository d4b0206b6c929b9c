/**
 * How deep a JSON value nests. Core bounds it wherever a value comes from outside: recursive code
 * (zod's parse of the `Json` schema, a renderer walking a message) runs out of stack on a few
 * thousand levels, which a 6 KB message can carry, and that throws where nothing expects it.
 */

/** The deepest nesting of arrays and objects a message may have: far beyond any real message,
 * far below what recursive code survives. */
export const MAX_JSON_DEPTH = 128;

/**
 * Whether `value` nests arrays and objects more than `max` levels deep (a scalar is level 0,
 * `[1]` level 1). Iterative, so safe at any depth; a cycle counts as too deep. Byte arrays are
 * leaves. It runs on every JSON message sent and received: two parallel stacks, only objects
 * pushed and no arrays allocated, make it several times cheaper than `JSON.stringify`.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (!isContainer(value)) return false;
  const items: object[] = [value];
  const depths: number[] = [1];
  const push = (child: unknown, depth: number) => {
    if (isContainer(child)) {
      items.push(child);
      depths.push(depth);
    }
  };
  while (items.length > 0) {
    const item = items.pop()!;
    const depth = depths.pop()!;
    if (depth > max) return true;
    if (Array.isArray(item)) {
      for (let i = 0; i < item.length; i++) push(item[i], depth + 1);
    } else {
      // for-in also sees inherited enumerable keys, which JSON skips: at worst an overcount.
      for (const key in item) push((item as Record<string, unknown>)[key], depth + 1);
    }
  }
  return false;
}

const isContainer = (value: unknown): value is object => typeof value === 'object' && value !== null && !ArrayBuffer.isView(value);
