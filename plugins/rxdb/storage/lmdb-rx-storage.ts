/**
 * RxDB's `storage-localstorage` on an LMDB file, with its indexes kept in memory.
 *
 * Out of the box that storage keeps each index as one JSON array under one key, and parses and
 * rewrites every index on every write: O(documents) per write. Indexes are derived data, so here they live in memory only (the index keys are
 * ephemeral in the LMDB store) and are rebuilt from the documents when a collection opens. A
 * write then costs its own documents, and a crash can never leave an index out of step with
 * the documents: there is no stored index to be out of step.
 */
import type { RxStorage } from 'rxdb';
import { getRxStorageLocalstorage } from 'rxdb/plugins/storage-localstorage';
import type { LmdbWebStorage } from './lmdb-web-storage';

/** Key prefixes of storage-localstorage (rx-storage-instance-localstorage.ts). */
export const LOCALSTORAGE_EPHEMERAL_PREFIXES = ['RxDB-ls-changes-', 'RxDB-ls-idx-'] as const;

type IndexRow = [indexString: string, docId: string];
/** The parts of storage-localstorage's instance used here (the class is not exported). */
interface Instance {
  primaryPath: string;
  docsKey: string;
  internals: { indexes: Record<string, { index: string[]; getIndexableString(doc: unknown): string }> };
  getIndex(index: string[]): unknown;
  setIndex(index: string[], value: unknown): void;
}

export function getRxStorageLmdb(store: LmdbWebStorage): RxStorage<unknown, unknown> {
  const base = getRxStorageLocalstorage({ localStorage: store });
  return {
    name: base.name,
    rxdbVersion: base.rxdbVersion,
    async createStorageInstance(params) {
      const instance = (await base.createStorageInstance(params as never)) as unknown as Instance;
      keepIndexesInMemory(instance, store);
      return instance as never;
    },
  } as RxStorage<unknown, unknown>;
}

function keepIndexesInMemory(instance: Instance, store: LmdbWebStorage): void {
  const primary = instance.primaryPath;
  const docs = store.valuesWithPrefix(`${instance.docsKey}-`).map((text) => JSON.parse(text) as Record<string, unknown>);
  const arrays = new Map<string, IndexRow[]>();
  for (const index of Object.values(instance.internals.indexes)) {
    const rows = docs.map((doc): IndexRow => [index.getIndexableString(doc), doc[primary] as string]);
    rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    arrays.set(index.index.join('|'), rows);
  }
  // The storage mutates the array getIndex returns and hands it back to setIndex.
  instance.getIndex = (index: string[]) => {
    const name = index.join('|');
    let rows = arrays.get(name);
    if (!rows) arrays.set(name, (rows = []));
    return rows;
  };
  instance.setIndex = (index, value) => {
    arrays.set(index.join('|'), value as IndexRow[]);
  };
}
