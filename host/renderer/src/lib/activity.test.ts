import { describe, expect, it } from 'vitest';
import type { Playlist, Track } from '../api';
import { ADDITIONS_LISTED, collapseAdditions, mergeAdditions, playlistChanges, trackChanges } from './activity';

const ALICE = 'aaaaaaaaaaaaaaaaaaaaaaaaaa';
const BOB = 'bbbbbbbbbbbbbbbbbbbbbbbbbb';
const ARRIVAL = { by: undefined, at: 9_000 };

const playlist = (changes: Partial<Playlist> = {}): Playlist => ({
  id: 'p1',
  name: 'Saturday',
  owner: ALICE,
  sharedWith: [],
  createdAt: 1_000,
  updatedAt: 1_000,
  edits: { name: { by: ALICE, at: 1_000 }, sharedWith: { by: ALICE, at: 1_000 } },
  ...changes,
});

const track = (changes: Partial<Track> = {}): Track => ({
  id: 't1',
  playlistId: 'p1',
  title: 'Heroes',
  artist: 'David Bowie',
  durationMs: 367_000,
  position: 'a0',
  addedBy: ALICE,
  addedAt: 2_000,
  updatedAt: 2_000,
  edits: { title: { by: ALICE, at: 2_000 }, position: { by: ALICE, at: 2_000 } },
  ...changes,
});

describe('the activity a change makes', () => {
  it('pins a rename on the person whose rename won, at the time they made it', () => {
    const won = playlist({ name: 'Bob name', edits: { name: { by: BOB, at: 5_000 } } });
    expect(playlistChanges(playlist({ name: 'Alice name' }), won, { by: ALICE, at: 9_000 }, false)).toEqual([
      { by: BOB, at: 5_000, text: 'renamed the playlist to “Bob name”' },
    ]);
  });

  it('says with whom a playlist is shared, and with whom no longer', () => {
    const shared = playlist({ sharedWith: [BOB], edits: { sharedWith: { by: ALICE, at: 3_000 } } });
    expect(playlistChanges(playlist(), shared, ARRIVAL, false)).toEqual([{ by: ALICE, at: 3_000, text: 'shared the playlist with', people: [BOB] }]);
    const unshared = playlist({ edits: { sharedWith: { by: ALICE, at: 4_000 } } });
    expect(playlistChanges(shared, unshared, ARRIVAL, false)).toEqual([{ by: ALICE, at: 4_000, text: 'stopped sharing the playlist with', people: [BOB] }]);
  });

  it('stamps a playlist shared with us, and the tracks that come with it, with their own times', () => {
    const arrived = playlist({ sharedWith: [BOB], edits: { sharedWith: { by: ALICE, at: 3_000 } } });
    expect(playlistChanges(undefined, arrived, ARRIVAL, true)).toEqual([{ by: ALICE, at: 3_000, text: 'shared “Saturday”' }]);
    expect(trackChanges(undefined, track(), ARRIVAL)).toEqual([{ by: ALICE, at: 2_000, text: 'added “Heroes” by David Bowie', added: 1 }]);
  });

  it('takes an edit’s author and time from the fields it changed', () => {
    const edited = track({ title: 'Heroes (single)', edits: { title: { by: BOB, at: 6_000 }, position: { by: ALICE, at: 2_000 } } });
    expect(trackChanges(track(), edited, ARRIVAL)).toEqual([{ by: BOB, at: 6_000, text: 'edited “Heroes (single)”' }]);
    const moved = track({ position: 'Zz', edits: { title: { by: ALICE, at: 2_000 }, position: { by: BOB, at: 7_000 } } });
    expect(trackChanges(track(), moved, ARRIVAL)).toEqual([{ by: BOB, at: 7_000, text: 'moved “Heroes”' }]);
  });

  it('falls back to the guess for a removal, which carries no author', () => {
    expect(trackChanges(track(), track({ removed: true }), { by: BOB, at: 8_000 })).toEqual([{ by: BOB, at: 8_000, text: 'removed “Heroes”' }]);
  });
});

describe('many additions at once', () => {
  const added = (by: string, i: number) => trackChanges(undefined, track({ id: `t${i}`, title: `Song ${i}`, addedBy: by, addedAt: 2_000 + i }), ARRIVAL)[0]!;

  it('tells a person’s additions past a few as one line, and keeps the rest as they are', () => {
    const batch = [...Array.from({ length: 10_000 }, (_, i) => added(ALICE, i)), added(BOB, 1), added(BOB, 2)];
    const lines = collapseAdditions(batch);
    expect(lines.map((l) => [l.by, l.text])).toEqual([
      [BOB, 'added “Song 1” by David Bowie'],
      [BOB, 'added “Song 2” by David Bowie'],
      [ALICE, 'added 10,000 tracks'],
    ]);
    expect(lines[2]!.at).toBe(2_000 + 9_999);
    expect(collapseAdditions(batch.slice(0, ADDITIONS_LISTED))).toHaveLength(ADDITIONS_LISTED);
  });

  it('keeps one line as a large playlist arrives batch after batch, from the same person only', () => {
    const first = collapseAdditions(Array.from({ length: 500 }, (_, i) => added(ALICE, i)))[0]!;
    const second = collapseAdditions(Array.from({ length: 500 }, (_, i) => added(ALICE, 500 + i)))[0]!;
    expect(mergeAdditions(first, second)).toMatchObject({ by: ALICE, text: 'added 1,000 tracks', added: 1000 });
    const bobs = collapseAdditions(Array.from({ length: 500 }, (_, i) => added(BOB, i)))[0]!;
    expect(mergeAdditions(first, bobs)).toBeUndefined();
    expect(mergeAdditions(first, added(ALICE, 7))).toBeUndefined();
  });
});
