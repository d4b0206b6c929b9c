/**
 * The rxdb plugin: playlists in an RxDB database in the plugin's data folder, replicated with
 * RxDB's replicateWebRTC over every core connection, whatever transport carries it. It brings
 * its own part of the service protocol (protocol.ts): the playlist, track and sync methods it
 * answers and the events it sends. See README.md for the storage, sharing and merge rules.
 */
import { z } from 'zod';
import { definePlugin, type PluginContext, WhatNextError, describe } from '@whatnext/core';
import { playlistsProtocol, type PlaylistsProtocol } from './protocol';
import { startRuntime, type PlaylistRuntime } from './runtime';
import { detectFormat, parseTrackList } from './import/track-list';

export const RxdbOptions = z
  .object({
    batchSize: z.number().int().min(1).max(10_000).default(500).describe('Documents per replication request (RxDB defaults to 20)'),
    requestTimeoutMs: z.number().int().min(1000).max(300_000).default(20_000).describe('How long a replication request may take'),
    retryTimeMs: z.number().int().min(10).max(60_000).default(1000).describe('Wait before retrying a failed replication request'),
    devMode: z.boolean().default(false).describe("RxDB's dev-mode checks (slow; for development)"),
  })
  .strict();
export type RxdbOptions = z.output<typeof RxdbOptions>;

/** Sync status events at most this often: a large sync changes the counts on every batch. */
const SYNC_EVENT_INTERVAL_MS = 200;

export const rxdb = definePlugin({
  name: 'rxdb',
  version: '1.0.0',
  api: '^2.0.0',
  description: 'Playlists stored on this device and replicated with the peers you share them with.',
  options: RxdbOptions,
  advancedOptions: ['batchSize', 'requestTimeoutMs', 'retryTimeMs', 'devMode'],
  protocol: playlistsProtocol,
  setup(ctx, options) {
    let runtime: PlaylistRuntime | undefined;
    let stopEvents = () => {};
    const running = (): PlaylistRuntime => {
      if (!runtime) throw new WhatNextError('playlists_unavailable', 'Playlists are not available yet: the playlist database is still opening.');
      return runtime;
    };
    serve(ctx, running);
    ctx.hooks.init.tapPromise(async () => {
      runtime = await startRuntime(ctx, options);
      stopEvents = relayEvents(ctx, runtime);
    });
    ctx.hooks.connectionOpened.tapPromise(async (record) => {
      runtime?.replicator.opened(record);
    });
    ctx.hooks.connectionClosed.tap((record) => {
      runtime?.replicator.closed(record);
    });
    ctx.hooks.shutdown.tapPromise(async () => {
      stopEvents();
      const stopping = runtime;
      runtime = undefined;
      await stopping?.stop().catch((error: unknown) => ctx.log('error', `closing the playlist database failed: ${describe(error)}`));
    });
  },
});

/** The plugin's methods, answered by the store (and the replicator, for sync status). */
function serve(ctx: PluginContext<PlaylistsProtocol>, runtime: () => PlaylistRuntime): void {
  const store = () => runtime().store;
  ctx.handle('playlists.list', () => store().list());
  ctx.handle('playlists.get', ({ playlistId, ...page }) => store().get(playlistId, page));
  ctx.handle('playlists.summaries', async () => store().summaries((await store().list()).map((playlist) => playlist.id)));
  ctx.handle('playlists.create', ({ name }) => store().create(name));
  ctx.handle('playlists.rename', ({ playlistId, name }) => store().rename(playlistId, name));
  ctx.handle('playlists.delete', async ({ playlistId }) => {
    await store().delete(playlistId);
    return {};
  });
  ctx.handle('playlists.share', ({ playlistId, peerId }) => store().share(playlistId, peerId));
  ctx.handle('playlists.unshare', ({ playlistId, peerId }) => store().unshare(playlistId, peerId));
  ctx.handle('tracks.add', ({ playlistId, tracks, index }) => store().addTracks(playlistId, tracks, index));
  ctx.handle('tracks.import', async ({ playlistId, text, format, index }) => {
    const read = format ?? detectFormat(text);
    return { count: await store().importTracks(playlistId, parseTrackList(text, read), index), format: read };
  });
  ctx.handle('tracks.move', ({ trackId, index }) => store().moveTrack(trackId, index));
  ctx.handle('tracks.update', ({ trackId, ...changes }) => store().updateTrack(trackId, changes));
  ctx.handle('tracks.remove', async ({ trackId }) => {
    await store().removeTrack(trackId);
    return {};
  });
  ctx.handle('tracks.removeMany', async ({ trackIds }) => {
    await store().removeTracks(trackIds);
    return {};
  });
  ctx.handle('tracks.moveMany', ({ trackIds, index }) => store().moveTracks(trackIds, index));
  ctx.handle('playlists.leave', async ({ playlistId }) => {
    const { owner } = await store().leave(playlistId);
    runtime().replicator.left(owner);
    return {};
  });
  ctx.handle('sync.status', () => runtime().syncStatus());
}

/** Playlist, track and sync changes, as the plugin's events. */
function relayEvents(ctx: PluginContext<PlaylistsProtocol>, runtime: PlaylistRuntime): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const offs = [
    runtime.store.on('playlists', (playlists) => ctx.emit('playlists.changed', { playlists })),
    runtime.store.on('tracks', (tracks) => ctx.emit('tracks.changed', { tracks })),
    runtime.onSyncChange(() => {
      timer ??= setTimeout(() => {
        timer = undefined;
        ctx.emit('sync.changed', { entries: runtime.syncStatus() });
      }, SYNC_EVENT_INTERVAL_MS);
      timer.unref?.();
    }),
  ];
  return () => {
    clearTimeout(timer);
    for (const off of offs) off();
  };
}

export { playlistsProtocol, type PlaylistsProtocol };
