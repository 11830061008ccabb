import { defineConfig } from 'vitest/config';

// Unit tests live beside the code (packages/*/src/**/*.test.ts); cross-process
// suites live in test/. Suites start real etcd and gRPC servers, so files run
// in separate forks, at most two at a time on the 2-core CI machines.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
