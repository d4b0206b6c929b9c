/**
 * Test kit: services driven through the protocol (in this process or forked), connected with
 * manual signaling, and bounded waits for conditions.
 */
import { createClient, defineConfig, type ServiceClient } from '@whatnext/core';
import { createMemoryTransport, createPortPair, memoryTransport, memoryTransportPlugin, type MemoryPipeOptions } from '@whatnext/core/testing';
import { Service } from '../../../host/service/service';
import { Tracker, connectBroker, connectManual, type Connected } from '../../../host/service/testing/flows';
import { manual } from '../../manual';
import { rxdb, type RxdbOptions } from '../index';
import { playlistsProtocol, type WithPlaylists } from '../protocol';
import { tempDir } from '../../../host/service/testing/temp-dirs';

export interface TestPeer {
  name: string;
  id: string;
  dataDir: string;
  client: ServiceClient<WithPlaylists>;
  stop(): Promise<void>;
}

/** A service in this process over the in-memory transport (`transport`: its pipes' options, and
 * `onPipe` to hold this peer's ends). */
export async function startInProcess(
  name: string,
  options: { dataDir?: string; rxdb?: Partial<RxdbOptions>; transport?: MemoryPipeOptions } = {},
): Promise<TestPeer> {
  const dataDir = options.dataDir ?? tempDir(`whatnext-rxdb-${name.toLowerCase()}-`);
  const service = new Service({
    dataDir,
    name,
    config: defineConfig({
      plugins: [
        memoryTransportPlugin(options.transport ? createMemoryTransport(options.transport) : memoryTransport),
        manual({ transports: ['memory'] }),
        rxdb({ retryTimeMs: 100, ...options.rxdb }),
      ],
    }),
    logger: (level, message) => {
      if (process.env.WHATNEXT_TEST_VERBOSE || level === 'error') process.stderr.write(`[${name} ${level}] ${message}\n`);
    },
  });
  const [servicePort, clientPort] = createPortPair();
  service.serve(servicePort);
  const client = createClient<WithPlaylists>(clientPort, { protocols: [playlistsProtocol] });
  await service.start();
  const status = await client.request('service.status', {});
  let stopped = false;
  return watch({
    name,
    id: status.local.id,
    dataDir,
    client,
    async stop() {
      if (stopped) return;
      stopped = true;
      watched.delete(client);
      await service.stop();
      client.close();
    },
  });
}

/** Connect two peers as a user would (host/service/testing/flows.ts): invite, open the link,
 * approve, and with manual signaling paste the reply code back. Resolves with each side's
 * connection id. */
export async function connect(inviter: { client: ServiceClient }, answerer: { client: ServiceClient }, method = 'manual'): Promise<Connected> {
  const a = new Tracker(inviter.client);
  const b = new Tracker(answerer.client);
  try {
    return await (method === 'manual' ? connectManual(a, b) : connectBroker(a, b, method));
  } finally {
    a.stop();
    b.stop();
  }
}

/** Clients whose events wake `eventually`. */
const watched = new Set<ServiceClient<WithPlaylists>>();
const WAKING_EVENTS = ['playlists.changed', 'tracks.changed', 'sync.changed', 'connection.updated', 'attempt.updated'] as const;

/** Let this client's events wake `eventually` (peers made here are watched already). */
export function watch<C extends { client: ServiceClient<WithPlaylists> }>(peer: C): C {
  watched.add(peer.client);
  return peer;
}

/** Settles at the next event of any of `clients`, or after `fallbackMs` at the latest;
 * `cancel` stops listening (and its timer) early. */
function nextEvent(fallbackMs: number, clients: Iterable<ServiceClient<WithPlaylists>>): { settled: Promise<void>; cancel(): void } {
  const offs: (() => void)[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let done = () => {};
  const settled = new Promise<void>((resolve) => {
    done = () => {
      clearTimeout(timer);
      for (const off of offs.splice(0)) off();
      resolve();
    };
  });
  timer = setTimeout(done, fallbackMs);
  for (const client of clients) for (const event of WAKING_EVENTS) offs.push(client.on(event, done));
  return { settled, cancel: done };
}

/**
 * Re-run `check` until it stops throwing: again after each event a watched client emits (a
 * change, a sync step, a connection update), or after `fallbackMs` when none comes (some state,
 * such as a process's death, has no event); fail with its last error after `timeoutMs`.
 * `clients`: only these clients' events wake it (many pairs at once need not check each other's).
 */
export async function eventually<T>(
  check: () => Promise<T> | T,
  options: { timeoutMs?: number; fallbackMs?: number; clients?: readonly ServiceClient<WithPlaylists>[] } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    const woken = nextEvent(options.fallbackMs ?? 1000, options.clients ?? watched); // listen before checking: no event is missed
    try {
      const value = await check();
      woken.cancel();
      return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      woken.cancel();
      throw lastError;
    }
    await woken.settled;
  }
}

/** A playlist's content as a user sees it: names and track titles in order. */
export async function snapshot(client: ServiceClient<WithPlaylists>, playlistId: string) {
  const { playlist, tracks } = await client.request('playlists.get', { playlistId });
  return { name: playlist.name, sharedWith: playlist.sharedWith, tracks: tracks.map((t) => `${t.title}|${t.artist}|${t.position}`) };
}

export const songs = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({ title: `${prefix} ${i + 1}`, artist: `${prefix} band`, durationMs: 180_000 + i }));
