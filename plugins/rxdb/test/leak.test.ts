/**
 * Connect/close cycles between two services in this process that share a playlist, so that
 * replication pools start with every connection: once a connection closed, nothing of its
 * replication may stay in memory (issue 12, item 5).
 *
 * The cycles write nothing: RxDB 17.6 keeps every change event bulk it hands to a
 * `collection.$` subscriber (EVENT_BULK_CACHE in rx-change-event.js, a Map), so the heap grows
 * with every write whatever replication does. A cycle waits for its pools' handshake and first
 * sync instead, which the sync status events report only at their throttled pace.
 */
import { getHeapCodeStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, expect, it, vi } from 'vitest';
import type { ConnectionSummary } from '@whatnext/core';
import { connect, startInProcess, type TestPeer } from '../testing/harness';

/** What the test learns of the replication pools RxDB makes. */
const pools = vi.hoisted(() => ({
  made: 0,
  /** Every pool, and every fork replication state of one, weakly held. */
  live: new Set<WeakRef<object>>(),
  liveForks: new Set<WeakRef<object>>(),
  /** Told of each new pool's start: its handshake done and, on the fork side, the first sync. */
  onStart: undefined as ((started: Promise<void>) => void) | undefined,
}));

vi.mock('rxdb/plugins/replication-webrtc', async (importOriginal) =>
  (await import('../testing/watched-pools')).watchPools(await importOriginal(), (pool) => {
    pools.made++;
    pools.live.add(new WeakRef(pool));
    const started = pool.awaitFirstPeer().then(async (states) => {
      for (const { replicationState } of states.values()) {
        if (!replicationState) continue;
        pools.liveForks.add(new WeakRef(replicationState));
        await replicationState.awaitInitialReplication();
      }
    });
    // A pool nobody waits for may be cancelled before its first sync.
    started.catch(() => undefined);
    pools.onStart?.(started);
  }),
);

/** Resolves once `count` more pools have started. */
function poolsStarted(count: number): Promise<void> {
  const starts: Promise<void>[] = [];
  return new Promise((resolve, reject) => {
    pools.onStart = (started) => {
      starts.push(started);
      if (starts.length < count) return;
      pools.onStart = undefined;
      Promise.all(starts).then(() => resolve(), reject);
    };
  });
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = (bytes: number) => Math.round((bytes / 2 ** 20) * 100) / 100;

/** Collect garbage, then count the pools and fork replication states still alive. */
async function afterGc() {
  for (let i = 0; i < 2; i++) {
    // A fresh task each time: a WeakRef read in a task keeps its target alive until it ends.
    await new Promise(setImmediate);
    gc();
  }
  const alive = (refs: Set<WeakRef<object>>) => {
    for (const ref of refs) if (ref.deref() === undefined) refs.delete(ref);
    return refs.size;
  };
  const heapUsed = process.memoryUsage().heapUsed;
  const { code_and_metadata_size: code, bytecode_and_metadata_size: bytecode } = getHeapCodeStatistics();
  return {
    pools: alive(pools.live),
    forks: alive(pools.liveForks),
    heapMiB: MiB(heapUsed),
    // V8 goes on compiling and optimising the same functions for hundreds of cycles; that
    // code is no object anyone keeps.
    heapLessCodeMiB: MiB(heapUsed - code - bytecode),
  };
}

const peers: TestPeer[] = [];
afterAll(async () => {
  await Promise.all(peers.map((p) => p.stop()));
});

const closed = (peer: TestPeer, connectionId: string) =>
  peer.client.waitFor('connection.updated', (c: ConnectionSummary) => c.id === connectionId && c.state === 'closed');

it('frees the replication pools of every closed connection: live pools and the heap stay flat over 300 connect/close cycles', async () => {
  // A request cut by a close is retried after retryTimeMs before its fork sees it was
  // cancelled, and holds the fork and its pool until then: keep that short.
  const alice = await startInProcess('Alice', { rxdb: { retryTimeMs: 10 } });
  const bob = await startInProcess('Bob', { rxdb: { retryTimeMs: 10 } });
  peers.push(alice, bob);
  const playlist = await alice.client.request('playlists.create', { name: 'Cycles' });
  await alice.client.request('playlists.share', { playlistId: playlist.id, peerId: bob.id });

  // Per connection, each side runs a pool for playlists and one for tracks.
  const perConnection = 4;
  async function cycle(): Promise<void> {
    const started = poolsStarted(perConnection);
    const link = await connect(alice, bob);
    await started;
    const bothClosed = Promise.all([closed(alice, link.inviter), closed(bob, link.answerer)]);
    await alice.client.request('connections.close', { connectionId: link.inviter });
    await bothClosed;
  }

  const measured = new Map<number, Awaited<ReturnType<typeof afterGc>>>();
  for (let n = 1; n <= 300; n++) {
    await cycle();
    if (n === 50 || n === 300) measured.set(n, await afterGc());
  }
  const [at50, at300] = [measured.get(50)!, measured.get(300)!];
  console.log('after forced GC', { at50, at300 });

  expect(pools.made).toBeGreaterThanOrEqual(300 * perConnection);
  for (const live of [at50, at300]) {
    // The last connection's pools may still be stopping and the one before's may still wait
    // out a retry; none of an earlier one may be left. One side of each pair is the fork.
    expect(live.pools).toBeLessThanOrEqual(2 * perConnection);
    expect(live.forks).toBeLessThanOrEqual(perConnection);
  }
  expect(at300.heapLessCodeMiB).toBeLessThanOrEqual(at50.heapLessCodeMiB * 1.05);
}, 180_000);
