/**
 * The LMDB storage against RxDB's storage contract (RxStorageInstance), case by case as RxDB's
 * own storage suite checks its storages: writes and conflicts, reads with and without deleted
 * documents, queries (answered the same as RxDB's memory storage, for random documents and
 * queries), counts, the changes feed, the change stream, cleanup, removal, isolation between
 * instances, persistence across reopening, and the move from the old layout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { open } from 'lmdb';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createRxDatabase,
  fillWithDefaultSettings,
  normalizeMangoQuery,
  prepareQuery,
  type BulkWriteRow,
  type MangoQuery,
  type RxDocumentData,
  type RxJsonSchema,
  type RxStorage,
  type RxStorageChangeEvent,
  type RxStorageInstance,
} from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { getRxStorageLocalstorage } from 'rxdb/plugins/storage-localstorage';
import { LmdbWebStorage } from '../storage/lmdb-web-storage';
import { getRxStorageLmdb } from '../storage/lmdb-rx-storage';
import { DOCUMENT_DICTIONARY, openDocumentsDB } from '../storage/documents-db';
import { DATABASE_FILE, openDatabase } from '../storage/database';
import { trackSchema } from '../model/documents';
import { tempDir } from '../../../host/service/testing/temp-dirs';
import { instanceParams } from '../testing/storage-params';

interface Song {
  id: string;
  album: string;
  year: number;
  rating?: number;
  tags: { genre: string };
}

const schema: RxJsonSchema<RxDocumentData<Song>> = fillWithDefaultSettings({
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 40 },
    album: { type: 'string', maxLength: 20 },
    year: { type: 'integer', minimum: 1900, maximum: 2100, multipleOf: 1 },
    rating: { type: 'number', minimum: 0, maximum: 10 },
    tags: { type: 'object', properties: { genre: { type: 'string', maxLength: 20 } }, required: ['genre'] },
  },
  required: ['id', 'album', 'year', 'tags'],
  indexes: ['album', ['year', 'album'], 'tags.genre'],
});

const CONTEXT = 'lmdb-storage.test';
const stores: LmdbWebStorage[] = [];
const instances: RxStorageInstance<Song, unknown, unknown>[] = [];
afterEach(async () => {
  for (const instance of instances.splice(0)) await instance.close();
  for (const store of stores.splice(0)) await store.close();
});

function openStore(path = join(tempDir('whatnext-lmdb-storage-'), 'db.lmdb')): { store: LmdbWebStorage; storage: RxStorage<unknown, unknown>; path: string } {
  const store = new LmdbWebStorage(path);
  stores.push(store);
  return { store, storage: getRxStorageLmdb(openDocumentsDB(store)), path };
}

async function instanceOf(
  storage: RxStorage<unknown, unknown>,
  collectionName = 'songs',
  databaseName = 'db',
): Promise<RxStorageInstance<Song, unknown, unknown>> {
  const instance = (await storage.createStorageInstance<Song>(instanceParams(collectionName, schema, databaseName))) as RxStorageInstance<
    Song,
    unknown,
    unknown
  >;
  instances.push(instance);
  return instance;
}

let revision = 0;
function song(id: string, fields: Partial<Song> = {}, lwt = 1000): RxDocumentData<Song> {
  return { id, album: 'a', year: 2000, tags: { genre: 'pop' }, ...fields, _deleted: false, _attachments: {}, _rev: `1-${++revision}`, _meta: { lwt } };
}

function edited(doc: RxDocumentData<Song>, fields: Partial<RxDocumentData<Song>>, lwt = doc._meta.lwt + 1): RxDocumentData<Song> {
  const generation = Number(doc._rev.split('-')[0]) + 1;
  return { ...doc, ...fields, _rev: `${generation}-${++revision}`, _meta: { lwt } };
}

async function write(instance: RxStorageInstance<Song, unknown, unknown>, rows: BulkWriteRow<Song>[]) {
  return instance.bulkWrite(rows, CONTEXT);
}

/** A store whose instance holds s1 (x, 1999) and s2 (y, 2001), the instance closed. */
async function storeWithTwoSongs(): Promise<ReturnType<typeof openStore>> {
  const opened = openStore();
  const instance = await instanceOf(opened.storage);
  await write(instance, [{ document: song('s1', { album: 'x', year: 1999 }) }, { document: song('s2', { album: 'y', year: 2001 }) }]);
  await instance.close();
  instances.splice(instances.indexOf(instance), 1);
  return opened;
}

const run = (instance: RxStorageInstance<Song, unknown, unknown>, query: MangoQuery<Song>) =>
  instance.query(prepareQuery(schema, normalizeMangoQuery(schema, query as never)));
const ids = (docs: { id: string }[]) => docs.map((doc) => doc.id);

describe('the LMDB storage: writes', () => {
  it('inserts, then refuses a second insert of the same id with 409, the stored document and no extra fields', async () => {
    const instance = await instanceOf(openStore().storage);
    const doc = song('s1');
    expect((await write(instance, [{ document: doc }])).error).toEqual([]);
    const { error } = await write(instance, [{ document: song('s1', { album: 'other' }) }]);
    expect(error).toHaveLength(1);
    expect(error[0]).toMatchObject({ status: 409, documentId: 's1', isError: true });
    expect((error[0] as { documentInDb: unknown }).documentInDb).toEqual(doc);
    expect(await instance.findDocumentsById(['s1'], false)).toEqual([doc]);
  });

  it('of two inserts of one id at once, the first lands and the second conflicts', async () => {
    const instance = await instanceOf(openStore().storage);
    const [first, second] = await Promise.all([
      write(instance, [{ document: song('s1', { album: 'first' }) }]),
      write(instance, [{ document: song('s1', { album: 'second' }) }]),
    ]);
    expect(first.error).toEqual([]);
    expect(second.error.map((problem) => problem.status)).toEqual([409]);
    expect((await instance.findDocumentsById(['s1'], false))[0]!.album).toBe('first');
  });

  it('updates only from the revision it holds; a stale previous conflicts and changes nothing', async () => {
    const instance = await instanceOf(openStore().storage);
    const v1 = song('s1');
    await write(instance, [{ document: v1 }]);
    const v2 = edited(v1, { album: 'b' });
    expect((await write(instance, [{ previous: v1, document: v2 }])).error).toEqual([]);
    const stale = await write(instance, [{ previous: v1, document: edited(v1, { album: 'c' }) }]);
    expect(stale.error.map((problem) => problem.status)).toEqual([409]);
    expect(await instance.findDocumentsById(['s1'], false)).toEqual([v2]);
    // The index follows the update: found under the new album, not the old.
    expect(ids((await run(instance, { selector: { album: 'b' } })).documents)).toEqual(['s1']);
    expect((await run(instance, { selector: { album: 'a' } })).documents).toEqual([]);
  });

  it('two rows for one id in a bulk leave one document and only its index entries', async () => {
    const instance = await instanceOf(openStore().storage);
    await write(instance, [{ document: song('s1', { album: 'x' }) }, { document: song('s1', { album: 'y' }) }]);
    const [stored] = await instance.findDocumentsById(['s1'], false);
    for (const album of ['x', 'y']) {
      const selector = { album, _deleted: false } as MangoQuery<Song>['selector'];
      expect(ids((await run(instance, { selector })).documents)).toEqual(album === stored!.album ? ['s1'] : []);
      const counted = await instance.count(prepareQuery(schema, normalizeMangoQuery(schema, { selector } as never)));
      expect(counted.count).toBe(album === stored!.album ? 1 : 0);
    }
    expect((await instance.getChangedDocumentsSince!(10)).documents).toHaveLength(1);
  });

  it('refuses an index whose keys could outgrow LMDB, naming it', async () => {
    const { storage } = openStore();
    const wide = fillWithDefaultSettings({
      version: 0,
      primaryKey: 'id',
      type: 'object',
      properties: { id: { type: 'string', maxLength: 40 }, text: { type: 'string', maxLength: 1000 } },
      required: ['id', 'text'],
      indexes: ['text'],
    });
    await expect((async () => storage.createStorageInstance(instanceParams('wide', wide)))()).rejects.toThrow(
      /the index _deleted, text, id can make keys of \d+ bytes/,
    );
  });

  it('a deleted document is found by id only with deleted ones, and by queries that do not exclude it', async () => {
    const instance = await instanceOf(openStore().storage);
    const v1 = song('s1');
    await write(instance, [{ document: v1 }, { document: song('s2') }]);
    const gone = edited(v1, { _deleted: true });
    await write(instance, [{ previous: v1, document: gone }]);
    expect(await instance.findDocumentsById(['s1', 's2'], false)).toHaveLength(1);
    expect(await instance.findDocumentsById(['s1'], true)).toEqual([gone]);
    // As RxDB's collections ask (they add `_deleted: false`); the storage itself hides nothing.
    const live = { selector: { _deleted: { $eq: false } } } as MangoQuery<Song>;
    expect(ids((await run(instance, live)).documents)).toEqual(['s2']);
    expect((await instance.count(prepareQuery(schema, normalizeMangoQuery(schema, live as never)))).count).toBe(1);
    expect(ids((await run(instance, { selector: {} })).documents).sort()).toEqual(['s1', 's2']);
  });

  it('a closed instance refuses work with a message naming it', async () => {
    const instance = await instanceOf(openStore().storage, 'closing');
    await instance.close();
    await expect(async () => instance.findDocumentsById(['x'], false)).rejects.toThrow(/closing is closed/);
  });

  it('refuses a collection with attachments, saying so', async () => {
    const { storage } = openStore();
    const withAttachments = { ...schema, attachments: {} };
    await expect((async () => storage.createStorageInstance(instanceParams('files', withAttachments)))()).rejects.toThrow(/files has attachments/);
  });
});

describe('the LMDB storage: queries', () => {
  // Spaces, prefixes of one another, the empty string: where cutting RxDB's padding could go
  // wrong. (A value ending in spaces ties with the value without them in every RxDB index.)
  const ALBUMS = ['a', 'b', 'c', 'zz', 'é', 'a b', 'ab', '', ' a', 'a  c'];
  const GENRES = ['pop', 'rock', 'jazz', 'po p', 'p'];

  /** Random documents and queries, answered by this storage and by RxDB's memory storage. */
  it('answers random queries (ranges, sorts both ways, skip, limit, selectors off the index) exactly as RxDB memory storage does', async () => {
    const lmdb = await instanceOf(openStore().storage);
    const memory = (await getRxStorageMemory().createStorageInstance<Song>(
      instanceParams('songs', schema, `mem${Math.random()}`),
    )) as unknown as RxStorageInstance<Song, unknown, unknown>;
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n) as number;
    const docs = Array.from({ length: 300 }, (_, i) =>
      song(
        `s${String(i).padStart(4, '0')}`,
        {
          album: ALBUMS[random(ALBUMS.length)]!,
          year: 1990 + random(30),
          ...(random(3) > 0 ? { rating: random(11) } : {}),
          tags: { genre: GENRES[random(GENRES.length)]! },
        },
        1000 + random(5),
      ),
    );
    for (const instance of [lmdb, memory])
      await write(
        instance,
        docs.map((document) => ({ document })),
      );
    // Some deletions and updates, the same on both.
    for (const doc of docs.slice(0, 40)) {
      const next = random(2) ? edited(doc, { _deleted: true }) : edited(doc, { album: ALBUMS[random(ALBUMS.length)]!, year: 1990 + random(30) });
      for (const instance of [lmdb, memory]) expect((await write(instance, [{ previous: doc, document: next }])).error).toEqual([]);
    }
    const selectors = (): MangoQuery<Song>['selector'][] => {
      const year = 1990 + random(30);
      const album = ALBUMS[random(ALBUMS.length)]!;
      return [
        {},
        { album },
        { album: { $gt: album } },
        { album: { $lte: album }, year: { $gte: year } },
        { year: { $gt: year, $lt: year + 6 } },
        { year, album },
        { 'tags.genre': GENRES[random(GENRES.length)]! },
        { rating: { $gte: random(11) } },
        { album: { $in: [album, 'c'] } },
        { $or: [{ album }, { year: { $lt: year } }] },
        { id: { $gt: `s0${random(3)}` } },
        { _deleted: false, album } as MangoQuery<Song>['selector'],
        { _deleted: false, year: { $lte: year } } as MangoQuery<Song>['selector'],
      ];
    };
    // Descending sorts that are an index read backwards (read from the range's end) and that are not (sorted).
    const sorts: MangoQuery<Song>['sort'][] = [
      undefined,
      [{ year: 'asc' }],
      [{ year: 'desc' }, { id: 'asc' }],
      [{ album: 'asc' }, { year: 'desc' }],
      [{ 'tags.genre': 'asc' }],
      [{ album: 'desc' }, { id: 'desc' }],
      [{ year: 'desc' }, { album: 'desc' }, { id: 'desc' }],
      [{ id: 'desc' }],
    ];
    let compared = 0;
    for (let round = 0; round < 8; round++) {
      for (const selector of selectors()) {
        for (const sort of sorts) {
          const query: MangoQuery<Song> = {
            selector,
            ...(sort ? { sort } : {}),
            ...(random(2) ? { skip: random(20) } : {}),
            ...(random(2) ? { limit: 1 + random(40) } : {}),
          };
          const expected = ids((await run(memory, query)).documents);
          expect(ids((await run(lmdb, query)).documents), JSON.stringify(query)).toEqual(expected);
          const counted = { selector };
          const prepared = prepareQuery(schema, normalizeMangoQuery(schema, counted as never));
          expect((await lmdb.count(prepared)).count, JSON.stringify(counted)).toBe((await memory.count(prepared)).count);
          compared++;
        }
      }
    }
    expect(compared).toBe(8 * 13 * 8);
    await memory.close();
  });

  it('counts from the index alone when the index decides the selector', async () => {
    const instance = await instanceOf(openStore().storage);
    await write(instance, [{ document: song('s1', { album: 'x' }) }, { document: song('s2', { album: 'x' }) }, { document: song('s3', { album: 'y' }) }]);
    const count = await instance.count(prepareQuery(schema, normalizeMangoQuery(schema, { selector: { album: 'x', _deleted: false } } as never)));
    expect(count).toEqual({ count: 2, mode: 'fast' });
  });
});

describe('the LMDB storage: changes', () => {
  it('pages through every change once, in write order, even when a whole write shares one time', async () => {
    const instance = await instanceOf(openStore().storage);
    const docs = Array.from({ length: 250 }, (_, i) => song(`s${String(249 - i).padStart(3, '0')}`, {}, 5000));
    await write(
      instance,
      docs.map((document) => ({ document })),
    );
    const later = edited(docs[10]!, { album: 'later' }, 6000);
    await write(instance, [{ previous: docs[10]!, document: later }]);
    const seen: string[] = [];
    let checkpoint: { id: string; lwt: number } | undefined;
    for (let page = 0; page < 100; page++) {
      const result = await instance.getChangedDocumentsSince!(32, checkpoint as never);
      if (result.documents.length === 0) break;
      seen.push(...ids(result.documents));
      checkpoint = result.checkpoint as never;
    }
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    expect(seen.at(-1)).toBe(later.id);
    expect(seen.slice(0, -1)).toEqual(ids(docs.filter((doc) => doc.id !== later.id)).sort());
    expect(checkpoint).toEqual({ id: later.id, lwt: 6000 });
    // From the last checkpoint nothing is left; from none, everything again.
    expect((await instance.getChangedDocumentsSince!(10, checkpoint as never)).documents).toEqual([]);
    expect((await instance.getChangedDocumentsSince!(1000)).documents).toHaveLength(250);
  });

  it('streams each write as one bulk of events with its operations and the checkpoint of its newest document', async () => {
    const instance = await instanceOf(openStore().storage);
    const bulks: { events: RxStorageChangeEvent<RxDocumentData<Song>>[]; checkpoint: unknown }[] = [];
    const subscription = instance.changeStream().subscribe((bulk) => bulks.push(bulk as never));
    const v1 = song('s1', {}, 10);
    await write(instance, [{ document: v1 }, { document: song('s2', {}, 10) }]);
    await write(instance, [{ previous: v1, document: edited(v1, { _deleted: true }, 20) }]);
    await write(instance, [{ document: song('s2') }]); // a conflict: no event
    subscription.unsubscribe();
    expect(bulks.map((bulk) => bulk.events.map((event) => `${event.operation} ${event.documentId}`))).toEqual([['INSERT s1', 'INSERT s2'], ['DELETE s1']]);
    expect(bulks.map((bulk) => bulk.checkpoint)).toEqual([
      { id: 's2', lwt: 10 },
      { id: 's1', lwt: 20 },
    ]);
  });

  it('cleanup removes documents deleted long enough ago, for good, and keeps the rest', async () => {
    const instance = await instanceOf(openStore().storage);
    const old = song('old', {}, 1);
    const fresh = song('fresh', {}, 1);
    await write(instance, [{ document: old }, { document: fresh }, { document: song('kept') }]);
    await write(instance, [
      { previous: old, document: edited(old, { _deleted: true }, Date.now() - 60_000) },
      { previous: fresh, document: edited(fresh, { _deleted: true }, Date.now()) },
    ]);
    expect(await instance.cleanup(30_000)).toBe(true);
    expect(ids(await instance.findDocumentsById(['old', 'fresh', 'kept'], true)).sort()).toEqual(['fresh', 'kept']);
    expect((await instance.getChangedDocumentsSince!(10)).documents.map((doc) => doc.id)).not.toContain('old');
  });
});

describe('the LMDB storage: instances and the file', () => {
  it('keeps databases, collections and schema versions apart, also names that prefix one another or hold the separator', async () => {
    const { storage } = openStore();
    const a = await instanceOf(storage, 'a');
    const ab = await instanceOf(storage, 'a|b');
    const abc = await instanceOf(storage, 'abc');
    const other = await instanceOf(storage, 'a', 'db2');
    await write(a, [{ document: song('in-a') }]);
    await write(ab, [{ document: song('in-ab') }]);
    await write(abc, [{ document: song('in-abc') }]);
    await write(other, [{ document: song('in-other') }]);
    for (const [instance, id] of [
      [a, 'in-a'],
      [ab, 'in-ab'],
      [abc, 'in-abc'],
      [other, 'in-other'],
    ] as const) {
      expect(ids((await run(instance, { selector: {} })).documents)).toEqual([id]);
      expect(ids((await instance.getChangedDocumentsSince!(10)).documents)).toEqual([id]);
    }
    await a.remove();
    expect(ids((await run(ab, { selector: {} })).documents)).toEqual(['in-ab']);
    expect(ids((await run(other, { selector: {} })).documents)).toEqual(['in-other']);
    const again = await instanceOf(storage, 'a');
    expect((await run(again, { selector: {} })).documents).toEqual([]);
  });

  it('writes an instance under a short code in place of its long name, and forgets the code with the instance', async () => {
    const { store, storage } = openStore();
    const name = 'rx-replication-meta-' + 'f'.repeat(64);
    const instance = await instanceOf(storage, name);
    await write(instance, [{ document: song('s1', { album: 'x' }) }]);
    const keys = [...store.openDB('rxdb').getKeys({})].map(String);
    const ofInstance = keys.filter((key) => key.includes('|d|') || /\|i\d+\|/.test(key));
    expect(ofInstance.length).toBeGreaterThan(0);
    for (const key of ofInstance) expect(key.startsWith('%~') && !key.includes(name)).toBe(true);
    await instance.remove();
    instances.splice(instances.indexOf(instance), 1);
    expect([...store.openDB('rxdb').getKeys({})].map(String).filter((key) => key.includes(name) || key.startsWith('%~'))).toEqual([]);
  });

  it('reads an instance written before codes, under its whole name, where it is', async () => {
    const first = await storeWithTwoSongs();
    // Back to the layout before codes: every key under the instance's name, no code given.
    const db = openDocumentsDB(first.store);
    const [registry] = [...db.getRange({ start: '%!c|', end: '%!c}' })];
    const code = registry!.value;
    db.transactionSync(() => {
      for (const { key, value } of [...db.getRange({ start: `${code}|`, end: `${code}}` })]) {
        db.putSync(String(registry!.key).slice('%!c|'.length) + String(key).slice(code.length), value);
        db.removeSync(key);
      }
      db.removeSync(registry!.key);
    });
    await first.store.close();
    const second = openStore(first.path);
    const reopened = await instanceOf(second.storage);
    expect(ids((await run(reopened, { selector: { year: { $gt: 2000 } } })).documents)).toEqual(['s2']);
    await write(reopened, [{ document: song('s3', { album: 'z', year: 2002 }) }]);
    expect(ids((await run(reopened, { selector: {}, sort: [{ album: 'asc' }] })).documents)).toEqual(['s1', 's2', 's3']);
    expect([...second.store.openDB('rxdb').getKeys({ start: '%~', end: '%\u007f' })]).toEqual([]);
  });

  it('finds everything by index after the file is closed and opened again, with nothing rebuilt', async () => {
    const first = await storeWithTwoSongs();
    await first.store.close();
    const second = openStore(first.path);
    const reopened = await instanceOf(second.storage);
    expect(ids((await run(reopened, { selector: { year: { $gt: 2000 } } })).documents)).toEqual(['s2']);
    expect(ids((await run(reopened, { selector: {}, sort: [{ album: 'asc' }] })).documents)).toEqual(['s1', 's2']);
  });

  it('kill -9 in the middle of bulk writes leaves each one whole or absent, its index entries with it', async () => {
    const path = join(tempDir('whatnext-lmdb-crash-'), 'db.lmdb');
    const child = fork(fileURLToPath(new URL('../testing/fixtures/crash-rx-writer.ts', import.meta.url)), [path], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve) => child.on('message', (round) => Number(round) >= 60 && resolve()));
    child.kill('SIGKILL');
    await exited;
    const { storage } = openStore(path);
    const instance = (await storage.createStorageInstance(instanceParams('tracks', fillWithDefaultSettings(trackSchema), 'crash'))) as RxStorageInstance<
      { id: string; playlist: string },
      unknown,
      unknown
    >;
    const all = (await instance.getChangedDocumentsSince!(1_000_000)).documents;
    const rounds = new Map<string, number>();
    for (const doc of all) rounds.set(doc.playlist, (rounds.get(doc.playlist) ?? 0) + 1);
    expect(rounds.size).toBeGreaterThanOrEqual(60);
    expect([...rounds.values()].every((n) => n === 50)).toBe(true);
    // Every round's index entries are there too: each is found by its playlist.
    for (const playlist of rounds.keys()) {
      const found = await instance.count(prepareQuery(instance.schema as never, normalizeMangoQuery(instance.schema as never, { selector: { playlist } })));
      expect(found.count).toBe(50);
    }
    await instance.close();
  });

  it('moves playlists from the old layout (RxDB localstorage keys in the same file) as they were, and drops the old keys', async () => {
    const dir = tempDir('whatnext-legacy-');
    const legacy = new LmdbWebStorage(join(dir, DATABASE_FILE));
    const old = await createRxDatabase({ name: 'wnlegacy', storage: getRxStorageLocalstorage({ localStorage: legacy }), multiInstance: false });
    const { tracks } = await old.addCollections({ tracks: { schema: trackSchema } });
    const track = (id: string) => ({
      id,
      playlist: 'p1',
      title: id,
      artist: 'a',
      durationMs: 1,
      position: id,
      addedBy: 'me',
      addedAt: 1,
      updatedAt: 1,
      clock: {},
    });
    await tracks.bulkInsert([track('t1'), track('t2'), track('t3')]);
    await tracks.findOne('t2').remove();
    const before = await tracks.storageInstance.findDocumentsById(['t1', 't2'], true);
    await old.close();
    legacy.flush();
    await legacy.close();

    const opened = await openDatabase(dir, 'wnlegacy');
    try {
      expect((await opened.db.tracks.find().exec()).map((doc) => doc.id)).toEqual(['t1', 't3']);
      const after = await opened.db.tracks.storageInstance.findDocumentsById(['t1', 't2'], true);
      expect(after).toEqual(before);
      expect(opened.store.keysWithPrefix('RxDB-ls-')).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});

describe('the LMDB storage: documents compressed', () => {
  const track = JSON.stringify({
    id: '01m9a0b1c2d3e4f5g6h7',
    playlist: '01m9a0b1c2d3e4f5zzzz',
    title: 'Sjöfararvisa — «Ça va» 🎵',
    artist: 'Ensemble Ünïcode',
    durationMs: 214000,
    position: 'a1',
    addedBy: 'dtfe26sghkhqjvt2thv4zd4s18',
    addedAt: 1796697033280,
    updatedAt: 1796697033280,
    clock: Object.fromEntries(['title', 'artist', 'durationMs', 'position'].map((field) => [field, '0mxe31abc.0003.dtfe26sghkhqjvt2thv4zd4s18'])),
    _deleted: false,
    _attachments: {},
    _meta: { lwt: 1796697033280.01 },
    _rev: '1-pmdartbgpc',
  });

  it('keeps the dictionary the file format depends on unchanged', () => {
    // Values compressed with it read back only with it: a change needs a new database and a move.
    expect(createHash('sha256').update(DOCUMENT_DICTIONARY).digest('hex')).toBe('7102721f44d61596a8e392cdb6a687cc39838c833ce97e66bd1ada8a67f1aede');
  });

  it('stores a document compressed, under half its JSON, reads it back as it was, and reads a value written before compression as it was', async () => {
    const { store, path } = openStore();
    store.openDB('rxdb').putSync('before', track); // as a data folder of the previous layout holds it
    await store.close();
    stores.splice(stores.indexOf(store), 1);

    const { store: again } = openStore(path);
    const documents = openDocumentsDB(again);
    expect(documents.get('before')).toBe(track);
    documents.putSync('after', track);
    documents.putSync('an-index-entry', '01m9a0b1c2d3e4f5g6h7');
    expect(documents.get('after')).toBe(track);
    await again.close();
    stores.splice(stores.indexOf(again), 1);

    const raw = open({ path, readOnly: true });
    try {
      const bytes = raw.openDB({ name: 'rxdb', encoding: 'binary' });
      expect(bytes.getBinary('before')!.toString('utf8')).toBe(track);
      const after = bytes.getBinary('after')!;
      expect(after[0]).toBe(254); // LZ4, by lmdb's header
      expect(after.byteLength).toBeLessThan(Buffer.byteLength(track) / 2);
      expect(bytes.getBinary('an-index-entry')!.toString('utf8')).toBe('01m9a0b1c2d3e4f5g6h7');
    } finally {
      await raw.close();
    }
  });
});
