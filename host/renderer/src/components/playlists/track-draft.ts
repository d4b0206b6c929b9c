/** Reading the track form: what to send, or what is wrong with each field. */
import type { NewTrack, Track } from '../../api';
import { formatDuration, parseDuration } from '../../lib/duration';

export interface TrackDraft {
  title: string;
  artist: string;
  duration: string;
  uri: string;
}

export const emptyDraft = (): TrackDraft => ({ title: '', artist: '', duration: '', uri: '' });

export const draftOf = (track: Track): TrackDraft => ({
  title: track.title,
  artist: track.artist,
  duration: track.durationMs ? formatDuration(track.durationMs) : '',
  uri: track.uri ?? '',
});

export function readDraft(draft: TrackDraft): { track?: NewTrack; errors: Partial<Record<keyof TrackDraft, string>> } {
  const errors: Partial<Record<keyof TrackDraft, string>> = {};
  if (!draft.title.trim()) errors.title = 'Enter a title.';
  if (!draft.artist.trim()) errors.artist = 'Enter an artist.';
  const durationMs = parseDuration(draft.duration);
  if (durationMs === undefined) errors.duration = 'Use minutes:seconds, like 3:45.';
  if (Object.keys(errors).length) return { errors };
  return {
    track: { title: draft.title.trim(), artist: draft.artist.trim(), durationMs: durationMs ?? 0, ...(draft.uri.trim() ? { uri: draft.uri.trim() } : {}) },
    errors,
  };
}
