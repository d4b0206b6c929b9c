/**
 * Which `whtnxt` scheme this build owns, and how to register it with the OS.
 *
 * A development build registers `whtnxt-dev` so that running from source never steals real
 * `whtnxt://` links from an installed copy. It still accepts `whtnxt://` links handed to it
 * explicitly (`npm start -- whtnxt://...`), as the service does in `--dev` mode.
 */
import { resolve } from 'node:path';

export const APP_SCHEME = 'whtnxt';
export const DEV_SCHEME = 'whtnxt-dev';

export function registeredScheme(packaged: boolean): string {
  return packaged ? APP_SCHEME : DEV_SCHEME;
}

/** Schemes main forwards to the service; mirrors the service's `linkSchemes(dev)`. */
export function acceptedSchemes(packaged: boolean): string[] {
  return packaged ? [APP_SCHEME] : [DEV_SCHEME, APP_SCHEME];
}

/**
 * Arguments for `app.setAsDefaultProtocolClient`. When Electron runs an unpackaged app
 * (`electron .`, `process.defaultApp`), the OS must launch the Electron binary with the app's
 * path, or a clicked link would open a bare Electron.
 */
export function protocolClientArgs(options: {
  packaged: boolean;
  defaultApp: boolean;
  execPath: string;
  argv: readonly string[];
}): [scheme: string] | [scheme: string, execPath: string, args: string[]] {
  const scheme = registeredScheme(options.packaged);
  const appPath = options.argv[1];
  if (options.defaultApp && appPath) return [scheme, options.execPath, [resolve(appPath)]];
  return [scheme];
}
