/**
 * storage/changes.ts against bare RxDB (memory storage): what `collection.$` keeps of every
 * write, and that following the change bulks keeps nothing.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { createRxDatabase, type RxDatabase } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import type { Observable } from 'rxjs';
import { randomBase32 } from '@whatnext/core';
import { documentChanges } from '../storage/changes';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const databases: RxDatabase[] = [];
afterEach(async () => {
  await Promise.all(databases.splice(0).map((db) => db.close()));
});

/** How many of 50 writes' change bulks are still alive after GC, with `follow` subscribed. */
async function bulksAliveAfter(follow: (collection: import('rxdb').RxCollection) => Observable<unknown>): Promise<number> {
  const db = await createRxDatabase({ name: `changes${randomBase32(8).toLowerCase()}`, storage: getRxStorageMemory(), multiInstance: false });
  databases.push(db);
  const { items } = await db.addCollections({
    items: {
      schema: { version: 0, primaryKey: 'id', type: 'object', properties: { id: { type: 'string', maxLength: 20 }, n: { type: 'number' } }, required: ['id'] },
    },
  });
  const bulks: WeakRef<object>[] = [];
  const seen: unknown[] = [];
  const subscriptions = [items!.eventBulks$.subscribe((bulk) => bulks.push(new WeakRef(bulk))), follow(items!).subscribe((change) => seen.push(change))];
  for (let n = 0; n < 50; n++) await items!.insert({ id: `item${n}`, n });
  expect(seen).toHaveLength(50); // every write was followed
  seen.length = 0;
  for (let i = 0; i < 2; i++) {
    await new Promise(setImmediate);
    gc();
  }
  const alive = bulks.filter((ref) => ref.deref() !== undefined).length;
  for (const subscription of subscriptions) subscription.unsubscribe();
  return alive;
}

describe("following a collection's writes", () => {
  it('through collection.$, RxDB 17.6 keeps every change bulk for good', async () => {
    // Once this fails, RxDB frees them: storage/changes.ts could go back to `collection.$`.
    expect(await bulksAliveAfter((collection) => collection.$)).toBe(50);
  });

  it('through documentChanges, nothing is kept', async () => {
    expect(await bulksAliveAfter(documentChanges)).toBeLessThanOrEqual(1);
  });
});
