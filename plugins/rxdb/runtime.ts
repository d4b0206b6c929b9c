/**
 * What the plugin runs once the host is up: the database, the membership view, the playlist
 * store and replication. index.ts serves the plugin's protocol from it.
 */
import { type PluginContext, describe } from '@whatnext/core';
import { Leaving } from './model/leaving';
import { Sharing } from './model/sharing';
import { Epochs } from './replication/epochs';
import type { ReplicationTuning } from './replication/peer-link';
import { Replicator } from './replication/replicator';
import { SyncStatus, type SyncEntry } from './replication/status';
import { MemoryTrim } from './memory-trim';
import { openDatabase } from './storage/database';
import { PlaylistStore } from './store';

export interface RuntimeOptions extends ReplicationTuning {
  devMode: boolean;
}

export interface PlaylistRuntime {
  readonly store: PlaylistStore;
  readonly replicator: Replicator;
  syncStatus(): SyncEntry[];
  onSyncChange(listener: () => void): () => void;
  stop(): Promise<void>;
}

export async function startRuntime(ctx: Pick<PluginContext, 'dataDir' | 'local' | 'log'>, options: RuntimeOptions): Promise<PlaylistRuntime> {
  if (!ctx.dataDir) throw new Error('the rxdb plugin keeps playlists in the data folder, and this host has none');
  const local = ctx.local.id;
  const database = await openDatabase(ctx.dataDir, `wn${local}`, {
    devMode: options.devMode,
    onCommitError: (error) => ctx.log('error', `a database commit failed: ${describe(error)}`),
  });
  const collections = { playlists: database.db.playlists, tracks: database.db.tracks };
  const sharing = new Sharing(local);
  await sharing.start(collections.playlists);
  const leaving = new Leaving(database.store);
  const store = new PlaylistStore(collections, sharing, local, leaving);
  const status = new SyncStatus();
  const replicator = new Replicator({
    collections,
    sharing,
    epochs: new Epochs(database.store),
    status,
    tuning: { batchSize: options.batchSize, requestTimeoutMs: options.requestTimeoutMs, retryTimeMs: options.retryTimeMs },
    log: (level, message) => ctx.log(level, message),
    membershipNotice: (playlist) => store.membershipNotice(playlist),
    applyMembershipNotice: (from, notice) => store.applyMembershipNotice(from, notice),
    trackCounts: (playlists) => store.trackCounts(playlists),
    leaving: (owner) => leaving.askOf(owner),
    removeLeaver: (from, playlists) => store.removeLeaver(from, playlists),
  });
  // The owner's write that took this peer off a playlist it left came back (now, or while this
  // peer was not running): done asking.
  const doneLeaving = () => {
    for (const playlist of leaving.playlists) if (!sharing.isMember(playlist, local)) leaving.done(playlist);
  };
  doneLeaving();
  const stopLeaving = sharing.onChange(doneLeaving);
  replicator.start();
  const trim = new MemoryTrim();
  const stops = [
    store.on('tracks', (tracks) => {
      replicator.tracksChanged();
      trim.note(tracks.length);
    }),
    status.onDocuments((documents) => trim.note(documents)),
  ];
  return {
    store,
    replicator,
    syncStatus: () => replicator.status(),
    onSyncChange: (listener) => status.onChange(listener),
    async stop() {
      for (const stop of stops) stop();
      trim.stop();
      stopLeaving();
      await replicator.stop();
      store.stop();
      sharing.stop();
      await database.close();
    },
  };
}
