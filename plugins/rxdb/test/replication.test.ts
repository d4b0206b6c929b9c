/**
 * Replication between services in this process over the in-memory transport: sharing,
 * convergence, concurrent edits, unsharing, three peers, reconnecting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryPipe } from '@whatnext/core/testing';
import { connect, eventually, snapshot, songs, startInProcess, type TestPeer } from '../testing/harness';

const running: TestPeer[] = [];
async function peer(name: string, options?: Parameters<typeof startInProcess>[1]): Promise<TestPeer> {
  const started = await startInProcess(name, options);
  running.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

describe('playlist replication in process', () => {
  it('shares a playlist, and edits on each side converge', async () => {
    const alice = await peer('Alice');
    const bob = await peer('Bob');
    const mine = await alice.client.request('playlists.create', { name: 'Road trip' });
    await alice.client.request('tracks.add', { playlistId: mine.id, tracks: songs('Alice', 3) });
    const secret = await alice.client.request('playlists.create', { name: 'Not for Bob' });
    await alice.client.request('tracks.add', { playlistId: secret.id, tracks: songs('Secret', 2) });
    await alice.client.request('playlists.share', { playlistId: mine.id, peerId: bob.id });
    await connect(alice, bob);

    const shared = await eventually(async () => {
      const got = await snapshot(bob.client, mine.id);
      expect(got.tracks).toHaveLength(3);
      return got;
    });
    expect(shared.name).toBe('Road trip');
    // Only what was shared: Bob never hears of the other playlist.
    expect((await bob.client.request('playlists.list', {})).map((p) => p.id)).toEqual([mine.id]);

    const renamed = alice.client.waitFor('playlists.changed', (e) => e.playlists.some((p) => p.name === 'Road trip 2'));
    const bobsTracks = alice.client.waitFor('tracks.changed', (e) => e.tracks.some((t) => t.title === 'Bob 2'));
    await bob.client.request('tracks.add', { playlistId: mine.id, tracks: songs('Bob', 2), index: 0 });
    await alice.client.request('playlists.rename', { playlistId: mine.id, name: 'Road trip 2' });
    await Promise.all([renamed, bobsTracks]);
    await eventually(async () => {
      const [a, b] = await Promise.all([snapshot(alice.client, mine.id), snapshot(bob.client, mine.id)]);
      expect(a.tracks).toHaveLength(5);
      expect(b).toEqual(a);
      expect(a.name).toBe('Road trip 2');
      expect(a.tracks[0]).toMatch(/^Bob 1\|/);
    });
    const status = await eventually(async () => {
      const entries = await alice.client.request('sync.status', {});
      expect(entries).toEqual([expect.objectContaining({ peerId: bob.id, playlistId: mine.id, state: 'in-sync' })]);
      return entries[0]!;
    });
    expect(status.sent + status.received).toBeGreaterThanOrEqual(6);
  });

  it('merges concurrent conflicting edits made apart: no insert lost, the same order on both', async () => {
    const alice = await peer('Alice');
    const bob = await peer('Bob');
    const playlist = await alice.client.request('playlists.create', { name: 'Shared' });
    const [t1, t2, t3, t4, t5] = await alice.client.request('tracks.add', { playlistId: playlist.id, tracks: songs('Song', 5) });
    await alice.client.request('playlists.share', { playlistId: playlist.id, peerId: bob.id });
    const link = await connect(alice, bob);
    await eventually(async () => expect((await snapshot(bob.client, playlist.id)).tracks).toHaveLength(5));
    await alice.client.request('connections.close', { connectionId: link.inviter });
    await eventually(async () => expect(await bob.client.request('connections.list', {})).toEqual([]));

    // Apart: each side edits the same playlist.
    await alice.client.request('playlists.rename', { playlistId: playlist.id, name: 'Alice named it' });
    await alice.client.request('tracks.add', { playlistId: playlist.id, tracks: songs('Alice', 2), index: 2 });
    const t5Moved = await alice.client.request('tracks.move', { trackId: t5!.id, index: 0 });
    await alice.client.request('tracks.move', { trackId: t2!.id, index: 6 });
    await alice.client.request('tracks.update', { trackId: t3!.id, title: 'Edited by Alice' });
    await bob.client.request('tracks.add', { playlistId: playlist.id, tracks: songs('Bob', 2), index: 2 });
    await bob.client.request('tracks.move', { trackId: t1!.id, index: 4 });
    const t2Moved = await bob.client.request('tracks.move', { trackId: t2!.id, index: 0 }); // later than Alice's move of t2: wins
    await bob.client.request('tracks.remove', { trackId: t3!.id });
    await bob.client.request('tracks.update', { trackId: t4!.id, artist: 'Bob says' });

    await connect(bob, alice);
    const merged = await eventually(async () => {
      const [a, b] = await Promise.all([snapshot(alice.client, playlist.id), snapshot(bob.client, playlist.id)]);
      expect(b).toEqual(a);
      expect(a.tracks).toHaveLength(8);
      return alice.client.request('playlists.get', { playlistId: playlist.id });
    });
    expect(merged.playlist.name).toBe('Alice named it');
    const titles = merged.tracks.map((t) => t.title);
    // Every insert survives; the removed track stays removed although Alice edited it.
    expect([...titles].sort()).toEqual(['Alice 1', 'Alice 2', 'Bob 1', 'Bob 2', 'Song 1', 'Song 2', 'Song 4', 'Song 5']);
    // Moves of different tracks both apply; of the same track, the later one wins.
    expect(merged.tracks.find((t) => t.id === t5!.id)!.position).toBe(t5Moved.position);
    expect(merged.tracks.find((t) => t.id === t2!.id)!.position).toBe(t2Moved.position);
    // "To the top" means before everything its peer knew then: Alice's Song 5 before Song 1,
    // Bob's Song 2 before his Bob 1. (Not before the other's unseen inserts: the positions are
    // drawn at random between neighbours, so Alice 1 may land either side of Bob's Song 2.)
    expect(titles.indexOf('Song 5')).toBeLessThan(titles.indexOf('Song 1'));
    expect(titles.indexOf('Song 2')).toBeLessThan(titles.indexOf('Bob 1'));
    expect(merged.tracks.find((t) => t.title === 'Song 4')!.artist).toBe('Bob says');
    // Each field says who wrote the value that won, on both sides (the activity log names them).
    expect(merged.playlist.edits.name?.by).toBe(alice.id);
    expect(merged.tracks.find((t) => t.title === 'Song 4')!.edits.artist?.by).toBe(bob.id);
    expect(merged.tracks.find((t) => t.id === t2!.id)!.edits.position).toEqual({ by: bob.id, at: expect.any(Number) });
    const onBob = await bob.client.request('playlists.get', { playlistId: playlist.id });
    expect(onBob.tracks.find((t) => t.id === t2!.id)!.edits.position).toEqual(merged.tracks.find((t) => t.id === t2!.id)!.edits.position);
  });

  it('unsharing stops updates to that peer, and tells it', async () => {
    const alice = await peer('Alice');
    const bob = await peer('Bob');
    const secret = await alice.client.request('playlists.create', { name: 'Soon secret' });
    const open = await alice.client.request('playlists.create', { name: 'Still shared' });
    for (const p of [secret, open]) await alice.client.request('playlists.share', { playlistId: p.id, peerId: bob.id });
    await alice.client.request('tracks.add', { playlistId: secret.id, tracks: songs('Before', 1) });
    await connect(alice, bob);
    await eventually(async () => expect((await snapshot(bob.client, secret.id)).tracks).toHaveLength(1));

    await alice.client.request('playlists.unshare', { playlistId: secret.id, peerId: bob.id });
    await eventually(async () => expect((await bob.client.request('playlists.list', {})).map((p) => p.id)).toEqual([open.id]));
    await alice.client.request('tracks.add', { playlistId: secret.id, tracks: songs('After', 1) });
    // A later edit of a still-shared playlist travels the same way: once it is there, the
    // unshared edit would have been too.
    await alice.client.request('tracks.add', { playlistId: open.id, tracks: songs('Marker', 1) });
    await eventually(async () => expect((await snapshot(bob.client, open.id)).tracks).toHaveLength(1));
    const unknown = await bob.client.request('playlists.get', { playlistId: secret.id }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ info: { code: 'unknown_playlist' } });
    expect((await bob.client.request('sync.status', {})).map((e) => e.playlistId)).toEqual([open.id]);

    // Shared again: everything since arrives.
    await alice.client.request('playlists.share', { playlistId: secret.id, peerId: bob.id });
    await eventually(async () => expect((await snapshot(bob.client, secret.id)).tracks.map((t) => t.split('|')[0])).toEqual(['Before 1', 'After 1']));
  });

  it('three peers: edits travel through a peer in the middle and all converge', async () => {
    const alice = await peer('Alice');
    const bob = await peer('Bob');
    const carol = await peer('Carol');
    const playlist = await alice.client.request('playlists.create', { name: 'Trio' });
    await alice.client.request('tracks.add', { playlistId: playlist.id, tracks: songs('Alice', 2) });
    await alice.client.request('playlists.share', { playlistId: playlist.id, peerId: bob.id });
    await alice.client.request('playlists.share', { playlistId: playlist.id, peerId: carol.id });
    // Alice ↔ Bob ↔ Carol: Alice and Carol never connect.
    await connect(alice, bob);
    await connect(bob, carol);
    await eventually(async () => expect((await snapshot(carol.client, playlist.id)).tracks).toHaveLength(2));
    await carol.client.request('tracks.add', { playlistId: playlist.id, tracks: songs('Carol', 2), index: 1 });
    await bob.client.request('playlists.rename', { playlistId: playlist.id, name: 'Trio, renamed by Bob' });
    await alice.client.request('tracks.add', { playlistId: playlist.id, tracks: songs('Alice late', 1), index: 0 });
    await eventually(async () => {
      const all = await Promise.all([alice, bob, carol].map((p) => snapshot(p.client, playlist.id)));
      expect(all[0]!.tracks).toHaveLength(5);
      expect(all[0]!.name).toBe('Trio, renamed by Bob');
      expect(all[1]).toEqual(all[0]);
      expect(all[2]).toEqual(all[0]);
    });
  });

  it('a dropped connection resumes from its checkpoint: nothing lost, nothing sent twice over', async () => {
    // Bob's ends of the connection: he stops reading once 300 tracks came, so the cut below
    // always falls mid-sync however fast the machine is.
    const bobsPipes: MemoryPipe[] = [];
    const alice = await peer('Alice', { rxdb: { batchSize: 50 } });
    const bob = await peer('Bob', { rxdb: { batchSize: 50 }, transport: { onPipe: (pipe) => bobsPipes.push(pipe) } });
    const playlist = await alice.client.request('playlists.create', { name: 'Big' });
    await alice.client.request('tracks.add', { playlistId: playlist.id, tracks: songs('Track', 2000) });
    await alice.client.request('playlists.share', { playlistId: playlist.id, peerId: bob.id });
    let arrived = 0;
    const partway = new Promise<void>((resolve) => {
      const off = bob.client.on('tracks.changed', ({ tracks }) => {
        arrived += tracks.filter((track) => track.playlistId === playlist.id).length;
        if (arrived < 300) return;
        off();
        for (const pipe of bobsPipes) pipe.pauseReading();
        resolve();
      });
    });
    const first = await connect(alice, bob);
    await partway;
    await bob.client.request('connections.close', { connectionId: first.answerer });
    await eventually(async () => expect((await bob.client.request('sync.status', {}))[0]!.state).toBe('paused'));
    const atDrop = (await bob.client.request('playlists.get', { playlistId: playlist.id })).tracks.length;
    expect(atDrop).toBeLessThan(2000);

    await connect(alice, bob);
    const tracks = await eventually(async () => {
      const got = await bob.client.request('playlists.get', { playlistId: playlist.id });
      expect(got.tracks).toHaveLength(2000);
      return got.tracks;
    });
    expect(new Set(tracks.map((t) => t.id)).size).toBe(2000);
    const [entry] = await eventually(async () => {
      const entries = await bob.client.request('sync.status', {});
      expect(entries[0]!.state).toBe('in-sync');
      return entries;
    });
    // From scratch the second time would mean at least 2000 + what came before the drop.
    expect(entry!.received).toBeLessThan(2000 + atDrop);
  });

  it('playlists survive a restart of the service', async () => {
    const alice = await peer('Alice');
    const playlist = await alice.client.request('playlists.create', { name: 'Keeper' });
    await alice.client.request('tracks.add', { playlistId: playlist.id, tracks: songs('Kept', 3) });
    const before = await snapshot(alice.client, playlist.id);
    await alice.stop();
    const again = await peer('Alice', { dataDir: alice.dataDir });
    expect(again.id).toBe(alice.id);
    expect(await snapshot(again.client, playlist.id)).toEqual(before);
    expect((await again.client.request('playlists.list', {})).map((p) => p.name)).toEqual(['Keeper']);
  });

  it('deleting a playlist removes it and its tracks everywhere, even with an add racing it', async () => {
    const alice = await peer('Alice');
    const bob = await peer('Bob');
    const playlist = await alice.client.request('playlists.create', { name: 'Short-lived' });
    await alice.client.request('tracks.add', { playlistId: playlist.id, tracks: songs('Song', 3) });
    await alice.client.request('playlists.share', { playlistId: playlist.id, peerId: bob.id });
    await connect(alice, bob);
    await eventually(async () => expect((await snapshot(bob.client, playlist.id)).tracks).toHaveLength(3));
    const notOwner = await bob.client.request('playlists.delete', { playlistId: playlist.id }).catch((e: unknown) => e);
    expect(notOwner).toMatchObject({ info: { code: 'not_owner' } });
    const gone = bob.client.waitFor('playlists.changed', (e) => e.playlists.some((p) => p.id === playlist.id && p.deleted === true));
    await Promise.all([
      alice.client.request('playlists.delete', { playlistId: playlist.id }),
      // Either lands before the deletion reaches Bob, or is refused: both are fine.
      bob.client.request('tracks.add', { playlistId: playlist.id, tracks: songs('Late', 1) }).catch(() => undefined),
    ]);
    await gone;
    for (const p of [alice, bob]) {
      await eventually(async () => expect(await p.client.request('playlists.list', {})).toEqual([]));
      const missing = await p.client.request('playlists.get', { playlistId: playlist.id }).catch((e: unknown) => e);
      expect(missing).toMatchObject({ info: { code: 'unknown_playlist' } });
    }
  });
});
