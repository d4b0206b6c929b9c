/**
 * The renderer's playlist store against real services (in this process, RxDB replicating over the
 * in-memory transport): the activity log names the author of each change from the change itself,
 * however soon after one's own edit it arrives.
 */
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, eventually, startInProcess, type TestPeer } from '../../../plugins/rxdb/testing/harness';
import { usePlaylistsStore } from '../src/stores/playlists';

const running: TestPeer[] = [];
const global = globalThis as { window?: unknown };
afterEach(async () => {
  delete global.window;
  await Promise.all(running.splice(0).map((peer) => peer.stop()));
});

describe('the playlist store’s activity log', () => {
  it('pins a concurrent rename that won on its author, though it arrives right after our own', async () => {
    const [alice, bob] = await Promise.all([startInProcess('Alice'), startInProcess('Bob')]);
    running.push(alice, bob);
    const playlist = await alice.client.request('playlists.create', { name: 'Saturday' });
    await alice.client.request('playlists.share', { playlistId: playlist.id, peerId: bob.id });
    await connect(alice, bob);
    await eventually(async () => expect(await bob.client.request('playlists.list', {})).toHaveLength(1));

    // Alice's page: the store the renderer uses, on her service.
    global.window = { whatnext: alice.client };
    setActivePinia(createPinia());
    const store = usePlaylistsStore();
    store.listen();
    await store.load(alice.id);

    // Both rename; Bob's comes after Alice's, so his stamp is the later one and his name wins.
    await store.rename(playlist.id, 'Alice name');
    await bob.client.request('playlists.rename', { playlistId: playlist.id, name: 'Bob name' });
    await eventually(async () => expect(store.playlists[0]?.name).toBe('Bob name'));

    const log = store.activity[playlist.id]!.map(({ by, text }) => ({ by, text }));
    expect(log).toContainEqual({ by: bob.id, text: 'renamed the playlist to “Bob name”' });
    expect(log).toContainEqual({ by: alice.id, text: 'renamed the playlist to “Alice name”' });
    expect(log).not.toContainEqual({ by: alice.id, text: 'renamed the playlist to “Bob name”' });
  });
});
