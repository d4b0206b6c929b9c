/**
 * An RxDB storage on LMDB whose indexes live in LMDB too: nothing is rebuilt when a collection
 * opens, memory does not grow with the number of documents, and a document is parsed only when
 * it is read.
 *
 * Layout, in one named LMDB database shared by every collection of the file, `<instance>` being
 * the instance's short code (instance-codes.ts):
 * - `<instance>|d|<primary key>` → the document as JSON (compressed: documents-db.ts);
 * - `<instance>|i<n>|<index key>` → the primary key, one entry per document and index, where
 *   the index key is RxDB's index string without its padding (index-keys.ts): key order is
 *   index order, and it is unique because every index ends with the primary key.
 *
 * A bulk write is one synchronous LMDB transaction (documents and index entries together), so a
 * crash, even kill -9, leaves it wholly on disk or not at all, and a read after it sees it.
 *
 * LMDB orders keys by their UTF-8 bytes, RxDB compares index strings as UTF-16: the two agree
 * unless an indexed string field holds characters beyond U+FFFF, which no WhatNext index does.
 */
import type { Database } from 'lmdb';
import { Subject } from 'rxjs';
import { indexKeys, type IndexKeys } from './index-keys';
import { endOf, forgetInstance, instanceKeyPrefix } from './instance-codes';
import {
  categorizeBulkWriteRows,
  ensureRxStorageInstanceParamsAreCorrect,
  getPrimaryFieldOfPrimaryKey,
  getQueryMatcher,
  getSortComparator,
  getStartIndexStringFromLowerBound,
  getStartIndexStringFromUpperBound,
  now,
  RXDB_VERSION,
  type BulkWriteRow,
  type EventBulk,
  type PreparedQuery,
  type RxDocumentData,
  type RxJsonSchema,
  type RxStorage,
  type RxStorageBulkWriteResponse,
  type RxStorageChangeEvent,
  type RxStorageCountResult,
  type RxStorageDefaultCheckpoint,
  type RxStorageInstance,
  type RxStorageInstanceCreationParams,
  type RxStorageQueryResult,
} from 'rxdb';

export const RX_STORAGE_NAME_LMDB = 'whatnext-lmdb';

/** The changes feed: every document by its last write, then its key (getChangedDocumentsSince,
 * cleanup). RxDB's schemas have it already; a schema from elsewhere may not. */
const CHANGES_INDEX = ['_meta.lwt'];

interface IndexMeta<T> {
  /** Key prefix of the index's entries. */
  prefix: string;
  fields: string[];
  keys: IndexKeys<T>;
}

type Doc<T> = RxDocumentData<T>;
type Changes<T> = EventBulk<RxStorageChangeEvent<Doc<T>>, RxStorageDefaultCheckpoint>;

/** The storage in `db` (a database of an open LMDB file, string keys and values). */
export function getRxStorageLmdb(db: Database<string, string>): RxStorage<unknown, unknown> {
  return {
    name: RX_STORAGE_NAME_LMDB,
    rxdbVersion: RXDB_VERSION,
    createStorageInstance<T>(params: RxStorageInstanceCreationParams<T, unknown>) {
      ensureRxStorageInstanceParamsAreCorrect(params);
      if (params.schema.attachments)
        throw new Error(`${RX_STORAGE_NAME_LMDB}: collection ${params.collectionName} has attachments, which this storage does not keep`);
      return Promise.resolve(new LmdbStorageInstance<T>(db, params) as unknown as RxStorageInstance<T, unknown, unknown>);
    },
  } as RxStorage<unknown, unknown>;
}

/** The name of one instance (database, collection, schema version); `|` cannot be in any part
 * unescaped, so one instance's keys never fall in another's range, and `%` starts only an
 * escape, as no code does (instance-codes.ts). */
function instanceName(params: RxStorageInstanceCreationParams<unknown, unknown>): string {
  const escape = (part: string) => part.replaceAll('%', '%25').replaceAll('|', '%7C');
  return `${escape(params.databaseName)}|${escape(params.collectionName)}|${params.schema.version}`;
}

export class LmdbStorageInstance<T> implements RxStorageInstance<T, Record<string, never>, Record<string, never>, RxStorageDefaultCheckpoint> {
  readonly databaseName: string;
  readonly collectionName: string;
  readonly schema: Readonly<RxJsonSchema<Doc<T>>>;
  readonly options: Record<string, never>;
  readonly internals = {};
  readonly primaryPath: string;
  readonly #db: Database<string, string>;
  /** The instance's name, and what its keys start with (its code, or the name: instance-codes.ts). */
  readonly #name: string;
  readonly #prefix: string;
  readonly #docs: string;
  /** By the index's fields joined with `,`. */
  readonly #indexes = new Map<string, IndexMeta<T>>();
  readonly #changes = new Subject<Changes<T>>();
  #closed = false;

  constructor(db: Database<string, string>, params: RxStorageInstanceCreationParams<T, unknown>) {
    this.#db = db;
    this.databaseName = params.databaseName;
    this.collectionName = params.collectionName;
    this.schema = params.schema;
    this.options = (params.options ?? {}) as Record<string, never>;
    this.primaryPath = getPrimaryFieldOfPrimaryKey(params.schema.primaryKey);
    this.#name = instanceName(params as RxStorageInstanceCreationParams<unknown, unknown>);
    const prefix = (this.#prefix = instanceKeyPrefix(db, this.#name));
    this.#docs = `${prefix}|d|`;
    const indexes = (params.schema.indexes ?? []).map((index) => (Array.isArray(index) ? [...index] : [index as string]));
    indexes.push(CHANGES_INDEX);
    for (const index of indexes) {
      const fields = index.at(-1) === this.primaryPath ? index : [...index, this.primaryPath];
      const name = fields.join(',');
      if (this.#indexes.has(name)) continue;
      const indexPrefix = `${prefix}|i${this.#indexes.size}|`;
      this.#indexes.set(name, { prefix: indexPrefix, fields, keys: indexKeys(params.schema, fields, Buffer.byteLength(indexPrefix)) });
    }
  }

  bulkWrite(rows: BulkWriteRow<T>[], context: string): Promise<RxStorageBulkWriteResponse<T>> {
    this.#ensureOpen();
    const primary = this.primaryPath as keyof Doc<T>;
    const inDb = new Map<string, Doc<T>>();
    for (const row of rows) {
      const id = row.document[primary] as string;
      if (inDb.has(id)) continue;
      const found = this.#read(id);
      if (found) inDb.set(id, found);
    }
    const categorized = categorizeBulkWriteRows<T>(this, this.primaryPath as never, inDb, rows, context);
    if (categorized.bulkInsertDocs.length > 0 || categorized.bulkUpdateDocs.length > 0) {
      this.#db.transactionSync(() => {
        // The index entries to replace are those of the stored document (read above), whatever the
        // caller passed as `previous`; a second row for one id in this bulk replaces the first's.
        for (const { document } of [...categorized.bulkInsertDocs, ...categorized.bulkUpdateDocs]) {
          const id = document[primary] as string;
          this.#put(document, inDb.get(id));
          inDb.set(id, document);
        }
      });
    }
    if (categorized.eventBulk.events.length > 0) {
      const last = categorized.newestRow!.document;
      categorized.eventBulk.checkpoint = { id: last[primary] as string, lwt: last._meta.lwt };
      this.#changes.next(categorized.eventBulk as Changes<T>);
    }
    return Promise.resolve({ error: categorized.errors });
  }

  findDocumentsById(ids: string[], withDeleted: boolean): Promise<Doc<T>[]> {
    this.#ensureOpen();
    const found: Doc<T>[] = [];
    for (const id of ids) {
      const doc = this.#read(id);
      if (doc && (withDeleted || !doc._deleted)) found.push(doc);
    }
    return Promise.resolve(found);
  }

  query(prepared: PreparedQuery<T>): Promise<RxStorageQueryResult<T>> {
    this.#ensureOpen();
    const { query, queryPlan: plan } = prepared;
    const skip = query.skip ?? 0;
    const limit = typeof query.limit === 'number' ? query.limit : Infinity;
    if (limit === 0) return Promise.resolve({ documents: [] });
    const matches = plan.selectorSatisfiedByIndex ? undefined : getQueryMatcher(this.schema, query);
    const backwards = readsBackwards(plan, query);
    const resort = !plan.sortSatisfiedByIndex && !backwards;
    let documents: Doc<T>[] = [];
    for (const id of this.#range(plan, backwards)) {
      const doc = this.#read(id);
      if (!doc || (matches && !matches(doc))) continue;
      documents.push(doc);
      if (!resort && documents.length >= skip + limit) break;
    }
    if (resort) documents.sort(getSortComparator(this.schema, query));
    if (skip > 0 || documents.length > skip + limit) documents = documents.slice(skip, skip + limit);
    return Promise.resolve({ documents });
  }

  async count(prepared: PreparedQuery<T>): Promise<RxStorageCountResult> {
    this.#ensureOpen();
    // The index answers alone when it decides the selector: LMDB counts the range, and no
    // document (nor any key) is read into JavaScript.
    const plan = prepared.queryPlan;
    if (plan.selectorSatisfiedByIndex && !prepared.query.skip && prepared.query.limit === undefined) {
      const { index, lower, upper } = this.#bounds(plan);
      if (lower > upper) return { count: 0, mode: 'fast' };
      const [first, last] = [index.prefix + lower, index.prefix + upper];
      // LMDB's range includes its start and excludes its end; the plan says which bound is in.
      const count =
        this.#db.getCount({ start: first, end: last }) +
        (plan.inclusiveEnd && this.#db.doesExist(last) ? 1 : 0) -
        (!plan.inclusiveStart && this.#db.doesExist(first) ? 1 : 0);
      return { count, mode: 'fast' };
    }
    const { documents } = await this.query({ ...prepared, query: { ...prepared.query, skip: 0, limit: undefined as never } });
    return { count: documents.length, mode: 'slow' };
  }

  /** Documents written after `checkpoint`, oldest first: a range of the changes index from just
   * past the checkpoint, so no page reads a document an earlier page returned. */
  getChangedDocumentsSince(limit: number, checkpoint?: RxStorageDefaultCheckpoint): Promise<{ documents: Doc<T>[]; checkpoint: RxStorageDefaultCheckpoint }> {
    this.#ensureOpen();
    const index = this.#index(CHANGES_INDEX);
    let start = index.prefix;
    if (checkpoint) {
      const at = { _meta: { lwt: checkpoint.lwt }, [this.primaryPath]: checkpoint.id } as unknown as Doc<T>;
      start += index.keys.of(at);
    }
    const documents: Doc<T>[] = [];
    for (const { key, value } of this.#db.getRange({ start, end: endOf(index.prefix) })) {
      if (key === start) continue;
      const doc = this.#read(value);
      if (doc) documents.push(doc);
      if (documents.length >= limit) break;
    }
    const last = documents.at(-1);
    return Promise.resolve({
      documents,
      checkpoint: last ? { id: last[this.primaryPath as keyof Doc<T>] as string, lwt: last._meta.lwt } : (checkpoint ?? { id: '', lwt: 0 }),
    });
  }

  getAttachmentData(): Promise<Blob> {
    return Promise.reject(new Error(`${RX_STORAGE_NAME_LMDB} keeps no attachments`));
  }

  changeStream() {
    return this.#changes.asObservable();
  }

  /** Removes documents deleted more than `minimumDeletedTime` ms ago, for good. It walks the
   * changes index up to that time, reading each document there: cleanup is rare (RxDB's cleanup
   * plugin, which WhatNext does not run), so no index of deleted documents is kept for it. */
  cleanup(minimumDeletedTime: number): Promise<boolean> {
    this.#ensureOpen();
    const before = now() - minimumDeletedTime;
    const index = this.#index(CHANGES_INDEX);
    const gone: Doc<T>[] = [];
    for (const { value } of this.#db.getRange({ start: index.prefix, end: endOf(index.prefix) })) {
      const doc = this.#read(value);
      if (!doc) continue;
      if (doc._meta.lwt > before) break;
      if (doc._deleted) gone.push(doc);
    }
    if (gone.length > 0) {
      this.#db.transactionSync(() => {
        for (const doc of gone) {
          this.#db.removeSync(this.#docs + (doc[this.primaryPath as keyof Doc<T>] as string));
          for (const meta of this.#indexes.values()) this.#db.removeSync(meta.prefix + meta.keys.of(doc));
        }
      });
    }
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#changes.complete();
    }
    return Promise.resolve();
  }

  async remove(): Promise<void> {
    this.#ensureOpen();
    const prefix = `${this.#prefix}|`;
    const keys = [...this.#db.getKeys({ start: prefix, end: endOf(prefix) })];
    this.#db.transactionSync(() => {
      for (const key of keys) this.#db.removeSync(key);
      forgetInstance(this.#db, this.#name);
    });
    await this.close();
  }

  #ensureOpen(): void {
    if (this.#closed) throw new Error(`${RX_STORAGE_NAME_LMDB}: the storage instance of ${this.databaseName}/${this.collectionName} is closed`);
  }

  #index(fields: string[]): IndexMeta<T> {
    return this.#indexes.get([...fields, this.primaryPath].join(','))!;
  }

  #read(id: string): Doc<T> | undefined {
    const text = this.#db.get(this.#docs + id);
    return text === undefined ? undefined : (JSON.parse(text) as Doc<T>);
  }

  /** The document and its index entries; the entries of `stored` (what the key held) that
   * changed go. Inside a transaction. */
  #put(doc: Doc<T>, stored: Doc<T> | undefined): void {
    const id = doc[this.primaryPath as keyof Doc<T>] as string;
    this.#db.putSync(this.#docs + id, JSON.stringify(doc));
    for (const meta of this.#indexes.values()) {
      const key = meta.keys.of(doc);
      const old = stored && meta.keys.of(stored);
      if (old === key) continue;
      if (old !== undefined) this.#db.removeSync(meta.prefix + old);
      this.#db.putSync(meta.prefix + key, id);
    }
  }

  /** The plan's index and the keys its range runs between. */
  #bounds(plan: QueryPlan): { index: IndexMeta<T>; lower: string; upper: string } {
    const index = this.#indexes.get(plan.index.join(','));
    if (!index) throw new Error(`${RX_STORAGE_NAME_LMDB}: ${this.collectionName} has no index ${plan.index.join(',')}`);
    const lower = index.keys.compact(getStartIndexStringFromLowerBound(this.schema, plan.index, plan.startKeys));
    const upper = index.keys.compact(getStartIndexStringFromUpperBound(this.schema, plan.index, plan.endKeys));
    return { index, lower, upper };
  }

  /** Primary keys in the plan's index range, in index order or its reverse. */
  *#range(plan: QueryPlan, backwards = false): Generator<string> {
    const { index, lower, upper } = this.#bounds(plan);
    if (lower > upper) return;
    const range = backwards
      ? this.#db.getRange({ start: index.prefix + upper, end: index.prefix, reverse: true })
      : this.#db.getRange({ start: index.prefix + lower, end: endOf(index.prefix) });
    for (const { key, value } of range) {
      const at = key.slice(index.prefix.length);
      const belowStart = at < lower || (!plan.inclusiveStart && at === lower);
      const pastEnd = at > upper || (!plan.inclusiveEnd && at === upper);
      if (backwards ? belowStart : pastEnd) return;
      if (!belowStart && !pastEnd) yield value;
    }
  }
}

type QueryPlan = PreparedQuery<unknown>['queryPlan'];

/** RxDB's planner re-sorts every descending sort. One that is exactly the plan's index read
 * backwards (every sort field descending, in the index's order after the fields the selector
 * fixes with $eq) needs no sort: the range is read from its end, and stops at the limit. Ties
 * are then as in any index read: a string ending in spaces ties with the string without them
 * (RxDB's padding), where the sort comparator would put it after. */
function readsBackwards(plan: QueryPlan, query: PreparedQuery<unknown>['query']): boolean {
  if (plan.sortSatisfiedByIndex) return false;
  const selector = query.selector as Record<string, unknown>;
  const fixed = (field: string) => {
    const condition = selector[field];
    return typeof condition === 'object' && condition !== null && '$eq' in condition;
  };
  let first = 0;
  while (first < plan.index.length && fixed(plan.index[first]!)) first++;
  const rest = plan.index.slice(first);
  const sort = query.sort.map((part) => Object.entries(part)[0]!);
  return sort.length === rest.length && sort.every(([field, direction], i) => direction === 'desc' && field === rest[i]);
}
