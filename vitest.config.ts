import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each integration file creates its own database and queue prefix, so files may run in parallel.
    pool: 'forks',
    reporters: ['default'],
  },
});
