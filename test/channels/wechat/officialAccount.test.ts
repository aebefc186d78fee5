/**
 * The Official Account channel over a real port, against a fake WeChat (pushes built and
 * encrypted with the official @wecom/crypto library; a fake API server for tokens and sends).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import type { OrderService } from '../../../src/orders/port.js';
import { type Served, createServerWithChannels } from '../../../src/server.js';
import { fixedClock } from '../../../src/time.js';
import { NOW, order, serve, shutdown, until } from '../../helpers.js';
import { type Account, contentOf, eventXml, fakeWeChatApi, openReply, push, textXml } from './fakes.js';

const vectors = JSON.parse(fs.readFileSync(new URL('../../fixtures/wechat-vectors.json', import.meta.url), 'utf8'));
const OA: Account = { token: 'oatoken123', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', id: 'wx0123456789abcdef' };
const DEADLINE = 400;
const paid = order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' });

type Fake = Awaited<ReturnType<typeof fakeWeChatApi>>;
interface Running {
  app: App;
  server: Served;
  base: string;
}
let fake: Fake;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-wx-'));
let n = 0;

/**
 * Each start is a process of its own: its own instance name, as a restarted process has (makeApp
 * would give every app this test process's one name, so a "dead" first app would look alive).
 */
async function start(opts: { file?: string; env?: Record<string, string>; log?: (line: string) => void } = {}): Promise<Running> {
  const instance = `oa-test-${++n}`;
  const config = loadConfig({
    DATABASE_FILE: opts.file ?? path.join(dir, `oa-${n}.sqlite`),
    LOG_LEVEL: 'silent',
    WECHAT_OA_TOKEN: OA.token,
    WECHAT_OA_APPID: OA.id,
    WECHAT_OA_APPSECRET: 'oa-secret',
    WECHAT_OA_AES_KEY: OA.aesKey!,
    WECHAT_OA_API_BASE: fake.base,
    WECHAT_REPLY_DEADLINE_MS: String(DEADLINE),
    ...opts.env,
  });
  const log = opts.log;
  const app = await createApp({ config, clock: fixedClock(NOW), orders: [paid], instance, logDestination: log ? { write: (line: string) => void log(line) } : undefined });
  const server = await createServerWithChannels(app);
  const base = await serve(server.server);
  return { app, server, base };
}
async function stop(r: Running) {
  await shutdown(r.server.server);
  await r.app.close();
}
/** Makes every order lookup take `ms` (or never end). */
function slowOrders(app: App, ms: number | 'forever') {
  const real = app.services.orders;
  const wait = () => new Promise<void>((r) => (ms === 'forever' ? undefined : setTimeout(r, ms)));
  app.services.orders = new Proxy(real, {
    get: (target, prop) => {
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? async (...args: unknown[]) => (await wait(), (v as (...a: unknown[]) => unknown).apply(target, args)) : v;
    },
  }) as OrderService;
}
const send = async (base: string, p: { query: string; body: string }, route = '/wechat/oa') => {
  const t0 = performance.now();
  const r = await fetch(`${base}${route}?${p.query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: p.body });
  return { status: r.status, body: await r.text(), ms: performance.now() - t0 };
};
const transcriptIn = async (app: App, conversationId: string) =>
  (await app.services.transcript.recent({ channelId: conversationId.slice(0, conversationId.indexOf(':')), conversationId }, 500)).filter((l) => l.direction === 'in').length;
let msgId = 6054768590064713728n;
const nextMsgId = () => String(msgId++);

let run: Running;
beforeAll(async () => {
  fake = await fakeWeChatApi();
  run = await start();
});
afterAll(async () => {
  await stop(run);
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('Official Account: server URL verification', () => {
  it('echoes echostr for the official example, refuses a wrong signature or a stale timestamp', async () => {
    const v = vectors.oa_get_verify;
    const r = await start({ env: { WECHAT_OA_TOKEN: v.token, WECHAT_TIMESTAMP_WINDOW_SEC: String(10 * 365 * 86400) } });
    try {
      const q = new URLSearchParams({ signature: v.signature, timestamp: v.timestamp, nonce: v.nonce, echostr: v.echostr });
      const ok = await fetch(`${r.base}/wechat/oa?${q}`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe(v.expectBody);
      q.set('nonce', '1514711493');
      expect((await fetch(`${r.base}/wechat/oa?${q}`)).status).toBe(401);
    } finally {
      await stop(r);
    }
    // With the default 5-minute window, the 2024 example is a replay.
    const q = new URLSearchParams({ signature: v.signature, timestamp: v.timestamp, nonce: v.nonce, echostr: v.echostr });
    expect((await fetch(`${run.base}/wechat/oa?${q}`)).status).toBe(403);
  });
});

describe('Official Account: messages in every mode', () => {
  it.each(['plain', 'compat', 'safe'] as const)('%s mode: answers a text passively within the deadline', async (mode) => {
    const user = `o-${mode}-user`;
    const r = await send(run.base, push(OA, textXml(user, '订单K7QX9ZP2M4RT8WNA 付款了还没到', nextMsgId()), mode));
    expect(r.status).toBe(200);
    const xml = mode === 'plain' ? r.body : openReply(OA, r.body);
    expect(xml).toContain(`<ToUserName><![CDATA[${user}]]></ToUserName>`);
    expect(xml).toContain('<FromUserName><![CDATA[gh_0123456789ab]]></FromUserName>');
    expect(xml).toMatch(/<CreateTime>\d{10}<\/CreateTime>/); // seconds, not milliseconds
    expect(contentOf(xml)).toContain('K7QX9ZP2M4RT8WNA');
    expect(contentOf(xml)).toContain('付款已经收到');
  });

  it('hears voice through Recognition, and asks for text when there is none', async () => {
    const voice = (rec: string | undefined) =>
      `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[o-voice]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[m1]]></MediaId><Format><![CDATA[amr]]></Format>${rec === undefined ? '' : `<Recognition><![CDATA[${rec}]]></Recognition>`}<MsgId>${nextMsgId()}</MsgId></xml>`;
    expect(contentOf((await send(run.base, push(OA, voice('转人工'), 'plain'))).body)).toContain('人工客服');
    expect(contentOf((await send(run.base, push(OA, voice(undefined), 'plain'))).body)).toContain('语音我没听清');
  });

  it('keeps an image as evidence and says it cannot read it', async () => {
    fake.state.image = Buffer.from('/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDg', 'base64');
    const xml = `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[o-image]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[${fake.base}/mmbiz/pic.jpg]]></PicUrl><MediaId><![CDATA[media]]></MediaId><MsgId>${nextMsgId()}</MsgId></xml>`;
    const r = await send(run.base, push(OA, xml, 'safe'));
    expect(contentOf(openReply(OA, r.body))).toContain('图片收到了');
    const kept = await run.app.services.attachments.forConversation({ channelId: 'wechat', conversationId: 'wechat:o-image' });
    expect(kept.map((f) => f.contentType)).toEqual(['image/jpeg']);
  });

  it('events: follow → welcome, menu click → the same as typing it, unfollow → nothing to answer', async () => {
    expect(contentOf((await send(run.base, push(OA, eventXml('o-events', 'subscribe'), 'plain'))).body)).toContain('订单助手');
    const click = await send(run.base, push(OA, eventXml('o-events', 'CLICK', 'ORDER_STATUS', Math.floor(Date.now() / 1000) + 1), 'plain'));
    expect(contentOf(click.body)).toContain('订单号');
    const view = await send(run.base, push(OA, eventXml('o-events', 'VIEW', 'https://shop.example', Math.floor(Date.now() / 1000) + 2), 'plain'));
    expect(view.body).toBe('success');
    const bye = await send(run.base, push(OA, eventXml('o-events', 'unsubscribe', '', Math.floor(Date.now() / 1000) + 3), 'plain'));
    expect(bye.body).toBe('success');
  });
});

describe('Official Account: the 5-second rule', () => {
  it('a turn slower than the deadline gets "success" in time, and the reply arrives through the API', async () => {
    const r = await start();
    try {
      slowOrders(r.app, 1500);
      const res = await send(r.base, push(OA, textXml('o-slow', 'K7QX9ZP2M4RT8WNA', nextMsgId()), 'safe'));
      expect(res.body).toBe('success');
      expect(res.ms).toBeLessThan(DEADLINE + 1000);
      await until(() => fake.state.sent.some((s) => s.touser === 'o-slow'));
      const sent = fake.state.sent.filter((s) => s.touser === 'o-slow');
      expect(sent).toHaveLength(1);
      expect(sent[0]!.content).toContain('付款已经收到');
    } finally {
      await stop(r);
    }
  });

  it('three retries of a slow message produce one answer and one turn', async () => {
    const r = await start();
    try {
      slowOrders(r.app, 1200);
      const id = nextMsgId();
      const xml = textXml('o-retry', 'K7QX9ZP2M4RT8WNA', id);
      // WeChat re-sends the same message (same MsgId) when it thinks the first try got no answer.
      const deliveries = await Promise.all(
        [0, 150, 700, 1500].map(async (delay) => {
          await new Promise((res) => setTimeout(res, delay));
          return send(r.base, push(OA, xml, 'plain'));
        }),
      );
      await new Promise((res) => setTimeout(res, 1500));
      const passive = deliveries.filter((d) => d.body !== 'success');
      const viaApi = fake.state.sent.filter((s) => s.touser === 'o-retry');
      expect(passive.length + viaApi.length).toBe(1);
      expect(await transcriptIn(r.app, 'wechat:o-retry')).toBe(1);
      for (const d of deliveries) expect(d.ms).toBeLessThan(DEADLINE + 1000);
    } finally {
      await stop(r);
    }
  });

  it('a retry after a restart runs the turn the dead process never finished, once', async () => {
    const file = path.join(dir, 'restart.sqlite');
    const first = await start({ file });
    slowOrders(first.app, 'forever'); // the turn is still running when the process "dies"
    const xml = textXml('o-restart', 'K7QX9ZP2M4RT8WNA', nextMsgId());
    expect((await send(first.base, push(OA, xml, 'plain'))).body).toBe('success');
    await stop(first);

    const second = await start({ file });
    try {
      const retry = await send(second.base, push(OA, xml, 'plain'));
      expect(contentOf(retry.body)).toContain('付款已经收到');
      const again = await send(second.base, push(OA, xml, 'plain')); // its answer got lost: the same again, no new turn
      expect(contentOf(again.body)).toBe(contentOf(retry.body));
      expect(await transcriptIn(second.app, 'wechat:o-restart')).toBe(1);
      expect(fake.state.sent.filter((s) => s.touser === 'o-restart')).toHaveLength(0);
    } finally {
      await stop(second);
    }
  });

  it('a reply queued before a restart is sent after it', async () => {
    const file = path.join(dir, 'outbox-restart.sqlite');
    const first = await start({ file });
    fake.state.sendErrors.push(-1, -1, -1, -1); // WeChat busy: the message stays queued
    slowOrders(first.app, 600);
    expect((await send(first.base, push(OA, textXml('o-queued', 'K7QX9ZP2M4RT8WNA', nextMsgId()), 'plain'))).body).toBe('success');
    await until(() => fake.state.sendErrors.length < 4);
    await stop(first);
    fake.state.sendErrors.length = 0;
    const second = await start({ file, env: {} });
    try {
      await until(() => fake.state.sent.some((s) => s.touser === 'o-queued'), 15_000);
      expect(fake.state.sent.filter((s) => s.touser === 'o-queued')).toHaveLength(1);
    } finally {
      await stop(second);
    }
  });
});

describe('Official Account: the customer-service API', () => {
  it('fetches one token for many callers, keeps it, and refreshes it five minutes before it ends', async () => {
    const token = (r: Running) => (r.server.wechat.oa!.api as unknown as { token(): Promise<string> }).token();
    const r = await start();
    try {
      const base = fake.state.tokenFetches;
      const tokens = await Promise.all(Array.from({ length: 8 }, () => token(r)));
      expect(new Set(tokens).size).toBe(1);
      expect(fake.state.tokenFetches).toBe(base + 1);
      await token(r);
      expect(fake.state.tokenFetches).toBe(base + 1); // cached, in SQLite
    } finally {
      await stop(r);
    }
    const r2 = await start();
    try {
      const base = fake.state.tokenFetches;
      fake.state.expiresIn = 200; // less than the 5-minute margin: the next use already refreshes
      await token(r2);
      await token(r2);
      expect(fake.state.tokenFetches).toBe(base + 2);
      fake.state.expiresIn = 7200;
      await token(r2);
      await token(r2);
      expect(fake.state.tokenFetches).toBe(base + 3);
    } finally {
      fake.state.expiresIn = 7200;
      await stop(r2);
    }
  });

  it('fetches a new token when the old one expires mid-send, once, and delivers', async () => {
    const r = await start();
    try {
      const ch = r.server.wechat.oa!;
      const ref = {
        channelId: 'wechat',
        conversation: { id: 'wechat:o-token' } as never,
        user: { id: 'o-token', name: 'o-token' },
        bot: { id: 'gh_0123456789ab', name: 'gh' },
        serviceUrl: 'wechat://',
      };
      // The user wrote recently: the window is open.
      await send(r.base, push(OA, textXml('o-token', '你好', nextMsgId()), 'plain'));
      await ch.adapter.continueConversation(ref, async (ctx) => void (await ctx.sendActivity('第一条主动消息')));
      await until(() => fake.state.sent.some((s) => s.content === '第一条主动消息'));
      const fetchesBefore = fake.state.tokenFetches;
      fake.state.expire(fake.state.sent.at(-1)!.token); // WeChat expires the token (42001 from now on)
      await ch.adapter.continueConversation(ref, async (ctx) => void (await ctx.sendActivity('第二条主动消息')));
      await until(() => fake.state.sent.some((s) => s.content === '第二条主动消息'));
      expect(fake.state.tokenFetches).toBe(fetchesBefore + 1);
      expect(fake.state.sent.filter((s) => s.content === '第二条主动消息')).toHaveLength(1);
    } finally {
      await stop(r);
    }
  });

  it('turns an undeliverable reply (45015, closed window, used-up quota) into a ticket, never drops it', async () => {
    const r = await start({ env: { WECHAT_OA_CS_QUOTA: '1' } });
    try {
      const ch = r.server.wechat.oa!;
      const ref = (user: string) => ({
        channelId: 'wechat',
        conversation: { id: `wechat:${user}` } as never,
        user: { id: user, name: user },
        bot: { id: 'gh', name: 'gh' },
        serviceUrl: 'wechat://',
      });
      const symptoms = async () => (await r.app.store.sql.all<{ symptom: string }>('SELECT symptom FROM tickets')).map((t) => t.symptom);
      // Never wrote to us: no window.
      await ch.adapter.continueConversation(ref('o-stranger'), async (ctx) => void (await ctx.sendActivity('您的订单已发货')));
      await until(async () => (await symptoms()).some((s) => s.includes('window_closed')));
      // Wrote once (quota 1): the first proactive message goes, the second becomes a ticket.
      await send(r.base, push(OA, textXml('o-quota', '你好', nextMsgId()), 'plain'));
      await ch.adapter.continueConversation(ref('o-quota'), async (ctx) => void (await ctx.sendActivity('消息一')));
      await ch.adapter.continueConversation(ref('o-quota'), async (ctx) => void (await ctx.sendActivity('消息二')));
      await until(async () => (await symptoms()).some((s) => s.includes('quota') && s.includes('消息二')));
      expect(fake.state.sent.filter((s) => s.touser === 'o-quota').map((s) => s.content)).toEqual(['消息一']);
      // WeChat refuses (user unfollowed long ago, 45015).
      await send(r.base, push(OA, textXml('o-45015', '你好', nextMsgId()), 'plain'));
      fake.state.sendErrors.push(45015);
      await ch.adapter.continueConversation(ref('o-45015'), async (ctx) => void (await ctx.sendActivity('客服回复了你')));
      await until(async () => (await symptoms()).some((s) => s.includes('45015') && s.includes('客服回复了你')));
    } finally {
      await stop(r);
    }
  });
});

describe('Official Account: live agents', () => {
  it("an agent's reply reaches a WeChat buyer through the customer-service API; the bot keeps quiet meanwhile", async () => {
    const r = await start();
    try {
      r.app.services.presence.online = async () => 1;
      const queued = await send(r.base, push(OA, textXml('o-agent', '转人工', nextMsgId()), 'plain'));
      expect(contentOf(queued.body)).toContain('已为你转接人工客服');
      const agent = await r.app.agents.create('xiaowang', '小王', 'correct horse battery');
      const h = (await r.app.services.handoffs.open())[0]!;
      expect(h.channelId).toBe('wechat');
      expect(await r.app.services.handoffs.claim(h.id, agent.id, new Date())).toBe(true);
      await r.app.relay.agentSays((await r.app.services.handoffs.get(h.id))!, agent, '您好，我来帮您查');
      await until(() => fake.state.sent.some((m) => m.touser === 'o-agent' && m.content === '客服 小王：您好，我来帮您查'));
      const heard: string[] = [];
      const off = r.app.store.bus.subscribe('handoff.buyer', (b) => heard.push(b.text));
      const answer = await send(r.base, push(OA, textXml('o-agent', '订单号是 K7QX9ZP2M4RT8WNA', nextMsgId()), 'plain'));
      off();
      expect(answer.body).toBe('success'); // the agent answers, not the bot
      expect(heard).toEqual(['订单号是 K7QX9ZP2M4RT8WNA']);
    } finally {
      await stop(r);
    }
  });
});

describe('Official Account: bad input changes nothing', () => {
  it('refuses wrong signatures, stale timestamps, undecryptable bodies, XXE, malformed XML and oversized bodies', async () => {
    const inbound = async () => Number((await run.app.store.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM wechat_inbound'))?.n);
    const before = await inbound();
    const good = push(OA, textXml('o-bad', 'K7QX9ZP2M4RT8WNA', nextMsgId()), 'safe');
    const q = new URLSearchParams(good.query);
    const withQ = (k: string, v: string) => {
      const c = new URLSearchParams(q);
      c.set(k, v);
      return c.toString();
    };
    expect((await send(run.base, { query: withQ('msg_signature', '0'.repeat(40)), body: good.body })).status).toBe(401);
    const plain = push(OA, textXml('o-bad', 'hi', nextMsgId()), 'plain');
    expect((await send(run.base, { query: plain.query.replace(/signature=[0-9a-f]+/, `signature=${'1'.repeat(40)}`), body: plain.body })).status).toBe(401);
    const stale = push(OA, textXml('o-bad', 'hi', nextMsgId()), 'plain', Math.floor(Date.now() / 1000) - 3600);
    expect((await send(run.base, stale)).status).toBe(403);
    // Signed correctly, but not encrypted with our key.
    const other: Account = { ...OA, aesKey: 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210abcdefg' };
    expect((await send(run.base, push(other, textXml('o-bad', 'hi', nextMsgId()), 'safe'))).status).toBe(403);
    const xxe = push(
      OA,
      `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[o-bad]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>&x;</Content><MsgId>1</MsgId></xml>`,
      'plain',
    );
    const x = await send(run.base, xxe);
    expect(x.status).toBe(400);
    expect(x.body).toMatch(/DOCTYPE/);
    expect((await send(run.base, push(OA, '<xml><ToUserName>gh</ToUser', 'plain'))).status).toBe(400);
    expect((await send(run.base, push(OA, '{"MsgType":"text"}', 'plain'))).status).toBe(400);
    expect((await send(run.base, push(OA, textXml('o-bad', '很长'.repeat(40_000), nextMsgId()), 'plain'))).status).toBe(413);
    expect(await inbound()).toBe(before);
    expect(await transcriptIn(run.app, 'wechat:o-bad')).toBe(0);
  });

  it('never writes a secret to the log', async () => {
    const lines: string[] = [];
    const r = await start({ env: { LOG_LEVEL: 'trace' }, log: (line) => lines.push(line) });
    try {
      slowOrders(r.app, 700);
      fake.state.sendErrors.push(45015);
      await send(r.base, push(OA, textXml('o-log', 'K7QX9ZP2M4RT8WNA', nextMsgId()), 'safe'));
      await until(async () => Number((await r.app.store.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM wechat_outbox WHERE state = ?', ['failed']))?.n) > 0);
      await send(r.base, { query: 'timestamp=1&nonce=1&signature=x', body: 'x' });
    } finally {
      await stop(r);
    }
    const log = lines.join('');
    expect(log).toContain('wechat reply undeliverable'); // the log was captured
    for (const secret of ['oa-secret', OA.aesKey!, OA.token, 'tok-']) expect(log).not.toContain(secret);
  });
});
