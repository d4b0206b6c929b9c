/**
 * How two versions of a document merge. The rules (a state-based CRDT, so every peer that has
 * seen the same versions holds the same document, whatever order they arrived in):
 *
 * - Each field in the collection's LWW list takes the value of the version whose stamp for that
 *   field is higher. Edits to different fields (a rename here, a share there) both survive.
 * - Equal stamps come from the same write, so the values are equal; should they ever differ, the
 *   larger JSON text wins, to stay deterministic.
 * - Deletion wins: once either version is deleted, the merge is deleted. A track removed on one
 *   peer while edited on another stays removed (with the edit merged into the tombstone).
 * - `updatedAt` is the later of the two.
 *
 * Inserts never conflict: every track is its own document, so concurrent adds on two peers
 * both survive, ordered by their fractional positions (ties broken by id).
 */
import type { RxConflictHandler } from 'rxdb';
import { PLAYLIST_FIELDS, TRACK_FIELDS, type Clock, type PlaylistDoc, type TrackDoc } from './documents';

interface Mergeable {
  clock: Clock;
  updatedAt: number;
  _deleted?: boolean;
}

export function mergeVersions<T extends Mergeable>(a: T, b: T, fields: readonly string[]): T {
  const merged: Record<string, unknown> = { ...(a as unknown as Record<string, unknown>), clock: { ...a.clock } };
  const clock = merged.clock as Clock;
  const left = a as unknown as Record<string, unknown>;
  const right = b as unknown as Record<string, unknown>;
  for (const field of fields) {
    const stampA = a.clock[field] ?? '';
    const stampB = b.clock[field] ?? '';
    if (stampB > stampA || (stampB === stampA && compareJson(right[field], left[field]) > 0)) {
      if (right[field] === undefined) delete merged[field];
      else merged[field] = right[field];
      if (stampB) clock[field] = stampB;
    }
  }
  merged.updatedAt = Math.max(a.updatedAt, b.updatedAt);
  if ('_deleted' in a || '_deleted' in b) merged._deleted = !!a._deleted || !!b._deleted;
  return merged as T;
}

function compareJson(x: unknown, y: unknown): number {
  const a = JSON.stringify(x) ?? '';
  const b = JSON.stringify(y) ?? '';
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Versions are equal when the same writes made them: same stamps, same deletion. Cheaper than
 * a deep comparison and exact, because a stamp names one write of one peer. */
export function sameVersion(a: Mergeable, b: Mergeable): boolean {
  if (!!a._deleted !== !!b._deleted) return false;
  const keysA = Object.keys(a.clock);
  if (keysA.length !== Object.keys(b.clock).length) return false;
  return keysA.every((key) => a.clock[key] === b.clock[key]);
}

function conflictHandler<T extends Mergeable>(fields: readonly string[]): RxConflictHandler<T> {
  return {
    isEqual: (a, b) => sameVersion(a, b),
    // The fork resolves: its own state merged with the master's. The result dominates the
    // master's state, so the master accepts it on the next push.
    resolve: async ({ newDocumentState, realMasterState }) => mergeVersions(realMasterState, newDocumentState, fields),
  };
}

export const playlistConflictHandler = conflictHandler<PlaylistDoc>(PLAYLIST_FIELDS);
export const trackConflictHandler = conflictHandler<TrackDoc>(TRACK_FIELDS);
