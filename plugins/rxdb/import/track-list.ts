/**
 * Tracks from text a person brings: a pasted list (one track a line), an M3U/M3U8 playlist, or a
 * CSV export. The whole text is read before anything is written, so a bad line refuses the
 * import with `bad_import` naming the line, and nothing is half-imported.
 *
 *   lines  "Artist – Title" (also " - ", " — ", a tab, or "Title by Artist"), optionally numbered
 *          ("1. ", "01) ") and ending in a length ("3:45", "(3:45)", "[1:02:03]")
 *   m3u    #EXTINF:<seconds>,<Artist - Title> before each entry's location; an entry without
 *          #EXTINF takes its title from the file name
 *   csv    a header row naming the columns (title, artist, and optionally duration / length /
 *          duration_ms and uri / url / path / location), separated by , ; or a tab, RFC 4180
 *          quoting
 */
import { WhatNextError } from '@whatnext/core';
import { NewTrack, type ImportFormat } from '../protocol';
import { parseCsv } from './csv';

/** An import this large is refused before anything is parsed (a person's playlist, not a library). */
export const MAX_IMPORT_TRACKS = 100_000;
/** The artist of an M3U entry that names only a file. */
export const UNKNOWN_ARTIST = 'Unknown artist';

/** Refused import: `line` is 1-based, as an editor numbers lines. */
export class ImportError extends WhatNextError {
  override name = 'ImportError';
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super('bad_import', `Line ${line}: ${problem}`);
  }
}

/** The format `text` is in: M3U by its marker, CSV by a header naming title and artist, else lines. */
export function detectFormat(text: string): ImportFormat {
  const first = firstLine(text);
  if (/^#EXT(M3U|INF)/i.test(first)) return 'm3u';
  if (/[,;\t]/.test(first) && headerColumns(first) !== undefined) return 'csv';
  return 'lines';
}

export function parseTrackList(text: string, format: ImportFormat = detectFormat(text)): NewTrack[] {
  const tracks = format === 'm3u' ? fromM3u(text) : format === 'csv' ? fromCsv(text) : fromLines(text);
  if (tracks.length === 0) throw new ImportError(1, 'no tracks found.');
  return tracks;
}

// Lines ------------------------------------------------------------------------------------------

/** "1. " or "01) ": a bare number is kept, since artists start with them ("50 Cent"). */
const NUMBERED = /^\d{1,5}[.)]\s+/;
/** A length at the end of a (trimmed) line, after a space: "3:45", "(3:45)", "[1:02:03]". */
const LENGTH_AT_END = / [([]?(\d{1,3}(?::\d{2}){1,2})[)\]]?$/;
const SEPARATORS = [' – ', ' — ', ' - ', '\t'];

function fromLines(text: string): NewTrack[] {
  const tracks: NewTrack[] = [];
  splitLines(text).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    tracks.push(trackFromLine(line, i + 1));
    if (tracks.length > MAX_IMPORT_TRACKS) throw tooMany(i + 1);
  });
  return tracks;
}

/** One "Artist – Title (3:45)" line. */
function trackFromLine(line: string, lineNumber: number): NewTrack {
  let rest = line;
  let durationMs = 0;
  const length = LENGTH_AT_END.exec(rest);
  if (length && length.index > 0) {
    durationMs = lengthMs(length[1]!);
    rest = rest.slice(0, length.index).trimEnd();
  }
  const numbered = NUMBERED.exec(rest);
  // "1999 - Prince" is a title, not a numbered line: a number only counts before another separator.
  if (numbered && SEPARATORS.some((s) => rest.slice(numbered[0].length).includes(s))) rest = rest.slice(numbered[0].length);
  const split = splitArtistTitle(rest);
  if (!split) throw new ImportError(lineNumber, `expected "Artist – Title", got "${clip(line)}".`);
  return checked({ ...split, durationMs }, lineNumber);
}

function splitArtistTitle(text: string): { artist: string; title: string } | undefined {
  for (const separator of SEPARATORS) {
    const at = text.indexOf(separator);
    if (at > 0) return { artist: text.slice(0, at).trim(), title: text.slice(at + separator.length).trim() };
  }
  const by = / by (?=\S)/i.exec(text);
  if (by && by.index > 0) return { title: text.slice(0, by.index).trim(), artist: text.slice(by.index + by[0].length).trim() };
  return undefined;
}

// M3U --------------------------------------------------------------------------------------------

function fromM3u(text: string): NewTrack[] {
  const tracks: NewTrack[] = [];
  let info: { line: number; seconds: number; label: string } | undefined;
  splitLines(text).forEach((raw, i) => {
    const line = raw.trim();
    const number = i + 1;
    if (line === '') return;
    if (/^#EXTINF:/i.test(line)) {
      // "#EXTINF:<seconds>[ attributes],<name>"
      const comma = line.indexOf(',');
      const seconds = comma === -1 ? undefined : /^-?\d{1,9}(?:\.\d{1,9})?/.exec(line.slice('#EXTINF:'.length, comma).trim());
      if (!seconds) throw new ImportError(number, `"#EXTINF:" needs a length in seconds and a comma before the name, got "${clip(line)}".`);
      info = { line: number, seconds: Number(seconds[0]), label: line.slice(comma + 1).trim() };
      return;
    }
    if (line.startsWith('#')) return; // #EXTM3U, #PLAYLIST, #EXTGRP... and comments
    const uri = line;
    const label = info?.label || fileTitle(uri);
    const named = splitArtistTitle(label) ?? { artist: UNKNOWN_ARTIST, title: label };
    const durationMs = info && info.seconds > 0 ? Math.round(info.seconds * 1000) : 0;
    tracks.push(checked({ ...named, durationMs, uri }, info?.line ?? number));
    if (tracks.length > MAX_IMPORT_TRACKS) throw tooMany(number);
    info = undefined;
  });
  if (info) throw new ImportError(info.line, 'this "#EXTINF:" is not followed by the location of its track.');
  return tracks;
}

/** "Music/Artist - Title.mp3" → "Artist - Title". */
function fileTitle(uri: string): string {
  let name = uri.split(/[\\/]/).pop() ?? uri;
  try {
    name = decodeURIComponent(name);
  } catch {
    // Not percent-encoded after all: keep it as written.
  }
  return name.replace(/\.[a-z0-9]{1,5}$/i, '').trim() || uri;
}

// CSV --------------------------------------------------------------------------------------------

type Column = 'title' | 'artist' | 'duration' | 'durationMs' | 'uri';
const HEADERS: Record<string, Column> = {
  title: 'title',
  track: 'title',
  song: 'title',
  name: 'title',
  'track name': 'title',
  artist: 'artist',
  artists: 'artist',
  performer: 'artist',
  'artist name': 'artist',
  'artist name(s)': 'artist',
  duration: 'duration',
  length: 'duration',
  time: 'duration',
  duration_ms: 'durationMs',
  'duration (ms)': 'durationMs',
  'track duration (ms)': 'durationMs',
  uri: 'uri',
  url: 'uri',
  path: 'uri',
  file: 'uri',
  location: 'uri',
  'track uri': 'uri',
};

function delimiterOf(header: string): string {
  const counts = [',', ';', '\t'].map((d) => [d, header.split(d).length] as const);
  return counts.sort((a, b) => b[1] - a[1])[0]![0];
}

function headerColumns(header: string): Map<Column, number> | undefined {
  const names = parseCsv(header, delimiterOf(header))[0]?.fields ?? [];
  const columns = new Map<Column, number>();
  names.forEach((name, i) => {
    const column = HEADERS[name.trim().toLowerCase()];
    if (column && !columns.has(column)) columns.set(column, i);
  });
  return columns.has('title') && columns.has('artist') ? columns : undefined;
}

function fromCsv(text: string): NewTrack[] {
  const header = firstLine(text);
  const columns = headerColumns(header);
  if (!columns) throw new ImportError(1, `a CSV import needs a header row naming a "title" and an "artist" column, got "${clip(header)}".`);
  const rows = parseCsv(text.replace(/^\uFEFF/, ''), delimiterOf(header));
  const tracks: NewTrack[] = [];
  for (const row of rows.slice(1)) {
    if (row.fields.every((field) => field.trim() === '')) continue;
    if (tracks.length >= MAX_IMPORT_TRACKS) throw tooMany(row.line);
    const cell = (column: Column) => {
      const index = columns.get(column);
      return index === undefined ? undefined : row.fields[index]?.trim();
    };
    const duration = cell('duration');
    const ms = cell('durationMs');
    let durationMs = 0;
    if (ms) {
      if (!/^\d{1,11}$/.test(ms)) throw new ImportError(row.line, `the length in milliseconds "${clip(ms)}" is not a whole number.`);
      durationMs = Number(ms);
    } else if (duration) {
      if (/^\d{1,3}(:\d{2}){1,2}$/.test(duration)) durationMs = lengthMs(duration);
      else if (/^\d{1,7}(\.\d+)?$/.test(duration)) durationMs = Math.round(Number(duration) * 1000);
      else throw new ImportError(row.line, `the length "${clip(duration)}" is neither m:ss nor seconds.`);
    }
    const uri = cell('uri');
    tracks.push(checked({ title: cell('title') ?? '', artist: cell('artist') ?? '', durationMs, ...(uri ? { uri } : {}) }, row.line));
  }
  return tracks;
}

// Shared -----------------------------------------------------------------------------------------

function splitLines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
}

function firstLine(text: string): string {
  return splitLines(text).find((line) => line.trim() !== '') ?? '';
}

/** "3:45" or "1:02:03" → milliseconds. */
function lengthMs(length: string): number {
  return length.split(':').reduce((total, part) => total * 60 + Number(part), 0) * 1000;
}

/** The track as the protocol takes it, or the first thing wrong with it, naming the line. */
function checked(track: NewTrack, line: number): NewTrack {
  const result = NewTrack.safeParse(track);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = String(issue.path[0] ?? 'track');
  const problem =
    issue.code === 'too_small' ? `the ${field} is empty` : issue.code === 'too_big' ? `the ${field} is too long` : `the ${field}: ${issue.message}`;
  throw new ImportError(line, `${problem}.`);
}

function tooMany(line: number): ImportError {
  return new ImportError(line, `an import takes at most ${MAX_IMPORT_TRACKS.toLocaleString('en')} tracks.`);
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
