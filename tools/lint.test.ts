/**
 * The lint configuration really refuses backtracking patterns: if the regexp plugin stopped
 * loading (a renamed rule, a broken jsPlugins entry), `npm run lint` would pass on anything.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../host/service/testing/temp-dirs';

const ROOT = join(import.meta.dirname, '..');

function lint(source: string): { ok: boolean; output: string } {
  const file = join(tempDir('whatnext-lint-'), 'sample.ts');
  writeFileSync(file, source);
  try {
    const output = execFileSync(join(ROOT, 'node_modules', '.bin', 'oxlint'), ['-c', join(ROOT, '.oxlintrc.json'), '--deny-warnings', file], {
      encoding: 'utf8',
    });
    return { ok: true, output };
  } catch (error) {
    return { ok: false, output: String((error as { stdout?: string }).stdout) };
  }
}

describe('lint rules', () => {
  it('refuses a pattern that backtracks exponentially (the broker path pattern of issue 12)', () => {
    const { ok, output } = lint('export const path = (s: string) => /^\\/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*\\/?)*$/.test(s);\n');
    expect(ok).toBe(false);
    expect(output).toContain('regexp(no-super-linear-backtracking)');
  });

  it('refuses an unanchored quantifier that moves quadratically', () => {
    const { ok, output } = lint('export const ms = (s: string) => /\\d+ ms/.test(s);\n');
    expect(ok).toBe(false);
    expect(output).toContain('regexp(no-super-linear-move)');
  });

  it('accepts the linear pattern that replaced it', () => {
    expect(lint('export const path = (s: string) => /^\\/(?:[\\w~-][\\w.~-]*\\/)*(?:[\\w~-][\\w.~-]*)?$/.test(s);\n')).toMatchObject({ ok: true });
  });
});
