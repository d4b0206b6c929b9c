/**
 * Narrow what the master side of a replicateWebRTC pool serves to what the remote may see.
 *
 * The pool serves its whole collection to any remote fork. Each pool here has exactly one
 * remote peer, so its master handler can be filtered for that peer: changes-since queries skip
 * documents the peer may not see (still filling whole batches, because the fork stops pulling
 * at the first short batch), and the live change stream drops them. What the fork pushes is
 * filtered on its own side by the push modifier.
 *
 * No echo: a document the fork pushed and the master stored as pushed would come back to the
 * fork on its live change stream, and again on its next checkpoint pull. The master remembers
 * the version of each pushed document (field stamps and deletion) and leaves that version out of
 * changes-since answers; any other version (a local edit, a merge) goes as usual.
 *
 * On the live stream the echo is left out only for a document this master never sent the fork.
 * Once it has sent one, the fork may still hold that older version in flight when its own push
 * lands: it would apply the older one after its push and keep it, were the echo not behind it to
 * set it right (concurrent moves of one track ended apart in processes.test.ts). A document made
 * on the fork side and pushed, the whole of an initial sync from the side that made it, was never
 * sent the other way, and goes one way only.
 */
import { filter, map, tap } from 'rxjs';
import { getChangedDocumentsSince, writeDocToDocState, type RxCollection, type RxReplicationHandler, type RxStorageDefaultCheckpoint } from 'rxdb';
import type { RxWebRTCReplicationPool } from 'rxdb/plugins/replication-webrtc';

type Doc = Record<string, unknown> & { _meta: { lwt: number } };

/** Pushed versions remembered per pool: past this the oldest go (a document is then sent back
 * once more, as before). */
const MAX_PUSHED = 100_000;
/** Documents sent to the fork remembered per pool: past this every echo goes. */
const MAX_SENT = 200_000;

/** Which write of a document this is: its field stamps and whether it is deleted. Fields with
 * one stamp (all of them, for a track as created) share it in the string: a master remembers up
 * to MAX_PUSHED of these. As JSON it is unambiguous whatever a remote put in a clock. */
export function versionOf(doc: { clock?: Record<string, string>; _deleted?: boolean }): string {
  const clock = doc.clock ?? {};
  const byStamp = new Map<string, string[]>();
  for (const field of Object.keys(clock).sort()) {
    const stamp = clock[field]!;
    const fields = byStamp.get(stamp);
    if (fields) fields.push(field);
    else byStamp.set(stamp, [field]);
  }
  const groups = [...byStamp].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([doc._deleted === true, groups]);
}

export function filterMasterHandler(pool: RxWebRTCReplicationPool<any, any>, collection: RxCollection<any>, visible: (doc: any) => boolean): void {
  const handler = pool.masterReplicationHandler as RxReplicationHandler<any, RxStorageDefaultCheckpoint>;
  const instance = collection.storageInstance;
  const primary = collection.schema.primaryPath as string;
  const unfilteredStream = handler.masterChangeStream$;
  // Noted before the write: a push that conflicts leaves the master's own version, not this one.
  const pushed = new Map<string, string>();
  const write = handler.masterWrite.bind(handler);
  handler.masterWrite = (rows) => {
    for (const row of rows) {
      const id = row.newDocumentState[primary] as string;
      pushed.delete(id);
      pushed.set(id, versionOf(row.newDocumentState));
    }
    for (const id of pushed.keys()) {
      if (pushed.size <= MAX_PUSHED) break;
      pushed.delete(id);
    }
    return write(rows);
  };
  const serveOnPull = (doc: any) => visible(doc) && pushed.get(doc[primary] as string) !== versionOf(doc);
  // Documents sent to the fork, live or on a pull; past MAX_SENT every echo goes, as before.
  const sent = new Set<string>();
  let sentOverflow = false;
  const noteSent = (docs: readonly any[]) => {
    if (sentOverflow) return;
    for (const doc of docs) sent.add(doc[primary] as string);
    if (sent.size > MAX_SENT) {
      sentOverflow = true;
      sent.clear();
    }
  };
  const serveLive = (doc: any) => {
    if (!visible(doc)) return false;
    const id = doc[primary] as string;
    return sentOverflow || sent.has(id) || pushed.get(id) !== versionOf(doc);
  };

  handler.masterChangesSince = async (checkpoint, batchSize) => {
    const documents: unknown[] = [];
    let cursor = checkpoint ?? undefined;
    // Scan in larger steps than the batch: most documents may be someone else's.
    const scan = Math.max(batchSize * 2, 200);
    for (;;) {
      const page = await getChangedDocumentsSince(instance, scan, cursor);
      for (const doc of page.documents as Doc[]) {
        cursor = { id: doc[primary] as string, lwt: doc._meta.lwt };
        if (!serveOnPull(doc)) continue;
        // Sent from the moment it is taken: a push that lands while this answer is still being
        // gathered must keep its echo, which sets right the older version this answer carries.
        noteSent([doc]);
        documents.push(writeDocToDocState(doc as never, false, false));
        if (documents.length >= batchSize) return { documents, checkpoint: cursor };
      }
      if (page.documents.length < scan) return { documents, checkpoint: cursor ?? checkpoint };
    }
  };

  handler.masterChangeStream$ = unfilteredStream.pipe(
    map((event) => (event === 'RESYNC' ? event : { ...event, documents: event.documents.filter((doc) => serveLive(doc)) })),
    filter((event) => event === 'RESYNC' || event.documents.length > 0),
    tap((event) => event !== 'RESYNC' && noteSent(event.documents)),
  );
}
