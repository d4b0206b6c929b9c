/**
 * Editing several tracks at once (remove, move), and a member leaving a shared playlist: real
 * services in this process, replicating over the in-memory transport where two are needed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WhatNextError } from '@whatnext/core';
import { connect, eventually, songs, startInProcess, type TestPeer } from '../testing/harness';

const running: TestPeer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((peer) => peer.stop()));
});

async function peer(name: string, dataDir?: string): Promise<TestPeer> {
  const started = await startInProcess(name, dataDir ? { dataDir } : {});
  running.push(started);
  return started;
}

const titlesOf = async (p: TestPeer, playlistId: string) => (await p.client.request('playlists.get', { playlistId })).tracks.map((t) => t.title);
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('several tracks at once', () => {
  it('removes them all, or none when one is unknown or of another playlist', async () => {
    const alice = await peer('Alice');
    const { id } = await alice.client.request('playlists.create', { name: 'Mix' });
    const { id: other } = await alice.client.request('playlists.create', { name: 'Other' });
    const tracks = await alice.client.request('tracks.add', { playlistId: id, tracks: songs('Song', 6) });
    const [elsewhere] = await alice.client.request('tracks.add', { playlistId: other, tracks: songs('Else', 1) });

    const unknown = await refusal(alice.client.request('tracks.removeMany', { trackIds: [tracks[0]!.id, 'nosuchtrack'] }));
    expect(unknown).toBeInstanceOf(WhatNextError);
    expect(unknown).toMatchObject({ code: 'unknown_track', message: expect.stringContaining('nosuchtrack') });
    const mixed = await refusal(alice.client.request('tracks.removeMany', { trackIds: [tracks[0]!.id, elsewhere!.id] }));
    expect(mixed).toMatchObject({ code: 'not_one_playlist' });
    const twice = await refusal(alice.client.request('tracks.removeMany', { trackIds: [tracks[0]!.id, tracks[0]!.id] }));
    expect(twice).toMatchObject({ code: 'bad_request', message: expect.stringContaining('named twice') });
    expect(await titlesOf(alice, id)).toHaveLength(6);

    await alice.client.request('tracks.removeMany', { trackIds: [tracks[1]!.id, tracks[3]!.id, tracks[4]!.id] });
    expect(await titlesOf(alice, id)).toEqual(['Song 1', 'Song 3', 'Song 6']);
  });

  it('moves them together, in the order given, to a place among the others', async () => {
    const alice = await peer('Alice');
    const { id } = await alice.client.request('playlists.create', { name: 'Mix' });
    const t = await alice.client.request('tracks.add', { playlistId: id, tracks: songs('Song', 6) });
    // Song 5 and Song 2, in that order, to the top.
    await alice.client.request('tracks.moveMany', { trackIds: [t[4]!.id, t[1]!.id], index: 0 });
    expect(await titlesOf(alice, id)).toEqual(['Song 5', 'Song 2', 'Song 1', 'Song 3', 'Song 4', 'Song 6']);
    // To the end: index past the others.
    await alice.client.request('tracks.moveMany', { trackIds: [t[0]!.id, t[4]!.id], index: 4 });
    expect(await titlesOf(alice, id)).toEqual(['Song 2', 'Song 3', 'Song 4', 'Song 6', 'Song 1', 'Song 5']);
  });
});

describe('leaving a shared playlist', () => {
  it('a member leaves: the owner sees it no longer shared, later edits stay apart, and sharing again brings it back', async () => {
    const [alice, bob] = await Promise.all([peer('Alice'), peer('Bob')]);
    const { id } = await alice.client.request('playlists.create', { name: 'Ours' });
    await alice.client.request('tracks.add', { playlistId: id, tracks: songs('Song', 2) });
    await alice.client.request('playlists.share', { playlistId: id, peerId: bob.id });
    await connect(alice, bob);
    await eventually(async () => expect(await titlesOf(bob, id)).toEqual(['Song 1', 'Song 2']));

    // The owner cannot leave her own playlist.
    expect(await refusal(alice.client.request('playlists.leave', { playlistId: id }))).toMatchObject({ code: 'owner_cannot_leave' });

    await bob.client.request('playlists.leave', { playlistId: id });
    expect((await bob.client.request('playlists.list', {})).map((p) => p.id)).not.toContain(id);
    await eventually(async () => expect((await alice.client.request('playlists.list', {})).find((p) => p.id === id)?.sharedWith).toEqual([]));
    // Bob can no longer edit it, and Alice's edits no longer reach him.
    expect(await refusal(bob.client.request('tracks.add', { playlistId: id, tracks: songs('Bob', 1) }))).toMatchObject({ code: 'unknown_playlist' });
    await alice.client.request('tracks.add', { playlistId: id, tracks: songs('After', 1) });

    // The owner's own write took him off: revoked, as after an unshare.
    expect((await alice.client.request('playlists.list', {})).find((p) => p.id === id)?.edits.sharedWith?.by).toBe(alice.id);

    // Shared again: Bob gets it back, with what was added while he was away.
    await alice.client.request('playlists.share', { playlistId: id, peerId: bob.id });
    await eventually(async () => expect(await titlesOf(bob, id)).toEqual(['Song 1', 'Song 2', 'After 1']));
    expect((await bob.client.request('playlists.list', {})).map((p) => p.id)).toContain(id);
  });

  it('a member who leaves while apart undoes none of the owner’s changes to who it is shared with', async () => {
    const [alice, bob] = await Promise.all([peer('Alice'), peer('Bob')]);
    const carol = 'c'.repeat(26);
    const { id } = await alice.client.request('playlists.create', { name: 'Ours' });
    await alice.client.request('playlists.share', { playlistId: id, peerId: bob.id });
    await alice.client.request('playlists.share', { playlistId: id, peerId: carol });
    const first = await connect(alice, bob);
    await eventually(async () => expect((await bob.client.request('playlists.list', {})).map((p) => p.sharedWith.length)).toEqual([2]));
    await alice.client.request('connections.close', { connectionId: first.inviter });
    await eventually(async () => expect((await bob.client.request('connections.list', {})).filter((c) => c.state === 'open')).toEqual([]));

    // Apart: Alice stops sharing with Carol; then Bob leaves (his copy still lists Carol).
    await alice.client.request('playlists.unshare', { playlistId: id, peerId: carol });
    await bob.client.request('playlists.leave', { playlistId: id });
    expect((await bob.client.request('playlists.list', {})).map((p) => p.id)).not.toContain(id);

    // Together again: Bob is taken off, and Carol stays off.
    await connect(alice, bob);
    await eventually(async () => expect((await alice.client.request('playlists.list', {})).find((p) => p.id === id)?.sharedWith).toEqual([]));
    const [held] = (await alice.client.request('playlists.list', {})).filter((p) => p.id === id);
    expect(held!.sharedWith).toEqual([]);
    // Bob's copy learns it too, and he stops asking.
    await eventually(async () => expect((await bob.client.request('playlists.list', {})).map((p) => p.id)).not.toContain(id));
  });

  it('a leave made apart is still asked for after the member restarts', async () => {
    const alice = await peer('Alice');
    let bob = await peer('Bob');
    const { id } = await alice.client.request('playlists.create', { name: 'Ours' });
    await alice.client.request('playlists.share', { playlistId: id, peerId: bob.id });
    await connect(alice, bob);
    await eventually(async () => expect((await bob.client.request('playlists.list', {})).map((p) => p.id)).toEqual([id]));
    await bob.stop();
    bob = await peer('Bob', bob.dataDir);
    await bob.client.request('playlists.leave', { playlistId: id });
    await bob.stop();

    bob = await peer('Bob', bob.dataDir);
    expect((await bob.client.request('playlists.list', {})).map((p) => p.id)).not.toContain(id);
    await connect(alice, bob);
    await eventually(async () => expect((await alice.client.request('playlists.list', {})).find((p) => p.id === id)?.sharedWith).toEqual([]));
  });
});
