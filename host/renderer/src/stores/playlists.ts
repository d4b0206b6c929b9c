/**
 * Playlists, their tracks and their sync state, kept current by the service's events, plus a
 * short log of who changed what (changes this window made are "you"; the rest came from peers).
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { call, subscribe, type NewTrack, type Playlist, type PlaylistSummary, type SyncEntry, type Track } from '../api';
import { collapseAdditions, mergeAdditions, playlistChanges, trackChanges, type Change } from '../lib/activity';
import { errorInfoOf } from '../lib/problems';

export interface Activity extends Change {
  id: number;
}

const MAX_ACTIVITY = 30;
/** Changes to these docs arriving this long after our own request are ours. */
const OWN_CHANGE_MS = 1500;
/** A playlist opens with its first tracks (more than a screenful), the rest follow in pages. */
const FIRST_PAGE = 100;
const PAGE = 5000;
/** Summaries are asked for again at most this often while tracks keep changing. */
const SUMMARIES_EVERY_MS = 1000;

/** Tracks by their places, cut where a place is skipped: [2, 3, 7] → [[2, 3], [7]]. */
function runsOf<T extends { index: number }>(entries: T[]): T[][] {
  const runs: T[][] = [];
  for (const entry of entries) {
    const run = runs.at(-1);
    if (run && run.at(-1)!.index + 1 === entry.index) run.push(entry);
    else runs.push([entry]);
  }
  return runs;
}

const byPosition = (a: Track, b: Track) => (a.position < b.position ? -1 : a.position > b.position ? 1 : a.id < b.id ? -1 : 1);

export const usePlaylistsStore = defineStore('playlists', () => {
  /** False when the service has no playlists (the rxdb plugin is not loaded). */
  const available = ref<boolean>();
  const byId = ref<Record<string, Playlist>>({});
  /** Tracks by playlist, then by id. Plain objects in a shallow ref, each playlist's map replaced
   * when its tracks change: deep reactivity on 10,000 tracks (a proxy read per sort comparison)
   * costs more than the page gains, since nothing edits a track in place. */
  const tracks = shallowRef(new Map<string, ReadonlyMap<string, Track>>());
  /** The sorted list of each playlist's current map, made once per change. */
  const sortedCache = new WeakMap<ReadonlyMap<string, Track>, Track[]>();
  const sync = ref<SyncEntry[]>([]);
  /** Track count and length of every playlist, from the service. */
  const summaries = ref<Record<string, PlaylistSummary>>({});
  /** How many tracks a playlist being fetched holds, once its first page came. */
  const loadingTotals = ref<Record<string, number>>({});
  const activity = ref<Record<string, Activity[]>>({});
  const selectedId = ref<string>();
  let localPeerId: string | undefined;
  const ownChanges = new Map<string, number>();
  let nextActivity = 1;

  const playlists = computed(() => Object.values(byId.value).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)));
  const selected = computed(() => (selectedId.value ? byId.value[selectedId.value] : undefined));
  const tracksOf = (playlistId: string): Track[] => {
    const map = tracks.value.get(playlistId);
    if (!map) return [];
    let sorted = sortedCache.get(map);
    if (!sorted) sortedCache.set(map, (sorted = [...map.values()].sort(byPosition)));
    return sorted;
  };
  const selectedTracks = computed(() => (selectedId.value ? tracksOf(selectedId.value) : []));
  const syncOf = (playlistId: string) => sync.value.filter((entry) => entry.playlistId === playlistId);

  /** Newest first by when each change was made, not when it arrived here. */
  function log(playlistId: string, changes: Change[]): void {
    if (!changes.length) return;
    const lines = collapseAdditions(changes);
    const earlier = [...(activity.value[playlistId] ?? [])];
    // A large playlist arrives in batches: its additions stay one line as they come in.
    const newest = earlier[0];
    const merged = newest && lines.length === 1 ? mergeAdditions(newest, lines[0]!) : undefined;
    if (merged) earlier.shift();
    const added = (merged ? [merged] : lines).map((change) => ({ id: nextActivity++, ...change }));
    const entries = [...added, ...earlier].sort((a, b) => b.at - a.at || b.id - a.id).slice(0, MAX_ACTIVITY);
    activity.value = { ...activity.value, [playlistId]: entries };
  }

  const isOwn = (docId: string) => (ownChanges.get(docId) ?? 0) > Date.now();
  /** Who made a change its document does not describe (a removal) and that arrived from a peer:
   * the only other member, if there is just one. */
  function remoteAuthor(playlistId: string): string | undefined {
    const playlist = byId.value[playlistId];
    const others = playlist ? [playlist.owner, ...playlist.sharedWith].filter((id) => id !== localPeerId) : [];
    return others.length === 1 ? others[0] : undefined;
  }

  async function own<T>(docIds: string[], action: () => Promise<T>): Promise<T> {
    const mark = () => docIds.forEach((id) => ownChanges.set(id, Date.now() + OWN_CHANGE_MS));
    mark();
    try {
      return await action();
    } finally {
      mark();
    }
  }

  function playlistsChanged(changed: Playlist[]): void {
    const next = { ...byId.value };
    for (const playlist of changed) {
      const before = next[playlist.id];
      if (playlist.deleted || (localPeerId && playlist.owner !== localPeerId && !playlist.sharedWith.includes(localPeerId))) {
        delete next[playlist.id];
        if (selectedId.value === playlist.id) selectedId.value = undefined;
        forgetTracks(playlist.id);
        continue;
      }
      next[playlist.id] = playlist;
      const fallback = { by: isOwn(playlist.id) ? localPeerId : remoteAuthor(playlist.id), at: Date.now() };
      log(playlist.id, playlistChanges(before, playlist, fallback, !isOwn(playlist.id)));
    }
    byId.value = next;
  }

  function tracksChanged(changed: Track[]): void {
    const next = new Map(tracks.value);
    // Each playlist a batch touches is copied once (its previous map stays as it was).
    const touched = new Map<string, { map: Map<string, Track>; changes: Change[] }>();
    for (const track of changed) {
      fetching.get(track.playlistId)?.changed.set(track.id, track);
      let entry = touched.get(track.playlistId);
      if (!entry) touched.set(track.playlistId, (entry = { map: new Map(next.get(track.playlistId)), changes: [] }));
      // A removal carries no author: ours if we just made it.
      const fallback = { by: isOwn(track.id) ? localPeerId : remoteAuthor(track.playlistId), at: Date.now() };
      if (next.has(track.playlistId)) entry.changes.push(...trackChanges(entry.map.get(track.id), track, fallback));
      // Of a playlist not loaded here, only what is plainly an addition is told: what an edit
      // changed is not known without the track before it.
      else if (!track.removed && track.updatedAt === track.addedAt) entry.changes.push(...trackChanges(undefined, track, fallback));
      if (track.removed) entry.map.delete(track.id);
      else entry.map.set(track.id, track);
    }
    // A playlist not loaded here is fetched whole when it is opened.
    for (const [playlistId, { map }] of touched) if (next.has(playlistId)) next.set(playlistId, map);
    tracks.value = next;
    for (const [playlistId, { changes }] of touched) log(playlistId, changes);
  }

  /** Playlists being fetched, and the tracks that changed meanwhile (newest state of each): those
   * are taken from the events, not from a page that may have been read before the change. */
  const fetching = new Map<string, { changed: Map<string, Track> }>();
  /** The first page at once, then the rest in pages after a cursor (tracks added or removed
   * meanwhile shift nothing; their events are applied as they come). */
  async function loadTracks(playlistId: string): Promise<void> {
    const loading = { changed: new Map<string, Track>() };
    fetching.set(playlistId, loading);
    try {
      let after: Track | undefined;
      for (let limit = FIRST_PAGE; ; limit = PAGE) {
        const page = await call('playlists.get', { playlistId, limit, ...(after ? { after: { position: after.position, id: after.id } } : {}) });
        // Forgotten meanwhile (left, or the service came back): what was fetched is stale.
        if (fetching.get(playlistId) !== loading || (after && !tracks.value.has(playlistId))) return;
        const map = new Map(after ? tracks.value.get(playlistId) : undefined);
        for (const track of page.tracks) if (!loading.changed.has(track.id)) map.set(track.id, track);
        if (!after) {
          for (const track of loading.changed.values())
            if (track.removed) map.delete(track.id);
            else map.set(track.id, track);
          byId.value = { ...byId.value, [page.playlist.id]: page.playlist };
        }
        tracks.value = new Map(tracks.value).set(playlistId, map);
        after = page.tracks.at(-1);
        if (page.tracks.length < limit || !after) return;
        loadingTotals.value = { ...loadingTotals.value, [playlistId]: page.total };
      }
    } finally {
      // A fetch that was forgotten leaves the total to the one that replaced it, if any.
      if (fetching.get(playlistId) === loading) {
        fetching.delete(playlistId);
        forgetTotal(playlistId);
      }
    }
  }

  /** One request for every playlist's summary; asked again (once, after a pause) for changes that
   * come while one is on its way or just answered. */
  let summarizing: { again: boolean } | undefined;
  async function refreshSummaries(): Promise<void> {
    if (summarizing) {
      summarizing.again = true;
      return;
    }
    const current = (summarizing = { again: false });
    try {
      summaries.value = await call('playlists.summaries', {});
    } catch {
      // The service went away or the plugin stopped: the next load asks again.
    }
    setTimeout(() => {
      summarizing = undefined;
      if (current.again) void refreshSummaries();
    }, SUMMARIES_EVERY_MS);
  }

  /** The last removal: each track with its place before it went, in playlist order. */
  const lastRemoval = shallowRef<{ playlistId: string; tracks: { track: Track; index: number }[] }>();
  async function removeTracks(trackIds: string[]): Promise<void> {
    const ids = new Set(trackIds);
    const playlistId = [...tracks.value].find(([, map]) => map.has(trackIds[0]!))?.[0];
    const removed = playlistId ? tracksOf(playlistId).flatMap((track, index) => (ids.has(track.id) ? [{ track, index }] : [])) : [];
    await own(trackIds, () => (trackIds.length === 1 ? call('tracks.remove', { trackId: trackIds[0]! }) : call('tracks.removeMany', { trackIds })));
    tracksChanged(removed.map(({ track }) => ({ ...track, removed: true })));
    if (playlistId && removed.length) lastRemoval.value = { playlistId, tracks: removed };
  }

  function forgetTotal(playlistId: string): void {
    if (!(playlistId in loadingTotals.value)) return;
    const { [playlistId]: _done, ...rest } = loadingTotals.value;
    loadingTotals.value = rest;
  }

  function forgetTracks(playlistId: string): void {
    fetching.delete(playlistId);
    forgetTotal(playlistId);
    if (lastRemoval.value?.playlistId === playlistId) lastRemoval.value = undefined;
    if (!tracks.value.has(playlistId)) return;
    const next = new Map(tracks.value);
    next.delete(playlistId);
    tracks.value = next;
  }

  return {
    available,
    playlists,
    selected,
    selectedId,
    selectedTracks,
    activity,
    sync,
    syncOf,
    tracksOf,
    summaries,
    /** How many tracks the selected playlist holds while its pages are still coming. */
    selectedTotal: computed(() => (selectedId.value ? loadingTotals.value[selectedId.value] : undefined)),
    /** `local` is this peer's id (to tell own changes and ownership). */
    async load(local?: string) {
      localPeerId = local ?? localPeerId;
      // Playlists come from a plugin (rxdb): without an active one that offers them, say so.
      const plugins = await call('plugins.list', {});
      if (!plugins.some((plugin) => plugin.state === 'active' && plugin.methods.includes('playlists.list'))) {
        available.value = false;
        return;
      }
      try {
        const [list, entries] = await Promise.all([call('playlists.list', {}), call('sync.status', {})]);
        byId.value = Object.fromEntries(list.map((p) => [p.id, p]));
        // Changes made while the service was away never came as events.
        tracks.value = new Map();
        fetching.clear();
        loadingTotals.value = {};
        lastRemoval.value = undefined;
        void refreshSummaries();
        sync.value = entries;
        available.value = true;
        if (selectedId.value) await loadTracks(selectedId.value);
      } catch (error) {
        // It failed, or is still opening its database.
        if (!['plugin_unavailable', 'playlists_unavailable'].includes(errorInfoOf(error).code)) throw error;
        available.value = false;
      }
    },
    listen() {
      const stops = [
        subscribe('playlists.changed', ({ playlists }) => {
          playlistsChanged(playlists);
          void refreshSummaries();
        }),
        subscribe('tracks.changed', ({ tracks }) => {
          tracksChanged(tracks);
          void refreshSummaries();
        }),
        subscribe('sync.changed', ({ entries }) => (sync.value = entries)),
      ];
      return () => stops.forEach((stop) => stop());
    },
    /** A playlist loaded before is shown from the store at once: the service's events kept it
     * current (`load` forgets them all when the service comes back). */
    async select(playlistId: string | undefined) {
      selectedId.value = playlistId;
      if (playlistId && !tracks.value.has(playlistId) && !fetching.has(playlistId)) await loadTracks(playlistId);
    },
    isOwner: (playlist: Playlist) => playlist.owner === localPeerId,
    async create(name: string) {
      const playlist = await call('playlists.create', { name });
      ownChanges.set(playlist.id, Date.now() + OWN_CHANGE_MS);
      playlistsChanged([playlist]);
      await this.select(playlist.id);
      return playlist;
    },
    rename: (playlistId: string, name: string) => own([playlistId], () => call('playlists.rename', { playlistId, name })).then((p) => playlistsChanged([p])),
    async remove(playlistId: string) {
      await own([playlistId], () => call('playlists.delete', { playlistId }));
      playlistsChanged([{ ...byId.value[playlistId]!, deleted: true }]);
    },
    share: (playlistId: string, peerId: string) => own([playlistId], () => call('playlists.share', { playlistId, peerId })).then((p) => playlistsChanged([p])),
    unshare: (playlistId: string, peerId: string) =>
      own([playlistId], () => call('playlists.unshare', { playlistId, peerId })).then((p) => playlistsChanged([p])),
    addTrack: (playlistId: string, track: NewTrack) => call('tracks.add', { playlistId, tracks: [track] }).then(tracksChanged),
    /** A pasted list or a file's text: all its tracks, or none (the error names the bad line).
     * The tracks arrive as `tracks.changed`. */
    importTracks: (playlistId: string, text: string) => call('tracks.import', { playlistId, text }),
    updateTrack: (trackId: string, changes: Partial<NewTrack>) =>
      own([trackId], () => call('tracks.update', { trackId, ...changes })).then((t) => tracksChanged([t])),
    moveTrack: (trackId: string, index: number) => own([trackId], () => call('tracks.move', { trackId, index })).then((t) => tracksChanged([t])),
    removeTrack: (trackId: string) => removeTracks([trackId]),
    removeTracks,
    /** Several tracks of one playlist, together in the order given, to `index` of the others. */
    moveTracks: (trackIds: string[], index: number) => own(trackIds, () => call('tracks.moveMany', { trackIds, index })).then((moved) => tracksChanged(moved)),
    /** What the last removal took away, until it is undone or another replaces it. */
    lastRemoval,
    /** Put back what the last removal took: the same tracks at their places (new tracks with the
     * same fields: a removal is final for the peers that saw it). */
    async undoRemoval() {
      const removal = lastRemoval.value;
      if (!removal) return;
      // Runs of neighbours go back in one request each, lowest place first, so that each lands
      // where it was with the earlier ones back already. Should one fail, what is not back yet
      // stays to undo.
      const runs = runsOf(removal.tracks);
      while (runs.length > 0) {
        const run = runs[0]!;
        const tracks = run.map(({ track }) => ({
          title: track.title,
          artist: track.artist,
          durationMs: track.durationMs,
          ...(track.uri ? { uri: track.uri } : {}),
        }));
        tracksChanged(await call('tracks.add', { playlistId: removal.playlistId, index: run[0]!.index, tracks }));
        runs.shift();
        lastRemoval.value = runs.length ? { playlistId: removal.playlistId, tracks: runs.flat() } : undefined;
      }
    },
    forgetRemoval: () => void (lastRemoval.value = undefined),
    /** Stop being a member of a playlist someone shared with this peer. */
    async leave(playlistId: string) {
      await call('playlists.leave', { playlistId });
      playlistsChanged([{ ...byId.value[playlistId]!, deleted: true }]);
    },
  };
});
