/**
 * A real service process against what an attacker (or a faulty plugin) tries: a link built to
 * freeze its pattern matching, a link that claims a known peer to make it contact a server of
 * the link's choosing, and plugins that reach outside the least privilege it runs with.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttemptSummary } from '../../../core/protocol/shapes';
import { ServiceError } from '../../../core/protocol/client';
import { spawnService, type SpawnedService } from '../testing/spawn';
import { tempDir } from '../testing/temp-dirs';

const HOSTILE = fileURLToPath(new URL('../testing/fixtures/hostile.config.ts', import.meta.url));
const KNOWN = 'kn0wnpeerkn0wnpeerkn0wnpee';

const running: SpawnedService[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.stop()));
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function start(options: Partial<Parameters<typeof spawnService>[0]> = {}): Promise<SpawnedService> {
  const service = await spawnService({ config: HOSTILE, ...options });
  running.push(service);
  return service;
}

/** A TCP server on a free loopback port that only counts who connects. */
async function countingServer(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, connections: () => connections };
}

const peerjsLink = (params: Record<string, string>) =>
  `whtnxt://connect?${new URLSearchParams({ v: '1', via: 'peerjs', n: 'x', t: 'abcdefgh', h: '127.0.0.1', p: '9000', pt: '/whatnext', k: 'peerjs', s: '0', id: KNOWN, ...params })}`;

describe('service hardening', () => {
  it('refuses a link built to make its broker-path pattern backtrack, and keeps answering', async () => {
    const service = await start();
    const frozen = peerjsLink({ pt: `/${'a'.repeat(120)}!` });
    const error = await service.client.request('links.open', { link: frozen }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).info).toMatchObject({ code: 'link_invalid', reason: 'bad-param', message: expect.stringContaining('broker path') });
    expect((await service.client.request('service.status', {})).state).toBe('running');
  });

  it('asks the user about a link claiming a known peer, and contacts nothing before', async () => {
    const dataDir = tempDir('whatnext-hardening-');
    const now = Date.now();
    writeFileSync(join(dataDir, 'known-peers.json'), JSON.stringify([{ id: KNOWN, name: 'Known', approvedAt: now, lastSeenAt: now, lastMethod: 'peerjs' }]));
    const service = await start({ dataDir });
    await service.client.request('settings.update', { autoAcceptKnownPeers: true });
    expect(await service.client.request('peers.known', {})).toMatchObject([{ id: KNOWN }]);

    // The "broker" the link names is the attacker's own server.
    const attacker = await countingServer();
    const opened = await service.client.request('links.open', { link: peerjsLink({ p: String(attacker.port) }) });
    expect(opened).toMatchObject({ state: 'awaiting-approval', remote: { id: KNOWN } });
    // Policies have had their say by the time a later request is answered (requests are served
    // in order): the attempt still waits for the user.
    const listed = (await service.client.request('attempts.list', {})).find((a) => a.id === opened.id);
    expect(listed).toMatchObject({ state: 'awaiting-approval' });
    expect(listed?.decidedBy).toBeUndefined();

    const rejected = service.client.waitFor('attempt.updated', (a: AttemptSummary) => a.id === opened.id && a.state === 'rejected');
    await service.client.request('attempts.reject', { attemptId: opened.id });
    expect(await rejected).toMatchObject({ decidedBy: 'user' });
    expect(attacker.connections()).toBe(0);
  });

  it('runs with least privilege: plugins that reach further fail by name and permission, and the service stays up', async () => {
    const elsewhere = tempDir('whatnext-elsewhere-');
    const escape = join(elsewhere, 'escaped.txt');
    const secret = join(elsewhere, 'secret.txt');
    writeFileSync(secret, 'not for plugins');
    const service = await start({ env: { WHATNEXT_TEST_ESCAPE: escape, WHATNEXT_TEST_SECRET: secret } });

    const status = await service.client.request('service.status', {});
    expect(status).toMatchObject({ state: 'running', permissions: { enforced: true, allowed: ['write its data folder'] } });

    const plugins = Object.fromEntries((await service.client.request('plugins.list', {})).map((p) => [p.name, p]));
    const refusal = (plugin: string, permission: string) => ({
      state: 'failed',
      error: {
        code: 'plugin_error',
        hook: 'init',
        message: expect.stringMatching(
          new RegExp(`^\\[plugin ${plugin}\\] hook init failed: the process is not permitted to do this \\(permission ${permission}`),
        ),
      },
    });
    expect(plugins['writes-outside']).toMatchObject(refusal('writes-outside', 'FileSystemWrite'));
    expect(plugins['writes-outside']!.error!.message).toContain(escape);
    expect(plugins['reads-outside']).toMatchObject(refusal('reads-outside', 'FileSystemRead'));
    expect(plugins['spawns-a-process']).toMatchObject(refusal('spawns-a-process', 'ChildProcess'));
    expect(plugins['starts-a-worker']).toMatchObject(refusal('starts-a-worker', 'WorkerThreads'));
    expect(existsSync(escape)).toBe(false);
    // The real plugins beside them work.
    for (const name of ['manual', 'simple-peer', 'peerjs']) expect(plugins[name]?.state).toBe('active');
    // A promise nobody awaited is logged, not fatal.
    expect(service.stderr()).toContain('a promise nobody awaited failed: nobody awaits this');
    expect((await service.client.request('service.status', {})).state).toBe('running');
    expect(await service.stop()).toBe(0);
  });
});
