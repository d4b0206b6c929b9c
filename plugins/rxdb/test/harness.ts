/**
 * Test kit: services driven through the protocol (in this process or forked), connected with
 * manual signalling, and bounded waits for conditions.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '../../../core/config';
import { definePlugin } from '../../../core/plugin';
import { createClient, type ServiceClient } from '../../../core/protocol/client';
import type { AttemptSummary } from '../../../core/protocol';
import { createPortPair } from '../../../core/protocol/port';
import { memoryTransport } from '../../../core/testing';
import { Service } from '../../../host/service/service';
import { manual } from '../../manual';
import { rxdb, type RxdbOptions } from '../index';

export interface TestPeer {
  name: string;
  id: string;
  dataDir: string;
  client: ServiceClient;
  stop(): Promise<void>;
}

const memory = definePlugin({
  name: 'memory-transport',
  version: '1.0.0',
  api: '^1.0.0',
  setup: (ctx) => ctx.registerTransport(memoryTransport),
});

/** A service in this process over the in-memory transport. */
export async function startInProcess(name: string, options: { dataDir?: string; rxdb?: Partial<RxdbOptions> } = {}): Promise<TestPeer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), `whatnext-rxdb-${name.toLowerCase()}-`));
  const service = new Service({
    dataDir,
    name,
    config: defineConfig({ plugins: [memory(), manual({ transport: 'memory' }), rxdb({ retryTimeMs: 100, ...options.rxdb })] }),
    logger: (level, message) => {
      if (process.env.WHATNEXT_TEST_VERBOSE || level === 'error') process.stderr.write(`[${name} ${level}] ${message}\n`);
    },
  });
  const [servicePort, clientPort] = createPortPair();
  service.serve(servicePort);
  const client = createClient(clientPort);
  await service.start();
  const status = await client.request('service.status', {});
  let stopped = false;
  return {
    name,
    id: status.local.id,
    dataDir,
    client,
    async stop() {
      if (stopped) return;
      stopped = true;
      await service.stop();
      client.close();
    },
  };
}

/** Connect two peers as a user would: invite, open the link, approve, and with manual
 * signalling paste the reply code back. Resolves with each side's connection id. */
export async function connect(inviter: { client: ServiceClient }, answerer: { client: ServiceClient }, method = 'manual'): Promise<{ inviter: string; answerer: string }> {
  const a = attempts(inviter.client);
  const b = attempts(answerer.client);
  try {
    const invite = await inviter.client.request('attempts.invite', { method });
    const shown = await a.next((x) => x.id === invite.id && !!x.invite && (method !== 'manual' || !!x.question));
    const request = await answerer.client.request('links.open', { link: shown.invite!.link });
    await answerer.client.request('attempts.approve', { attemptId: request.id });
    if (method === 'manual') {
      const reply = await b.next((x) => x.id === request.id && x.displays.some((d) => !!d.code));
      await inviter.client.request('attempts.answer', { attemptId: invite.id, questionId: shown.question!.id, answer: reply.displays.find((d) => d.code)!.code! });
    }
    const [opened, answered] = await Promise.all([
      a.next((x) => x.id === invite.id && x.state === 'open'),
      b.next((x) => x.id === request.id && x.state === 'open'),
    ]);
    return { inviter: opened.connectionId!, answerer: answered.connectionId! };
  } finally {
    a.stop();
    b.stop();
  }
}

/** Attempt events from the moment of the call, and a way to wait for one (failures throw). */
function attempts(client: ServiceClient) {
  const seen: AttemptSummary[] = [];
  const waiting = new Set<() => void>();
  const off = client.on('attempt.updated', (attempt) => {
    seen.push(attempt);
    for (const check of [...waiting]) check();
  });
  return {
    stop: off,
    next(predicate: (a: AttemptSummary) => boolean, timeoutMs = 30_000): Promise<AttemptSummary> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error('timed out waiting for an attempt update')), timeoutMs);
        const done = (result: AttemptSummary | Error) => {
          clearTimeout(timer);
          waiting.delete(check);
          if (result instanceof Error) reject(result);
          else resolve(result);
        };
        const check = () => {
          const failed = seen.find((x) => x.state === 'failed' || x.state === 'rejected');
          if (failed) return done(new Error(`attempt ${failed.id} ${failed.state}: ${failed.error?.message}`));
          const match = seen.find(predicate);
          if (match) done(match);
        };
        waiting.add(check);
        check();
      });
    },
  };
}

/**
 * Re-run `check` until it stops throwing, re-checking after each event the clients emit and
 * at least every `pollMs`; fail with its last error after `timeoutMs`.
 */
export async function eventually<T>(check: () => Promise<T> | T, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw lastError;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 50));
  }
}

/** A playlist's content as a user sees it: names and track titles in order. */
export async function snapshot(client: ServiceClient, playlistId: string) {
  const { playlist, tracks } = await client.request('playlists.get', { playlistId });
  return { name: playlist.name, sharedWith: playlist.sharedWith, tracks: tracks.map((t) => `${t.title}|${t.artist}|${t.position}`) };
}

export const songs = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({ title: `${prefix} ${i + 1}`, artist: `${prefix} band`, durationMs: 180_000 + i }));
