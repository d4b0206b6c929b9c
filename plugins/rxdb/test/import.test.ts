/**
 * `tracks.import` through the service protocol, on real RxDB storage: a 10,000-line paste and a
 * 10,000-entry M3U go in whole and reach a peer they are shared with; a bad line is refused with
 * the line named and nothing is added.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceError } from '@whatnext/core';
import { connect, eventually, startInProcess, type TestPeer } from '../testing/harness';

const running: TestPeer[] = [];
async function peer(name: string): Promise<TestPeer> {
  const started = await startInProcess(name);
  running.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

const TRACKS = 10_000;

describe('tracks.import', () => {
  it('adds a 10,000-line paste and a 10,000-entry M3U whole, in order, and an import syncs to a peer', async () => {
    const alice = await peer('Alice');
    const bob = await peer('Bob');
    const list = await alice.client.request('playlists.create', { name: 'Pasted' });
    const paste = Array.from(
      { length: TRACKS },
      (_, i) => `${i + 1}. Artist ${i} – Song ${i} (${Math.floor(i / 60) % 10}:${String(i % 60).padStart(2, '0')})`,
    ).join('\n');
    expect(await alice.client.request('tracks.import', { playlistId: list.id, text: paste })).toEqual({ count: TRACKS, format: 'lines' });

    const mixtape = await alice.client.request('playlists.create', { name: 'From M3U' });
    const m3u = ['#EXTM3U', ...Array.from({ length: TRACKS }, (_, i) => `#EXTINF:${i % 400},Band ${i} - Tune ${i}\nmusic/${i}.mp3`)].join('\n');
    expect(await alice.client.request('tracks.import', { playlistId: mixtape.id, text: m3u })).toEqual({ count: TRACKS, format: 'm3u' });

    const { tracks } = await alice.client.request('playlists.get', { playlistId: list.id });
    expect(tracks).toHaveLength(TRACKS);
    expect(tracks.slice(0, 2).map((t) => [t.artist, t.title, t.durationMs])).toEqual([
      ['Artist 0', 'Song 0', 0],
      ['Artist 1', 'Song 1', 1000],
    ]);
    expect(tracks.at(-1)!.title).toBe(`Song ${TRACKS - 1}`);

    await alice.client.request('playlists.share', { playlistId: mixtape.id, peerId: bob.id });
    await connect(alice, bob);
    await eventually(
      async () => {
        const got = await bob.client.request('playlists.get', { playlistId: mixtape.id });
        expect(got.tracks).toHaveLength(TRACKS);
        expect(got.tracks[TRACKS - 1]).toMatchObject({ artist: `Band ${TRACKS - 1}`, title: `Tune ${TRACKS - 1}`, uri: `music/${TRACKS - 1}.mp3` });
      },
      { timeoutMs: 200_000 },
    );
  }, 300_000);

  it('refuses a file with a bad line, naming it, and adds nothing', async () => {
    const alice = await peer('Alice');
    const list = await alice.client.request('playlists.create', { name: 'Careful' });
    await alice.client.request('tracks.import', { playlistId: list.id, text: 'A – One\nB – Two' });
    const csv = ['title,artist,length', 'Three,C,3:00', 'Four,D,three minutes', 'Five,E,5:00'].join('\n');
    const refused = await alice.client.request('tracks.import', { playlistId: list.id, text: csv }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ServiceError);
    expect((refused as ServiceError).info).toMatchObject({ code: 'bad_import', message: 'Line 3: the length "three minutes" is neither m:ss nor seconds.' });
    expect((await alice.client.request('playlists.get', { playlistId: list.id })).tracks.map((t) => t.title)).toEqual(['One', 'Two']);

    // A format that was named is used, not guessed: read as pasted lines, this CSV's header is no track.
    const asM3u = await alice.client.request('tracks.import', { playlistId: list.id, text: csv, format: 'lines' }).catch((error: unknown) => error);
    expect((asM3u as ServiceError).info.code).toBe('bad_import');
  });
});
