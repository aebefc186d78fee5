/**
 * Live agents over real HTTP: a buyer on Direct Line, an agent on the console API and WebSocket.
 * Security (sessions, CSRF, same origin), the whole handoff, tickets, audited reveals, and the
 * relay's exactly-once delivery across a crash.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../src/app.js';
import { createServerWithChannels } from '../../src/server.js';
import { NOW, RecordingChannel, makeApp, order, serve, shutdown, until } from '../helpers.js';

const PASSWORD = 'correct horse battery';
const delivered = order({
  orderNo: 'K8PL3MZ7Q2XV9TRB',
  status: 'delivered',
  paidAt: '2026-11-23T13:04:00+08:00',
  buyer: { contact: '13812345678', hasQueryPassword: false },
  delivery: { kind: 'card_codes', items: [{ masked: 'QB10****7Z3K', plaintext: 'QB10-8842-5519-7Z3K' }], expected: 1, deliveredAt: '2026-11-23T13:05:00+08:00' },
});
const risky = order({ orderNo: 'DJ20261123120055QWER', status: 'on_hold', holdReasons: ['risk_control'], paidAt: '2026-11-23T12:01:00+08:00' });

interface Running {
  app: App;
  s: Awaited<ReturnType<typeof createServerWithChannels>>;
  base: string;
  logs: string[];
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-agent-'));
async function start(file = path.join(dir, `c-${Math.random().toString(36).slice(2)}.sqlite`)): Promise<Running> {
  const logs: string[] = [];
  const app = await makeApp({ file, orders: [delivered, risky], env: { LOG_LEVEL: 'debug' }, log: (l) => logs.push(l) });
  if ((await app.agents.count()) === 0) {
    await app.agents.create('xiaowang', '小王', PASSWORD);
    await app.agents.create('xiaoli', '小李', PASSWORD);
  }
  const s = await createServerWithChannels(app);
  const base = await serve(s.server);
  return { app, s, base, logs };
}
async function stop(r: Running) {
  await shutdown(r.s.server);
  await r.app.close();
}

/** An agent signed in: cookie + CSRF token, and helpers that call the API as a browser would. */
async function signIn(r: Running, username = 'xiaowang') {
  const res = await fetch(`${r.base}/agent/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: r.base },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  const setCookie = res.headers.get('set-cookie')!;
  expect(setCookie).toMatch(/HttpOnly/i);
  expect(setCookie).toMatch(/SameSite=Strict/i);
  const cookie = setCookie.split(';')[0]!;
  const { csrf } = (await res.json()) as { csrf: string };
  const call = async (method: string, p: string, body?: unknown) => {
    const r2 = await fetch(`${r.base}/agent/api${p}`, {
      method,
      headers: { cookie, origin: r.base, 'x-csrf-token': csrf, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r2.status, json: (await r2.json().catch(() => ({}))) as any };
  };
  const events: any[] = [];
  const ws = new WebSocket(`${r.base.replace('http', 'ws')}/agent/ws`, { headers: { cookie, origin: r.base } });
  ws.on('message', (d) => events.push(JSON.parse(String(d))));
  await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
  return { cookie, csrf, call, events, ws };
}

/** A web-chat buyer over Direct Line REST. */
async function buyer(r: Running) {
  const { token, conversationId } = (await (await fetch(`${r.base}/api/directline/token`, { method: 'POST' })).json()) as { token: string; conversationId: string };
  await fetch(`${r.base}/v3/directline/conversations`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  const url = `${r.base}/v3/directline/conversations/${conversationId}/activities`;
  const says = (text: string) =>
    fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', from: { id: 'x' }, text }),
    });
  const botTexts = async () =>
    (((await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json()) as any).activities as any[])
      .filter((a) => a.from.role === 'bot' && a.type === 'message')
      .map((a) => a.text as string);
  return { conversationId, says, botTexts };
}

let run: Running;
beforeAll(async () => {
  run = await start();
});
afterAll(async () => {
  await stop(run);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('agent console security', () => {
  it('refuses every API call and the WebSocket without a session', async () => {
    for (const [method, p] of [
      ['GET', '/queue'],
      ['GET', '/me'],
      ['GET', '/tickets'],
      ['POST', '/handoffs/x/claim'],
      ['POST', '/handoffs/x/messages'],
      ['GET', '/orders/K8PL3MZ7Q2XV9TRB'],
    ] as const) {
      expect((await fetch(`${run.base}/agent/api${p}`, { method })).status, p).toBe(401);
    }
    const ws = new WebSocket(`${run.base.replace('http', 'ws')}/agent/ws`, { headers: { origin: run.base } });
    const code = await new Promise<number>((res) => ws.once('unexpected-response', (_req, r) => res(r.statusCode ?? 0)));
    expect(code).toBe(401);
  });

  it('refuses cross-site requests: wrong Origin or no CSRF token, on the API and the WebSocket', async () => {
    const a = await signIn(run);
    try {
      const post = (headers: Record<string, string>) =>
        fetch(`${run.base}/agent/api/handoffs/none/notes`, { method: 'POST', headers: { cookie: a.cookie, 'content-type': 'application/json', ...headers }, body: '{"text":"x"}' });
      expect((await post({ origin: 'https://evil.example', 'x-csrf-token': a.csrf })).status).toBe(403);
      expect((await post({ origin: run.base })).status).toBe(403); // no CSRF token
      expect((await post({ origin: run.base, 'x-csrf-token': 'forged' })).status).toBe(403);
      expect((await post({ origin: run.base, 'x-csrf-token': a.csrf })).status).toBe(404); // allowed: the handoff just does not exist
      const login = await fetch(`${run.base}/agent/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
        body: JSON.stringify({ username: 'xiaowang', password: PASSWORD }),
      });
      expect(login.status).toBe(403);
      const ws = new WebSocket(`${run.base.replace('http', 'ws')}/agent/ws`, { headers: { cookie: a.cookie, origin: 'https://evil.example' } });
      expect(await new Promise<number>((res) => ws.once('unexpected-response', (_req, r) => res(r.statusCode ?? 0)))).toBe(403);
    } finally {
      a.ws.close();
    }
  });

  it('stores passwords only as scrypt hashes, never logs them, and limits guessing', async () => {
    const hashes = (await run.app.store.sql.all<{ password_hash: string }>('SELECT password_hash FROM agents')).map((r) => r.password_hash);
    for (const h of hashes) {
      expect(h).toMatch(/^scrypt\$16384\$8\$1\$/);
      expect(h).not.toContain(PASSWORD);
    }
    await run.app.agents.create('guessme', '被猜的', PASSWORD);
    const wrong = await fetch(`${run.base}/agent/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'guessme', password: 'wrong password' }),
    });
    expect(wrong.status).toBe(401);
    let limited = false;
    for (let i = 0; i < 12 && !limited; i++) {
      const r = await fetch(`${run.base}/agent/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'guessme', password: `guess ${i}` }),
      });
      limited = r.status === 429;
    }
    expect(limited).toBe(true);
    expect(run.logs.join('')).toContain('agent sign-in failed'); // the log was captured
    expect(run.logs.join('')).not.toContain(PASSWORD);
    expect(run.logs.join('')).not.toContain('wrong password');
    // Sessions are stored as digests too: the cookie value is nowhere in the database.
    const a = await signIn(run);
    a.ws.close();
    const token = a.cookie.split('=')[1]!;
    expect((await run.app.store.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM agent_sessions WHERE id = ?', [token]))?.n).toBe(0);
  });
});

describe('behind a TLS-terminating proxy (TRUST_PROXY)', () => {
  it('marks the session cookie Secure and expects the https origin the proxy forwards', async () => {
    const file = path.join(dir, 'proxy.sqlite');
    const app = await makeApp({ file, env: { TRUST_PROXY: 'loopback' } });
    await app.agents.create('proxied', '代理后', PASSWORD);
    const s = await createServerWithChannels(app);
    const base = await serve(s.server);
    try {
      const host = base.replace('http://', '');
      const login = (origin: string) =>
        fetch(`${base}/agent/api/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin, 'x-forwarded-proto': 'https' },
          body: JSON.stringify({ username: 'proxied', password: PASSWORD }),
        });
      expect((await login(`http://${host}`)).status).toBe(403); // the page was served over https
      const ok = await login(`https://${host}`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
    } finally {
      await shutdown(s.server);
      await app.close();
    }
    // Without TRUST_PROXY a forged X-Forwarded-Proto changes nothing.
    const plain = await fetch(`${run.base}/agent/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ username: 'xiaowang', password: PASSWORD }),
    });
    expect(plain.headers.get('set-cookie')).not.toMatch(/;\s*Secure/i);
  });
});

describe('a handoff from web chat to an agent and back', () => {
  it('queues with the context, claims, relays both ways while the bot keeps quiet, resolves and asks for a rating', async () => {
    const agent = await signIn(run);
    try {
      const b = await buyer(run);
      await b.says('查下订单 DJ20261123120055QWER');
      await b.says('转人工');
      expect((await b.botTexts()).join('\n')).toMatch(/已为你转接人工客服|已经在排队/);
      await until(() => agent.events.some((e) => e.type === 'changed' && e.state === 'queued'));
      const queue = (await agent.call('GET', '/queue')).json;
      const item = queue.queued.find((q: any) => q.orderNo === 'DJ20261123120055QWER');
      expect(item).toBeDefined();
      expect(item.priority).toBeGreaterThanOrEqual(3); // risk hold goes first
      const detail = (await agent.call('GET', `/handoffs/${item.id}`)).json;
      expect(detail.context).toMatchObject({ orderNo: 'DJ20261123120055QWER', cause: 'risk_hold', causeLabel: '风控冻结' });
      expect(detail.transcript.some((l: any) => l.text.includes('DJ20261123120055QWER'))).toBe(true);
      expect(detail.context.timeline).toContain('已支付');
      expect(detail.context.ladder.map((l: any) => l.label)).toContain('转人工');

      expect((await agent.call('POST', `/handoffs/${item.id}/claim`)).status).toBe(200);
      const other = await signIn(run, 'xiaoli');
      expect((await other.call('POST', `/handoffs/${item.id}/claim`)).status).toBe(409); // first come
      other.ws.close();
      await until(async () => (await b.botTexts()).some((t) => t.includes('客服 小王 已接入')));

      expect((await agent.call('POST', `/handoffs/${item.id}/messages`, { text: '您好，这笔订单被风控拦下了，我帮您核实一下。' })).status).toBe(200);
      await until(async () => (await b.botTexts()).some((t) => t === '客服 小王：您好，这笔订单被风控拦下了，我帮您核实一下。'));

      const before = (await b.botTexts()).length;
      await b.says('好的，我等你');
      await until(() => agent.events.some((e) => e.type === 'buyer' && e.text === '好的，我等你'));
      expect((await b.botTexts()).length).toBe(before); // the bot stays quiet while the agent has it
      await agent.call('POST', `/handoffs/${item.id}/notes`, { text: '买家手机尾号 5678，已核实' });
      expect((await b.botTexts()).join('\n')).not.toContain('已核实'); // notes are internal

      expect((await agent.call('POST', `/handoffs/${item.id}/resolve`, { outcome: 'solved' })).status).toBe(200);
      await until(async () => (await b.botTexts()).some((t) => t.includes('回复 1–5')));
      await b.says('5');
      await until(async () => (await b.botTexts()).some((t) => t.includes('收到 5 分')));
      const h = (await run.app.services.handoffs.get(item.id))!;
      expect(h).toMatchObject({ state: 'resolved', outcome: 'solved', rating: 5 });
      // Back with the bot: it answers again.
      await b.says('谢谢');
      await until(async () => (await b.botTexts()).some((t) => t.includes('不客气')));
    } finally {
      agent.ws.close();
    }
  });

  it('turns a handoff nobody takes in time into a ticket and tells the buyer', async () => {
    const agent = await signIn(run); // online, but never claims
    try {
      const b = await buyer(run);
      await b.says('转人工');
      const id = (await run.app.services.handoffs.active({ channelId: 'directline', conversationId: b.conversationId }))!.id;
      expect(await run.s.agentConsole.sweep(new Date(Date.parse(NOW) + 19 * 60_000))).toBe(0); // not yet
      expect(await run.s.agentConsole.sweep(new Date(Date.parse(NOW) + 21 * 60_000))).toBe(1);
      expect(await run.app.store.sql.get('SELECT state, outcome FROM handoff_requests WHERE id = ?', [id])).toEqual({ state: 'canceled', outcome: 'timed_out' });
      await until(async () => (await b.botTexts()).some((t) => t.includes('抱歉让你久等了')));
      const ticketId = (await b.botTexts()).find((t) => t.includes('抱歉让你久等了'))!.match(/T\d{10}/)![0];
      expect(await run.app.services.tickets.get(ticketId)).toMatchObject({ status: 'open', conversationId: b.conversationId });
      expect((await run.app.services.tickets.get(ticketId))!.symptom).toContain('20 分钟没有客服接入');
      expect((await agent.call('GET', '/queue')).json.queued.some((q: any) => q.id === id)).toBe(false);
      // Queued again and again nobody came: the same case keeps its open ticket, no second one.
      const before = (await b.botTexts()).length;
      await b.says('转人工');
      await until(async () => (await b.botTexts()).length > before);
      expect(await run.s.agentConsole.sweep(new Date(Date.parse(NOW) + 45 * 60_000))).toBe(1);
      await until(async () => (await b.botTexts()).filter((t) => t.includes('抱歉让你久等了')).length === 2);
      const again = (await b.botTexts()).filter((t) => t.includes('抱歉让你久等了'))[1]!.match(/T\d{10}/)![0];
      expect(again).toBe(ticketId);
      expect((await run.app.services.tickets.open()).filter((t) => t.conversationId === b.conversationId)).toHaveLength(1);
    } finally {
      agent.ws.close();
    }
  });

  it("lists tickets; an agent's answer reaches the buyer on their channel", async () => {
    // Nobody online: 转人工 becomes a ticket.
    const b = await buyer(run);
    await b.says('转人工');
    const ticketId = (await b.botTexts()).join('\n').match(/T\d{10}/)![0];
    const agent = await signIn(run);
    try {
      const tickets = (await agent.call('GET', '/tickets')).json.tickets;
      expect(tickets.find((t: any) => t.id === ticketId)).toMatchObject({ reachable: true });
      expect((await agent.call('POST', `/tickets/${ticketId}/answer`, { text: '已为您补发卡密，请查收。' })).json).toMatchObject({ ok: true, delivered: true });
      await until(async () => (await b.botTexts()).some((t) => t.includes(`关于工单 ${ticketId}`) && t.includes('已为您补发卡密')));
      expect(await run.app.services.tickets.get(ticketId)).toMatchObject({ status: 'answered', answer: '已为您补发卡密，请查收。' });
    } finally {
      agent.ws.close();
    }
  });

  it('looks orders up masked; revealing a code needs a reason and is audited', async () => {
    const agent = await signIn(run);
    try {
      const o = (await agent.call('GET', '/orders/K8PL3MZ7Q2XV9TRB')).json;
      expect(JSON.stringify(o)).not.toContain('QB10-8842-5519-7Z3K');
      expect(o.diagnosis.cause).toBe('delivered');
      expect((await agent.call('POST', '/orders/K8PL3MZ7Q2XV9TRB/reveal', {})).status).toBe(400);
      const shown = await agent.call('POST', '/orders/K8PL3MZ7Q2XV9TRB/reveal', { reason: '买家说卡密无效，核对' });
      expect(JSON.stringify(shown.json)).toContain('QB10-8842-5519-7Z3K');
      expect((await run.app.agents.auditLog(5))[0]).toMatchObject({ action: 'reveal_delivery', subject: 'K8PL3MZ7Q2XV9TRB', detail: '买家说卡密无效，核对' });
    } finally {
      agent.ws.close();
    }
  });
});

describe('the Bot Framework handoff protocol', () => {
  it('emits handoff.initiate when queued, handoff.status accepted on claim and completed on resolve', async () => {
    const channel = run.app.wire(new RecordingChannel());
    run.app.relay.register('test-hub', channel);
    const agent = await signIn(run);
    try {
      const turn = await run.app.adapter.message({ conversationId: 'hub-1', userId: 'u-hub', text: '转人工', channelId: 'test-hub' }, run.app.logic);
      const initiate = turn.find((a) => a.type === 'event' && a.name === 'handoff.initiate');
      expect(initiate?.value).toMatchObject({ reason: 'buyer_request' });
      const id = (await agent.call('GET', '/queue')).json.queued.find((q: any) => q.channelId === 'test-hub').id;
      await agent.call('POST', `/handoffs/${id}/claim`);
      expect(channel.sent.find((a) => a.name === 'handoff.status')?.value).toMatchObject({ state: 'accepted' });
      await agent.call('POST', `/handoffs/${id}/resolve`, { outcome: 'solved' });
      expect(channel.sent.filter((a) => a.name === 'handoff.status').map((a) => (a.value as { state: string }).state)).toEqual(['accepted', 'completed']);
      expect(channel.sent.some((a) => a.type === 'message' && a.text?.includes('回复 1–5'))).toBe(true);
    } finally {
      agent.ws.close();
    }
  });
});

describe('relay across a crash', () => {
  it('an agent message stored but not delivered when the server died arrives exactly once after the restart', async () => {
    const file = path.join(dir, 'crash.sqlite');
    const first = await start(file);
    const agent = await signIn(first);
    const b = await buyer(first);
    await b.says('转人工');
    const id = (await agent.call('GET', '/queue')).json.queued[0].id;
    await agent.call('POST', `/handoffs/${id}/claim`);
    // The process "dies" between storing the message and handing it to the channel.
    const dl = (first.app.relay as unknown as { channels: Map<string, any> }).channels.get('directline');
    first.app.relay.register('directline', {
      ...dl,
      deliverInTransaction: () => {
        throw new Error('killed');
      },
    });
    expect((await agent.call('POST', `/handoffs/${id}/messages`, { text: '补发的卡密已经发到您的邮箱' })).status).toBe(500);
    agent.ws.close();
    await stop(first);
    const count = (texts: string[]) => texts.filter((t) => t.includes('补发的卡密已经发到您的邮箱')).length;

    const second = await start(file);
    try {
      const texts = async () => {
        const rows = await second.app.store.sql.all<{ activity: string }>('SELECT activity FROM dl_activities WHERE conversation_id = ?', [b.conversationId]);
        return rows.map((r) => JSON.parse(r.activity).text ?? '');
      };
      await until(async () => count(await texts()) === 1);
    } finally {
      await stop(second);
    }
    const third = await start(file); // and another restart sends nothing again
    try {
      await new Promise((r) => setTimeout(r, 200));
      const rows = await third.app.store.sql.all<{ activity: string }>('SELECT activity FROM dl_activities WHERE conversation_id = ?', [b.conversationId]);
      expect(count(rows.map((r) => JSON.parse(r.activity).text ?? ''))).toBe(1);
    } finally {
      await stop(third);
    }
  });
});
