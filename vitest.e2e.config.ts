import { defineConfig } from 'vitest/config';
import { coreSourceAlias } from './tools/core-source-alias.ts';

/** End-to-end tests: browser shells with real services, driven through Debian's Chromium. */
export default defineConfig({
  resolve: { alias: coreSourceAlias },
  test: {
    include: ['host/web/e2e/**/*.e2e.ts'],
    globalSetup: ['host/web/e2e/global-setup.ts'],
    testTimeout: 90_000,
    hookTimeout: 90_000,
    // Each file starts browsers and several processes: one file at a time on 2 shared cores.
    fileParallelism: false,
    maxWorkers: 1,
    pool: 'forks',
    // Removes the data folders each test file made (host/service/testing/temp-dirs.ts).
    setupFiles: ['host/service/testing/cleanup.ts'],
  },
});
