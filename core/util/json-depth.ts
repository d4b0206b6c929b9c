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
 * `[1]` level 1). Iterative, so safe at any depth; a cycle counts as too deep.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (typeof item !== 'object' || item === null || ArrayBuffer.isView(item)) continue;
    if (depth === max) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}
