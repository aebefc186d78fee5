/** The HTTP server: health, the JSON chat API and the demo chat page. */
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import express from 'express';
import { type App, PROJECT_ROOT, channelDeps } from './app.js';
import { botFrameworkRouter } from './channels/botframework/index.js';
import { type DirectLine, createDirectLine } from './channels/directline/index.js';
import { demoRouter } from './web/demo.js';
import { chatRouter } from './channels/http/chatApi.js';
import { type WeChat, createWeChat } from './channels/wechat/index.js';
import { type AgentConsole, createAgentConsole } from './handoff/console.js';

// The package exports only its entry (lib/index.js); the UMD bundle sits in dist/ beside it.
const WEBCHAT_BUNDLE = path.join(path.dirname(createRequire(import.meta.url).resolve('botframework-webchat')), '..', 'dist', 'webchat.js');

/** What browsers may fetch: the chat widget and the agent console (never the server's source). */
const PUBLIC_DIR = path.join(PROJECT_ROOT, 'src', 'web', 'public');
const STATIC_OPTIONS: import('serve-static').ServeStaticOptions = { dotfiles: 'ignore', index: 'index.html', redirect: false };

export async function createServer(app: App): Promise<http.Server> {
  return (await createServerWithChannels(app)).server;
}

/** The server and the channels it serves (for proactive messages and tests). */
export interface Served {
  server: http.Server;
  directLine: DirectLine;
  wechat: WeChat;
  agentConsole: AgentConsole;
  /**
   * Graceful shutdown: /readyz turns 503 (the balancer stops sending), no new connections, idle
   * keep-alive connections closed, streams and consoles told to reconnect (elsewhere), in-flight
   * requests finished; then `done`.
   */
  drain(done?: () => void): void;
}

export async function createServerWithChannels(app: App): Promise<Served> {
  const draining = { value: false };
  const web = express();
  web.disable('x-powered-by');
  web.set('etag', false); // API answers are never cached; hashing every body costs time
  web.set('trust proxy', app.config.trustProxy);
  const channels = channelDeps(app);
  const directLine = await createDirectLine(channels, app.store.repos.directLine);
  // Liveness: the process answers (no database call, so a slow database does not get it restarted).
  web.get('/healthz', (_req, res) => {
    res.json({ ok: true, articles: app.services.knowledge.size });
  });
  // Readiness: the database answers and its schema is the one this code migrates to; a load balancer
  // sends traffic only while this is 200 (503 while the instance drains on shutdown, too).
  web.get('/readyz', async (_req, res) => {
    if (draining.value) {
      res.status(503).json({ ready: false, reason: 'shutting down' });
      return;
    }
    let schema: { version: number; latest: number };
    try {
      schema = await withTimeout(app.store.schema(), 3000);
    } catch {
      res.status(503).json({ ready: false, reason: 'database unreachable' });
      return;
    }
    if (schema.version !== schema.latest) res.status(503).json({ ready: false, reason: 'migrations not current', schema: schema.version, expected: schema.latest });
    else res.json({ ready: true, schema: schema.version, database: app.store.kind });
  });
  web.use(await chatRouter(channels, app.adapter));
  web.use(directLine.router);
  web.use(botFrameworkRouter(channels));
  const wechat = createWeChat(channels, app.store.repos.wechat);
  web.use(wechat.router);
  // The shop's webhooks (dujiaoka api_hook, Dujiao-Next callback, the http contract's events) and courier pushes.
  for (const hooks of app.hooks) web.use('/hooks', hooks);
  const agentConsole = createAgentConsole(app);
  // Channels are registered with the relay by now: notify-me can reach buyers.
  app.notifier.start();
  web.use(agentConsole.router);
  web.get('/agent', (_req, res) => void res.sendFile(path.join(PUBLIC_DIR, 'agent.html')));
  // The demo shop (pages, fake log-in, order list) only with the demo adapter and DEMO_PAGES on.
  if (app.config.demoPages) {
    web.use(demoRouter(app, directLine));
    web.use(express.static(path.join(PROJECT_ROOT, 'src', 'web', 'demo-shop'), STATIC_OPTIONS));
  }
  // The official Web Chat bundle, served from our own server (no CDN: mainland buyers, offline installs).
  web.get('/vendor/webchat.js', (_req, res) => {
    res.type('application/javascript').set('Cache-Control', 'public, max-age=86400').sendFile(WEBCHAT_BUNDLE);
  });
  web.use(express.static(PUBLIC_DIR, STATIC_OPTIONS));
  web.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  web.use((err: Error & { status?: number; type?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (err.status && err.status >= 400 && err.status < 500) {
      res.status(err.status).json({ error: err.type ?? 'bad_request', message: err.status === 413 ? 'request body is too large' : 'request body is not valid' });
      return;
    }
    app.logger.error({ err }, 'request failed');
    res.status(500).json({ error: 'internal', message: 'something went wrong' });
  });
  const server = http.createServer(web);
  server.on('upgrade', (req, socket, head) => {
    // Node takes its own error listener off an upgraded socket: a reset before ws takes over must not crash us.
    socket.on('error', () => socket.destroy());
    try {
      if (!directLine.upgrade(req, socket, head) && !agentConsole.upgrade(req, socket, head)) socket.destroy();
    } catch (err) {
      app.logger.warn({ err: (err as Error).message }, 'upgrade refused');
      socket.destroy();
    }
  });
  server.on('close', () => {
    wechat.close();
    agentConsole.close();
  });
  // Agent messages stored before a crash and never delivered go out now, once.
  void app.relay.recover().then((n) => n && app.logger.info({ delivered: n }, 'agent messages delivered after a restart'));
  const drain = (done?: () => void) => {
    draining.value = true;
    server.close(() => done?.());
    server.closeIdleConnections();
    directLine.closeStreams();
    agentConsole.close();
  };
  return { server, directLine, wechat, agentConsole, drain };
}

/** A database that does not answer within `ms` counts as unreachable (the balancer should not wait on it). */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)))]).finally(() => clearTimeout(timer));
}
