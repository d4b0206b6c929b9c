/** The merge rules: a state-based CRDT, so any order of merges gives the same document. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TRACK_FIELDS, type TrackDoc } from '../model/documents';
import { mergeVersions, sameVersion, trackConflictHandler } from '../model/merge';
import { HybridClock, formatStamp, parseStamp } from '../model/clock';

type Version = TrackDoc & { _deleted: boolean };

const base: Version = {
  id: 't1',
  playlist: 'p1',
  title: 'Song',
  artist: 'Band',
  durationMs: 1000,
  position: 'a0',
  addedBy: 'alice',
  addedAt: 1,
  updatedAt: 1,
  clock: { title: formatStamp({ ms: 1, counter: 0, peer: 'alice' }) },
  _deleted: false,
};

const merge = (a: Version, b: Version) => mergeVersions(a, b, TRACK_FIELDS);

/** Versions of one document: each is the base with some fields set by distinct writes. */
const versions = fc
  .array(
    fc.record({
      peer: fc.constantFrom('alice', 'bob', 'carol'),
      ms: fc.integer({ min: 2, max: 50 }),
      edits: fc.array(fc.tuple(fc.constantFrom('title', 'artist', 'position', 'uri'), fc.string({ maxLength: 4 })), { maxLength: 3 }),
      deleted: fc.boolean(),
    }),
    { minLength: 1, maxLength: 5 },
  )
  .map((specs) =>
    specs.map((spec, i): Version => {
      const version: Version = { ...base, clock: { ...base.clock } };
      for (const [field, value] of spec.edits) {
        (version as unknown as Record<string, unknown>)[field] = value;
        version.clock[field] = formatStamp({ ms: spec.ms, counter: i, peer: spec.peer });
      }
      version.updatedAt = spec.ms;
      version._deleted = spec.deleted && i % 2 === 0;
      return version;
    }),
  );

describe('merging versions', () => {
  it('is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(versions, (vs) => {
        const [a, b = a, c = b] = vs as [Version, Version?, Version?];
        expect(merge(a, b)).toEqual(merge(b, a));
        expect(merge(merge(a, b), c)).toEqual(merge(a, merge(b, c)));
        expect(merge(a, a)).toEqual(a);
      }),
    );
  });

  it('gives the same document whatever order versions arrive in', () => {
    fc.assert(
      fc.property(versions, fc.infiniteStream(fc.nat()), (vs, choices) => {
        const forward = vs.reduce(merge);
        const shuffled = [...vs];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = choices.next().value % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        expect(shuffled.reduce(merge)).toEqual(forward);
      }),
    );
  });

  it('keeps edits to different fields, takes the later stamp for the same field, and lets deletion win', async () => {
    const alice = new HybridClock('alice', () => 10);
    const bob = new HybridClock('bob', () => 20);
    const renamed = { ...base, title: 'Renamed', clock: { ...base.clock, title: alice.next() } };
    const moved = { ...base, position: 'b0', clock: { ...base.clock, position: bob.next() } };
    expect(merge(renamed, moved)).toMatchObject({ title: 'Renamed', position: 'b0' });
    const retitled = { ...base, title: 'Later', clock: { ...base.clock, title: bob.next() } };
    expect(merge(renamed, retitled).title).toBe('Later');
    const removed = { ...base, _deleted: true };
    expect(merge(removed, retitled)).toMatchObject({ _deleted: true, title: 'Later' });
    const resolved = await trackConflictHandler.resolve({ newDocumentState: renamed, realMasterState: moved, assumedMasterState: base } as never, 'test');
    expect(resolved).toEqual(merge(moved, renamed));
  });

  it('a stamp issued after seeing another is above it, whatever the wall clock says', () => {
    const behind = new HybridClock('bob', () => 5);
    const seen = formatStamp({ ms: 1000, counter: 7, peer: 'alice' });
    const next = behind.next([seen]);
    expect(next > seen).toBe(true);
    expect(parseStamp(next)).toEqual({ ms: 1000, counter: 8, peer: 'bob' });
    expect(behind.next() > next).toBe(true);
  });

  it('treats versions as equal exactly when the same writes made them', () => {
    expect(sameVersion(base, { ...base })).toBe(true);
    expect(sameVersion(base, { ...base, _deleted: true })).toBe(false);
    expect(sameVersion(base, { ...base, clock: { ...base.clock, artist: 'x' } })).toBe(false);
  });
});
