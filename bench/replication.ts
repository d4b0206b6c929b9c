/**
 * Replication benchmarks (issue: playlists replicate over the transport contract): the initial
 * sync of 10,000 tracks and the latency of a live edit, ours next to RxDB's own replicateWebRTC
 * over its simple-peer connection handler, in the same run.
 *
 *   ours  the rxdb plugin: replicateWebRTC over a core connection (manual signalling, the
 *         simple-peer transport), batch size as configured (500), filtered per peer
 *   raw   replicateWebRTC with getConnectionHandlerSimplePeer and RxDB's signalling server,
 *         RxDB's defaults (batch size 20)
 *
 * Both use the same storage (storage-localstorage on LMDB), schema, conflict handler and WebRTC
 * engine (@roamhq/wrtc), both peers in this process, so the difference is the replication.
 * The clock starts before connecting, on both sides.
 *
 * Standalone: `npx tsx bench/replication.ts [tracks] [edits]` prints one JSON line per
 * measurement.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import type { RxCollection } from 'rxdb';
import { getConnectionHandlerSimplePeer, replicateWebRTC, startSignalingServerSimplePeer } from 'rxdb/plugins/replication-webrtc';
import WebSocket from 'ws';
import { ConnectionManager } from '../core/host/connections';
import { PluginHost } from '../core/host/host';
import type { AttemptSummary } from '../core/protocol';
import { randomBase32 } from '../core/util/ids';
import { manual } from '../plugins/manual';
import { simplePeer } from '../plugins/simple-peer';
import { playlistsOf, rxdb } from '../plugins/rxdb';
import type { TrackDoc } from '../plugins/rxdb/model/documents';
import { openDatabase, type OpenedDatabase } from '../plugins/rxdb/storage/database';
import { connectManual, type OurPeer } from './ours';
import { measurement, percentile, timed, type Measurement } from './stats';

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc');

export interface ReplicationBenchOptions {
  tracks?: number;
  edits?: number;
  batchSize?: number;
}

export async function replicationBenchmarks(log: (m: Measurement) => void, options: ReplicationBenchOptions = {}): Promise<void> {
  const tracks = options.tracks ?? 10_000;
  const edits = options.edits ?? 30;
  const root = mkdtempSync(join(tmpdir(), 'whatnext-bench-replication-'));
  try {
    const ours = await oursRun(root, tracks, edits, options.batchSize ?? 500);
    const raw = await rawRun(root, tracks, edits);
    log(measurement('replication', `initial sync of ${tracks} tracks`, 'ms', ours.syncMs, raw.syncMs, { target: 'ratio ≤ 0.25 (≥ 4× faster)' }));
    log(measurement('replication', 'live edit p50', 'ms', percentile(ours.editMs, 0.5), percentile(raw.editMs, 0.5), { target: 'ours p50 < 50 ms', n: edits }));
    log(measurement('replication', 'live edit p95', 'ms', percentile(ours.editMs, 0.95), percentile(raw.editMs, 0.95), { n: edits }));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

interface RunResult {
  syncMs: number;
  editMs: number[];
}

const trackDocs = (playlist: string, count: number, addedBy: string): TrackDoc[] =>
  Array.from({ length: count }, (_, i) => ({
    id: `t${String(i).padStart(6, '0')}${randomBase32(4)}`,
    playlist,
    title: `Track ${i + 1}`,
    artist: 'Bench band',
    durationMs: 180_000 + i,
    position: `a${String(i).padStart(6, '0')}`,
    addedBy,
    addedAt: Date.now(),
    updatedAt: Date.now(),
    clock: {},
  }));

/** Resolves once `collection` holds `count` documents (checked after changes, one count at a
 * time, again if more changes came in meanwhile). */
async function until(collection: RxCollection<TrackDoc>, count: number): Promise<void> {
  const reached = async () => (await collection.count().exec()) >= count;
  if (await reached()) return;
  await new Promise<void>((resolve) => {
    let checking = false;
    let again = false;
    const check = async (): Promise<void> => {
      if (checking) return void (again = true);
      checking = true;
      do {
        again = false;
        if (await reached()) {
          subscription.unsubscribe();
          return resolve();
        }
      } while (again);
      checking = false;
    };
    const subscription = collection.$.subscribe(() => void check());
  });
}

/** One edit on `from`, timed until `to` holds it. */
async function editLatency(from: RxCollection<TrackDoc>, to: RxCollection<TrackDoc>, id: string, title: string, edit: () => Promise<unknown>): Promise<number> {
  const arrived = firstValueFrom(to.$.pipe(filter((event) => event.documentData.id === id && event.documentData.title === title)));
  return timed(async () => {
    await edit();
    await arrived;
  });
}

async function ourPeer(root: string, name: string, batchSize: number): Promise<OurPeer> {
  const host = new PluginHost({ plugins: [manual(), simplePeer(), rxdb({ batchSize })], local: { id: randomBase32(), name }, dataDir: join(root, name) });
  await host.start();
  const manager = new ConnectionManager(host);
  await manager.start();
  const latest = new Map<string, AttemptSummary>();
  const waiters = new Set<() => void>();
  manager.on('attempt', (a) => {
    latest.set(a.id, a);
    for (const waiter of [...waiters]) waiter();
  });
  return {
    host,
    manager,
    attempt: (id, predicate) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const a = latest.get(id);
          if (!a) return;
          const failed = a.state === 'failed' || a.state === 'rejected';
          if (!predicate(a) && !failed) return;
          waiters.delete(check);
          if (failed) reject(new Error(`attempt ${a.state}: ${a.error?.message}`));
          else resolve(a);
        };
        waiters.add(check);
        check();
      }),
    async stop() {
      await manager.stop();
      await host.stop();
    },
  };
}

async function oursRun(root: string, count: number, edits: number, batchSize: number): Promise<RunResult> {
  const a = await ourPeer(root, 'ours-a', batchSize);
  const b = await ourPeer(root, 'ours-b', batchSize);
  try {
    const left = playlistsOf(a.host)!;
    const right = playlistsOf(b.host)!;
    const playlist = await left.store.create('Bench');
    await left.database.db.tracks.bulkInsert(trackDocs(playlist.id, count, a.host.local.id));
    await left.store.share(playlist.id, b.host.local.id);
    const syncMs = await timed(async () => {
      await connectManual(a, b);
      await until(right.database.db.tracks, count);
    });
    const { tracks } = await left.store.get(playlist.id);
    const editMs: number[] = [];
    for (let i = 0; i < edits; i++) {
      const track = tracks[(i * 331) % tracks.length]!;
      const title = `Edited ${i}`;
      editMs.push(await editLatency(left.database.db.tracks, right.database.db.tracks, track.id, title, () => left.store.updateTrack(track.id, { title })));
    }
    return { syncMs, editMs };
  } finally {
    await a.stop();
    await b.stop();
  }
}

async function rawRun(root: string, count: number, edits: number): Promise<RunResult> {
  // RxDB's signalling server logs every disconnect to stdout, where the JSON lines go.
  const log = console.log;
  console.log = (...args: unknown[]) => (typeof args[0] === 'string' && args[0].startsWith('# ') ? undefined : log(...args));
  try {
    return await rawRunQuiet(root, count, edits);
  } finally {
    console.log = log;
  }
}

async function rawRunQuiet(root: string, count: number, edits: number): Promise<RunResult> {
  const signaling = await startSignalingServerSimplePeer({ port: 0 } as never);
  const address = (signaling.server.address() as { port: number }).port;
  const databases: OpenedDatabase[] = [];
  const pools: { cancel(): Promise<void> }[] = [];
  try {
    const a = await openDatabase(join(root, 'raw-a'), 'rawbencha');
    const b = await openDatabase(join(root, 'raw-b'), 'rawbenchb');
    databases.push(a, b);
    const docs = trackDocs('rawplaylist', count, 'a');
    await a.db.tracks.bulkInsert(docs);
    const replicate = async (db: OpenedDatabase) =>
      pools.push(
        await replicateWebRTC<TrackDoc, any>({
          collection: db.db.tracks,
          topic: 'whatnext-bench',
          connectionHandlerCreator: getConnectionHandlerSimplePeer({ signalingServerUrl: `ws://127.0.0.1:${address}`, wrtc, webSocketConstructor: WebSocket as never }),
          pull: {},
          push: {},
        }),
      );
    const syncMs = await timed(async () => {
      await Promise.all([replicate(a), replicate(b)]);
      await until(b.db.tracks, count);
    });
    const editMs: number[] = [];
    for (let i = 0; i < edits; i++) {
      const id = docs[(i * 331) % docs.length]!.id;
      const title = `Edited ${i}`;
      const doc = (await a.db.tracks.findOne(id).exec())!;
      // Stamped as the plugin's store stamps edits: the conflict handler compares stamps.
      const edit = () => doc.incrementalModify((data) => ({ ...data, title, clock: { ...data.clock, title: `${Date.now().toString(36)}.${i}.a` } }));
      editMs.push(await editLatency(a.db.tracks, b.db.tracks, id, title, edit));
    }
    return { syncMs, editMs };
  } finally {
    await Promise.allSettled(pools.map((pool) => pool.cancel()));
    for (const db of databases) await db.close();
    await new Promise((resolve) => signaling.server.close(resolve));
  }
}
