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

type Client = TestPeer['client'];
const tracks = (...titles: string[]) => titles.map((title) => ({ title, artist: 'Someone', durationMs: 200_000 }));

/** `client`, with `answered` run on each answer before the page gets it (to count or hold). */
function intercepted(client: Client, answered: (method: string) => Promise<void> | void): Client {
  const request = client.request.bind(client) as (method: string, params: unknown) => Promise<unknown>;
  return new Proxy(client, {
    get: (target, key) =>
      key === 'request'
        ? async (method: string, params: unknown) => {
            const answer = await request(method, params);
            await answered(method);
            return answer;
          }
        : Reflect.get(target, key),
  });
}

/** Services in this process, stopped after the test. */
async function peers<Names extends string[]>(...names: Names): Promise<{ [K in keyof Names]: TestPeer }> {
  const started = await Promise.all(names.map((name) => startInProcess(name)));
  running.push(...started);
  return started as { [K in keyof Names]: TestPeer };
}

/** A page's playlist store on `client` (the renderer's own), listening and loaded. */
async function pageStore(client: Client, local: string) {
  global.window = { whatnext: client };
  setActivePinia(createPinia());
  const store = usePlaylistsStore();
  store.listen();
  await store.load(local);
  return store;
}

describe('the playlist store’s activity log', () => {
  it('pins a concurrent rename that won on its author, though it arrives right after our own', async () => {
    const [alice, bob] = await peers('Alice', 'Bob');
    const playlist = await alice.client.request('playlists.create', { name: 'Saturday' });
    await alice.client.request('playlists.share', { playlistId: playlist.id, peerId: bob.id });
    await connect(alice, bob);
    await eventually(async () => expect(await bob.client.request('playlists.list', {})).toHaveLength(1));

    // Alice's page: the store the renderer uses, on her service.
    const store = await pageStore(alice.client, alice.id);

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

describe('the playlist store’s tracks', () => {
  it('keeps an opened playlist current from events alone, and fetches one never opened whole', async () => {
    const [alice, bob] = await peers('Alice', 'Bob');
    const [opened, later] = await Promise.all(['Opened', 'Later'].map((name) => alice.client.request('playlists.create', { name })));
    for (const playlist of [opened!, later!]) await alice.client.request('playlists.share', { playlistId: playlist.id, peerId: bob.id });
    await alice.client.request('tracks.add', { playlistId: opened!.id, tracks: tracks('First', 'Second') });
    await connect(alice, bob);
    await eventually(async () => expect((await bob.client.request('playlists.get', { playlistId: opened!.id })).tracks).toHaveLength(2));

    // Alice's page, counting what it fetches.
    let fetches = 0;
    const store = await pageStore(
      intercepted(alice.client, (method) => void (method === 'playlists.get' && fetches++)),
      alice.id,
    );
    await store.select(opened!.id);
    expect(fetches).toBe(1);

    // Bob edits both playlists; Alice's page shows the opened one as her service holds it.
    const [second] = (await bob.client.request('playlists.get', { playlistId: opened!.id })).tracks.filter((t) => t.title === 'Second');
    await bob.client.request('tracks.add', { playlistId: opened!.id, tracks: tracks('Third') });
    await bob.client.request('tracks.remove', { trackId: second!.id });
    await bob.client.request('tracks.add', { playlistId: later!.id, tracks: tracks('Only', 'Also') });
    const held = async (playlistId: string) => (await alice.client.request('playlists.get', { playlistId })).tracks.map((t) => t.title);
    await eventually(async () => expect(await held(later!.id)).toHaveLength(2));
    await eventually(async () => expect(store.tracksOf(opened!.id).map((t) => t.title)).toEqual(await held(opened!.id)));
    expect(store.tracksOf(opened!.id).map((t) => t.title)).toEqual(['First', 'Third']);
    const fetched = fetches;

    // The one never opened is fetched whole, not pieced together from the events it missed.
    expect(store.tracksOf(later!.id)).toEqual([]);
    await store.select(later!.id);
    expect(store.selectedTracks.map((t) => t.title)).toEqual(await held(later!.id));
    // Back to the first: from the store, no fetch.
    await store.select(opened!.id);
    expect(fetches).toBe(fetched + 1);
    // After the service comes back (load again), what was kept is forgotten: the open playlist is
    // fetched again at once, the other when it is opened.
    await store.load();
    expect(fetches).toBe(fetched + 2);
    await store.select(later!.id);
    expect(fetches).toBe(fetched + 3);
  });
});

describe('the playlist store, while it fetches and for playlists it has not', () => {
  it('keeps a change that comes during the fetch, tells only additions of a playlist not open, and forgets one unshared', async () => {
    const [alice, bob] = await peers('Alice', 'Bob');
    const playlist = await bob.client.request('playlists.create', { name: 'Bobs' });
    await bob.client.request('playlists.share', { playlistId: playlist.id, peerId: alice.id });
    const [first] = await bob.client.request('tracks.add', { playlistId: playlist.id, tracks: tracks('First') });
    await connect(alice, bob);
    await eventually(async () => expect((await alice.client.request('playlists.get', { playlistId: playlist.id })).tracks).toHaveLength(1));

    // Alice's page. Its first fetch is answered with what the service held before Bob's next
    // track reached the page: the page must not keep that answer.
    let held = true;
    const store = await pageStore(
      intercepted(alice.client, async (method) => {
        if (method !== 'playlists.get' || !held) return;
        held = false;
        const arrived = new Promise<void>((resolve) => {
          const off = alice.client.on('tracks.changed', ({ tracks }) => tracks.some((t) => t.title === 'During') && (off(), resolve()));
        });
        await bob.client.request('tracks.add', { playlistId: playlist.id, tracks: tracks('During') });
        await arrived;
      }),
      alice.id,
    );

    // While not open: Bob edits his first track (not an addition) and adds one.
    await bob.client.request('tracks.update', { trackId: first!.id, title: 'First, renamed' });
    await bob.client.request('tracks.add', { playlistId: playlist.id, tracks: tracks('Added') });
    await eventually(() => expect(store.activity[playlist.id]?.map((a) => a.text)).toContain('added “Added” by Someone'));
    expect(store.activity[playlist.id]!.map((a) => a.text)).not.toContain('added “First, renamed” by Someone');

    await store.select(playlist.id);
    expect(store.selectedTracks.map((t) => t.title)).toEqual(
      (await alice.client.request('playlists.get', { playlistId: playlist.id })).tracks.map((t) => t.title),
    );
    expect(store.selectedTracks.map((t) => t.title)).toContain('During');

    // Unshared from Alice: what the page held of it goes.
    await bob.client.request('playlists.unshare', { playlistId: playlist.id, peerId: alice.id });
    await eventually(() => expect(store.tracksOf(playlist.id)).toEqual([]));
  });
});

describe('the playlist store, opening a long playlist', () => {
  it('shows the first page with the total at once, then the rest in order, keeping what changed while a page was on its way', async () => {
    const [alice] = await peers('Alice');
    const playlist = await alice.client.request('playlists.create', { name: 'Long' });
    const added = await alice.client.request('tracks.add', { playlistId: playlist.id, tracks: tracks(...Array.from({ length: 230 }, (_, i) => `T${i + 1}`)) });
    const byTitle = (title: string) => added.find((t) => t.title === title)!.id;

    let gets = 0;
    let duringSecond: { shown: number; total: number | undefined } | undefined;
    const store = await pageStore(
      intercepted(alice.client, async (method) => {
        if (method !== 'playlists.get' || ++gets !== 2) return;
        duringSecond = { shown: store.selectedTracks.length, total: store.selectedTotal };
        // The second page has been read; before the page gets it, the playlist changes (and the
        // page hears of it): a track of the first page removed, one added at the top, one of the
        // second page renamed and one removed. The page in hand still has the old ones.
        const events: Promise<void>[] = ['T2', 'T150', 'Top', 'T200 renamed'].map(
          (title) =>
            new Promise<void>((resolve) => {
              const off = alice.client.on(
                'tracks.changed',
                ({ tracks }) => tracks.some((t) => t.title === title || (t.removed && t.id === ids[title])) && (off(), resolve()),
              );
            }),
        );
        const ids: Record<string, string> = { T2: byTitle('T2'), T150: byTitle('T150') };
        await alice.client.request('tracks.remove', { trackId: ids.T2! });
        await alice.client.request('tracks.remove', { trackId: ids.T150! });
        await alice.client.request('tracks.add', { playlistId: playlist.id, tracks: tracks('Top'), index: 0 });
        await alice.client.request('tracks.update', { trackId: byTitle('T200'), title: 'T200 renamed' });
        await Promise.all(events);
      }),
      alice.id,
    );

    await store.select(playlist.id);
    expect(gets).toBe(2);
    expect(duringSecond).toEqual({ shown: 100, total: 230 });
    const held = (await alice.client.request('playlists.get', { playlistId: playlist.id })).tracks.map((t) => t.title);
    expect(held).toHaveLength(229);
    expect(store.selectedTracks.map((t) => t.title)).toEqual(held);
    expect(store.selectedTotal).toBeUndefined();
  });
});

describe('the playlist store, when the service comes back during a fetch', () => {
  it('keeps the total of the fetch that replaced a forgotten one', async () => {
    const [alice] = await peers('Alice');
    const playlist = await alice.client.request('playlists.create', { name: 'Long' });
    await alice.client.request('tracks.add', { playlistId: playlist.id, tracks: tracks(...Array.from({ length: 230 }, (_, i) => `T${i + 1}`)) });

    // The first fetch's second page is held; meanwhile the service "comes back" (load), whose
    // fetch is held at its own second page; then the old page comes, stale.
    let gets = 0;
    let releaseOld = () => {};
    const oldHeld = new Promise<void>((resolve) => (releaseOld = resolve));
    let newHeldAt = () => {};
    const newHeld = new Promise<void>((resolve) => (newHeldAt = resolve));
    let releaseNew = () => {};
    const store = await pageStore(
      intercepted(alice.client, async (method) => {
        if (method !== 'playlists.get') return;
        const n = ++gets;
        if (n === 2) await oldHeld;
        if (n === 4) {
          newHeldAt();
          await new Promise<void>((resolve) => (releaseNew = resolve));
        }
      }),
      alice.id,
    );
    const selecting = store.select(playlist.id);
    await eventually(() => expect(gets).toBe(2));
    const loading = store.load();
    await newHeld;
    releaseOld();
    await selecting;
    expect(store.selectedTotal).toBe(230);
    releaseNew();
    await loading;
    expect(store.selectedTracks).toHaveLength(230);
    expect(store.selectedTotal).toBeUndefined();
  });
});
