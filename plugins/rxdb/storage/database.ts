/**
 * The plugin's RxDB database: RxDB's free `storage-localstorage` over an LMDB file (see
 * lmdb-web-storage.ts and lmdb-rx-storage.ts), wrapped in RxDB's ajv schema validator. Persistent, crash-safe (one
 * LMDB transaction per bulk write), no document cap, no premium plugin.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { addRxPlugin, createRxDatabase, type RxCollection, type RxDatabase } from 'rxdb';
import { RxDBDevModePlugin, disableWarnings } from 'rxdb/plugins/dev-mode';
import { wrappedValidateAjvStorage } from 'rxdb/plugins/validate-ajv';
import { playlistSchema, trackSchema, type PlaylistDoc, type TrackDoc } from '../model/documents';
import { playlistConflictHandler, trackConflictHandler } from '../model/merge';
import { LmdbWebStorage } from './lmdb-web-storage';
import { LOCALSTORAGE_EPHEMERAL_PREFIXES, getRxStorageLmdb } from './lmdb-rx-storage';

export interface PlaylistCollections {
  playlists: RxCollection<PlaylistDoc>;
  tracks: RxCollection<TrackDoc>;
}
export type PlaylistDatabase = RxDatabase<PlaylistCollections>;

export interface OpenedDatabase {
  db: PlaylistDatabase;
  store: LmdbWebStorage;
  close(): Promise<void>;
}

let devModeAdded = false;

/** Open (or create) the database in `dir`. `name` must be unique in the process: RxDB's
 * localstorage storage routes change events by database name. */
export async function openDatabase(
  dir: string,
  name: string,
  options: { devMode?: boolean; onCommitError?: (error: unknown) => void } = {},
): Promise<OpenedDatabase> {
  if (options.devMode && !devModeAdded) {
    devModeAdded = true;
    disableWarnings();
    addRxPlugin(RxDBDevModePlugin);
  }
  mkdirSync(dir, { recursive: true });
  const store = new LmdbWebStorage(join(dir, 'playlists.lmdb'), {
    ephemeralPrefixes: LOCALSTORAGE_EPHEMERAL_PREFIXES,
    ...(options.onCommitError ? { onCommitError: options.onCommitError } : {}),
  });
  try {
    const db = await createRxDatabase<PlaylistCollections>({
      name,
      storage: wrappedValidateAjvStorage({ storage: getRxStorageLmdb(store) as never }),
      multiInstance: false,
      eventReduce: true,
      closeDuplicates: true,
    });
    await db.addCollections({
      playlists: { schema: playlistSchema, conflictHandler: playlistConflictHandler },
      tracks: { schema: trackSchema, conflictHandler: trackConflictHandler },
    });
    return {
      db,
      store,
      async close() {
        await db.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
