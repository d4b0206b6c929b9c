import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['core/**/*.test.ts', 'plugins/**/*.test.ts', 'host/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // WebRTC and process tests share 2 noisy cores: keep files from starving each other.
    maxWorkers: 2,
    pool: 'forks',
  },
});
