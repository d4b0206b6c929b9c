/**
 * "N of M": each side tells the other how many tracks it holds of each playlist they share, and
 * a playlist is "in sync" only when both hold as many. Two services in process, RxDB replicating
 * over the in-memory transport; every sync status event the receiving side sends is recorded.
 */
import { afterEach, expect, it, vi } from 'vitest';
import type { MemoryPipe } from '@whatnext/core/testing';
import type { SyncEntry } from '../protocol';
import { connect, eventually, songs, startInProcess, type TestPeer } from '../testing/harness';
import { isForkPool, type Pool } from '../testing/watched-pools';

/** The latest replication pool RxDB made per database, to tell which side is the fork. */
const pools = vi.hoisted(() => new Map<string, Pool>());
vi.mock('rxdb/plugins/replication-webrtc', async (importOriginal) =>
  (await import('../testing/watched-pools')).watchPools(await importOriginal(), (pool, options) => {
    if (options.collection.name === 'tracks') pools.set(options.collection.database.name, pool);
  }),
);
/** Whether RxDB made `peer` the fork (the side that pushes) of its tracks pool. */
const isFork = (peer: TestPeer) => isForkPool(pools.get(`wn${peer.id}`));

const running: TestPeer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((peer) => peer.stop()));
});

it('the receiver hears how many tracks the owner holds, shows how many arrived, and is in sync only once it holds them all', async () => {
  // Bob's ends of the connection, to hold the transfer mid-way (small batches: little in flight).
  const bobsPipes: MemoryPipe[] = [];
  const [alice, bob] = await Promise.all([
    startInProcess('Alice', { rxdb: { batchSize: 50 } }),
    startInProcess('Bob', { rxdb: { batchSize: 50 }, transport: { onPipe: (pipe) => bobsPipes.push(pipe) } }),
  ]);
  running.push(alice, bob);
  const playlist = await alice.client.request('playlists.create', { name: 'Everything' });
  await alice.client.request('tracks.add', { playlistId: playlist.id, tracks: songs('Track', 2000) });
  await alice.client.request('playlists.share', { playlistId: playlist.id, peerId: bob.id });

  const seen: SyncEntry[] = [];
  bob.client.on('sync.changed', ({ entries }) => seen.push(...entries.filter((e) => e.playlistId === playlist.id)));
  // Once the first tracks are stored here, Bob stops reading: the rest waits on the way.
  const firstTracks = new Promise<void>((resolve) => {
    const off = bob.client.on('tracks.changed', ({ tracks }) => {
      if (!tracks.some((track) => track.playlistId === playlist.id)) return;
      off();
      for (const pipe of bobsPipes) pipe.pauseReading();
      resolve();
    });
  });
  await connect(alice, bob);
  await firstTracks;
  // Alice's total is known while Bob holds fewer: what a progress bar shows.
  await eventually(() =>
    expect(seen.some((e) => e.state === 'syncing' && e.remoteTracks === 2000 && e.tracks !== undefined && e.tracks > 0 && e.tracks < 2000)).toBe(true),
  );
  for (const pipe of bobsPipes) pipe.resumeReading();

  // Done when Bob holds all 2,000 and says he is in sync with Alice.
  await eventually(async () => {
    const entry = (await bob.client.request('sync.status', {})).find((e) => e.playlistId === playlist.id);
    expect(entry).toMatchObject({ state: 'in-sync', tracks: 2000, remoteTracks: 2000 });
  });
  // And never "in sync" with fewer tracks than Alice holds.
  expect(seen.filter((e) => e.state === 'in-sync' && e.tracks !== undefined && e.remoteTracks !== undefined && e.tracks !== e.remoteTracks)).toEqual([]);

  // A change afterwards: both sides count again, and come back to in sync with the new number.
  await bob.client.request('tracks.add', { playlistId: playlist.id, tracks: songs('Later', 3) });
  await eventually(async () => {
    const entry = (await alice.client.request('sync.status', {})).find((e) => e.playlistId === playlist.id);
    expect(entry).toMatchObject({ state: 'in-sync', tracks: 2003, remoteTracks: 2003 });
  });
});

it('no echo in either role: what the owner sends, the receiving side never sends back', async () => {
  // RxDB decides per pair which side is the fork (the one that pushes): new pairs until the
  // owner has been each once.
  const roles = new Set<string>();
  for (let pair = 0; pair < 16 && roles.size < 2; pair++) {
    const [alice, bob] = await Promise.all([startInProcess('Alice'), startInProcess('Bob')]);
    running.push(alice, bob);
    const playlist = await alice.client.request('playlists.create', { name: 'Pushed' });
    await alice.client.request('tracks.add', { playlistId: playlist.id, tracks: songs('Track', 500) });
    await alice.client.request('playlists.share', { playlistId: playlist.id, peerId: bob.id });
    await connect(alice, bob);
    const entryOf = async (peer: TestPeer) => (await peer.client.request('sync.status', {})).find((e) => e.playlistId === playlist.id);
    await eventually(async () => expect(await entryOf(bob)).toMatchObject({ state: 'in-sync', tracks: 500, remoteTracks: 500 }));
    await eventually(async () => expect(await entryOf(alice)).toMatchObject({ state: 'in-sync' }));
    const role = isFork(alice) ? 'owner pushes (fork)' : 'owner serves (master)';
    roles.add(role);
    // 501 documents (the playlist and its tracks) reached Bob, once each; none came back.
    expect((await entryOf(bob))!.received, role).toBe(501);
    expect((await entryOf(alice))!.received, role).toBe(0);
    await Promise.all(running.splice(0).map((peer) => peer.stop()));
  }
  expect([...roles].sort()).toEqual(['owner pushes (fork)', 'owner serves (master)']);
});
