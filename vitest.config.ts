import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One throwaway PostgreSQL server for the run (TEST_POSTGRES_URL); see test/support/postgres.ts.
    globalSetup: ['test/support/postgresSetup.ts', 'test/support/mariadbSetup.ts'],
    // Payment times must not depend on the server's zone: tests run in a zone far from the shop's.
    env: { TZ: 'America/Los_Angeles', LOG_LEVEL: 'silent' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
