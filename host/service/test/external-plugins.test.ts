/**
 * Plugins from the data folder (host/service/external-plugins.ts), in real service processes
 * under Node's permission model: packages installed in the data folder and named in its
 * plugins.json, loaded only once enabled in settings and from the next start, each failing
 * alone. Then the example third-party package, packed and installed as npm would, carries a
 * playlist between two services.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceError } from '../../../core/protocol/client';
import type { CoreProtocol, ProtocolSpec } from '../../../core/protocol';
import { spawnService, type SpawnedService, type SpawnOptions } from '../testing/spawn';
import { tempDir } from '../testing/temp-dirs';
import { PLUGINS_FILE } from '../external-plugins';
import { exampleWorkspace, installExample } from '../../../tools/testing/packages';
import { GREETER, installPackage } from '../testing/data-folder-plugins';
import { connect, eventually, snapshot, songs, watch } from '../../../plugins/rxdb/testing/harness';
import { playlistsProtocol, type WithPlaylists } from '../../../plugins/rxdb/protocol';

const FEATURE = fileURLToPath(new URL('../testing/fixtures/feature.config.ts', import.meta.url));
const TCP = fileURLToPath(new URL('../testing/fixtures/data-folder-tcp.config.ts', import.meta.url));

const running: { stop(): Promise<unknown> }[] = [];
/** A service stopped after the test; the example's runs the playlists protocol too. */
async function start<P extends ProtocolSpec = CoreProtocol>(options: SpawnOptions): Promise<SpawnedService<P>> {
  const service = await spawnService<P>(options);
  running.push(service);
  return service;
}
const startWithPlaylists = (options: SpawnOptions) => start<WithPlaylists>({ ...options, protocols: [playlistsProtocol] });
afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.stop()));
});

describe('plugins from the data folder', () => {
  it('lists what plugins.json names without running it, loads what is enabled at the next start, and fails each package alone', async () => {
    const dataDir = tempDir('whatnext-external-');
    installPackage(dataDir, 'whatnext-plugin-greeter', GREETER, { description: 'Greets' });
    installPackage(dataDir, 'throws-at-import', `throw new Error('broken on purpose');`);
    installPackage(dataDir, '@me/not-a-plugin', `export default 42;`);
    // A plugin named as one of the config's, and one for a host API this host does not provide.
    installPackage(dataDir, 'named-like-echo', GREETER.replace("name: 'greeter'", "name: 'echo'"));
    installPackage(dataDir, 'too-new', GREETER.replace("name: 'greeter'", "name: 'too-new'").replace("api: '^2.0.0'", "api: '^9.0.0'"));
    writeFileSync(
      join(dataDir, PLUGINS_FILE),
      JSON.stringify({
        plugins: [
          { package: 'whatnext-plugin-greeter', options: { greeting: 'hello from the data folder' } },
          { package: 'throws-at-import' },
          { package: '@me/not-a-plugin' },
          { package: 'never-installed' },
          { package: 'named-like-echo', options: { greeting: 'hi' } },
          { package: 'too-new', options: { greeting: 'hi' } },
        ],
      }),
    );

    const first = await start({ dataDir, config: FEATURE });
    const listed = await first.client.request('plugins.external', {});
    expect(listed.file).toBe(join(dataDir, PLUGINS_FILE));
    expect(listed.problem).toBeUndefined();
    expect(listed.plugins).toEqual([
      { package: 'whatnext-plugin-greeter', version: '1.2.3', description: 'Greets', enabled: false, loaded: false },
      { package: 'throws-at-import', version: '1.2.3', enabled: false, loaded: false },
      { package: '@me/not-a-plugin', version: '1.2.3', enabled: false, loaded: false },
      {
        package: 'never-installed',
        enabled: false,
        loaded: false,
        error: { code: 'plugin_not_installed', message: expect.stringContaining('npm install --prefix') },
      },
      { package: 'named-like-echo', version: '1.2.3', enabled: false, loaded: false },
      { package: 'too-new', version: '1.2.3', enabled: false, loaded: false },
    ]);
    expect((await first.client.request('plugins.list', {})).map((p) => p.name)).not.toContain('greeter');
    const notLoaded = await first.client.request('greeter.hello' as never, {} as never).catch((error: unknown) => error);
    expect(notLoaded).toMatchObject({ code: 'bad_request', message: expect.stringContaining('greeter.hello') });
    expect(existsSync(join(dataDir, 'node_modules/whatnext-plugin-greeter/imported'))).toBe(false);

    // Only packages the file names can be enabled; toggles at the same moment each hold.
    const stranger = await first.client.request('plugins.enable', { package: 'left-pad', enabled: true }).catch((error: unknown) => error);
    expect(stranger).toBeInstanceOf(ServiceError);
    expect(stranger).toMatchObject({ code: 'unknown_external_plugin', message: expect.stringContaining('"left-pad"') });
    const enabled = ['whatnext-plugin-greeter', 'throws-at-import', '@me/not-a-plugin', 'never-installed', 'named-like-echo', 'too-new'];
    await Promise.all(enabled.map((name) => first.client.request('plugins.enable', { package: name, enabled: true })));
    expect(new Set((await first.client.request('settings.get', {})).enabledPlugins)).toEqual(new Set(enabled));
    // Enabled, not loaded: that takes the next start.
    expect((await first.client.request('plugins.external', {})).plugins[0]).toMatchObject({ enabled: true, loaded: false });
    expect(await first.stop()).toBe(0);

    const second = await start({ dataDir, config: FEATURE });
    const after = await second.client.request('plugins.external', {});
    expect(after.plugins.map(({ package: name, loaded, plugin, error }) => ({ name, loaded, plugin, code: error?.code }))).toEqual([
      { name: 'whatnext-plugin-greeter', loaded: true, plugin: 'greeter', code: undefined },
      { name: 'throws-at-import', loaded: false, plugin: undefined, code: 'plugin_load_failed' },
      { name: '@me/not-a-plugin', loaded: false, plugin: undefined, code: 'plugin_load_failed' },
      { name: 'never-installed', loaded: false, plugin: undefined, code: 'plugin_not_installed' },
      { name: 'named-like-echo', loaded: false, plugin: undefined, code: 'plugin_load_failed' },
      { name: 'too-new', loaded: false, plugin: undefined, code: 'plugin_config' },
    ]);
    expect(after.plugins[4]!.error!.message).toContain('is the plugin "echo", a name another plugin of this app has');
    expect(after.plugins[5]!.error!.message).toContain('supports host API "^9.0.0"');
    expect(after.plugins[1]!.error!.message).toContain('broken on purpose');
    expect(after.plugins[2]!.error!.message).toContain('does not default-export a plugin');
    // The loaded one runs with the file's options; the config's plugins run beside it.
    const statuses = await second.client.request('plugins.list', {});
    expect(statuses.map((p) => [p.name, p.state])).toEqual(
      expect.arrayContaining([
        ['greeter', 'active'],
        ['manual', 'active'],
        ['echo', 'active'],
      ]),
    );
    expect(await second.client.request('greeter.hello' as never, {} as never)).toEqual({ text: 'hello from the data folder' });
    expect(readFileSync(join(dataDir, 'node_modules/whatnext-plugin-greeter/imported'), 'utf8')).toBe('x');
    expect((await second.client.request('service.status', {})).state).toBe('running');

    // Disabled again: still loaded in this run, gone from the next.
    await Promise.all(enabled.map((name) => second.client.request('plugins.enable', { package: name, enabled: false })));
    expect((await second.client.request('plugins.external', {})).plugins[0]).toMatchObject({ enabled: false, loaded: true });
    expect(await second.stop()).toBe(0);
    const third = await start({ dataDir, config: FEATURE });
    expect((await third.client.request('plugins.list', {})).map((p) => p.name)).not.toContain('greeter');
  });

  it('a plugins.json that is not JSON, or not of its shape, is reported; the service runs without it', async () => {
    for (const [text, says] of [
      ['{ "plugins": [', 'is not JSON'],
      [JSON.stringify({ plugins: [{ package: '../../etc' }] }), 'an npm package name'],
      [JSON.stringify({ plugins: [{ package: 'a' }, { package: 'a' }] }), 'names a twice'],
    ] as const) {
      const dataDir = tempDir('whatnext-external-');
      writeFileSync(join(dataDir, PLUGINS_FILE), text);
      const service = await start({ dataDir, config: FEATURE });
      const listed = await service.client.request('plugins.external', {});
      expect(listed.plugins).toEqual([]);
      expect(listed.problem).toMatchObject({ code: 'plugins_file_invalid', message: expect.stringContaining(says) });
      expect((await service.client.request('service.status', {})).state).toBe('running');
      expect(await service.stop()).toBe(0);
    }
  });

  it('the example package, installed from its tarball and enabled, carries a playlist between two services', async () => {
    const workspace = await exampleWorkspace();
    const peers = [];
    for (const name of ['Alice', 'Bob']) {
      const dataDir = tempDir('whatnext-external-');
      const pkg = await installExample(dataDir, workspace);
      writeFileSync(join(dataDir, PLUGINS_FILE), JSON.stringify({ plugins: [{ package: pkg }] }));
      const before = await startWithPlaylists({ name, dataDir, config: TCP });
      expect((await before.client.request('plugins.external', {})).plugins).toEqual([expect.objectContaining({ package: pkg, enabled: false, loaded: false })]);
      await before.client.request('plugins.enable', { package: pkg, enabled: true });
      expect(await before.stop()).toBe(0);
      const service = await startWithPlaylists({ name, dataDir, config: TCP });
      expect((await service.client.request('plugins.list', {})).find((p) => p.name === 'example-tcp')).toMatchObject({
        state: 'active',
        transports: ['example-tcp'],
      });
      const id = (await service.client.request('service.status', {})).local.id;
      peers.push(watch(Object.assign(service, { id })));
    }
    const [alice, bob] = peers as [(typeof peers)[0], (typeof peers)[0]];
    const playlist = await alice.client.request('playlists.create', { name: 'Over a plugin from the data folder' });
    await alice.client.request('tracks.add', { playlistId: playlist.id, tracks: songs('Alice', 5) });
    await alice.client.request('playlists.share', { playlistId: playlist.id, peerId: bob.id });
    await connect(alice, bob, 'manual');
    const connections = await alice.client.request('connections.list', {});
    expect(connections.map((c) => c.transport)).toEqual(['example-tcp']);
    const held = await eventually(async () => {
      const [a, b] = await Promise.all([snapshot(alice.client, playlist.id), snapshot(bob.client, playlist.id)]);
      expect(b).toEqual(a);
      expect(b.tracks).toHaveLength(5);
      return b;
    });
    expect(held.name).toBe('Over a plugin from the data folder');
  });
});
