/**
 * The terminal peer's commands for plugins from the data folder (plugins.json): list them, and
 * enable or disable one, which applies from the next start, as in the app's Settings.
 */
import { WhatNextError } from '../../core/errors';
import type { ExternalPlugin } from '../../core/protocol/shapes';
import type { Command } from './commands';
import type { PlaylistClient } from './playlists';

function state(plugin: ExternalPlugin): string {
  if (plugin.error) return `failed (${plugin.error.code}): ${plugin.error.message}`;
  if (plugin.enabled && plugin.loaded) return `loaded as ${plugin.plugin}`;
  if (plugin.enabled) return 'enabled, loads after restart';
  if (plugin.loaded) return 'disabled, unloads after restart';
  return 'disabled';
}

export function pluginCommands(client: PlaylistClient, print: (line: string) => void): Command[] {
  const setEnabled = async (name: string | undefined, enabled: boolean) => {
    if (!name) throw new WhatNextError('bad_request', `Say which package: ${enabled ? 'enable' : 'disable'} <package> (\`plugins\` lists them).`);
    const plugin = (await client.request('plugins.enable', { package: name, enabled })).plugins.find((p) => p.package === name);
    print(`package ${name} ${plugin ? state(plugin) : enabled ? 'enabled' : 'disabled'}`);
  };
  return [
    {
      name: 'plugins',
      usage: 'plugins',
      summary: "the plugin packages of the data folder's plugins.json, and whether each is loaded",
      async run() {
        const external = await client.request('plugins.external', {});
        if (external.problem) print(`error ${external.problem.message}`);
        else if (external.plugins.length === 0) print(`no plugin packages: name them in ${external.file}`);
        for (const plugin of external.plugins) print(`package ${plugin.package}${plugin.version ? `@${plugin.version}` : ''} ${state(plugin)}`);
      },
    },
    {
      name: 'enable',
      usage: 'enable <package>',
      summary: 'load a plugin package of the data folder, from the next start',
      run: (words) => setEnabled(words.word(1), true),
    },
    {
      name: 'disable',
      usage: 'disable <package>',
      summary: 'stop loading a plugin package of the data folder, from the next start',
      run: (words) => setEnabled(words.word(1), false),
    },
  ];
}
