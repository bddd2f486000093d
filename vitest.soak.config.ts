import { defineConfig } from 'vitest/config';

// `npm run test:soak`: crashes, restarts and load against real processes (`maillage worker`
// killed with SIGKILL, private redis-server and PostgreSQL clusters restarted). Minutes long, so
// apart from `npm test`; .ci/run runs it under a time bound. One file at a time: each measures or
// kills processes, and two at once on a small machine would only slow each other down.
export default defineConfig({
  test: {
    include: ['test/soak/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
