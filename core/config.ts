/** `plugins.config.ts` default-exports `defineConfig({...})`: which plugins the app loads, in
 * order, with their options. Typed here; validated by the host at start. */
import type { PluginInstance } from './plugin';
import type { CoreProtocol } from './protocol';
import type { Merged } from './protocol/define';

export interface WhatNextConfig<Plugins extends readonly PluginInstance[] = readonly PluginInstance[]> {
  plugins: Plugins;
  /** Per-tap timeout for async hooks and plugin setup (ms). Default 10 000. */
  pluginTimeoutMs?: number;
}

export function defineConfig<const Plugins extends readonly PluginInstance[]>(config: WhatNextConfig<Plugins>): WhatNextConfig<Plugins> {
  return config;
}

type ProtocolOfInstance<I> = I extends PluginInstance<infer P> ? P : never;

/** The protocol a service running `Config` speaks: core's and each plugin's. A UI types its
 * client with it (of the type of the app's plugins.config, imported as a type only), so a
 * plugin's methods are typed there as soon as the plugin is in the config. */
export type ProtocolOf<Config extends WhatNextConfig> = Merged<CoreProtocol | ProtocolOfInstance<Config['plugins'][number]>>;
