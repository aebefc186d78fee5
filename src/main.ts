/** npm start: load configuration, build the app, serve HTTP. */
import { createApp } from './app.js';
import { ConfigError, loadConfig, loadDotEnv } from './config.js';
import { demoExamples } from './orders/demo/examples.js';
import { guardProcess } from './processGuards.js';
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
const app = createApp({ config });
guardProcess(app.logger);
const served = createServerWithChannels(app);
const { server } = served;
server.listen(config.port, config.host, () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  app.logger.info(
    { url: `http://${config.host}:${port}/`, database: config.databaseFile },
    `${config.shopName} order assistant is up — open http://${config.host}:${port}/ or run npm run chat`,
  );
  app.logger.info(
    { console: `http://${config.host}:${port}/agent`, agents: app.agents.count() },
    app.agents.count() ? 'agent console is up' : 'agent console is up; create an account first: npm run agent -- add <name>',
  );
  void demoExamples(app.orders, app.clock.now(), config.policy).then((examples) => app.logger.info({ examples }, 'demo order numbers to try, by diagnosed cause'));
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
