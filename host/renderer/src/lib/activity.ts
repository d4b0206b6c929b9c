/**
 * What a change to a playlist or a track says in the activity log, with who made it and when.
 * Both come from the edit itself (the service reads them off each field's stamp: `edits`), so a
 * change that arrives late, or replays on sharing, shows its author and its own time, and of two
 * concurrent edits the one that won is pinned on the person who made it.
 */
import type { FieldEdit, Playlist, Track } from '../api';

export interface Change {
  /** A peer id, or undefined when the change cannot be pinned on one person. */
  by: string | undefined;
  /** When the change was made (epoch ms). */
  at: number;
  text: string;
  /** People the change is about (shared with, no longer shared with), shown by name after the text. */
  people?: string[];
  /** Tracks added by this change, for an addition (a run of them is told as one line). */
  added?: number;
}

/** More additions by one person at once than this are one line: "added 10,000 tracks". */
export const ADDITIONS_LISTED = 3;

const addedText = (count: number) => `added ${count.toLocaleString('en')} tracks`;

/** A batch of changes as the log tells them: each person's additions past `ADDITIONS_LISTED` in
 * one line (an import, a share replaying a playlist), the rest as they are. */
export function collapseAdditions(changes: Change[]): Change[] {
  const additions = new Map<string | undefined, Change[]>();
  for (const change of changes) {
    if (!change.added) continue;
    const group = additions.get(change.by);
    if (group) group.push(change);
    else additions.set(change.by, [change]);
  }
  const collapsed = new Set([...additions.values()].filter((group) => group.length > ADDITIONS_LISTED).flat());
  const lines = changes.filter((change) => !collapsed.has(change));
  for (const group of additions.values()) {
    if (group.length <= ADDITIONS_LISTED) continue;
    const count = group.reduce((sum, change) => sum + (change.added ?? 0), 0);
    lines.push({ by: group[0]!.by, at: Math.max(...group.map((change) => change.at)), text: addedText(count), added: count });
  }
  return lines;
}

/** One line for `latest` and the line before it (`previous`, already in the log) when both tell
 * many additions by the same person: a large playlist arrives in several batches. */
export function mergeAdditions(previous: Change, latest: Change): Change | undefined {
  if (!previous.added || !latest.added || previous.added <= ADDITIONS_LISTED || latest.added <= ADDITIONS_LISTED || previous.by !== latest.by) return undefined;
  const count = previous.added + latest.added;
  return { ...latest, at: Math.max(previous.at, latest.at), text: addedText(count), added: count };
}

/** Who and when for a change the edit does not describe (a removal): the caller's best guess. */
export interface Fallback {
  by: string | undefined;
  at: number;
}

const from = (edit: FieldEdit | undefined, fallback: Fallback) => (edit ? { by: edit.by, at: edit.at } : fallback);

/** The latest of the edits to `fields`. */
function latest(edits: Record<string, FieldEdit>, fields: readonly string[]): FieldEdit | undefined {
  return fields.map((field) => edits[field]).reduce<FieldEdit | undefined>((a, b) => (!a || (b && b.at > a.at) ? b : a), undefined);
}

/** A playlist as it was (`before`, if this window had it) and as it is now. `arrived`: it is new
 * here and came from someone else (shared with us). */
export function playlistChanges(before: Playlist | undefined, after: Playlist, fallback: Fallback, arrived: boolean): Change[] {
  const changes: Change[] = [];
  if (!before) {
    if (arrived) changes.push({ by: after.owner, at: after.edits.sharedWith?.at ?? after.createdAt, text: `shared “${after.name}”` });
    return changes;
  }
  if (before.name !== after.name) changes.push({ ...from(after.edits.name, fallback), text: `renamed the playlist to “${after.name}”` });
  const added = after.sharedWith.filter((id) => !before.sharedWith.includes(id));
  const dropped = before.sharedWith.filter((id) => !after.sharedWith.includes(id));
  const sharing = from(after.edits.sharedWith, fallback);
  if (added.length) changes.push({ ...sharing, text: 'shared the playlist with', people: added });
  if (dropped.length) changes.push({ ...sharing, text: 'stopped sharing the playlist with', people: dropped });
  return changes;
}

const CONTENT = ['title', 'artist', 'durationMs', 'uri'] as const;

/** A track as it was (if this window had it) and as it is now (flagged `removed` if it went). */
export function trackChanges(before: Track | undefined, after: Track, fallback: Fallback): Change[] {
  if (after.removed) return before ? [{ ...fallback, text: `removed “${before.title}”` }] : [];
  if (!before) return [{ by: after.addedBy, at: after.addedAt, text: `added “${after.title}” by ${after.artist}`, added: 1 }];
  if (before.position !== after.position) return [{ ...from(after.edits.position, fallback), text: `moved “${after.title}”` }];
  const edited = CONTENT.filter((field) => before[field] !== after[field]);
  if (edited.length) return [{ ...from(latest(after.edits, edited), fallback), text: `edited “${after.title}”` }];
  return [];
}
