import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv';
import { ImportError, MAX_IMPORT_TRACKS, UNKNOWN_ARTIST, detectFormat, parseTrackList } from './track-list';

/** The error `parse` throws (and that it is an `ImportError`). */
function refusal(parse: () => unknown): ImportError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ImportError);
    return error as ImportError;
  }
  throw new Error('expected the import to be refused');
}

describe('a pasted list', () => {
  it('reads "Artist – Title" lines and their common variants', () => {
    const text = [
      'Nina Simone – Feeling Good',
      'Daft Punk - One More Time (5:20)',
      '',
      '3. Björk — Jóga [5:05]',
      'Massive Attack\tTeardrop 5:30',
      'Hurt by Johnny Cash',
      '50 Cent - In Da Club',
      'Pink Floyd - Echoes 1:02:03',
    ].join('\r\n');
    expect(parseTrackList(text)).toEqual([
      { artist: 'Nina Simone', title: 'Feeling Good', durationMs: 0 },
      { artist: 'Daft Punk', title: 'One More Time', durationMs: 320_000 },
      { artist: 'Björk', title: 'Jóga', durationMs: 305_000 },
      { artist: 'Massive Attack', title: 'Teardrop', durationMs: 330_000 },
      { artist: 'Johnny Cash', title: 'Hurt', durationMs: 0 },
      { artist: '50 Cent', title: 'In Da Club', durationMs: 0 },
      { artist: 'Pink Floyd', title: 'Echoes', durationMs: 3_723_000 },
    ]);
  });

  it('refuses a line it cannot read, naming it, and nothing of the rest is taken', () => {
    const error = refusal(() => parseTrackList('A – B\n\njust a title\nC – D'));
    expect(error.code).toBe('bad_import');
    expect(error.line).toBe(3);
    expect(error.message).toBe('Line 3: expected "Artist – Title", got "just a title".');
  });

  it('refuses an empty field or a too long one, naming the line and the field', () => {
    expect(refusal(() => parseTrackList('A – B\nC – ')).message).toMatch(/^Line 2: /);
    expect(refusal(() => parseTrackList(`A – ${'x'.repeat(501)}`)).message).toBe('Line 1: the title is too long.');
    expect(refusal(() => parseTrackList('\n\n  \n')).message).toBe('Line 1: no tracks found.');
  });

  it('refuses more tracks than an import takes', () => {
    const text = Array.from({ length: MAX_IMPORT_TRACKS + 1 }, (_, i) => `A – ${i}`).join('\n');
    expect(refusal(() => parseTrackList(text)).line).toBe(MAX_IMPORT_TRACKS + 1);
  });

  it('reads back any list it could have written', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ']{0,20}[A-Za-z0-9]$/).filter((s) => !/ by /i.test(s) && !/^\d+[.)]/.test(s));
    const track = fc.record({ artist: word, title: word, durationMs: fc.integer({ min: 0, max: 5 * 3600 }).map((s) => s * 1000) });
    fc.assert(
      fc.property(fc.array(track, { minLength: 1, maxLength: 20 }), (tracks) => {
        const text = tracks
          .map(
            (t) =>
              `${t.artist} – ${t.title}${t.durationMs ? ` (${Math.floor(t.durationMs / 60_000)}:${String((t.durationMs / 1000) % 60).padStart(2, '0')})` : ''}`,
          )
          .join('\n');
        expect(parseTrackList(text, 'lines')).toEqual(tracks);
      }),
    );
  });
});

describe('an M3U playlist', () => {
  it('reads #EXTINF entries with their locations, and entries that name only a file', () => {
    const text = [
      '\uFEFF#EXTM3U',
      '#PLAYLIST:Road trip',
      '#EXTINF:215,Nina Simone - Feeling Good',
      'Music/Nina Simone/Feeling Good.mp3',
      '#EXTINF:-1,Radio One',
      'http://radio.example/stream',
      'Music/Portishead - Roads.flac',
      'Music/untitled%20demo.ogg',
    ].join('\n');
    expect(detectFormat(text)).toBe('m3u');
    expect(parseTrackList(text)).toEqual([
      { artist: 'Nina Simone', title: 'Feeling Good', durationMs: 215_000, uri: 'Music/Nina Simone/Feeling Good.mp3' },
      { artist: UNKNOWN_ARTIST, title: 'Radio One', durationMs: 0, uri: 'http://radio.example/stream' },
      { artist: 'Portishead', title: 'Roads', durationMs: 0, uri: 'Music/Portishead - Roads.flac' },
      { artist: UNKNOWN_ARTIST, title: 'untitled demo', durationMs: 0, uri: 'Music/untitled%20demo.ogg' },
    ]);
  });

  it('names the line of a broken #EXTINF, or of one its location never followed', () => {
    expect(refusal(() => parseTrackList('#EXTM3U\n#EXTINF:abc Feeling Good\nx.mp3')).message).toMatch(/^Line 2: "#EXTINF:" needs a length/);
    expect(refusal(() => parseTrackList('#EXTM3U\n#EXTINF:1,A - B\na.mp3\n#EXTINF:2,C - D\n')).line).toBe(4);
  });
});

describe('a CSV export', () => {
  it('finds its columns by their header, in any order, with quotes, other delimiters and lengths', () => {
    const text = ['Artist;Title;Length;Path', '"Simone; Nina";"Feeling ""Good""";3:35;/a.mp3', 'Daft Punk;One More Time;320;', ''].join('\n');
    expect(detectFormat(text)).toBe('csv');
    expect(parseTrackList(text)).toEqual([
      { artist: 'Simone; Nina', title: 'Feeling "Good"', durationMs: 215_000, uri: '/a.mp3' },
      { artist: 'Daft Punk', title: 'One More Time', durationMs: 320_000 },
    ]);
    expect(parseTrackList('Track Name,Artist Name(s),Duration (ms)\nTeardrop,Massive Attack,330000')).toEqual([
      { artist: 'Massive Attack', title: 'Teardrop', durationMs: 330_000 },
    ]);
  });

  it('names the line a row starts on, past quoted line breaks', () => {
    const text = 'title,artist,duration\n"Two\nlines",A,1:00\nB,C,soon';
    expect(refusal(() => parseTrackList(text)).message).toBe('Line 4: the length "soon" is neither m:ss nor seconds.');
    expect(refusal(() => parseTrackList('title,artist\nA,B\n,C')).message).toBe('Line 3: the title is empty.');
    expect(refusal(() => parseTrackList('name,year\nA,1999', 'csv')).line).toBe(1);
  });

  it('splits fields as RFC 4180 says', () => {
    expect(parseCsv('a,"b,c",""\r\n"d""e",f\n', ',')).toEqual([
      { line: 1, fields: ['a', 'b,c', ''] },
      { line: 2, fields: ['d"e', 'f'] },
    ]);
  });
});
