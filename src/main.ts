/** npm start: load configuration, build the app, serve HTTP. */
import { createApp } from './app.js';
import { ConfigError, loadConfig, loadDotEnv } from './config.js';
import { guardProcess } from './processGuards.js';
import { terminal } from './replies/index.js';
import { createServerWithChannels } from './server.js';

let config: ReturnType<typeof loadConfig>;
try {
  loadDotEnv();
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
let app: Awaited<ReturnType<typeof createApp>>;
try {
  app = await createApp({ config });
} catch (err) {
  // A database that cannot be reached or migrated: say which, plainly, and stop (a supervisor restarts us).
  console.error(`cannot open the database (${config.databaseUrl ? 'DATABASE_URL' : config.databaseFile}): ${(err as Error).message}`);
  process.exit(1);
}
guardProcess(app.logger);
const served = await createServerWithChannels(app);
const { server } = served;
server.listen(config.port, config.host, () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  app.logger.info(
    { url: `http://${config.host}:${port}/`, database: app.store.where },
    `${config.shopName} order assistant is up — open http://${config.host}:${port}/ or run npm run chat`,
  );
  void app.agents
    .count()
    .then((agents) =>
      app.logger.info(
        { console: `http://${config.host}:${port}/agent`, agents },
        agents ? 'agent console is up' : 'agent console is up; create an account first: npm run agent -- add <name>',
      ),
    );
  void app.shop.examples?.(app.clock.now(), config.policy).then((examples) => {
    app.logger.info({ examples }, 'demo order numbers to try, by diagnosed cause');
    // A person at a terminal gets the same as a table they can read (the log stays one JSON line each).
    if (process.stdout.isTTY) console.log(`\n${terminal.examples(examples)}\n`);
  });
});
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  app.logger.info('shutting down: finishing in-flight turns');
  // In-flight requests finish; whatever is still open after 10 s is cut.
  const force = setTimeout(() => server.closeAllConnections(), 10_000);
  force.unref();
  served.drain(() => {
    void app.close().then(() => process.exit(0));
  });
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
