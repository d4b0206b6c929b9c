/**
 * The build's output, checked without Electron: the three bundles build; main and the service
 * load only what the packaged app ships; the preload is one CommonJS file that requires only
 * `electron` and, run in a context with nothing else (as a sandboxed preload is), exposes the
 * one API object and works over a real MessagePort.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createClient } from '../../core/protocol/client';
import { childIpcPort } from '../service/ports';
import { tempDir } from '../service/testing/temp-dirs';
import { writeOfflineSettings } from '../service/testing/offline-settings';
import { createContext, runInContext } from 'node:vm';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ROOT, bundleOptions, externalImports, unexpectedExternals, type BundleName } from './build-config';
import { HELLO_CHANNEL, PORT_CHANNEL, SERVICE_CHANNEL } from './shell-channels';
import { MAIN_BUNDLE, PRELOAD_BUNDLE, RENDERER_DIR, SERVICE_ENTRY, SERVICE_ENTRY_SOURCE, bundlePaths, serviceArgs, serviceExecArgv } from './layout';
import { dirname, join } from 'node:path';
import type { WhatNextApi } from '../../core/protocol/api';

async function bundle(name: BundleName) {
  const options = bundleOptions(name, { sourcemap: false });
  const result = await build({ ...options, write: false });
  const output = result.outputFiles!.find((file) => file.path.endsWith(options.outfile!))!;
  return { code: output.text, externals: externalImports(result.metafile!, options.outfile!) };
}

const ports: MessagePort[] = [];
const children: ChildProcess[] = [];
const folders: string[] = [];
afterEach(async () => {
  for (const port of ports.splice(0)) port.close();
  await Promise.all(
    children
      .splice(0)
      .map((child) =>
        child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGKILL'))),
      ),
  );
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('bundles', () => {
  it('main finds its siblings where the build puts them, and starts the service with its data folder', () => {
    const root = '/opt/WhatNext/resources/app.asar';
    expect(bundlePaths(join(root, dirname(MAIN_BUNDLE)))).toEqual({
      preload: join(root, PRELOAD_BUNDLE),
      service: join(root, SERVICE_ENTRY),
      renderer: join(root, RENDERER_DIR),
    });
    expect(serviceArgs({ dataDir: '/home/me/.config/WhatNext', dev: false })).toEqual(['--data-dir', '/home/me/.config/WhatNext']);
    expect(serviceArgs({ dataDir: '/d', dev: true })).toEqual(['--data-dir', '/d', '--dev']);
  });

  it('main and the service leave external only Node built-ins and runtime dependencies (and electron for main)', async () => {
    const [main, service] = await Promise.all([bundle('main'), bundle('service')]);
    expect(main.externals).toContain('electron');
    expect(unexpectedExternals('main', main.externals)).toEqual([]);
    expect(unexpectedExternals('service', service.externals)).toEqual([]);
    expect(service.externals).not.toContain('electron');
    // An ES module: the service entry awaits its config at top level.
    expect(service.code).toMatch(/^import /m);
    expect(unexpectedExternals('service', ['vitest', 'tsx'])).toEqual(['vitest', 'tsx']);
  });

  it('the preload is one CommonJS file that runs with nothing but require("electron")', async () => {
    const preload = await bundle('preload');
    expect(preload.externals).toEqual(['electron']);

    const required: string[] = [];
    const exposed: Array<[string, WhatNextApi]> = [];
    const sent: unknown[][] = [];
    const listeners = new Map<string, (event: unknown, ...args: unknown[]) => void>();
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, api: WhatNextApi) => exposed.push([key, api]) },
      ipcRenderer: {
        on: (channel: string, listener: (event: unknown, ...args: unknown[]) => void) => listeners.set(channel, listener),
        send: (...args: unknown[]) => sent.push(args),
      },
    };
    const module = { exports: {} };
    const sandbox = createContext({
      module,
      exports: module.exports,
      require: (id: string) => {
        required.push(id);
        if (id !== 'electron') throw new Error(`a sandboxed preload cannot require ${id}`);
        return electron;
      },
      console,
      queueMicrotask,
      setTimeout,
      clearTimeout,
      structuredClone,
    });
    runInContext(preload.code, sandbox, { filename: 'preload.cjs' });

    expect(required).toEqual(['electron']);
    expect(exposed.map(([key]) => key)).toEqual(['whatnext']);
    const api = exposed[0]![1];
    expect(Object.keys(api).sort()).toEqual(['on', 'request']);
    expect(sent).toEqual([[HELLO_CHANNEL]]);
    expect([...listeners.keys()].sort()).toEqual([PORT_CHANNEL, SERVICE_CHANNEL].sort());

    // A request before the port waits; main's port then carries it to a (scripted) service.
    const status = api.request('service.status', {});
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    port1.on('message', (message: { id: number; method: string }) =>
      port1.postMessage({
        type: 'response',
        id: message.id,
        ok: true,
        result: {
          state: 'running',
          local: { id: '0123456789abcdefghijklmnop', name: 'Alice' },
          dataDir: '/d',
          pid: 7,
          permissions: { enforced: false, allowed: [] },
        },
      }),
    );
    listeners.get(PORT_CHANNEL)!({ ports: [port2], sender: 'an Electron event the page must never see' });
    expect((await status).pid).toBe(7);

    const seen: unknown[][] = [];
    const got = new Promise<void>((resolve) =>
      api.on('settings.changed', (...args) => {
        seen.push(args);
        resolve();
      }),
    );
    port1.postMessage({ type: 'event', event: 'settings.changed', data: { displayName: 'Bob', autoAcceptKnownPeers: false } });
    await got;
    expect(seen).toEqual([[{ displayName: 'Bob', autoAcceptKnownPeers: false }]]);

    // Main's status messages are validated; a failure reaches the page as a plain error object.
    listeners.get(SERVICE_CHANNEL)!({}, { state: 'exploded' });
    listeners.get(SERVICE_CHANNEL)!({}, { state: 'failed', message: 'gave up', recentCrashes: 5 });
    await expect(api.request('service.status', {})).rejects.toEqual({
      name: 'ServiceError',
      code: 'service_failed',
      message: 'gave up',
      info: { code: 'service_failed', message: 'gave up' },
    });
  });
});

describe('the built service', () => {
  it("starts from its launcher with the app's own plugins.config, serves the protocol and shuts down cleanly", async () => {
    // Inside node_modules/.cache so the bundle's external packages resolve as in the app.
    const cache = join(ROOT, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const out = mkdtempSync(join(cache, 'whatnext-service-bundle-'));
    const dataDir = tempDir('whatnext-bundle-data-');
    // The app's config names public brokers: settings saved as a user's would keep them away.
    writeOfflineSettings(dataDir);
    folders.push(out);
    await build({ ...bundleOptions('service', { sourcemap: false }), outfile: join(out, 'service.js') });
    writeFileSync(join(out, 'index.js'), SERVICE_ENTRY_SOURCE);

    // The launcher is the process entry, as under utilityProcess.fork (Node IPC stands in for
    // the parent port here: the service entry supports both), with the flags main passes.
    const execArgv = serviceExecArgv({ appPath: ROOT, dataDir, nodeVersion: process.versions.node });
    const child = fork(join(out, 'index.js'), serviceArgs({ dataDir, dev: false }), {
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    children.push(child);
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const ready = new Promise<void>((resolve, reject) => {
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes('[service info] ready:')) resolve();
      });
      void exited.then((code) => reject(new Error(`the bundled service exited (${code}) before it was ready:\n${stderr}`)));
    });
    await ready;
    const client = createClient(childIpcPort(child));
    expect(await client.request('service.status', {})).toMatchObject({
      state: 'running',
      dataDir,
      pid: child.pid,
      permissions: { enforced: true, allowed: ['write its data folder'] },
    });
    const plugins = await client.request('plugins.list', {});
    expect(plugins.map((p) => p.name)).toEqual(expect.arrayContaining(['rate-limit', 'known-peers', 'manual']));
    await client.request('service.shutdown', {});
    expect(await exited).toBe(0);
    client.close();
  });
});
