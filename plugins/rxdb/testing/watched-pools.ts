/**
 * RxDB's WebRTC replication with every pool it makes shown to the test first: for `vi.mock`,
 * whose factory may only reach other modules by importing them.
 *
 *   vi.mock('rxdb/plugins/replication-webrtc', async (importOriginal) =>
 *     (await import('../testing/watched-pools')).watchPools(await importOriginal(), (pool, options) => ...));
 */
import type * as ReplicationWebRTC from 'rxdb/plugins/replication-webrtc';

type Module = typeof ReplicationWebRTC;
export type Pool = Awaited<ReturnType<Module['replicateWebRTC']>>;
export type PoolOptions = Parameters<Module['replicateWebRTC']>[0];

export function watchPools(original: Module, onPool: (pool: Pool, options: PoolOptions) => void): Module {
  return {
    ...original,
    async replicateWebRTC(options: PoolOptions) {
      const pool = await original.replicateWebRTC(options);
      onPool(pool, options);
      return pool;
    },
  } as Module;
}

/** Whether RxDB made this side the fork (the one that pulls and pushes) of `pool`. */
export function isForkPool(pool: Pick<Pool, 'peerStates$'> | undefined): boolean {
  return [...(pool?.peerStates$.getValue().values() ?? [])].some((state) => state.replicationState !== undefined);
}
