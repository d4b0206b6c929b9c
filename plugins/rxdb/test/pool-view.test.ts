/**
 * pool-view.ts against bare RxDB (memory storage): what RxDB leaves on a collection, and that a
 * pool on a view leaves nothing yet still stops when the collection closes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRxDatabase, type RxCollection, type RxDatabase } from 'rxdb';
import { replicateRxCollection } from 'rxdb/plugins/replication';
import { replicateWebRTC } from 'rxdb/plugins/replication-webrtc';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { randomBase32 } from '@whatnext/core';
import { ChannelConnectionHandler } from '../replication/channel-handler';
import { poolView } from '../replication/pool-view';

const databases: RxDatabase[] = [];
afterEach(async () => {
  await Promise.all(databases.splice(0).map((db) => db.close()));
});

async function openCollection(): Promise<{ db: RxDatabase; collection: RxCollection }> {
  const db = await createRxDatabase({ name: `poolview${randomBase32(8).toLowerCase()}`, storage: getRxStorageMemory(), multiInstance: false });
  databases.push(db);
  const { items } = await db.addCollections({
    items: {
      schema: { version: 0, primaryKey: 'id', type: 'object', properties: { id: { type: 'string', maxLength: 20 } }, required: ['id'] },
    },
  });
  return { db, collection: items! };
}

/** A pool whose peer never connects: its hooks are all there is to see. */
const startPool = (collection: RxCollection) =>
  replicateWebRTC({
    collection,
    topic: 'test',
    connectionHandlerCreator: async () => new ChannelConnectionHandler({ id: 'remote' }, async () => undefined),
    pull: {},
    push: {},
  });

/** A replication state like the one a pool starts on the fork side (not started here). */
const startReplication = (collection: RxCollection) =>
  replicateRxCollection({
    collection,
    replicationIdentifier: 'test',
    pull: { handler: async () => ({ documents: [], checkpoint: null }) },
    autoStart: false,
  });

describe('RxDB 17.6 leaves its close hooks on the collection (pool-view.ts works around it)', () => {
  const noLongerNeeded =
    'RxDB now takes this close hook off when cancelled. Once both tests here fail, pool-view.ts is not needed: hand replicateWebRTC the collection itself';

  it('a cancelled pool', async () => {
    const { collection } = await openCollection();
    const before = [...collection.onClose];
    const pool = await startPool(collection);
    const added = collection.onClose.filter((hook) => !before.includes(hook));
    expect(added).toHaveLength(1);
    await pool.cancel();
    expect(collection.onClose, noLongerNeeded).toEqual(expect.arrayContaining(added));
  });

  it('a cancelled replication state', async () => {
    const { collection } = await openCollection();
    const before = [...collection.onClose];
    const replication = startReplication(collection);
    const added = collection.onClose.filter((hook) => !before.includes(hook));
    expect(added).toHaveLength(1);
    await replication.cancel();
    expect(collection.onClose, noLongerNeeded).toEqual(expect.arrayContaining(added));
  });
});

describe('a pool on a pool view', () => {
  it('leaves nothing on the collection once released, hooks of its replication states included', async () => {
    const { collection } = await openCollection();
    const before = [...collection.onClose];
    const view = poolView(collection);
    expect(view.collection.storageInstance).toBe(collection.storageInstance);
    const pool = await startPool(view.collection);
    const replication = startReplication(view.collection);
    expect(view.collection.onClose).toHaveLength(2);
    await Promise.all([pool.cancel(), replication.cancel()]);
    view.release();
    expect(collection.onClose).toEqual(before);
  });

  it('is still cancelled, with its replication states, when the collection closes first', async () => {
    const { db, collection } = await openCollection();
    const view = poolView(collection);
    const pool = await startPool(view.collection);
    const replication = startReplication(view.collection);
    await db.close();
    expect(pool.canceled).toBe(true);
    expect(replication.isStopped()).toBe(true);
  });
});
