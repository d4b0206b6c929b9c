/**
 * Builds everything Electron runs, in one command (`npm run build`):
 *
 *   main     host/electron/main.ts    → out/main/main.js         ESM for Electron's main process
 *   preload  host/electron/preload.ts → out/preload/preload.cjs  ONE CommonJS file (sandboxed)
 *   service  host/service/main.ts     → out/service/service.js   ESM, started through out/service/index.js
 *   renderer host/renderer (its own vite.config.ts)             → out/renderer
 *
 * Options are in build-config.ts. Fails if a bundle would load something the packaged app
 * does not ship (see `unexpectedExternals`).
 *
 * Usage: tsx host/electron/build.ts [--only main,preload,service,renderer] [--no-sourcemap]
 */
import { build as esbuild } from 'esbuild';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, bundleOptions, externalImports, unexpectedExternals, type BundleName } from './build-config';
import { OUT_DIR, RENDERER_DIR, SERVICE_ENTRY, SERVICE_ENTRY_SOURCE } from './layout';

const RENDERER_CONFIG = join(ROOT, 'host', 'renderer', 'vite.config.ts');
const TARGETS = ['main', 'preload', 'service', 'renderer'] as const;
type Target = (typeof TARGETS)[number];

const { values } = parseArgs({ options: { only: { type: 'string' }, 'no-sourcemap': { type: 'boolean', default: false } } });
const only = new Set((values.only?.split(',') ?? TARGETS).map((t) => t.trim()) as Target[]);
for (const target of only) if (!TARGETS.includes(target)) throw new Error(`unknown target "${target}" (expected ${TARGETS.join(', ')})`);

async function buildBundle(name: BundleName): Promise<void> {
  const options = bundleOptions(name, { sourcemap: !values['no-sourcemap'] });
  const result = await esbuild(options);
  const unexpected = unexpectedExternals(name, externalImports(result.metafile!, options.outfile!));
  if (unexpected.length > 0) throw new Error(`${options.outfile} would load ${unexpected.join(', ')}, which the packaged app does not ship`);
  if (name === 'service') writeFileSync(join(ROOT, SERVICE_ENTRY), SERVICE_ENTRY_SOURCE);
}

async function buildRenderer(): Promise<void> {
  if (!existsSync(RENDERER_CONFIG)) {
    console.warn(`skipped the renderer: ${relative(ROOT, RENDERER_CONFIG)} does not exist yet`);
    return;
  }
  // The renderer's own config (its owners decide plugins, base, CSP-friendly output); only the
  // output folder is ours.
  const { build } = await import('vite');
  await build({ configFile: RENDERER_CONFIG, build: { outDir: join(ROOT, RENDERER_DIR), emptyOutDir: true }, logLevel: 'warn' });
  if (!existsSync(join(ROOT, RENDERER_DIR, 'index.html'))) throw new Error(`the renderer build produced no ${RENDERER_DIR}/index.html`);
}

const started = Date.now();
if (only.size === TARGETS.length) rmSync(join(ROOT, OUT_DIR), { recursive: true, force: true });
await Promise.all([...only].map((target) => (target === 'renderer' ? buildRenderer() : buildBundle(target))));
console.log(`built ${[...only].join(', ')} into ${OUT_DIR}/ in ${Date.now() - started} ms`);
