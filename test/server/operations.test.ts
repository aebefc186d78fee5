/**
 * Operations over real HTTP: /healthz says the process is up, /readyz that the database answers
 * with the schema this code migrates to; draining (SIGTERM) turns /readyz 503, tells Direct Line
 * streams to reconnect (1012) and lets in-flight requests finish.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createServerWithChannels } from '../../src/server.js';
import { MIGRATIONS } from '../../src/storage/sqlite/migrations.js';
import { makeApp, serve, shutdown } from '../helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-ops-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const latest = MIGRATIONS.at(-1)!.version;

async function running() {
  const app = await makeApp({ file: path.join(dir, `ops-${Math.random().toString(36).slice(2)}.sqlite`), orders: [] });
  const served = await createServerWithChannels(app);
  const base = await serve(served.server);
  return { app, served, base };
}

describe('health and readiness', () => {
  it('is live and ready with a current schema', async () => {
    const r = await running();
    try {
      expect((await fetch(`${r.base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${r.base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ready: true, schema: latest, database: 'sqlite' });
    } finally {
      await shutdown(r.served.server);
      await r.app.close();
    }
  });

  it('is not ready when the schema is not the one this code expects, or the database is gone', async () => {
    const r = await running();
    try {
      await r.app.store.sql.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [latest + 1, 'from a newer release', new Date().toISOString()]);
      const newer = await fetch(`${r.base}/readyz`);
      expect(newer.status).toBe(503);
      expect(await newer.json()).toMatchObject({ ready: false, reason: 'migrations not current', schema: latest + 1, expected: latest });
      expect((await fetch(`${r.base}/healthz`)).status).toBe(200); // still alive: do not restart it for this
      await r.app.store.close();
      const gone = await fetch(`${r.base}/readyz`);
      expect(gone.status).toBe(503);
      expect(await gone.json()).toMatchObject({ reason: 'database unreachable' });
    } finally {
      await shutdown(r.served.server);
      await r.app.close();
    }
  });
});

describe('draining', () => {
  it('answers a request already under way with 503, tells streams to reconnect (1012), refuses new connections, and finishes', async () => {
    const r = await running();
    const token = (await (await fetch(`${r.base}/api/directline/token`, { method: 'POST' })).json()) as { token: string; conversationId: string };
    const started = (await (await fetch(`${r.base}/v3/directline/conversations`, { method: 'POST', headers: { authorization: `Bearer ${token.token}` } })).json()) as {
      conversationId: string;
      streamUrl: string;
    };
    const ws = new WebSocket(
      started.streamUrl.startsWith('ws')
        ? started.streamUrl
        : `${r.base.replace('http', 'ws')}/v3/directline/conversations/${started.conversationId}/stream?t=${encodeURIComponent(token.token)}`,
    );
    await new Promise((ok, fail) => {
      ws.once('open', ok);
      ws.once('error', fail);
    });
    const closed = new Promise<number>((ok) => ws.once('close', (code) => ok(code)));
    // A request already on its way when the drain begins is answered, and it says "not ready".
    const sock = net.connect(Number(new URL(r.base).port), '127.0.0.1');
    await new Promise((ok) => sock.once('connect', ok));
    sock.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await new Promise((ok) => setTimeout(ok, 50));
    let done = false;
    r.served.drain(() => {
      done = true;
    });
    const answer = new Promise<string>((ok) => {
      let got = '';
      sock.on('data', (d) => (got += d));
      sock.on('close', () => ok(got));
      sock.on('error', () => ok(got));
    });
    sock.write('Connection: close\r\n\r\n');
    expect(await answer).toMatch(/^HTTP\/1\.1 503[\s\S]*shutting down/);
    expect(await closed).toBe(1012);
    // No new connections: the balancer's next probe goes elsewhere.
    await expect(fetch(`${r.base}/readyz`)).rejects.toThrow();
    await new Promise((ok) => setTimeout(ok, 200));
    expect(done).toBe(true);
    await r.app.close();
  });
});
