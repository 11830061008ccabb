import { defineConfig } from 'vitest/config';

// Unit tests live beside the code (packages/*/src/**/*.test.ts); cross-process
// suites live in test/. Suites start real etcd, gRPC servers and containers,
// so files run in separate forks, at most two at a time on the 2-core CI
// machines. The chaos suites kill, restart and flood processes against
// deadlines: they run last and one at a time, so they never starve each other
// (two of them together on two cores made etcd miss 10 s deadlines).
export default defineConfig({
  test: {
    exclude: ['**/node_modules/**', '**/dist/**'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit-and-e2e',
          include: ['packages/*/src/**/*.test.ts', 'test/architecture/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/images/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
