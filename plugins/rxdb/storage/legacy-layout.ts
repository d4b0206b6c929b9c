/**
 * Playlists written before the LMDB storage kept its own indexes: RxDB's `storage-localstorage`
 * layout in the same file (one key per document, `RxDB-ls-doc-<database>--<collection>--<schema
 * version>-<id>`, and whole indexes under other `RxDB-ls-` keys). Opening such a file moves its
 * documents into the new storage as they were (revision, last-write time, deletions) and then
 * removes the old keys, so nothing a user had is lost on upgrading.
 *
 * A crash in between is harmless: the move runs again at the next open, and documents already
 * moved are skipped (the storage refuses them as conflicts).
 */
import type { RxCollection, RxDocumentData } from 'rxdb';
import type { LmdbWebStorage } from './lmdb-web-storage';

const LEGACY_PREFIX = 'RxDB-ls-';
const LEGACY_DOC = /^RxDB-ls-doc-.+?--([^-]+)--0-/;
/** Documents per write: the move of a large library holds one batch of it at a time. */
const BATCH = 5000;

/** Moves the legacy layout's documents of `collections` into them; returns how many. */
export async function moveLegacyLayout(store: LmdbWebStorage, collections: Record<string, RxCollection>): Promise<number> {
  const keys = store.keysWithPrefix(LEGACY_PREFIX);
  if (keys.length === 0) return 0;
  const byCollection = new Map<string, string[]>();
  for (const key of keys) {
    const collection = LEGACY_DOC.exec(key)?.[1];
    if (!collection || !(collection in collections)) continue;
    let keysOf = byCollection.get(collection);
    if (!keysOf) byCollection.set(collection, (keysOf = []));
    keysOf.push(key);
  }
  let moved = 0;
  for (const [name, docKeys] of byCollection) {
    const instance = collections[name]!.internalStorageInstance;
    for (let i = 0; i < docKeys.length; i += BATCH) {
      const batch = docKeys.slice(i, i + BATCH);
      const rows = batch.map((key) => ({ document: JSON.parse(store.getItem(key)!) as RxDocumentData<unknown> }));
      const { error } = await instance.bulkWrite(rows, 'whatnext-legacy-layout');
      const failed = error.find((problem) => problem.status !== 409);
      if (failed) throw new Error(`moving ${name} from the old storage layout failed at document ${failed.documentId} (status ${failed.status})`);
      moved += rows.length - error.length;
      // Written: their old keys go (and their text leaves the store's memory) batch by batch.
      for (const key of batch) store.removeItem(key);
      store.flush();
    }
  }
  for (const key of store.keysWithPrefix(LEGACY_PREFIX)) store.removeItem(key);
  store.flush();
  return moved;
}
