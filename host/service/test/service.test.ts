/**
 * The real service entry, forked as a child process and driven through the protocol.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fork } from 'node:child_process';
import { serialize } from 'node:v8';
import { READY_LINE, serviceLaunch } from '../fork';
import { childIpcPort } from '../ports';
import { spawnService, type SpawnedService } from '../testing/spawn';
import { tempDir } from '../testing/temp-dirs';

import { ServiceError, createClient } from '../../../core/protocol/client';
import type { ProtocolOf } from '../../../core/config';
import type featureConfig from '../testing/fixtures/feature.config';
import { echoProtocol } from '../testing/fixtures/echo-plugin';

const FAULTY = fileURLToPath(new URL('../testing/fixtures/faulty.config.ts', import.meta.url));

/** The most deeply nested object V8 can serialize here (objects nest less deep than arrays). */
function deepestSerializable(): unknown {
  for (let depth = 6000; depth > 0; depth -= 100) {
    let deep: unknown = 'bottom';
    for (let i = 0; i < depth; i++) deep = { d: deep };
    try {
      serialize(deep);
      return deep;
    } catch {
      // too deep to write: try less
    }
  }
  throw new Error('could not serialize any nesting');
}
const running: SpawnedService[] = [];
const start = async (...args: Parameters<typeof spawnService>) => {
  const service = await spawnService(...args);
  running.push(service);
  return service;
};
afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.stop()));
});

describe('service process', () => {
  it('starts, reports its status and persists its identity in the data folder', async () => {
    const service = await start({ name: 'Alice', config: FAULTY });
    const status = await service.client.request('service.status', {});
    expect(status).toMatchObject({ state: 'running', local: { name: 'Alice' }, dataDir: service.dataDir, pid: service.child.pid });
    expect(status.local.id).toMatch(/^[0-9a-z]{26}$/);
    const identity = JSON.parse(readFileSync(join(service.dataDir, 'identity.json'), 'utf8'));
    expect(identity.id).toBe(status.local.id);

    // The same data folder gives the same peer on the next start.
    expect(await service.stop()).toBe(0);
    const again = await start({ dataDir: service.dataDir, config: FAULTY });
    expect((await again.client.request('service.status', {})).local).toEqual({ id: status.local.id, name: 'Alice' });
  });

  it('lists plugins: the faulty ones failed by name and hook, the others are active', async () => {
    const service = await start({ config: FAULTY });
    const plugins = await service.client.request('plugins.list', {});
    const byName = Object.fromEntries(plugins.map((p) => [p.name, p]));
    expect(Object.keys(byName)).toEqual(['rate-limit', 'known-peers', 'throws-at-init', 'hangs-at-init', 'bad-options', 'healthy', 'tunable']);
    expect(byName['throws-at-init']).toMatchObject({
      state: 'failed',
      error: { code: 'plugin_error', hook: 'init', message: '[plugin throws-at-init] hook init failed: database unavailable' },
    });
    expect(byName['hangs-at-init']).toMatchObject({
      state: 'failed',
      error: { code: 'plugin_timeout', hook: 'init', message: '[plugin hangs-at-init] hook init did not finish within 300 ms' },
    });
    expect(byName['bad-options']!.state).toBe('failed');
    expect(byName['bad-options']!.error!.message).toMatch(/\[plugin bad-options\] has invalid options:[\s\S]*port/);
    expect(byName.healthy).toMatchObject({ state: 'active', version: '2.1.0', description: 'Does nothing, reliably.' });
    // ... and the host kept serving.
    expect((await service.client.request('service.status', {})).state).toBe('running');
  });

  it('keeps serving when its log has no reader any more, and exits 0 when its parent goes away', async () => {
    const dataDir = tempDir('whatnext-service-');
    const launch = await serviceLaunch({ dataDir, config: FAULTY });
    const child = fork(launch.entry, ['--data-dir', dataDir], {
      execArgv: launch.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      let seen = '';
      await new Promise<void>((resolve) => child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (seen += chunk).includes(READY_LINE) && resolve()));
      // A parent that dies takes the read end of the service's stderr with it: from now on every
      // log line the service writes fails (EPIPE).
      child.stderr!.destroy();
      const client = createClient(childIpcPort(child));
      // A failing request is logged ...
      const refused = await client.request('links.open', { link: 'whtnxt://connect?v=2&via=manual' }).catch((e: unknown) => e);
      expect((refused as ServiceError).info.code).toBe('link_invalid');
      // ... and the service is still there to answer the next one.
      expect((await client.request('service.status', {})).state).toBe('running');
      child.disconnect(); // the rest of a parent going away: the service shuts down
      expect(await exited).toEqual({ code: 0, signal: null });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
  });

  it('answers invalid requests with an error response and keeps serving', async () => {
    const service = await start({ config: FAULTY });
    const raw: unknown[] = [];
    const port = service.port;
    const off = port.onMessage((message) => raw.push(message));
    const responses = new Promise<void>((resolve) => {
      const check = port.onMessage(() => {
        if (raw.filter((m) => (m as { type?: string }).type === 'response').length >= 9) {
          check();
          resolve();
        }
      });
    });
    port.send({ type: 'request', id: 901, method: 'no.such.method', params: {} });
    port.send({ type: 'request', id: 902, method: 'links.open', params: { link: 42 } });
    port.send('not even an object');
    port.send({ type: 'request', id: 904, method: 'settings.update', params: { displayName: '' } });
    // Undefined crosses a structured clone: the field is absent, and the settings stay whole.
    port.send({ type: 'request', id: 909, method: 'settings.update', params: { displayName: undefined } });
    // 2,000 levels (4 KB): the IPC's structured clone carries it, but the recursive parse of the
    // request schema would run out of stack and take the service down.
    const deep = JSON.parse('['.repeat(2000) + ']'.repeat(2000));
    port.send({ type: 'request', id: 905, method: 'connections.send', params: { connectionId: 'c1', channel: 'chat', message: deep } });
    // 100 levels of [x, x]: the structured clone keeps the sharing, so a few hundred bytes stand
    // for 2^100 arrays, and a walk of it would never end.
    let shared: unknown[] = [];
    for (let i = 0; i < 100; i++) shared = [shared, shared];
    port.send({ type: 'request', id: 906, method: 'connections.send', params: { connectionId: 'c1', channel: 'chat', message: shared } });
    // 13 bytes through the structured clone, five million indexes to any walk: it blocked the
    // service for seconds, then ran it out of memory.
    const holes: unknown[] = [];
    holes.length = 5_000_000;
    port.send({ type: 'request', id: 907, method: 'connections.send', params: { connectionId: 'c1', channel: 'chat', message: holes } });
    // One hole, anywhere in a request.
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    port.send({ type: 'request', id: 908, method: 'attempts.list', params: {}, extra: sparse });
    await responses;
    off();
    const byId = (id: unknown) => raw.find((m) => (m as { id?: unknown }).id === id) as { ok: boolean; error: { code: string; message: string } };
    expect(byId(901)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(byId(901).error.message).toContain('method');
    expect(byId(902).error.message).toMatch(/Invalid parameters for links\.open[\s\S]*link/);
    expect(byId(null)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(byId(904).error.message).toContain('display name cannot be empty');
    expect(byId(909)).toMatchObject({ ok: true, result: { displayName: expect.any(String) } });
    expect(byId(905)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(byId(905).error.message).toContain('nests deeper than 128 levels');
    expect(byId(906)).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('holds more than 4000000 values to walk') } });
    expect(byId(907)).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('holds more than 4000000 values to walk') } });
    expect(byId(908)).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('has a hole at index 1') } });
    expect((await service.client.request('service.status', {})).state).toBe('running');
  });

  it('reads a message as deep as a sender can write and refuses it by its depth; a client will not send it', async () => {
    const service = await start({ config: FAULTY });
    // The deepest object this process can serialize: V8's deserializer needs more stack per level
    // than its serializer, and the service is started with enough to read it.
    const deep = deepestSerializable();
    const answer = new Promise<{ ok: boolean; error?: { code: string; message: string } }>((resolve) => {
      const off = service.port.onMessage((message) => {
        if ((message as { id?: unknown }).id !== 1) return;
        off();
        resolve(message as never);
      });
    });
    service.port.send({ type: 'request', id: 1, method: 'connections.send', params: { connectionId: 'c', channel: 'x', message: deep } });
    expect(await answer).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('nests deeper than 128 levels') } });
    const refused = await service.client.request('connections.send', { connectionId: 'c', channel: 'x', message: deep as never }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'bad_request', message: expect.stringContaining('nests deeper than 128 levels') });
  });

  it('drops a message it cannot read back (from a sender with a bigger stack), and keeps serving', async () => {
    const dataDir = tempDir('whatnext-service-');
    const launch = await serviceLaunch({ dataDir, config: FAULTY });
    // A parent with four times the stack writes what the service's deserializer cannot read.
    const sender = fork(
      fileURLToPath(new URL('../testing/fixtures/deep-sender.mjs', import.meta.url)),
      [JSON.stringify({ ...launch, args: ['--data-dir', dataDir] })],
      {
        execArgv: ['--stack-size=12000'],
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      },
    );
    const report = await new Promise<{ dropped: boolean; state: string; code: number | null }>((resolve, reject) => {
      sender.once('message', (message) => resolve(message as never));
      sender.once('exit', (code) => reject(new Error(`the sender exited (${code}) before it reported`)));
    });
    expect(report).toEqual({ dropped: true, state: 'running', code: 0 });
  });

  it("serves a feature plugin's own method and event, typed from the config, with nothing else changed", async () => {
    const service = await start({ config: fileURLToPath(new URL('../testing/fixtures/feature.config.ts', import.meta.url)) });
    const client = createClient<ProtocolOf<typeof featureConfig>>(service.port, { protocols: [echoProtocol] });
    try {
      const said = client.waitFor('echo.said');
      const answer = await client.request('echo.say', { text: 'hello' });
      expect(answer).toEqual({ said: 'hello', count: 1 });
      expect(await said).toEqual({ text: 'hello' });
      // Checked against the plugin's schema by the service.
      await expect(client.request('echo.say', { text: '' })).rejects.toMatchObject({
        info: { code: 'bad_request', message: expect.stringContaining('Invalid parameters for echo.say') },
      });
      await expect(client.request('echo.whisper' as 'echo.say', { text: 'x' })).rejects.toMatchObject({
        info: { code: 'bad_request', message: expect.stringContaining('there is no method "echo.whisper"') },
      });
      const plugins = await client.request('plugins.list', {});
      expect(plugins.find((p) => p.name === 'echo')).toMatchObject({ state: 'active', methods: ['echo.say'], events: ['echo.said'] });
    } finally {
      client.close();
    }
  });

  it('rejects a malformed link with a typed error and an event, and connects nothing', async () => {
    const service = await start({ config: FAULTY });
    const event = service.client.waitFor('link.rejected');
    const error = await service.client.request('links.open', { link: 'whtnxt://connect?v=2&via=manual' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).info).toMatchObject({ code: 'link_invalid', reason: 'unsupported-version' });
    expect((await event).error.reason).toBe('unsupported-version');
    const unknown = await service.client.request('links.open', { link: 'whtnxt://connect?v=1&via=carrier-pigeon' }).catch((e: unknown) => e);
    expect((unknown as ServiceError).info).toMatchObject({ reason: 'unknown-method' });
    expect(await service.client.request('attempts.list', {})).toEqual([]);
    expect(await service.client.request('connections.list', {})).toEqual([]);
  });

  it('keeps settings across restarts', async () => {
    const service = await start({ config: FAULTY, name: 'Bob' });
    const changed = service.client.waitFor('settings.changed');
    await service.client.request('settings.update', { autoAcceptKnownPeers: true });
    expect((await changed).autoAcceptKnownPeers).toBe(true);
    await service.stop();
    const again = await start({ config: FAULTY, dataDir: service.dataDir });
    expect(await again.client.request('settings.get', {})).toMatchObject({ displayName: 'Bob', autoAcceptKnownPeers: true });
  });

  it('validates plugin options from settings, naming the field, and keeps them across restarts', async () => {
    const service = await start({ config: FAULTY });
    const bad = await service.client.request('plugins.configure', { plugin: 'tunable', options: { retries: 9 } }).catch((e: unknown) => e);
    expect((bad as ServiceError).info.code).toBe('plugin_config');
    expect((bad as ServiceError).info.message).toMatch(/\[plugin tunable\] has invalid options:[\s\S]*retries/);
    const changed = service.client.waitFor('plugins.changed');
    const status = await service.client.request('plugins.configure', { plugin: 'tunable', options: { retries: 3 } });
    expect(status.options).toEqual({ greeting: 'hello', retries: 3 });
    expect((await changed).find((p) => p.name === 'tunable')!.options).toEqual({ greeting: 'hello', retries: 3 });
    await service.stop();
    const again = await start({ config: FAULTY, dataDir: service.dataDir });
    const tunable = (await again.client.request('plugins.list', {})).find((p) => p.name === 'tunable')!;
    expect(tunable.options).toEqual({ greeting: 'hello', retries: 3 });
    expect(tunable.optionsSchema).toMatchObject({ properties: { retries: { type: 'integer', maximum: 5 } } });
  });

  it('shuts down on request with exit code 0 and nothing of its own left open', async () => {
    const service = await start({ config: FAULTY, env: { WHATNEXT_REPORT_HANDLES: '1' } });
    const began = performance.now();
    expect(await service.stop()).toBe(0);
    console.info(`service exit after shutdown request: ${(performance.now() - began).toFixed(0)} ms`);
    const handles = JSON.parse(/\[service handles\] (.*)/.exec(service.stderr())![1]!) as string[];
    expect(handles.filter((h) => h !== 'PipeWrap' && h !== 'TTYWrap')).toEqual([]);
  });

  it('shuts down on SIGTERM with exit code 0', async () => {
    const service = await start({ config: FAULTY });
    service.child.kill('SIGTERM');
    expect((await service.exited).code).toBe(0);
  });
});
