/**
 * One table of error codes (core/error-codes.ts, and a plugin's own errors.ts), one of close
 * codes (core/connection/close-codes.ts): every code the source gives is declared in one, in the
 * case its kind uses (error codes snake_case, close codes kebab-case).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../core/connection/close-codes';
import { ConnectionStage } from '../core/contracts/stages';
import { ERROR_CODES } from '../core/error-codes';

const STAGES = new Set<string>(ConnectionStage.options);

const ROOT = join(import.meta.dirname, '..');
/** Where codes are given (the renderer only reads them). */
const AREAS = ['core', 'plugins', 'host/service', 'host/web', 'host/electron'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'e2e' || name === 'test' || name === 'testing' ? [] : sources(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/** Code literals as they are given: to an error's constructor, or as an object's `code`. */
function givenCodes(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [
    ...text.matchAll(/\b(?:WhatNextError|super)\(\s*'([a-z][a-z0-9_-]*)'/g),
    ...text.matchAll(/\bcode:\s*'([a-z][a-z0-9_-]*)'/g),
    // `code: cond ? 'a' : 'b'`, as the formatter writes it.
    ...text.matchAll(/\bcode: [^,;?'\s][^,;?']*\? '([a-z][a-z0-9_-]*)' : '([a-z][a-z0-9_-]*)'/g),
  ];
  return found.flatMap((m) => m.slice(1).filter((code): code is string => code !== undefined));
}

async function pluginTables(): Promise<Record<string, string>> {
  const tables: Record<string, string> = {};
  for (const plugin of readdirSync(join(ROOT, 'plugins'))) {
    const path = join(ROOT, 'plugins', plugin, 'errors.ts');
    if (!statSync(path, { throwIfNoEntry: false })) continue;
    for (const value of Object.values(await import(path))) Object.assign(tables, value as Record<string, string>);
  }
  return tables;
}

describe('error codes', () => {
  it('every code given in the source is declared, snake_case errors and kebab-case close codes', async () => {
    const declared = { ...ERROR_CODES, ...(await pluginTables()) };
    const undeclared: string[] = [];
    for (const file of AREAS.flatMap((area) => sources(join(ROOT, area)))) {
      for (const code of givenCodes(file)) {
        // zod's own issue code in a refinement, and a stage (TransportError's first argument).
        if (code === 'custom' || STAGES.has(code)) continue;
        const known = code.includes('-') ? Object.hasOwn(CLOSE_CODES, code) : Object.hasOwn(declared, code) || Object.hasOwn(CLOSE_CODES, code);
        if (!known) undeclared.push(`${relative(ROOT, file)}: ${code}`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('finds the codes it checks', () => {
    const files = AREAS.flatMap((area) => sources(join(ROOT, area)));
    expect(files.flatMap(givenCodes).length).toBeGreaterThan(50);
  });
});
