/**
 * Reading a large playlist a page at a time (`playlists.get` with a cursor), and each playlist's
 * summary (`playlists.summaries`), through the protocol of a service in this process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatNextError } from '@whatnext/core';
import type { Track } from '../protocol';
import { songs, startInProcess, type TestPeer } from '../testing/harness';

let alice: TestPeer;
let playlistId: string;
beforeAll(async () => {
  alice = await startInProcess('Alice');
  playlistId = (await alice.client.request('playlists.create', { name: 'Long' })).id;
  await alice.client.request('tracks.add', { playlistId, tracks: songs('Song', 120) });
});
afterAll(() => alice.stop());

const cursorOf = (track: Track) => ({ position: track.position, id: track.id });

describe('playlists.get', () => {
  it('gives the same tracks in the same order page by page as whole, with the total on each page', async () => {
    const whole = await alice.client.request('playlists.get', { playlistId });
    expect(whole.total).toBe(120);
    const paged: Track[] = [];
    for (let page = 0; page < 10; page++) {
      const after = paged.at(-1);
      const answer = await alice.client.request('playlists.get', { playlistId, limit: 50, ...(after ? { after: cursorOf(after) } : {}) });
      expect(answer.total).toBe(120);
      if (answer.tracks.length === 0) break;
      paged.push(...answer.tracks);
    }
    expect(paged.map((t) => t.title)).toEqual(whole.tracks.map((t) => t.title));
    expect(paged.map((t) => t.title).slice(0, 3)).toEqual(['Song 1', 'Song 2', 'Song 3']);
  });

  it('continues after its cursor when tracks were added and removed before it meanwhile', async () => {
    const { id } = await alice.client.request('playlists.create', { name: 'Changing' });
    await alice.client.request('tracks.add', { playlistId: id, tracks: songs('Old', 6) });
    const first = await alice.client.request('playlists.get', { playlistId: id, limit: 3 });
    expect(first.tracks.map((t) => t.title)).toEqual(['Old 1', 'Old 2', 'Old 3']);
    // Before the cursor: one added at the top, one of the first page removed.
    await alice.client.request('tracks.add', { playlistId: id, tracks: songs('New', 1), index: 0 });
    await alice.client.request('tracks.remove', { trackId: first.tracks[0]!.id });
    const rest = await alice.client.request('playlists.get', { playlistId: id, after: cursorOf(first.tracks.at(-1)!), limit: 50 });
    expect(rest.tracks.map((t) => t.title)).toEqual(['Old 4', 'Old 5', 'Old 6']);
    expect(rest.total).toBe(6);
  });

  it('refuses a page size out of range and a cursor that is not one, saying which', async () => {
    for (const [params, field] of [
      [{ playlistId, limit: 0 }, 'limit'],
      [{ playlistId, limit: 5001 }, 'limit'],
      [{ playlistId, after: { position: 'a0' } }, 'after.id'],
    ] as const) {
      const refusal = await alice.client.request('playlists.get', params as never).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(WhatNextError);
      expect(refusal).toMatchObject({ code: 'bad_request', message: expect.stringContaining(field) });
    }
  });
});

describe('playlists.summaries', () => {
  it('counts each playlist’s tracks and adds up their lengths, following removals', async () => {
    const { id } = await alice.client.request('playlists.create', { name: 'Short' });
    const added = await alice.client.request('tracks.add', {
      playlistId: id,
      tracks: [
        { title: 'A', artist: 'X', durationMs: 200_000 },
        { title: 'B', artist: 'X', durationMs: 0 },
        { title: 'C', artist: 'X', durationMs: 100_500 },
      ],
    });
    expect((await alice.client.request('playlists.summaries', {}))[id]).toEqual({ tracks: 3, durationMs: 300_500 });
    await alice.client.request('tracks.remove', { trackId: added[0]!.id });
    const summaries = await alice.client.request('playlists.summaries', {});
    expect(summaries[id]).toEqual({ tracks: 2, durationMs: 100_500 });
    // songs() lengths: 180,000 ms + the track's index.
    expect(summaries[playlistId]).toEqual({ tracks: 120, durationMs: 120 * 180_000 + (119 * 120) / 2 });
  });
});
