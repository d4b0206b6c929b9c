/**
 * Packages as their users get them, for tests: the core package built and packed, the example
 * third-party plugin (plugins/example-tcp) copied out of this repository, built against that
 * tarball and packed in turn, and both installed into a folder's node_modules as npm would lay
 * them out. Dependencies that come from the registry are linked from this repository's install
 * (the same versions), so no network is needed.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCore } from '../build-core';
import { tempDir } from '../../host/service/testing/temp-dirs';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CORE_DIR = join(ROOT, 'core');
export const EXAMPLE_DIR = join(ROOT, 'plugins', 'example-tcp');
export const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
export const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** `npm pack` of a package folder into `destination`; the tarball's path. */
export function pack(dir: string, destination: string): string {
  const name = execFileSync('npm', ['pack', dir, '--pack-destination', destination, '--silent'], { encoding: 'utf8' }).trim().split('\n').at(-1)!;
  return join(destination, name);
}

let corePacked: Promise<string> | undefined;
/** The core package, built from this checkout and packed (once per test file). */
export function coreTarball(): Promise<string> {
  corePacked ??= buildCore().then(() => pack(CORE_DIR, tempDir('whatnext-core-tarball-')));
  return corePacked;
}

/** Unpack a tarball into `modules/<its name>`, as `npm install <tarball>` places it. */
function installTarball(tarball: string, modules: string): string {
  const staging = tempDir('whatnext-unpack-');
  execFileSync('tar', ['-xzf', tarball, '-C', staging]);
  const { name } = readManifest(join(staging, 'package'));
  const target = join(modules, name);
  mkdirSync(dirname(target), { recursive: true });
  renameSync(join(staging, 'package'), target);
  return target;
}

/** Link registry packages from this repository's node_modules into `modules` (those not there yet). */
export function linkFromRepository(modules: string, names: Iterable<string>): void {
  for (const name of names) {
    if (name.startsWith('@whatnext/') || existsSync(join(modules, name))) continue;
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    // Its real path: a service's permission model allows reading the app's node_modules by it.
    symlinkSync(realpathSync(join(ROOT, 'node_modules', name)), join(modules, name));
  }
}

/** Core installed in `modules` with its dependencies (and vitest, its test kit's peer). */
export async function installCore(modules: string): Promise<void> {
  if (existsSync(join(modules, '@whatnext/core'))) return;
  const installed = installTarball(await coreTarball(), modules);
  const manifest = readManifest(installed);
  linkFromRepository(modules, [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
}

/**
 * The example plugin as its author works on it, outside this repository: its folder copied
 * into a fresh one, its dependencies and dev dependencies installed (core from the tarball),
 * built with its own `tsc -p tsconfig.build.json`. Returns the package folder.
 */
export async function exampleWorkspace(): Promise<string> {
  const dir = join(tempDir('whatnext-example-author-'), 'example-tcp');
  cpSync(EXAMPLE_DIR, dir, { recursive: true, filter: (source) => !/[/\\](node_modules|dist)$/.test(source) });
  const modules = join(dir, 'node_modules');
  await installCore(modules);
  const manifest = readManifest(dir);
  linkFromRepository(modules, [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]);
  execFileSync(process.execPath, [TSC, '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'pipe' });
  return dir;
}

/** The example's tarball, by workspace: packed once however many folders it goes into. */
const examplesPacked = new Map<string, string>();

/**
 * The example plugin installed into `root/node_modules` with the command the README gives a
 * user: `npm install --prefix <root> --ignore-scripts <core tarball> <plugin tarball>` (core is
 * not on the registry, so its tarball goes beside the plugin's). Their registry dependencies
 * come from npm's cache when it has them (`--prefer-offline`). Returns the package's name.
 */
export async function installExample(root: string, workspace: string): Promise<string> {
  let plugin = examplesPacked.get(workspace);
  if (!plugin) examplesPacked.set(workspace, (plugin = pack(workspace, tempDir('whatnext-example-tarball-'))));
  execFileSync('npm', ['install', '--prefix', root, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', await coreTarball(), plugin], {
    stdio: 'pipe',
  });
  return readManifest(workspace).name;
}
