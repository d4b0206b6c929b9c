/**
 * Narrow what the master side of a replicateWebRTC pool serves to what the remote may see.
 *
 * The pool serves its whole collection to any remote fork. Each pool here has exactly one
 * remote peer, so its master handler can be filtered for that peer: changes-since queries skip
 * documents the peer may not see (still filling whole batches, because the fork stops pulling
 * at the first short batch), and the live change stream drops them. What the fork pushes is
 * filtered on its own side by the push modifier.
 */
import { filter, map } from 'rxjs';
import { getChangedDocumentsSince, writeDocToDocState, type RxCollection, type RxReplicationHandler, type RxStorageDefaultCheckpoint } from 'rxdb';
import type { RxWebRTCReplicationPool } from 'rxdb/plugins/replication-webrtc';

type Doc = Record<string, unknown> & { _meta: { lwt: number } };

export function filterMasterHandler(pool: RxWebRTCReplicationPool<any, any>, collection: RxCollection<any>, visible: (doc: any) => boolean): void {
  const handler = pool.masterReplicationHandler as RxReplicationHandler<any, RxStorageDefaultCheckpoint>;
  const instance = collection.storageInstance;
  const primary = collection.schema.primaryPath as string;
  const unfilteredStream = handler.masterChangeStream$;

  handler.masterChangesSince = async (checkpoint, batchSize) => {
    const documents: unknown[] = [];
    let cursor = checkpoint ?? undefined;
    // Scan in larger steps than the batch: most documents may be someone else's.
    const scan = Math.max(batchSize * 2, 200);
    for (;;) {
      const page = await getChangedDocumentsSince(instance, scan, cursor);
      for (const doc of page.documents as Doc[]) {
        cursor = { id: doc[primary] as string, lwt: doc._meta.lwt };
        if (!visible(doc)) continue;
        documents.push(writeDocToDocState(doc as never, false, false));
        if (documents.length >= batchSize) return { documents, checkpoint: cursor };
      }
      if (page.documents.length < scan) return { documents, checkpoint: cursor ?? checkpoint };
    }
  };

  handler.masterChangeStream$ = unfilteredStream.pipe(
    map((event) => (event === 'RESYNC' ? event : { ...event, documents: event.documents.filter((doc) => visible(doc)) })),
    filter((event) => event === 'RESYNC' || event.documents.length > 0),
  );
}
