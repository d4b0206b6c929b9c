/**
 * Who may import what (the layers of the README's architecture tour):
 *
 * - core/ is what plugin authors import: nothing from host/ or plugins/, no Electron, Vue or Node
 *   built-ins (tests aside), so it runs in any runtime;
 * - a plugin imports core and its own files, never host/ and never another plugin (a plugin's
 *   tests may compose it with others), save types (`import type`) from the public `index.ts` or
 *   `service.ts` of a plugin it lists in `dependencies`: what it runs of that plugin comes from
 *   `ctx.use`;
 * - the service (host/service) composes plugins through a config and imports none itself, so a
 *   feature plugin needs no edit outside its folder and plugins.config.ts;
 * - the terminal peer (host/cli) is a client, as the window is: core, the service's starter, and
 *   plugins' protocol modules (schemas) only;
 * - the renderer reaches the rest only through its typed API: types of core's protocol and of
 *   plugins' protocol modules, nothing of the service, main or Node.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|vue)$/.test(path) ? [path] : [];
  });
}

interface Import {
  file: string;
  specifier: string;
  typeOnly: boolean;
  /** Repository-relative path for a relative import; undefined for a package. */
  target: string | undefined;
}

function imports(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(import|export)\s(type\s)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => {
    const specifier = (m[3] ?? m[4])!;
    return {
      file: relative(ROOT, file),
      specifier,
      typeOnly: m[2] !== undefined,
      target: specifier.startsWith('.')
        ? relative(ROOT, resolve(dirname(file), specifier))
            .split(sep)
            .join('/')
        : undefined,
    };
  });
}

const isTest = (file: string) => /\.(test|e2e)\.ts$|\/(test|fixtures|e2e|testing)\//.test(file);
const all = sources(ROOT).flatMap(imports);
const offences = (keep: (i: Import) => boolean) => all.filter(keep).map((i) => `${i.file} → ${i.specifier}`);

/** The plugins a plugin lists in `dependencies` (read from its index.ts). */
function declaredDependencies(plugin: string): string[] {
  let text: string;
  try {
    text = readFileSync(join(ROOT, 'plugins', plugin, 'index.ts'), 'utf8');
  } catch {
    return [];
  }
  const list = /\bdependencies:\s*\[([^\]]*)\]/.exec(text)?.[1] ?? '';
  return [...list.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
}

/** Whether an import breaks the plugin rule, given who depends on whom. */
function pluginOffence(i: Import, dependenciesOf: (plugin: string) => string[]): boolean {
  const own = /^plugins\/([^/]+)\//.exec(i.file)?.[1];
  if (!own || isTest(i.file) || !i.target) return false;
  if (i.target.startsWith('host/')) return true;
  const other = /^plugins\/([^/]+)(?:\/(.+))?$/.exec(i.target);
  if (!other || other[1] === own) return false;
  const publicModule = other[2] === undefined || other[2] === 'index' || other[2] === 'service';
  return !(i.typeOnly && publicModule && dependenciesOf(own).includes(other[1]!));
}

describe('layers', () => {
  it('finds the imports it checks', () => {
    expect(all.filter((i) => i.file.startsWith('core/')).length).toBeGreaterThan(100);
  });

  it('nothing imports a package folder itself (core, the example plugin): its package.json (the built package) would answer instead of its index.ts', () => {
    const packages = ['core', ...readdirSync(join(ROOT, 'plugins')).map((name) => `plugins/${name}`)].filter((dir) =>
      existsSync(join(ROOT, dir, 'package.json')),
    );
    expect(packages).toEqual(['core', 'plugins/example-tcp']);
    expect(offences((i) => i.target !== undefined && packages.includes(i.target))).toEqual([]);
  });

  it('plugins and the renderer reach core by package name, through its public entry points only', () => {
    const outsideCore = (i: Import) => /^(plugins\/|host\/renderer\/)/.test(i.file);
    expect(offences((i) => outsideCore(i) && (i.target ?? '').startsWith('core/'))).toEqual([]);
    expect(offences((i) => outsideCore(i) && i.specifier.startsWith('@whatnext/core') && !/^@whatnext\/core(\/testing)?$/.test(i.specifier))).toEqual([]);
    // The test kit is for tests: a plugin's running code does not load vitest.
    expect(offences((i) => outsideCore(i) && !isTest(i.file) && i.specifier === '@whatnext/core/testing')).toEqual([]);
    expect(all.filter((i) => i.file.startsWith('plugins/') && i.specifier === '@whatnext/core').length).toBeGreaterThan(30);
  });

  it('core reaches itself by relative paths: its build would leave "@whatnext/core" as an import of itself', () => {
    expect(offences((i) => i.file.startsWith('core/') && i.specifier.startsWith('@whatnext/core'))).toEqual([]);
  });

  it('core imports nothing from host/ or plugins/, and no Electron, Vue or Node built-ins outside tests', () => {
    expect(
      offences(
        (i) =>
          i.file.startsWith('core/') &&
          (/^(host|plugins)\//.test(i.target ?? '') || (!isTest(i.file) && /^(electron|vue|pinia|@vue\/|node:)/.test(i.specifier))),
      ),
    ).toEqual([]);
  });

  it("a plugin imports neither host/ nor another plugin (outside its tests), save types of a dependency's index.ts or service.ts", () => {
    expect(offences((i) => pluginOffence(i, declaredDependencies))).toEqual([]);
    // The exception is used (simple-peer and peerjs take the webrtc service's types)...
    expect(all.filter((i) => i.file.startsWith('plugins/simple-peer/') && i.target === 'plugins/webrtc/service' && !isTest(i.file)).length).toBeGreaterThan(0);
    expect(declaredDependencies('peerjs')).toEqual(['webrtc']);
  });

  it('the plugin rule refuses anything past that exception', () => {
    const from = (file: string, target: string, typeOnly: boolean): Import => ({ file, specifier: `../${target}`, typeOnly, target });
    const deps = (plugin: string) => (plugin === 'mine' ? ['dep'] : []);
    const verdict = (i: Import) => pluginOffence(i, deps);
    expect(verdict(from('plugins/mine/index.ts', 'plugins/dep/service', true))).toBe(false);
    expect(verdict(from('plugins/mine/a.ts', 'plugins/dep', true))).toBe(false);
    expect(verdict(from('plugins/mine/a.ts', 'plugins/dep/index', true))).toBe(false);
    expect(verdict(from('plugins/mine/a.ts', 'plugins/dep/service', false))).toBe(true); // at run time
    expect(verdict(from('plugins/mine/a.ts', 'plugins/dep/pipe', true))).toBe(true); // not its public face
    expect(verdict(from('plugins/mine/a.ts', 'plugins/other/service', true))).toBe(true); // not a dependency
    expect(verdict(from('plugins/dep/a.ts', 'plugins/mine/service', true))).toBe(true); // the other way round
    expect(verdict(from('plugins/mine/a.ts', 'host/service/fork', true))).toBe(true);
    expect(verdict(from('plugins/mine/a.test.ts', 'plugins/other/pipe', false))).toBe(false); // tests compose
  });

  it('the service imports no plugin: plugins come through the config', () => {
    expect(offences((i) => i.file.startsWith('host/service/') && !isTest(i.file) && (i.target ?? '').startsWith('plugins/'))).toEqual([]);
  });

  it("the terminal peer imports core, the service's starter and plugins' protocol modules, nothing else", () => {
    expect(
      offences((i) => {
        if (!i.file.startsWith('host/cli/') || isTest(i.file) || !i.target || i.target.startsWith('host/cli/')) return false;
        return !(i.target.startsWith('core/') || /^host\/service\/(fork|options)$/.test(i.target) || /^plugins\/[^/]+\/protocol$/.test(i.target));
      }),
    ).toEqual([]);
    expect(all.some((i) => i.file === 'host/cli/main.ts' && i.target === 'plugins/rxdb/protocol')).toBe(true);
  });

  it('the renderer imports only types from outside itself, of core and of plugins’ protocol modules', () => {
    expect(
      offences((i) => {
        if (!i.file.startsWith('host/renderer/src/') || !i.target || i.target.startsWith('host/renderer/')) return false;
        const allowed = i.target.startsWith('core/') || /^plugins\/[^/]+\/protocol$/.test(i.target) || i.target === 'plugins.config';
        return !i.typeOnly || !allowed;
      }),
    ).toEqual([]);
  });
});
