/** Where a service keeps its state when not told otherwise: the OS's per-user app-data folder
 * (the same place Electron's `app.getPath('userData')` points to). */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const APP_FOLDER = 'WhatNext';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_FOLDER);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_FOLDER);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_FOLDER);
}
