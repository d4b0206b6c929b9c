/**
 * Data folders for tests: each is removed once its test file is done (the `afterAll` in
 * `cleanup.ts`, a vitest setup file). A service writes databases of megabytes into its folder
 * and a full run makes hundreds of them, so none may outlive the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

/** A fresh, empty folder under the system's temp folder, named `<prefix><random>`. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** Remove every folder `tempDir` made (by now every process using one has been stopped). */
export function removeTempDirs(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
}
