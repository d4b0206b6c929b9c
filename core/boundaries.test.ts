/** core/ is what plugin authors import: it must not reach into the app or any runtime's UI. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CORE = dirname(fileURLToPath(import.meta.url));
const FORBIDDEN_PACKAGES = /^(electron|vue|pinia|@vue\/|node:)/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2])!);
}

describe('core boundaries', () => {
  const files = sources(CORE);

  it('finds the sources it checks', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it('imports nothing from host/, plugins/, Electron, Vue or Node built-ins (outside tests)', () => {
    const offences: string[] = [];
    for (const file of files) {
      const isTest = file.endsWith('.test.ts');
      for (const spec of specifiers(file)) {
        if (spec.startsWith('.')) {
          const target = relative(CORE, resolve(dirname(file), spec));
          if (target.startsWith('..')) offences.push(`${relative(CORE, file)} → ${spec}`);
        } else if (!isTest && FORBIDDEN_PACKAGES.test(spec)) {
          offences.push(`${relative(CORE, file)} → ${spec}`);
        }
      }
    }
    expect(offences).toEqual([]);
  });
});
