import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Real sockets on 127.0.0.1 and subprocesses: keep parallelism modest on 2 cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
