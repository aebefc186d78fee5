import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server.js';
import { makeApp } from '../helpers.js';

const app = await makeApp();
const server = await createServer(app);
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await app.close();
});

const post = (path: string, body: string, type = 'application/json') => fetch(base + path, { method: 'POST', headers: { 'content-type': type }, body });

describe('HTTP chat API on a real port', () => {
  it('reports health', async () => {
    const r = await fetch(`${base}/healthz`);
    expect(await r.json()).toMatchObject({ ok: true });
  });

  it('starts a conversation with a welcome, then answers in it, never exposing traces', async () => {
    const start = (await (await post('/api/chat/start', '{}')).json()) as any;
    expect(start.replies[0].text).toContain('订单助手');
    const r = await post('/api/chat', JSON.stringify({ conversationId: start.conversationId, text: '付款了怎么查不到单号' }));
    expect(r.status).toBe(200);
    const body = (await r.json()) as any;
    expect(body.conversationId).toBe(start.conversationId);
    expect(body.replies[0].text).toContain('订单号');
    expect(JSON.stringify(body)).not.toContain('turnOutcome');
  });

  it('never queues a buyer for an agent who could not write back: 转人工 here files a ticket and says why', async () => {
    // An agent is online: on a channel that can receive, this would queue the buyer.
    await app.store.presence.here('agent-on-duty');
    try {
      const start = (await (await post('/api/chat/start', '{}')).json()) as any;
      const r = (await (await post('/api/chat', JSON.stringify({ conversationId: start.conversationId, text: '转人工' }))).json()) as any;
      const text = r.replies.map((x: any) => x.text).join('\n');
      expect(text).toContain('这个窗口收不到人工客服的回复');
      const id = /工单 (T\d{10})/.exec(text)?.[1];
      expect(id, text).toBeTruthy();
      expect(await app.services.tickets.get(id!)).toMatchObject({ status: 'open', channelId: 'webjson' });
      expect(text).not.toContain('客服会直接在这里回复你');
      expect((await app.services.handoffs.open()).filter((h) => h.channelId === 'webjson')).toEqual([]);
    } finally {
      await app.store.presence.gone('agent-on-duty');
    }
  });

  it('rejects malformed JSON, wrong shapes and oversized bodies with clear errors', async () => {
    const bad = await post('/api/chat', '{"text": ');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'malformed_json' });
    const shape = await post('/api/chat', JSON.stringify({ text: 42 }));
    expect(shape.status).toBe(400);
    expect(((await shape.json()) as any).message).toContain('text');
    const badId = await post('/api/chat', JSON.stringify({ text: 'hi', conversationId: '../../etc' }));
    expect(badId.status).toBe(400);
    const unissued = await post('/api/chat', JSON.stringify({ text: 'hi', conversationId: 'A'.repeat(24) + '.' + 'B'.repeat(32) }));
    expect(unissued.status).toBe(403);
    const big = await post('/api/chat', JSON.stringify({ text: 'x'.repeat(40_000) }));
    expect(big.status).toBe(413);
  });

  it('rate-limits lookups per client, even across new conversations', async () => {
    let limited = false;
    for (let i = 0; i < 34 && !limited; i++) {
      const r = (await (await post('/api/chat', JSON.stringify({ text: `查订单 K7QX9ZP2M4RT8W${String(i).padStart(2, '0')}` }))).json()) as any;
      limited = r.replies.some((x: { text: string }) => x.text.includes('频繁'));
    }
    expect(limited).toBe(true);
  });

  it("serves the demo shop backend: a buyer's own orders and a chat token bound to them", async () => {
    const data = (await (await fetch(`${base}/demo/orders?buyer=u1001`)).json()) as any;
    expect(data.buyer.id).toBe('u1001');
    expect(data.orders.length).toBeGreaterThan(3);
    const mine = new Set((await app.orders.findCandidates({ userId: 'u1001', limit: 100 })).map((o) => o.orderNo));
    for (const o of data.orders) expect(mine.has(o.orderNo)).toBe(true);
    const t = (await (await fetch(`${base}/demo/login-token?buyer=u1001`, { method: 'POST' })).json()) as any;
    const started = await fetch(`${base}/v3/directline/conversations`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` } });
    expect(started.status).toBe(201);
  });

  it('serves the demo chat page', async () => {
    const r = await fetch(`${base}/`);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('订单助手');
    const bundle = await fetch(`${base}/vendor/webchat.js`);
    expect(bundle.status).toBe(200);
    expect(Number(bundle.headers.get('content-length'))).toBeGreaterThan(1_000_000);
    expect((await fetch(`${base}/orders.html`)).status).toBe(200);
  });
});
