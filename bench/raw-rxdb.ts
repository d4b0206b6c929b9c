/**
 * The raw side of the replication benchmark, shared by the parent (bench/replication.ts) and
 * its child processes (bench/raw-rxdb-peer.ts): the documents, the wait for a document count,
 * RxDB's own replicateWebRTC over its simple-peer connection handler, and the IPC messages.
 */
import { createRequire } from 'node:module';
import type { RxCollection } from 'rxdb';
import { getConnectionHandlerSimplePeer, replicateWebRTC } from 'rxdb/plugins/replication-webrtc';
import WebSocket from 'ws';
import { formatStamp } from '../plugins/rxdb/model/clock';
import { sortableIds } from '../plugins/rxdb/model/ids';
import type { TrackDoc } from '../plugins/rxdb/model/documents';

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc');

/** The topic both raw peers join on RxDB's signaling server. */
export const RAW_TOPIC = 'whatnext-bench';

/** Parent → child. */
export type RawCommand =
  | { type: 'open'; dir: string; name: string; docs: number }
  | { type: 'replicate'; signalingUrl: string; expect?: number }
  | { type: 'watch'; id: string; title: string }
  | { type: 'edit'; id: string; title: string; seq: number }
  | { type: 'close' };

/** Child → parent. */
export type RawReply =
  | { type: 'opened'; insertMs: number; ids: string[] }
  | { type: 'replicating' }
  | { type: 'synced'; count: number }
  | { type: 'watching' }
  | { type: 'seen'; id: string }
  | { type: 'edited' }
  | { type: 'closed' }
  | { type: 'error'; message: string };

/** Documents of the size ours are: ids of the same form, and a stamp per field a user can edit
 * (plugins/rxdb/store.ts), so creating them compares like with like. */
export const trackDocs = (playlist: string, count: number, addedBy: string): TrackDoc[] => {
  const newId = sortableIds();
  const stamp = formatStamp({ ms: Date.now(), counter: 0, peer: addedBy });
  return Array.from({ length: count }, (_, i) => ({
    id: newId(),
    playlist,
    title: `Track ${i + 1}`,
    artist: 'Bench band',
    durationMs: 180_000 + i,
    position: `a${String(i).padStart(6, '0')}`,
    addedBy,
    addedAt: Date.now(),
    updatedAt: Date.now(),
    clock: { title: stamp, artist: stamp, durationMs: stamp, uri: stamp, position: stamp },
  }));
};

/** Resolves once `collection` holds `count` documents: subscribed first, then checked now and
 * after every change (one count at a time, again if more changes came in meanwhile). */
export async function until(collection: RxCollection<TrackDoc>, count: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let checking = false;
    let again = false;
    const check = async (): Promise<void> => {
      if (checking) return void (again = true);
      checking = true;
      do {
        again = false;
        const held = await collection.count().exec();
        if (held >= count) {
          subscription.unsubscribe();
          return resolve(held);
        }
      } while (again);
      checking = false;
    };
    const subscription = collection.$.subscribe(() => void check().catch(reject));
    void check().catch(reject);
  });
}

/** RxDB's replicateWebRTC with its simple-peer connection handler and signaling server, RxDB's
 * defaults otherwise (batch size 20). */
export function replicateRaw(collection: RxCollection<TrackDoc>, signalingUrl: string) {
  return replicateWebRTC<TrackDoc, any>({
    collection,
    topic: RAW_TOPIC,
    connectionHandlerCreator: getConnectionHandlerSimplePeer({ signalingServerUrl: signalingUrl, wrtc, webSocketConstructor: WebSocket as never }),
    pull: {},
    push: {},
  });
}

/** An edit stamped as the plugin's store stamps edits: the conflict handler compares stamps. */
export function stampedTitle(data: TrackDoc, title: string, seq: number): TrackDoc {
  return { ...data, title, clock: { ...data.clock, title: `${Date.now().toString(36)}.${seq}.a` } };
}
