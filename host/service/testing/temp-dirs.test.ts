import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs, tempDir } from './temp-dirs';

describe('test data folders', () => {
  it('are fresh, and removed with everything in them', () => {
    const a = tempDir('whatnext-temp-dirs-test-');
    const b = tempDir('whatnext-temp-dirs-test-');
    expect(a).not.toBe(b);
    mkdirSync(join(a, 'db'));
    writeFileSync(join(a, 'db', 'data.mdb'), 'x');
    writeFileSync(join(b, 'identity.json'), '{}');
    removeTempDirs();
    expect(existsSync(a)).toBe(false);
    expect(existsSync(b)).toBe(false);
    removeTempDirs(); // nothing left to remove: no error
  });
});
