/**
 * vitest globalSetup: one throwaway MariaDB server for the whole run (see ./mariadb.ts).
 * TEST_MARIADB_URL already set: use that server. No binaries here: start nothing, and only the
 * tests that need MariaDB fail (requireMariadb() says what is missing).
 */
import { findMariadb, MARIADB_URL_ENV, mariadbUrl, startMariadb } from './mariadb.js';

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (mariadbUrl() || !findMariadb()) return undefined;
  const server = await startMariadb();
  process.env[MARIADB_URL_ENV] = server.url;
  return async () => {
    delete process.env[MARIADB_URL_ENV];
    await server.stop();
  };
}
