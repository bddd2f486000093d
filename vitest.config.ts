import { defineConfig } from 'vitest/config';

// `npm test`: unit and integration tests (real PostgreSQL and Redis).
// `npm run test:e2e`: browser tests (Debian's Chromium), run by CI too: see vitest.e2e.config.ts.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each integration file creates its own database and queue prefix, so files may run in parallel.
    pool: 'forks',
  },
});
