/**
 * vitest globalSetup: one throwaway PostgreSQL server for the whole run (see ./postgres.ts).
 *
 * - TEST_POSTGRES_URL already set by the caller: use that server, start nothing.
 * - No PostgreSQL binaries on this machine: start nothing and leave TEST_POSTGRES_URL unset, so only
 *   the tests that need PostgreSQL fail (requirePostgres() says what is missing).
 * - Otherwise start a server and publish its URL in process.env.TEST_POSTGRES_URL. The globalSetup
 *   runs in vitest's main process before any worker is created, and vitest builds each worker's
 *   environment from process.env at that point, so test files see the variable.
 */
import { findPostgresBin, POSTGRES_URL_ENV, postgresUrl, startPostgres } from './postgres.js';

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (postgresUrl() || !findPostgresBin()) return undefined;
  const server = await startPostgres();
  process.env[POSTGRES_URL_ENV] = server.url;
  return async () => {
    delete process.env[POSTGRES_URL_ENV];
    await server.stop();
  };
}
