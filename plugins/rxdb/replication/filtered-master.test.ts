import { describe, expect, it } from 'vitest';
import { versionOf } from './filtered-master';

const a = '0mxe1auip.0000.9btff9njtqwga3ec19dymw2gd8';
const b = '0mxe1auiq.0001.9btff9njtqwga3ec19dymw2gd8';

describe('versionOf: which write of a document this is', () => {
  it('is the same for the same stamps, whatever the order of the fields', () => {
    expect(versionOf({ clock: { title: a, artist: a, position: b } })).toBe(versionOf({ clock: { position: b, artist: a, title: a } }));
  });

  it('tells apart every change of a stamp, of which fields share one, and of deletion', () => {
    const versions = (
      [
        { clock: { title: a, artist: a } },
        { clock: { title: a, artist: b } },
        { clock: { title: b, artist: a } },
        { clock: { title: b, artist: b } },
        { clock: { title: a } },
        { clock: { artist: a } },
        { clock: { title: a, artist: a }, _deleted: true },
        { clock: { title: a, artist: a, position: a } },
        { clock: { title: a, artist: a, position: b } },
        {},
        { _deleted: true },
      ] as { clock?: Record<string, string>; _deleted?: boolean }[]
    ).map((doc) => versionOf(doc));
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('keeps a track as created short: one stamp for all its fields', () => {
    const fields = ['title', 'artist', 'durationMs', 'uri', 'position'];
    const version = versionOf({ clock: Object.fromEntries(fields.map((field) => [field, a])) });
    expect(version.split(a)).toHaveLength(2);
  });
});
