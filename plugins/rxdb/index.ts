/**
 * The rxdb plugin: playlists in an RxDB database in the plugin's data folder, replicated with
 * RxDB's replicateWebRTC over every core connection, whatever transport carries it.
 * See README.md for the storage, sharing and merge rules.
 */
import { z } from 'zod';
import { definePlugin } from '../../core/plugin';
import type { HostHooks } from '../../core/host/hooks';
import { describe } from '../../core/errors';
import { startRuntime, type PlaylistRuntime } from './runtime';

export const RxdbOptions = z
  .object({
    batchSize: z.number().int().min(1).max(10_000).default(500).describe('Documents per replication request (RxDB defaults to 20)'),
    requestTimeoutMs: z.number().int().min(1000).max(300_000).default(20_000).describe('How long a replication request may take'),
    retryTimeMs: z.number().int().min(10).max(60_000).default(1000).describe('Wait before retrying a failed replication request'),
    devMode: z.boolean().default(false).describe("RxDB's dev-mode checks (slow; for development)"),
  })
  .strict();
export type RxdbOptions = z.output<typeof RxdbOptions>;

const runtimes = new WeakMap<HostHooks, PlaylistRuntime>();

/** The playlists of a host that loaded this plugin (undefined before init or without it). */
export function playlistsOf(host: { readonly hooks: HostHooks }): PlaylistRuntime | undefined {
  return runtimes.get(host.hooks);
}

export const rxdb = definePlugin({
  name: 'rxdb',
  version: '1.0.0',
  api: '^1.0.0',
  description: 'Playlists stored on this device and replicated with the peers you share them with.',
  options: RxdbOptions,
  setup(ctx, options) {
    ctx.hooks.init.tapPromise(ctx.name, async () => {
      runtimes.set(ctx.hooks, await startRuntime(ctx, options));
    });
    ctx.hooks.connectionOpened.tapPromise(ctx.name, async (record) => {
      runtimes.get(ctx.hooks)?.replicator.opened(record);
    });
    ctx.hooks.connectionClosed.tap(ctx.name, (record) => {
      runtimes.get(ctx.hooks)?.replicator.closed(record);
    });
    ctx.hooks.shutdown.tapPromise(ctx.name, async () => {
      const runtime = runtimes.get(ctx.hooks);
      runtimes.delete(ctx.hooks);
      await runtime?.stop().catch((error: unknown) => ctx.log('error', `closing the playlist database failed: ${describe(error)}`));
    });
  },
});

export type { PlaylistRuntime };
