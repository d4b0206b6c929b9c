/**
 * Saved settings that keep the app's own plugins.config.ts from contacting its public brokers,
 * for the one test that runs that config (the bundled service, host/electron/bundles.test.ts):
 * saved plugin options apply over the config's, as a user's settings do. tools/ice-guard.test.ts
 * checks that they cover every broker the app's config names.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../../../core/protocol';

export const OFFLINE_PLUGIN_OPTIONS: NonNullable<Settings['pluginOptions']> = {
  mqtt: { url: 'mqtt://127.0.0.1:1', listen: false },
  peerjs: { host: '127.0.0.1', port: 1, listen: false },
};

/** Writes the service's settings file in `dataDir` with `OFFLINE_PLUGIN_OPTIONS`. */
export function writeOfflineSettings(dataDir: string): void {
  const settings: Settings = { displayName: 'Offline', autoAcceptKnownPeers: false, pluginOptions: OFFLINE_PLUGIN_OPTIONS };
  writeFileSync(join(dataDir, 'settings.json'), JSON.stringify(settings));
}
