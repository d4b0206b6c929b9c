/**
 * The service's playlist requests and events, served by the rxdb plugin's store. Without the
 * plugin (or before it has started) requests fail with `playlists_unavailable`.
 */
import type { PluginHost } from '../../core/host/host';
import { WhatNextError } from '../../core/errors';
import type { EventData, EventName, playlistMethods } from '../../core/protocol';
import { playlistsOf, type PlaylistRuntime } from '../../plugins/rxdb';
import type { Handlers } from './rpc';

type PlaylistHandlers = Pick<Handlers, keyof typeof playlistMethods>;
type Broadcast = <E extends EventName>(event: E, data: EventData<E>) => void;

/** Sync status events at most this often: a large sync changes the counts on every batch. */
const SYNC_EVENT_INTERVAL_MS = 200;

export function playlistHandlers(host: () => PluginHost): PlaylistHandlers {
  const runtime = (): PlaylistRuntime => {
    const found = playlistsOf(host());
    if (!found) throw new WhatNextError('playlists_unavailable', 'Playlists are not available: the rxdb plugin is not loaded or failed to start.');
    return found;
  };
  const store = () => runtime().store;
  return {
    'playlists.list': () => store().list(),
    'playlists.get': ({ playlistId }) => store().get(playlistId),
    'playlists.create': ({ name }) => store().create(name),
    'playlists.rename': ({ playlistId, name }) => store().rename(playlistId, name),
    'playlists.delete': async ({ playlistId }) => {
      await store().delete(playlistId);
      return {};
    },
    'playlists.share': ({ playlistId, peerId }) => store().share(playlistId, peerId),
    'playlists.unshare': ({ playlistId, peerId }) => store().unshare(playlistId, peerId),
    'tracks.add': ({ playlistId, tracks, index }) => store().addTracks(playlistId, tracks, index),
    'tracks.move': ({ trackId, index }) => store().moveTrack(trackId, index),
    'tracks.update': ({ trackId, ...changes }) => store().updateTrack(trackId, changes),
    'tracks.remove': async ({ trackId }) => {
      await store().removeTrack(trackId);
      return {};
    },
    'sync.status': () => runtime().syncStatus(),
  };
}

/** Relay playlist, track and sync changes to every client. Call after the host started. */
export function relayPlaylistEvents(host: PluginHost, broadcast: Broadcast): () => void {
  const runtime = playlistsOf(host);
  if (!runtime) return () => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  const offs = [
    runtime.store.on('playlists', (playlists) => broadcast('playlists.changed', { playlists })),
    runtime.store.on('tracks', (tracks) => broadcast('tracks.changed', { tracks })),
    runtime.onSyncChange(() => {
      timer ??= setTimeout(() => {
        timer = undefined;
        broadcast('sync.changed', { entries: runtime.syncStatus() });
      }, SYNC_EVENT_INTERVAL_MS);
      timer.unref?.();
    }),
  ];
  return () => {
    clearTimeout(timer);
    for (const off of offs) off();
  };
}
