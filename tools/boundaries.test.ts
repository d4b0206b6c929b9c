/**
 * Who may import what (the layers of the README's architecture tour):
 *
 * - core/ is what plugin authors import: nothing from host/ or plugins/, no Electron, Vue or Node
 *   built-ins (tests aside), so it runs in any runtime;
 * - a plugin imports core and its own files, never host/ and never another plugin (a plugin's
 *   tests may compose it with others);
 * - the service (host/service) composes plugins through a config and imports none itself, so a
 *   feature plugin needs no edit outside its folder and plugins.config.ts;
 * - the renderer reaches the rest only through its typed API: types of core's protocol and of
 *   plugins' protocol modules, nothing of the service, main or Node.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
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
      target: specifier.startsWith('.') ? relative(ROOT, resolve(dirname(file), specifier)).split(sep).join('/') : undefined,
    };
  });
}

const isTest = (file: string) => /\.(test|e2e)\.ts$|\/(test|fixtures|e2e|testing)\//.test(file);
const all = sources(ROOT).flatMap(imports);
const offences = (keep: (i: Import) => boolean) => all.filter(keep).map((i) => `${i.file} → ${i.specifier}`);

describe('layers', () => {
  it('finds the imports it checks', () => {
    expect(all.filter((i) => i.file.startsWith('core/')).length).toBeGreaterThan(100);
  });

  it('core imports nothing from host/ or plugins/, and no Electron, Vue or Node built-ins outside tests', () => {
    expect(
      offences((i) => i.file.startsWith('core/') && (/^(host|plugins)\//.test(i.target ?? '') || (!isTest(i.file) && /^(electron|vue|pinia|@vue\/|node:)/.test(i.specifier)))),
    ).toEqual([]);
  });

  it('a plugin imports neither host/ nor another plugin (outside its tests)', () => {
    expect(
      offences((i) => {
        const own = /^plugins\/([^/]+)\//.exec(i.file)?.[1];
        if (!own || isTest(i.file) || !i.target) return false;
        return i.target.startsWith('host/') || (i.target.startsWith('plugins/') && !i.target.startsWith(`plugins/${own}/`) && i.target !== `plugins/${own}`);
      }),
    ).toEqual([]);
  });

  it('the service imports no plugin: plugins come through the config', () => {
    expect(offences((i) => i.file.startsWith('host/service/') && !isTest(i.file) && (i.target ?? '').startsWith('plugins/'))).toEqual([]);
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
