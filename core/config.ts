/** `plugins.config.ts` default-exports `defineConfig({...})`: which plugins the app loads, in
 * order, with their options. Typed here; validated by the host at start. */
import type { PluginInstance } from './plugin';

export interface WhatNextConfig {
  plugins: PluginInstance[];
  /** Per-tap timeout for async hooks and plugin setup (ms). Default 10 000. */
  pluginTimeoutMs?: number;
}

export function defineConfig(config: WhatNextConfig): WhatNextConfig {
  return config;
}
