/**
 * Builds the core package (core/package.json, `@whatnext/core`) into core/dist: its two public
 * entry points, `.` and `./testing`, as ES modules (one bundle each, code they share in chunks of
 * its own, so a class is the same class from either), dependencies left as imports, and type
 * declarations. `npm run build:core`; core/package.test.ts packs and installs the result.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const CORE = fileURLToPath(new URL('../core/', import.meta.url));
const TSC = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

export async function buildCore(): Promise<void> {
  rmSync(`${CORE}dist`, { recursive: true, force: true });
  await build({
    entryPoints: { index: `${CORE}index.ts`, testing: `${CORE}testing/index.ts` },
    outdir: `${CORE}dist`,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  execFileSync(process.execPath, [TSC, '-p', `${CORE}tsconfig.build.json`], { stdio: 'inherit' });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildCore();
