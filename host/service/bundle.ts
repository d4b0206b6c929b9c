/**
 * The service as one ESM file, with the plugins config it runs compiled in. The desktop build
 * writes it once (host/electron/build.ts); outside Electron (tests, the browser shell, the CLI
 * peer) `serviceBundle` builds it on first use, because a process under Node's permission model
 * cannot run a TypeScript loader: tsx needs a worker thread and esbuild's binary, a child
 * process. npm packages are compiled in, but for native addons (EXTERNAL_PACKAGES), which load
 * from node_modules as in the packaged app.
 */
import type { BuildOptions, Plugin } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The app's node_modules, which a bundle reads its packages from: its real path, which is what
 * Node's permission model checks (a symlinked node_modules, in a git worktree say, is not). */
export const NODE_MODULES = realpathSync(join(ROOT, 'node_modules'));
/** Built bundles, named by their content: inside node_modules so that their imports of npm
 * packages resolve from it. */
export const BUNDLE_CACHE = join(NODE_MODULES, '.cache', 'whatnext-service');

export const SERVICE_SOURCE = join(ROOT, 'host', 'service', 'main.ts');
const DEFAULT_CONFIG = join(ROOT, 'plugins.config.ts');
/** How host/service/options.ts imports the default config. */
const CONFIG_IMPORT = '../../plugins.config';

/** npm packages the bundle leaves in node_modules: native addons, which find their binaries
 * next to their own files. The rest is compiled in: one file to read, where importing them one
 * module at a time meant resolving and compiling over a thousand files at every start (mingo and
 * rxjs alone are hundreds). Packages loaded on first use through `createRequire` (the WebRTC
 * engines, simple-peer) are not followed by the bundler, and stay in node_modules too. */
export const EXTERNAL_PACKAGES = ['lmdb'] as const;
/** Packages a bundled one asks for only inside a try, and does without: ws's optional native
 * speed-ups. Not installed, they are left to a runtime lookup that fails and is caught. */
export const OPTIONAL_PACKAGES = ['bufferutil', 'utf-8-validate'] as const;

export interface ServiceBundleOptions {
  /** The module to start from. Default host/service/main.ts. */
  entry?: string;
  /** The plugins config compiled in. Default plugins.config.ts. */
  config?: string;
  /** esbuild target; the desktop app's Node is newer than the one tests run on. */
  target?: string;
}

/** esbuild options for the service bundle (shared with the desktop build). */
export function serviceBuildOptions(options: ServiceBundleOptions = {}): BuildOptions {
  const config = resolve(options.config ?? DEFAULT_CONFIG);
  return {
    absWorkingDir: ROOT,
    // One tsconfig for every file, whose paths send `@whatnext/core` to core's sources: a
    // package's own tsconfig.json (plugins/example-tcp's) would otherwise apply to its files.
    tsconfig: 'tsconfig.json',
    entryPoints: [resolve(options.entry ?? SERVICE_SOURCE)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: options.target ?? 'node20',
    external: [...EXTERNAL_PACKAGES, ...OPTIONAL_PACKAGES],
    // Bundled CommonJS packages call `require` (Node's built-ins, JSON files): an ES module has
    // none of its own.
    banner: { js: "import { createRequire as __whatnextCreateRequire } from 'node:module'; const require = __whatnextCreateRequire(import.meta.url);" },
    logLevel: 'warning',
    // V8 keeps a module's whole source in memory: without blanks and comments it is half as
    // much. The desktop build's bundle is this one too. Names stay (no minifyIdentifiers): a
    // stack trace names its functions without a map; its lines and columns need one.
    minifyWhitespace: true,
    minifySyntax: true,
    // A map, where one is written, points at the sources without carrying them: the packages'
    // sources would double it.
    sourcesContent: false,
    plugins: [pluginsConfig(config)],
  };
}

/** The config the service loads when it is given none, swapped for `config`. */
function pluginsConfig(config: string): Plugin {
  return {
    name: 'whatnext-plugins-config',
    setup(build) {
      build.onResolve({ filter: /plugins\.config$/ }, (args) => (args.path === CONFIG_IMPORT ? { path: config } : undefined));
    },
  };
}

const built = new Map<string, Promise<string>>();

/** Build (once per process and set of options) and return the bundle's path. Bundles are
 * written under their content's hash, so concurrent builds of the same code (test files run in
 * parallel) agree, and a changed source never runs stale code. */
export function serviceBundle(options: ServiceBundleOptions = {}): Promise<string> {
  const key = JSON.stringify([options.entry, options.config, options.target]);
  let bundle = built.get(key);
  if (!bundle) {
    bundle = build(options);
    built.set(key, bundle);
    bundle.catch(() => built.delete(key));
  }
  return bundle;
}

async function build(options: ServiceBundleOptions): Promise<string> {
  const { build: esbuild } = await import('esbuild');
  const result = await esbuild({ ...serviceBuildOptions(options), write: false, outfile: join(BUNDLE_CACHE, 'service.mjs'), sourcemap: 'external' });
  const code = result.outputFiles.find((file) => file.path.endsWith('.mjs'))!.contents;
  const map = result.outputFiles.find((file) => file.path.endsWith('.map'))!.contents;
  // The map too: an edit to comments alone leaves the code as it was and moves the map's lines.
  const path = join(BUNDLE_CACHE, `service-${createHash('sha256').update(code).update(map).digest('hex').slice(0, 16)}.mjs`);
  if (!reused(path)) {
    mkdirSync(BUNDLE_CACHE, { recursive: true });
    // The map beside the bundle, linked from it but not inside it: Node reads a map only under
    // --enable-source-maps (NODE_OPTIONS=--enable-source-maps for mapped stack traces), and
    // holds it in memory for the life of the process when it does.
    writeAtomically(`${path}.map`, map);
    writeAtomically(path, Buffer.concat([code, Buffer.from(`\n//# sourceMappingURL=${basename(path)}.map\n`)]));
    pruneStale(path);
  }
  return path;
}

/** Bundles of code that changed since, and their maps: nothing starts them any more (one built
 * or reused within the hour may still be started, so those stay). */
function pruneStale(keep: string): void {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of readdirSync(BUNDLE_CACHE)) {
    const path = join(BUNDLE_CACHE, name);
    const modified = statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
    if (path !== keep && path !== `${keep}.map` && name.startsWith('service-') && modified < hourAgo) rmSync(path, { force: true });
  }
}

/** Whether the bundle and its map are there already; if so they are marked as in use, so no
 * other process's `pruneStale` takes them for the next hour. */
function reused(path: string): boolean {
  const now = new Date();
  try {
    for (const file of [path, `${path}.map`]) utimesSync(file, now, now);
    return true;
  } catch {
    return false; // not built yet, or pruned meanwhile: (re)written
  }
}

/** Concurrent builds of one bundle (test files run in parallel) each write whole files. */
function writeAtomically(path: string, contents: Uint8Array): void {
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, contents);
  renameSync(partial, path);
}
