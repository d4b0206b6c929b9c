/**
 * The plugin's RxDB database: its own RxDB storage on an LMDB file (lmdb-rx-storage.ts, with
 * persistent indexes), wrapped in RxDB's ajv schema validator. Persistent, crash-safe (one LMDB
 * transaction per bulk write), no document cap, no premium plugin. The same file holds the
 * plugin's small records (lmdb-web-storage.ts) and, from older versions, documents in RxDB's
 * localstorage layout, moved at open (legacy-layout.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { addRxPlugin, createRxDatabase, type RxCollection, type RxDatabase } from 'rxdb';
import { RxDBDevModePlugin, disableWarnings } from 'rxdb/plugins/dev-mode';
import { wrappedValidateAjvStorage } from 'rxdb/plugins/validate-ajv';
import { playlistSchema, trackSchema, type PlaylistDoc, type TrackDoc } from '../model/documents';
import { playlistConflictHandler, trackConflictHandler } from '../model/merge';
import { LmdbWebStorage } from './lmdb-web-storage';
import { moveLegacyLayout } from './legacy-layout';
import { getRxStorageLmdb } from './lmdb-rx-storage';
import { openDocumentsDB } from './documents-db';

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

/** The plugin's LMDB file, in its data folder. */
export const DATABASE_FILE = 'playlists.lmdb';

let devModeAdded = false;

/** Open (or create) the database in `dir`. The storage keeps each database's documents under
 * its `name`: open the same folder with the same name to see them again. */
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
  const store = new LmdbWebStorage(join(dir, DATABASE_FILE), options.onCommitError ? { onCommitError: options.onCommitError } : {});
  try {
    const db = await createRxDatabase<PlaylistCollections>({
      name,
      storage: wrappedValidateAjvStorage({ storage: getRxStorageLmdb(openDocumentsDB(store)) as never }),
      multiInstance: false,
      eventReduce: true,
      closeDuplicates: true,
    });
    const collections = await db.addCollections({
      playlists: { schema: playlistSchema, conflictHandler: playlistConflictHandler },
      tracks: { schema: trackSchema, conflictHandler: trackConflictHandler },
    });
    await moveLegacyLayout(store, collections as never);
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
