/**
 * A new connection to a peer whose old one died unnoticed on one side (a link down for a few
 * seconds, an address change): replication goes on over it at once. Two playlist runtimes with
 * real RxDB databases, driven the way the host drives them (connectionOpened / Closed), over
 * real core connections on memory pipes. The old connection's pipe stops delivering, and only
 * one side is told it closed, as in the network lab: the other still holds it when the new one
 * opens, and lets it go later.
 *
 * What is checked is order, never time: the side that sees the new connection first starts its
 * pools before the other side has said hello on it; the side that still held the old one keeps
 * its pools (no handshake, no new fork) and neither the new connection nor the old one's end
 * restarts them; edits made on both sides while apart converge, each exactly once.
 */
import { afterEach, expect, it, vi } from 'vitest';
import type { Connection, PeerInfo, ConnectionRecord } from '@whatnext/core';
import { createMemoryPipePair, createTestConnection, type MemoryPipe } from '@whatnext/core/testing';
import { tempDir } from '../../../host/service/testing/temp-dirs';
import { startRuntime, type PlaylistRuntime } from '../runtime';
import { songs } from '../testing/harness';
import { isForkPool, type Pool } from '../testing/watched-pools';

/** The replication pools RxDB makes, per database (one database per runtime). */
const pools = vi.hoisted(() => ({
  made: new Map<string, number>(),
  /** The latest pool of each database, to tell which side RxDB made the fork. */
  latest: new Map<string, Pool>(),
  listeners: new Set<() => void>(),
}));

vi.mock('rxdb/plugins/replication-webrtc', async (importOriginal) =>
  (await import('../testing/watched-pools')).watchPools(await importOriginal(), (pool, options) => {
    const name = options.collection.database.name;
    pools.made.set(name, (pools.made.get(name) ?? 0) + 1);
    pools.latest.set(name, pool);
    for (const listener of pools.listeners) listener();
  }),
);

interface Side {
  info: PeerInfo;
  runtime: PlaylistRuntime;
  made(): number;
  /** Whether RxDB made this side the fork (the one that pulls and pushes) in its latest pool. */
  isFork(): boolean;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function side(id: string, name: string): Promise<Side> {
  const info = { id, name };
  const runtime = await startRuntime(
    { dataDir: tempDir(`whatnext-rxdb-${name.toLowerCase()}-`), local: info, log: () => undefined },
    // Requests lost on the dead connection must not come back by their timeout within the test.
    { batchSize: 500, requestTimeoutMs: 300_000, retryTimeMs: 1000, devMode: false },
  );
  cleanups.push(() => runtime.stop());
  const database = `wn${id}`;
  return {
    info,
    runtime,
    made: () => pools.made.get(database) ?? 0,
    isFork: () => isForkPool(pools.latest.get(database)),
  };
}

/** Resolves once `holds()`, re-checked whenever `subscribe`'s listener is called (bounded). */
function until(holds: () => boolean, subscribe: (listener: () => void) => () => void, failure: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!holds()) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(failure()));
    }, 15_000);
    const off = subscribe(check);
    const done = () => {
      clearTimeout(timer);
      off();
    };
    check();
  });
}

/** Resolves once `side` has made `count` pools in all. */
function poolsMade(side: Side, count: number): Promise<void> {
  const subscribe = (listener: () => void) => {
    pools.listeners.add(listener);
    return () => pools.listeners.delete(listener);
  };
  return until(
    () => side.made() >= count,
    subscribe,
    () => `${side.info.name} made ${side.made()} pools, not ${count}`,
  );
}

/** Both sides show the playlist in sync with each other. */
function inSync(sides: Side[], playlistId: string): Promise<void> {
  const states = () => sides.map((s) => s.runtime.syncStatus().find((e) => e.playlistId === playlistId)?.state);
  const subscribe = (listener: () => void) => {
    const offs = sides.map((s) => s.runtime.onSyncChange(listener));
    return () => offs.forEach((off) => off());
  };
  return until(
    () => states().every((state) => state === 'in-sync'),
    subscribe,
    () => `not in sync: ${states().join(', ')}`,
  );
}

interface Link {
  records: [ConnectionRecord, ConnectionRecord];
  pipes: { a: MemoryPipe; b: MemoryPipe };
}

/** A real core connection between `a` and `b` on a memory pipe, open on both ends; the host's
 * part (telling each runtime) is left to the test. */
async function connect(a: Side, b: Side, id: string): Promise<Link> {
  // The old connection must not be ended by its heartbeat while the test runs.
  const options = { deadPeerTimeoutMs: 120_000 };
  const ends = [createTestConnection({ local: a.info, ...options }), createTestConnection({ local: b.info, ...options })] as const;
  const pipes = createMemoryPipePair(ends[0].sink, ends[1].sink);
  ends[0].attach(pipes.a);
  ends[1].attach(pipes.b);
  await Promise.all(ends.map((end) => end.opened));
  cleanups.push(() => Promise.all(ends.map((end: Connection) => end.close())).then(() => undefined));
  const record = (connection: Connection, remote: PeerInfo, direction: 'incoming' | 'outgoing'): ConnectionRecord => ({
    id,
    method: 'test',
    transport: 'memory',
    direction,
    remote,
    connection,
  });
  return { records: [record(ends[0], b.info, 'outgoing'), record(ends[1], a.info, 'incoming')], pipes };
}

/** Both sides hold exactly `titles` in the playlist (re-checked on every track change, bounded). */
async function converged(sides: Side[], playlistId: string, titles: Set<string>): Promise<void> {
  const holds = async (s: Side) => {
    const { tracks } = await s.runtime.store.get(playlistId).catch(() => ({ tracks: [] as { title: string }[] }));
    const got = tracks.map((t) => t.title);
    return got.length === titles.size && got.every((title) => titles.has(title));
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const changed = new Promise<void>((resolve) => {
      const offs = sides.map((s) => s.runtime.store.on('tracks', () => done()));
      // Re-check now and then too, as the harness's `eventually` does (not a synchronisation).
      const timer = setTimeout(() => done(), 1000);
      const done = () => {
        clearTimeout(timer);
        for (const off of offs) off();
        resolve();
      };
    });
    if ((await Promise.all(sides.map(holds))).every(Boolean)) return;
    if (Date.now() > deadline) {
      const held = await Promise.all(sides.map((s) => s.runtime.store.get(playlistId).then((p) => p.tracks.map((t) => t.title))));
      throw new Error(`not converged: ${JSON.stringify(held)}`);
    }
    await changed;
  }
}

// RxDB picks the fork by the two databases' random tokens: each role is put on the side that
// holds the old connection in turn. A fork holding it has its pushes of the edits made apart
// lost on the dead connection (sent again on the new one); a master, its change events.
it.each(['fork', 'master'] as const)(
  'a new connection takes over from one that died unnoticed (the %s held it): pools go on at once, edits made apart converge once',
  async (holderRole) => {
    const alice = await side('aaaaaaaaaaaaaaaaaaaaaaaaaa', 'Alice');
    const bob = await side('bbbbbbbbbbbbbbbbbbbbbbbbbb', 'Bob');
    const playlist = await alice.runtime.store.create('Together');
    await alice.runtime.store.share(playlist.id, bob.info.id);
    const titles = new Set<string>();
    const add = async (s: Side, prefix: string, count: number) => {
      for (const track of await s.runtime.store.addTracks(playlist.id, songs(prefix, count))) titles.add(track.title);
    };
    await add(alice, 'Before', 2);

    const first = await connect(alice, bob, 'c1');
    alice.runtime.replicator.opened(first.records[0]);
    bob.runtime.replicator.opened(first.records[1]);
    await converged([alice, bob], playlist.id, titles);
    expect(alice.isFork()).not.toBe(bob.isFork());
    const holder = alice.isFork() === (holderRole === 'fork') ? alice : bob;
    const noticer = holder === alice ? bob : alice;
    const end = (link: Link, s: Side) => link.records[s === alice ? 0 : 1];
    // The fork's checkpoint catches up with everything before the split: a change the master
    // makes now reaches the fork after every change before it (one ordered channel), and the
    // fork goes idle once it stored its checkpoint. Otherwise the echo of the fork's own first
    // pushes may still be on the way when the link dies, and comes again on the new one.
    await add(alice.isFork() ? bob : alice, 'Settled', 1);
    await converged([alice, bob], playlist.id, titles);
    await inSync([alice, bob], playlist.id);

    // The link dies: nothing gets through any more. One side notices and drops the connection;
    // the holder still holds it, open, and edits on both sides go out on it into the void.
    first.pipes.a.pauseReading();
    first.pipes.b.pauseReading();
    noticer.runtime.replicator.closed(end(first, noticer));
    await add(noticer, 'Noticer apart', 3);
    await add(holder, 'Holder apart', 3);
    const receivedBefore = holder.runtime.syncStatus().find((e) => e.playlistId === playlist.id)!.received;

    const second = await connect(alice, bob, 'c2');
    const [noticerBefore, holderBefore] = [noticer.made(), holder.made()];
    // The noticer's pools start on the new connection before the holder has even said hello.
    noticer.runtime.replicator.opened(end(second, noticer));
    await poolsMade(noticer, noticerBefore + 2);
    expect(holder.made()).toBe(holderBefore);

    // The holder's pools, still running from the old connection, go on over the new one.
    holder.runtime.replicator.opened(end(second, holder));
    await converged([alice, bob], playlist.id, titles);
    const holderLink = holder.runtime.replicator.link(noticer.info.id)!;
    await holderLink.settled();
    expect(holder.made()).toBe(holderBefore);

    // The holder lets the old connection go: it carried nothing since, so nothing restarts.
    holder.runtime.replicator.closed(end(first, holder));
    await holderLink.settled();
    expect(holder.made()).toBe(holderBefore);

    // And replication is live both ways over the new connection.
    await add(noticer, 'Noticer after', 1);
    await add(holder, 'Holder after', 1);
    await converged([alice, bob], playlist.id, titles);
    expect(holder.made()).toBe(holderBefore);

    // Resumed from the checkpoints: less came to the holder than the playlist holds.
    const received = holder.runtime.syncStatus().find((e) => e.playlistId === playlist.id)!.received - receivedBefore;
    expect(received).toBeLessThan(titles.size + 1);
  },
);
