/**
 * Replication benchmarks (issue: playlists replicate over the transport contract): the initial
 * sync of 10,000 tracks and the latency of a live edit, ours next to RxDB's own replicateWebRTC
 * over its simple-peer connection handler, in the same run, two processes each.
 *
 *   ours  two real service processes (host/service/testing/spawn.ts, config
 *         bench/fixtures/replication.config.ts: manual signaling, simple-peer, the rxdb plugin
 *         with batch size 500), driven through the protocol as a UI drives them
 *   raw   two child processes (bench/raw-rxdb-peer.ts), each an RxDB database on the same
 *         storage, replicated with replicateWebRTC + getConnectionHandlerSimplePeer through
 *         RxDB's signaling server (started here on loopback), RxDB's defaults (batch size 20)
 *
 * Same storage (the plugin's, on LMDB), schema, conflict handler and WebRTC engine
 * (@roamhq/wrtc) on both sides, so the difference is the replication (and, for ours, the
 * protocol a UI uses).
 *
 * Timing, the same on both sides, measured in this (the driving) process, over three alternated
 * runs on fresh databases (sync and creation: the median; live edits: all runs' edits pooled):
 *   creation    the 10,000 tracks are written on the first peer before any connection (ours:
 *               `tracks.add` then `playlists.share` with the second peer; raw: `bulkInsert`),
 *               timed apart and reported apart, not in the sync time
 *   sync        from the start of connecting (ours: `connectManual`, invite to both sides open;
 *               raw: both peers call replicateWebRTC, signaling included) until the second
 *               peer reports all 10,000 (ours: `tracks.changed` events for 10,000 distinct
 *               tracks, confirmed by one `playlists.get`; raw: the child's count, over IPC)
 *   live edit   the second peer is armed first; from sending the edit to the first peer (ours:
 *               `tracks.update`; raw: an IPC message, `incrementalModify`) until the second
 *               peer's change notice arrives here (ours: `tracks.changed`; raw: IPC)
 *
 * Standalone: `npx tsx bench/replication.ts [tracks] [edits]` prints one JSON line per
 * measurement.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSignalingServerSimplePeer } from 'rxdb/plugins/replication-webrtc';
import { playlistsProtocol, type Track, type WithPlaylists } from '../plugins/rxdb/protocol';
import { spawnService, type SpawnedService } from '../host/service/testing/spawn';
import { connectManual, Tracker } from '../host/service/testing/flows';
import type { RawCommand, RawReply } from './raw-rxdb';
import { forkPeer, type ForkedPeer } from './forked-peer';
import { withTimeout } from '../core/util/timeout';
import { measurement, percentile, type Measurement } from './stats';

const CONFIG = fileURLToPath(new URL('./fixtures/replication.config.ts', import.meta.url));
const RAW_PEER = fileURLToPath(new URL('./raw-rxdb-peer.ts', import.meta.url));
/** Any single wait longer than this fails the bench instead of hanging it. */
const WAIT_MS = 300_000;
/** Runs per side; sync and creation times are the median. */
const RUNS = 3;
/** Rejects after WAIT_MS, so a lost message fails the bench instead of hanging it. */
const bounded = <T>(what: string, promise: Promise<T>): Promise<T> => withTimeout(promise, WAIT_MS, () => new Error(`${what}: no answer within ${WAIT_MS} ms`));

export interface ReplicationBenchOptions {
  tracks?: number;
  edits?: number;
  batchSize?: number;
}

interface RunResult {
  createMs: number;
  syncMs: number;
  editMs: number[];
}

export async function replicationBenchmarks(log: (m: Measurement) => void, options: ReplicationBenchOptions = {}): Promise<void> {
  const tracks = options.tracks ?? 10_000;
  const edits = options.edits ?? 30;
  const root = mkdtempSync(join(tmpdir(), 'whatnext-bench-replication-'));
  try {
    // Three runs, each on fresh databases: one sync on this shared machine can read half or
    // double its usual time; the median of RUNS does not.
    const ours: RunResult[] = [];
    const raw: RunResult[] = [];
    for (let run = 0; run < RUNS; run++) {
      const dir = join(root, `run-${run}`);
      mkdirSync(dir);
      const runOurs = async () => void ours.push(await oursRun(dir, tracks, edits, options.batchSize ?? 500));
      const runRaw = async () => void raw.push(await rawRun(dir, tracks, edits));
      // Which goes first alternates, so neither always runs on a machine the other warmed.
      for (const side of run % 2 === 0 ? [runOurs, runRaw] : [runRaw, runOurs]) await side();
      rmSync(dir, { recursive: true, force: true });
    }
    const median = (results: RunResult[], of: (r: RunResult) => number) => percentile(results.map(of), 0.5);
    const editsOf = (results: RunResult[]) => results.flatMap((r) => r.editMs);
    log(
      measurement(
        'replication',
        `initial sync of ${tracks} tracks`,
        'ms',
        median(ours, (r) => r.syncMs),
        median(raw, (r) => r.syncMs),
        { target: 'ratio ≤ 0.1 (≥ 10× faster)', n: RUNS },
      ),
    );
    log(
      measurement('replication', 'live edit p50', 'ms', percentile(editsOf(ours), 0.5), percentile(editsOf(raw), 0.5), {
        target: 'ours p50 < 50 ms',
        n: edits * RUNS,
      }),
    );
    log(measurement('replication', 'live edit p95', 'ms', percentile(editsOf(ours), 0.95), percentile(editsOf(raw), 0.95), { n: edits * RUNS }));
    // Not part of the sync: writing the tracks on the first peer before connecting.
    log(
      measurement(
        'replication',
        `create ${tracks} tracks (before connecting)`,
        'ms',
        median(ours, (r) => r.createMs),
        median(raw, (r) => r.createMs),
        { n: RUNS, target: 'ratio ≤ 1.2 (raw: bulkInsert of documents of the same size)' },
      ),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Ours: two service processes, driven through the protocol.

async function oursRun(root: string, count: number, edits: number, batchSize: number): Promise<RunResult> {
  const services: SpawnedService[] = [];
  const start = async (name: string) => {
    const dataDir = join(root, `ours-${name.toLowerCase()}`);
    mkdirSync(dataDir, { recursive: true });
    const service = await spawnService<WithPlaylists>({
      name,
      config: CONFIG,
      dataDir,
      protocols: [playlistsProtocol],
      env: { WHATNEXT_BENCH_BATCH_SIZE: String(batchSize) },
    });
    services.push(service);
    return service;
  };
  try {
    const [alice, bob] = await Promise.all([start('Alice'), start('Bob')]);
    const bobId = (await bob.client.request('service.status', {})).local.id;
    const [aliceTracker, bobTracker] = [new Tracker(alice.client), new Tracker(bob.client)];

    const createBegan = performance.now();
    const playlist = await alice.client.request('playlists.create', { name: 'Bench' });
    const songs = Array.from({ length: count }, (_, i) => ({ title: `Track ${i + 1}`, artist: 'Bench band', durationMs: 180_000 + i }));
    const added = await alice.client.request('tracks.add', { playlistId: playlist.id, tracks: songs });
    await alice.client.request('playlists.share', { playlistId: playlist.id, peerId: bobId });
    const createMs = performance.now() - createBegan;

    // Bob's view, from events only: the distinct tracks of the playlist he was told about.
    const held = new Set<string>();
    const seen = new Map<string, Track>();
    let onChange = () => {};
    bob.client.on('tracks.changed', ({ tracks }) => {
      for (const track of tracks) {
        if (track.playlistId !== playlist.id) continue;
        if (track.removed) held.delete(track.id);
        else held.add(track.id);
        seen.set(track.id, track);
      }
      onChange();
    });
    // In case change events of tracks that arrived before the playlist itself were not relayed,
    // a sync status of in-sync also leads to a check.
    let inSync = false;
    bob.client.on('sync.changed', ({ entries }) => {
      inSync = entries.some((e) => e.playlistId === playlist.id && e.state === 'in-sync');
      onChange();
    });
    const bobHoldsAll = new Promise<void>((resolve, reject) => {
      let checking = false;
      let again = false;
      const check = async () => {
        if (checking) return void (again = true);
        checking = true;
        do {
          again = false;
          if (held.size >= count || inSync) {
            const got = await bob.client.request('playlists.get', { playlistId: playlist.id }).catch(() => undefined);
            if (got && got.tracks.length >= count) {
              onChange = () => {};
              return resolve();
            }
            inSync = false;
          }
        } while (again);
        checking = false;
      };
      onChange = () => void check().catch(reject);
    });

    const syncBegan = performance.now();
    await bounded('ours: connect', connectManual(aliceTracker, bobTracker));
    await bounded('ours: Bob holds every track', bobHoldsAll);
    const syncMs = performance.now() - syncBegan;

    const editMs: number[] = [];
    for (let i = 0; i < edits; i++) {
      const track = added[(i * 331) % added.length]!;
      const title = `Edited ${i}`;
      const arrived = new Promise<number>((resolve) => {
        onChange = () => {
          if (seen.get(track.id)?.title !== title) return;
          onChange = () => {};
          resolve(performance.now());
        };
      });
      const began = performance.now();
      const [arrivedAt] = await bounded('ours: live edit', Promise.all([arrived, alice.client.request('tracks.update', { trackId: track.id, title })]));
      editMs.push(arrivedAt - began);
    }
    return { createMs, syncMs, editMs };
  } finally {
    const codes = await Promise.all(services.map((s) => s.stop()));
    if (codes.some((code) => code !== 0)) process.stderr.write(`replication bench: a service exited with ${codes.join(', ')}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// Raw: two child processes running RxDB's own WebRTC replication.

type RawPeer = ForkedPeer<RawCommand, RawReply>;

const rawPeer = (name: string): RawPeer => forkPeer<RawCommand, RawReply>(RAW_PEER, name, { stop: { type: 'close' }, stdout: 'ignore', waitMs: WAIT_MS });

async function rawRun(root: string, count: number, edits: number): Promise<RunResult> {
  // RxDB's signaling server logs every disconnect to stdout, where the JSON lines go.
  const log = console.log;
  console.log = (...args: unknown[]) => (typeof args[0] === 'string' && args[0].startsWith('# ') ? undefined : log(...args));
  try {
    return await rawRunQuiet(root, count, edits);
  } finally {
    console.log = log;
  }
}

async function rawRunQuiet(root: string, count: number, edits: number): Promise<RunResult> {
  const signaling = await startSignalingServerSimplePeer({ port: 0, host: '127.0.0.1' } as never);
  if (!signaling.server.address()) await new Promise((resolve) => signaling.server.once('listening', resolve));
  const signalingUrl = `ws://127.0.0.1:${(signaling.server.address() as { port: number }).port}`;
  const peers: RawPeer[] = [];
  try {
    const a = rawPeer('a');
    const b = rawPeer('b');
    peers.push(a, b);
    a.send({ type: 'open', dir: join(root, 'raw-a'), name: 'rawbencha', docs: count });
    b.send({ type: 'open', dir: join(root, 'raw-b'), name: 'rawbenchb', docs: 0 });
    const [opened] = await Promise.all([a.next('opened'), b.next('opened')]);

    const began = performance.now();
    a.send({ type: 'replicate', signalingUrl });
    b.send({ type: 'replicate', signalingUrl, expect: count });
    const synced = await b.next('synced');
    const syncMs = synced.receivedAt - began;

    const editMs: number[] = [];
    for (let i = 0; i < edits; i++) {
      const id = opened.ids[(i * 331) % opened.ids.length]!;
      const title = `Edited ${i}`;
      b.send({ type: 'watch', id, title });
      await b.next('watching');
      const began = performance.now();
      a.send({ type: 'edit', id, title, seq: i });
      const [seen] = await Promise.all([b.next('seen'), a.next('edited')]);
      editMs.push(seen.receivedAt - began);
    }
    return { createMs: opened.insertMs, syncMs, editMs };
  } finally {
    await Promise.all(peers.map((peer) => peer.stop()));
    await new Promise((resolve) => signaling.server.close(resolve));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [tracks, edits] = process.argv.slice(2).map(Number);
  await replicationBenchmarks((m) => process.stdout.write(`${JSON.stringify(m)}\n`), { tracks: tracks || undefined, edits: edits || undefined });
  process.exit(0);
}
