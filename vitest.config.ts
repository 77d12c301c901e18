import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{domain,projections,api,adapters,simulators,application,app,test}/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Postgres-backed suites share one embedded server; each file gets its own database.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
