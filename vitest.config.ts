import { defineConfig } from 'vitest/config';
import { coreSourceAlias } from './tools/core-source-alias.ts';

export default defineConfig({
  resolve: { alias: coreSourceAlias },
  test: {
    include: ['core/**/*.test.ts', 'plugins/**/*.test.ts', 'host/**/*.test.ts', 'tools/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // WebRTC and process tests share 2 noisy cores: keep files from starving each other.
    maxWorkers: 2,
    pool: 'forks',
    // Removes the data folders each test file made (host/service/testing/temp-dirs.ts).
    setupFiles: ['host/service/testing/cleanup.ts'],
  },
});
