import { defineConfig } from 'vitest/config';

// Browser tests: playwright-core driving Debian's Chromium (/usr/bin/chromium or CHROMIUM_PATH).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
