/**
 * esbuild options for the three Node/preload bundles, and the checks every build runs. Shared
 * by build.ts (writes out/) and bundles.test.ts (builds in memory and runs the preload in a
 * sandbox-like context).
 *
 * Node-side bundles keep npm packages external: electron-builder ships `dependencies` in
 * node_modules (native `.node` files unpacked from the asar), so native modules such as
 * @roamhq/wrtc load exactly as in development. The preload cannot: a sandboxed preload can
 * only `require('electron')` (and a few polyfills), so zod and our protocol code are inlined.
 */
import type { BuildOptions, Metafile, Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTIONAL_PACKAGES, serviceBuildOptions } from '../service/bundle';
import { MAIN_BUNDLE, PRELOAD_BUNDLE, SERVICE_BUNDLE } from './layout';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export type BundleName = 'main' | 'preload' | 'service';

/**
 * The preload reaches core/kernel/host.ts only for schemas; that module imports tapable and
 * semver. Marking them side-effect free lets esbuild drop what the preload never calls.
 */
const pureDependencies: Plugin = {
  name: 'pure-dependencies',
  setup(build) {
    const require = createRequire(join(ROOT, 'package.json'));
    build.onResolve({ filter: /^(tapable|semver)$/ }, (args) => ({ path: require.resolve(args.path), sideEffects: false }));
  },
};

export function bundleOptions(name: BundleName, options: { sourcemap?: boolean } = {}): BuildOptions {
  const sourcemap = options.sourcemap ?? true;
  // One tsconfig for every file (its paths send `@whatnext/core` to core's sources), as in bundle.ts.
  const common: BuildOptions = { bundle: true, absWorkingDir: ROOT, tsconfig: 'tsconfig.json', metafile: true, logLevel: 'warning' };
  // Electron 41 runs Node 24 in main and utility processes, Chromium 146 in renderers.
  const node: BuildOptions = { ...common, platform: 'node', format: 'esm', target: 'node22', packages: 'external', sourcemap };
  switch (name) {
    case 'main':
      return { ...node, entryPoints: ['host/electron/main.ts'], outfile: MAIN_BUNDLE };
    case 'service':
      // The same bundle the tests and the browser shell run (host/service/bundle.ts).
      return { ...serviceBuildOptions({ target: 'node22' }), metafile: true, sourcemap, outfile: SERVICE_BUNDLE };
    case 'preload':
      return {
        ...common,
        platform: 'browser',
        format: 'cjs',
        target: 'chrome130',
        external: ['electron'],
        plugins: [pureDependencies],
        minify: true,
        sourcemap: sourcemap ? 'inline' : false,
        entryPoints: ['host/electron/preload.ts'],
        outfile: PRELOAD_BUNDLE,
      };
  }
}

/** Imports a bundle leaves to the runtime. */
export function externalImports(metafile: Metafile, outfile: string): string[] {
  const output = metafile.outputs[outfile];
  return [...new Set((output?.imports ?? []).filter((entry) => entry.external).map((entry) => entry.path))].sort();
}

const packageName = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * What a bundle may leave external: for the preload only `electron`; for main and the service,
 * Node built-ins, `electron` (main only), packages in package.json "dependencies" (which
 * electron-builder ships; devDependencies are not in the packaged app), and for the service the
 * optional ones it does without (OPTIONAL_PACKAGES).
 */
export function unexpectedExternals(name: BundleName, externals: readonly string[]): string[] {
  if (name === 'preload') return externals.filter((path) => path !== 'electron');
  const { dependencies = {} } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const builtins = new Set(builtinModules);
  return externals.filter((path) => {
    if (path.startsWith('node:') || builtins.has(path)) return false;
    if (path === 'electron') return name !== 'main';
    if (name === 'service' && (OPTIONAL_PACKAGES as readonly string[]).includes(path)) return false;
    return !Object.hasOwn(dependencies, packageName(path));
  });
}
