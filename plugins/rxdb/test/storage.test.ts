/** The storage: the Web Storage adapter on LMDB and RxDB on top of it. */
import { afterEach, describe, expect, it } from 'vitest';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LmdbWebStorage } from '../storage/lmdb-web-storage';
import { openDatabase, type OpenedDatabase } from '../storage/database';
import { tempDir } from '../../../host/service/testing/temp-dirs';

const WRITER = fileURLToPath(new URL('../testing/fixtures/crash-writer.ts', import.meta.url));
const dir = () => tempDir('whatnext-rxdb-storage-');
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.close();
});

describe('LMDB web storage', () => {
  it('reads its own writes, commits a tick of writes as one transaction, and keeps them across reopening', async () => {
    const path = join(dir(), 'store.lmdb');
    const store = new LmdbWebStorage(path);
    store.setItem('a', '1');
    store.setItem('b', '2');
    store.setItem('c', '3');
    store.removeItem('b');
    expect([store.getItem('a'), store.getItem('b'), store.getItem('c')]).toEqual(['1', null, '3']);
    await Promise.resolve();
    expect(store.commits).toBe(1);
    expect(store.length).toBe(2);
    // Another database in the file (the RxDB storage's) is not one of its keys.
    store.openDB('other').putSync('x', 'y');
    expect(store.keysWithPrefix('')).toEqual(['a', 'c']);
    await store.close();
    const again = new LmdbWebStorage(path);
    open.push(again);
    again.openDB('other');
    expect([again.getItem('a'), again.getItem('b'), again.getItem('c')]).toEqual(['1', null, '3']);
    expect(again.keysWithPrefix('').map((key) => again.getItem(key))).toEqual(['1', '3']);
  });

  it('kill -9 in the middle of writing leaves every tick of writes whole or absent', async () => {
    const path = join(dir(), 'store.lmdb');
    const child = fork(WRITER, [path], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve) => child.on('message', (round) => Number(round) >= 200 && resolve()));
    child.kill('SIGKILL');
    await exited;
    const store = new LmdbWebStorage(path);
    open.push(store);
    const counts = new Map<string, number>();
    for (const value of store.keysWithPrefix('r').map((key) => store.getItem(key)!)) {
      const round = value.split(':')[0]!;
      counts.set(round, (counts.get(round) ?? 0) + 1);
    }
    expect(counts.size).toBeGreaterThanOrEqual(200);
    expect([...counts.values()].every((n) => n === 50)).toBe(true);
    // ... and they are a prefix: no round missing before the last one.
    expect(Math.max(...[...counts.keys()].map(Number))).toBe(counts.size - 1);
  });
});

describe('the RxDB database', () => {
  it('finds documents by index after reopening', async () => {
    const path = dir();
    let db: OpenedDatabase = await openDatabase(path, 'storagetest');
    const track = (id: string, playlist: string) => ({
      id,
      playlist,
      title: id,
      artist: 'a',
      durationMs: 1,
      position: 'a0',
      addedBy: 'me',
      addedAt: 1,
      updatedAt: 1,
      clock: {},
    });
    await db.db.tracks.bulkInsert([track('t1', 'p1'), track('t2', 'p2'), track('t3', 'p1')]);
    await db.db.tracks.findOne('t3').remove();
    await db.close();
    db = await openDatabase(path, 'storagetest');
    open.push(db);
    const found = await db.db.tracks.find({ selector: { playlist: 'p1' } }).exec();
    expect(found.map((doc) => doc.id)).toEqual(['t1']);
    expect(await db.db.tracks.count().exec()).toBe(2);
    await db.db.tracks.insert(track('t4', 'p1'));
    expect((await db.db.tracks.find({ selector: { playlist: 'p1' } }).exec()).map((doc) => doc.id)).toEqual(['t1', 't4']);
  });

  it('refuses documents that do not fit the schema', async () => {
    const db = await openDatabase(dir(), 'storagetest2');
    open.push(db);
    await expect(db.db.tracks.insert({ id: 'bad' } as never)).rejects.toThrow();
  });
});
