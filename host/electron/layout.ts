/**
 * Where the build puts each bundle (host/electron/build.ts writes them, main.ts finds them),
 * and how main starts the service. package.json's "main" points at MAIN_BUNDLE.
 *
 *   out/main/main.js          Electron main (ESM)
 *   out/preload/preload.cjs   the sandboxed preload: one CommonJS file, no local requires
 *   out/service/service.js    the service (ESM bundle of host/service/main.ts)
 *   out/service/index.js      what utilityProcess.fork runs: `import './service.js'`. A bundle
 *                             must not be the process entry itself: inlined modules that ask
 *                             "was I run directly?" (argv[1] === import.meta.url) would all say
 *                             yes (plugins/peerjs/broker.ts does, and would start its CLI).
 *   out/renderer/             the Vue app, served as app://whatnext/
 */
import { join } from 'node:path';
import { SERVICE_NODE_FLAGS } from '../service/node-flags';
import { permissionArgs } from '../service/permissions';

export const OUT_DIR = 'out';
export const MAIN_BUNDLE = 'out/main/main.js';
export const PRELOAD_BUNDLE = 'out/preload/preload.cjs';
export const SERVICE_BUNDLE = 'out/service/service.js';
export const SERVICE_ENTRY = 'out/service/index.js';
export const SERVICE_ENTRY_SOURCE = "// Starts the bundled service; see host/electron/layout.ts for why this file exists.\nimport './service.js';\n";
export const RENDERER_DIR = 'out/renderer';

/** Paths of the sibling bundles, seen from the folder of the running main bundle. */
export function bundlePaths(mainDir: string) {
  return {
    preload: join(mainDir, '..', 'preload', 'preload.cjs'),
    service: join(mainDir, '..', 'service', 'index.js'),
    renderer: join(mainDir, '..', 'renderer'),
  };
}

/**
 * Node flags for the service: its own (host/service/node-flags.ts), and least privilege
 * (host/service/permissions.ts): read the app's own
 * files (the asar archive and its unpacked native modules) and its data folder, write only the
 * data folder, no child processes, no workers. Electron's utility process is not known to apply
 * them (the service logs and reports what is in effect); they are passed so that the service
 * gets least privilege wherever the runtime honours them.
 */
export function serviceExecArgv(options: { appPath: string; dataDir: string; nodeVersion: string }): string[] {
  return [
    ...SERVICE_NODE_FLAGS,
    ...permissionArgs({ read: [options.appPath, `${options.appPath}.unpacked`, options.dataDir], write: [options.dataDir] }, options.nodeVersion),
  ];
}

/** Arguments for the service entry (host/service/options.ts): its data in the app's userData
 * folder, and `--dev` so a development build also accepts `whtnxt-dev:` links. */
export function serviceArgs(options: { dataDir: string; dev: boolean }): string[] {
  return ['--data-dir', options.dataDir, ...(options.dev ? ['--dev'] : [])];
}
