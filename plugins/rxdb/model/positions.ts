/**
 * Track order: fractional index keys (the `fractional-indexing` package). A track inserted
 * between two others gets a key between theirs, so an insert or a move writes one document and
 * never renumbers the rest; two peers inserting at once both keep their tracks.
 *
 * Two peers inserting at the same spot would compute the same keys, so the keys are taken from
 * a random gap among several between the neighbours: the tracks then land in a stable order
 * instead of tying. Should two keys still tie, tracks sort by (position, id), which every peer agrees on.
 */
import { generateNKeysBetween } from 'fractional-indexing';

const SPREAD = 16;

export interface Positioned {
  id: string;
  position: string;
}

export function comparePositions(a: Positioned, b: Positioned): number {
  if (a.position !== b.position) return a.position < b.position ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** `count` increasing keys for tracks inserted at `index` of `ordered` (sorted by
 * `comparePositions`, without the tracks being placed). */
export function keysAt(ordered: readonly Positioned[], index: number, count: number, random: () => number = Math.random): string[] {
  const at = Math.max(0, Math.min(index, ordered.length));
  const before = at > 0 ? ordered[at - 1]!.position : null;
  // Neighbours with equal keys leave no room between them: go past the tie.
  let next = at;
  while (next < ordered.length && before !== null && ordered[next]!.position <= before) next++;
  const after = next < ordered.length ? ordered[next]!.position : null;
  // A random gap among SPREAD candidates: concurrent inserts at one spot land apart, and each
  // peer's run of tracks stays together.
  const candidates = generateNKeysBetween(before, after, SPREAD);
  const gap = Math.floor(random() * (SPREAD + 1));
  const low = gap === 0 ? before : candidates[gap - 1]!;
  const high = gap === SPREAD ? after : candidates[gap]!;
  return generateNKeysBetween(low, high, count);
}

/** A key placing one track at `index` (see `keysAt`). */
export function keyAt(ordered: readonly Positioned[], index: number, random?: () => number): string {
  return keysAt(ordered, index, 1, random)[0]!;
}
