/**
 * `npm run bench scale`: WhatNext at the sizes people have (issue: 100,000-track playlists and 16
 * peers), real service processes as the app runs them (bundled, under their permission model,
 * the terminal peer's plugins: manual, webrtc, simple-peer, rxdb), driven through the protocol.
 *
 *   start      start to ready and RSS once ready, next to a bare `node` process in the same run
 *   big        a playlist of SCALE_TRACKS (default 100,000) tracks: created in batches of 10,000
 *              (each batch's time; the last next to the first), the owner's RSS, the initial
 *              sync to a second service and both RSS after it, then that service restarted on
 *              its data: start to ready next to an empty service's, its first page of the
 *              playlist (100 tracks, what the app asks first) and the whole playlist
 *   fan-out    an owner shares SCALE_FANOUT_TRACKS (5,000) with SCALE_PEERS (8) peers, each
 *              connected to it by copy-paste: time until all hold them, then live edits, each
 *              timed until every peer has it (p50, p95)
 *
 * Run alone, it also runs the replication section (10,000 tracks next to RxDB's replicateWebRTC,
 * creation next to RxDB's bulkInsert) and the fairness one (a ping behind 64 MiB), which the
 * full `npm run bench` runs anyway. CPU and RSS move least on a shared machine; times are as
 * measured. Every service is stopped, its data folder removed, also on failure.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { residentMiB, rssMiB } from '../tools/testing/rss';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withTimeout } from '../core/util/timeout';
import { connectManual, Tracker } from '../host/service/testing/flows';
import { spawnService, type SpawnedService } from '../host/service/testing/spawn';
import { playlistsProtocol, type WithPlaylists } from '../plugins/rxdb/protocol';
import { DATABASE_FILE } from '../plugins/rxdb/storage/database';
import { alternated, figure, measurement, percentile, timed, type Measurement } from './stats';

const CONFIG = fileURLToPath(new URL('../host/service/testing/fixtures/terminal.config.ts', import.meta.url));
const BENCH = 'scale';
const BATCH = 10_000;
const WAIT_MS = 600_000;
const SETTLE_MS = 3000;
/** Starts of the service holding the big playlist, each next to an empty one's. */
const OPENS = 3;
const bounded = <T>(what: string, promise: Promise<T>): Promise<T> => withTimeout(promise, WAIT_MS, () => new Error(`${what}: not within ${WAIT_MS} ms`));
const positive = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};

type Service = SpawnedService<WithPlaylists>;

class Services {
  readonly root = mkdtempSync(join(tmpdir(), 'whatnext-bench-scale-'));
  #running: Service[] = [];
  #count = 0;

  async start(name: string, dataDir = join(this.root, `${name.toLowerCase()}-${++this.#count}`)): Promise<Service & { id: string }> {
    const service = await spawnService<WithPlaylists>({ name, config: CONFIG, dataDir, protocols: [playlistsProtocol] });
    this.#running.push(service);
    const id = (await service.client.request('service.status', {})).local.id;
    return Object.assign(service, { id });
  }

  async stop(service: Service): Promise<void> {
    this.#running = this.#running.filter((s) => s !== service);
    const code = await service.stop();
    if (code !== 0) process.stderr.write(`scale bench: a service exited with ${code}\n`);
  }

  async close(): Promise<void> {
    await Promise.all(this.#running.splice(0).map((service) => service.stop()));
    rmSync(this.root, { recursive: true, force: true });
  }
}

const songs = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ title: `Track ${from + i + 1}`, artist: 'Scale band', durationMs: 180_000 + from + i }));

/** Resolves once `service` holds `count` tracks of the playlist: checked at each of its events,
 * one check at a time. */
function holds(service: Service, playlistId: string, count: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let checking = false;
    let again = false;
    const offs: (() => void)[] = [];
    const check = async (): Promise<void> => {
      if (checking) return void (again = true);
      checking = true;
      try {
        do {
          again = false;
          const page = await service.client.request('playlists.get', { playlistId, limit: 1 }).catch(() => undefined);
          if (page && page.total >= count) {
            offs.forEach((off) => off());
            return resolve();
          }
        } while (again);
      } finally {
        checking = false;
      }
    };
    const onEvent = () => void check().catch(reject);
    offs.push(service.client.on('tracks.changed', onEvent), service.client.on('sync.changed', onEvent), service.client.on('playlists.changed', onEvent));
    onEvent();
  });
}

async function share(owner: Service & { id: string }, member: Service & { id: string }, playlistId: string): Promise<void> {
  await owner.client.request('playlists.share', { playlistId, peerId: member.id });
  const [a, b] = [new Tracker(owner.client), new Tracker(member.client)];
  try {
    await bounded('connect', connectManual(a, b));
  } finally {
    a.stop();
    b.stop();
  }
}

/** A bare node process: start until it says so over IPC, and its RSS then. */
async function bareNode(): Promise<{ ms: number; rss: number }> {
  const began = performance.now();
  const child = spawn(process.execPath, ['-e', 'process.send("ready"); process.on("disconnect", () => process.exit(0));'], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise((resolve) => child.once('message', resolve));
  const ms = performance.now() - began;
  const rss = rssMiB(child.pid!);
  child.disconnect();
  await new Promise((resolve) => child.once('exit', resolve));
  return { ms, rss };
}

async function start(services: Services, log: (m: Measurement) => void): Promise<void> {
  await services.stop(await services.start('Warm')); // the bundle is built once, not timed
  const rss = { ours: [] as number[], raw: [] as number[] };
  const runs = 5;
  const times = await alternated(
    runs,
    async () => {
      let service: Service | undefined;
      const ms = await timed(async () => (service = await services.start('Start')));
      rss.ours.push(rssMiB(service!.child.pid));
      await services.stop(service!);
      return ms;
    },
    async () => {
      const bare = await bareNode();
      rss.raw.push(bare.rss);
      return bare.ms;
    },
  );
  log(
    measurement(BENCH, 'service start to ready (raw: a bare node process)', 'ms', percentile(times.ours, 0.5), percentile(times.raw, 0.5), {
      n: runs,
      target: 'ours ≤ 1000 ms',
    }),
  );
  log(
    measurement(BENCH, 'RSS once ready (raw: a bare node process)', 'MB', percentile(rss.ours, 0.5), percentile(rss.raw, 0.5), {
      n: runs,
      target: 'ours ≤ 80 MB',
    }),
  );
}

async function big(services: Services, log: (m: Measurement) => void, tracks: number): Promise<void> {
  const owner = await services.start('Owner');
  const playlist = await owner.client.request('playlists.create', { name: 'Scale' });
  const batches: number[] = [];
  for (let from = 0; from < tracks; from += BATCH) {
    const batch = songs(from, Math.min(BATCH, tracks - from));
    batches.push(await timed(() => owner.client.request('tracks.add', { playlistId: playlist.id, tracks: batch })));
  }
  log(
    measurement(BENCH, `add ${tracks} tracks in batches of ${BATCH}: last batch (raw: first batch)`, 'ms', batches.at(-1)!, batches[0]!, {
      target: 'ratio ≤ 1.3',
      samples: { ours: batches.map(Math.round), raw: [] },
    }),
  );
  log(figure(BENCH, `owner RSS after adding ${tracks} tracks`, 'MB', rssMiB(owner.child.pid), { target: '≤ 250 MB' }));

  const member = await services.start('Member');
  const syncMs = await timed(async () => {
    await share(owner, member, playlist.id);
    await bounded('the member holds every track', holds(member, playlist.id, tracks));
  });
  log(figure(BENCH, `initial sync of ${tracks} tracks (connect included)`, 'ms', syncMs));
  // What crossed the connection per track, each way, next to a track's size as JSON (what the
  // protocol gives; the stored document adds its clock stamps).
  const [sample] = (await member.client.request('playlists.get', { playlistId: playlist.id, limit: 100 })).tracks;
  const trackBytes = Buffer.byteLength(JSON.stringify(sample));
  const stats = async (service: Service) => (await service.client.request('connections.list', {}))[0]?.stats;
  const [sent, back] = [await stats(owner), await stats(member)];
  if (sent && back) {
    log(
      measurement(BENCH, 'bytes on the wire per track, owner to member (raw: one track as JSON)', 'B', sent.bytesSent / tracks, trackBytes, {
        target: 'ratio ≤ 1.1',
      }),
    );
    log(figure(BENCH, 'bytes on the wire per track, member back to owner', 'B', back.bytesSent / tracks));
  }
  const roles = [
    ['owner', owner],
    ['member', member],
  ] as const;
  for (const [role, service] of roles) log(figure(BENCH, `${role} RSS right after the sync of ${tracks}`, 'MB', rssMiB(service.child.pid)));
  // A service gives back what a bulk grew its heap to once the bulk has been quiet a second
  // (plugins/rxdb/memory-trim.ts): measured when that has had time to happen.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  for (const [role, service] of roles) {
    const memory = residentMiB(service.child.pid);
    log(figure(BENCH, `${role} RSS after the sync of ${tracks}, settled (${SETTLE_MS / 1000} s)`, 'MB', memory.rss, { target: '≤ 250 MB' }));
    log(figure(BENCH, `  of which private (heaps, native)`, 'MB', memory.anon));
    log(figure(BENCH, `  of which mapped files (LMDB's pages, code; the kernel reclaims them)`, 'MB', memory.file));
    log(figure(BENCH, `  its database file`, 'MB', Math.round(statSync(join(service.dataDir, 'plugins', 'rxdb', DATABASE_FILE)).size / 1048576)));
  }

  // The member again, on its data: what opening the app on a big library costs, next to the
  // start of an empty service in the same run (what the tracks add to it is the open time).
  await services.stop(owner);
  await services.stop(member);
  // The empty service is made once, then reopened like the member: a first start also makes
  // its identity and database files, which no reopen does.
  const empty = await services.start('Empty');
  await services.stop(empty);
  const firstPages: number[] = [];
  const opens = await alternated(
    OPENS,
    async () => {
      let again: Service | undefined;
      const ms = await timed(async () => (again = await services.start('Member', member.dataDir)));
      firstPages.push(await timed(() => again!.client.request('playlists.get', { playlistId: playlist.id, limit: 100 })));
      await services.stop(again!);
      return ms;
    },
    async () => {
      let again: Service | undefined;
      const ms = await timed(async () => (again = await services.start('Empty', empty.dataDir)));
      await services.stop(again!);
      return ms;
    },
  );
  const [open, emptyOpen] = [percentile(opens.ours, 0.5), percentile(opens.raw, 0.5)];
  log(measurement(BENCH, `start to ready, a service holding ${tracks} tracks (raw: an empty service, reopened)`, 'ms', open, emptyOpen, { n: OPENS }));
  log(figure(BENCH, `  what holding ${tracks} tracks adds to the start (the difference of the medians)`, 'ms', open - emptyOpen, { target: '≤ 300 ms' }));
  log(figure(BENCH, `first playlists.get after that start (first 100 tracks)`, 'ms', percentile(firstPages, 0.5), { n: OPENS, target: '≤ 500 ms' }));
  const again = await services.start('Member', member.dataDir);
  const wholeMs = await timed(() => again.client.request('playlists.get', { playlistId: playlist.id }));
  log(figure(BENCH, `then the whole playlist of ${tracks} in one playlists.get`, 'ms', wholeMs));
  log(figure(BENCH, `RSS after a whole-playlist get`, 'MB', rssMiB(again.child.pid)));
  await services.stop(again);
}

async function fanOut(services: Services, log: (m: Measurement) => void, peers: number, tracks: number, edits = 30): Promise<void> {
  const owner = await services.start('Owner');
  const playlist = await owner.client.request('playlists.create', { name: 'Fan-out' });
  const added = await owner.client.request('tracks.add', { playlistId: playlist.id, tracks: songs(0, tracks) });
  const members: (Service & { id: string })[] = [];
  for (let i = 0; i < peers; i++) members.push(await services.start(`Member${i + 1}`));
  const syncMs = await timed(async () => {
    // Connected one after another, as people paste codes; each starts syncing once connected.
    const held: Promise<void>[] = [];
    for (const member of members) {
      await share(owner, member, playlist.id);
      held.push(holds(member, playlist.id, tracks));
    }
    await bounded('every peer holds every track', Promise.all(held));
  });
  log(figure(BENCH, `fan-out: ${tracks} tracks to ${peers} peers, until all hold them (connects included)`, 'ms', syncMs, { n: peers }));

  const editMs: number[] = [];
  for (let i = 0; i < edits; i++) {
    const track = added[(i * 331) % added.length]!;
    const title = `Edited ${i}`;
    const seen = members.map(
      (member) =>
        new Promise<number>((resolve) => {
          const off = member.client.on('tracks.changed', ({ tracks: changed }) => {
            if (!changed.some((t) => t.id === track.id && t.title === title)) return;
            off();
            resolve(performance.now());
          });
        }),
    );
    const began = performance.now();
    await owner.client.request('tracks.update', { trackId: track.id, title });
    const arrivals = await bounded('a live edit reaches every peer', Promise.all(seen));
    editMs.push(Math.max(...arrivals) - began);
  }
  log(figure(BENCH, `fan-out: live edit until all ${peers} peers have it, p50`, 'ms', percentile(editMs, 0.5), { n: edits }));
  log(figure(BENCH, `fan-out: live edit until all ${peers} peers have it, p95`, 'ms', percentile(editMs, 0.95), { n: edits, target: '≤ 50 ms at 8 peers' }));
  log(figure(BENCH, `fan-out: owner RSS with ${peers} peers`, 'MB', rssMiB(owner.child.pid)));
}

export async function scaleBenchmarks(log: (m: Measurement) => void): Promise<void> {
  const services = new Services();
  try {
    await start(services, log);
    await big(services, log, positive('SCALE_TRACKS', 100_000));
    await fanOut(services, log, positive('SCALE_PEERS', 8), positive('SCALE_FANOUT_TRACKS', 5_000));
  } finally {
    await services.close();
  }
}
