/**
 * Direct Line 3.0 on a real port, driven by the official botframework-directlinejs client in Node
 * (xhr2 + ws, as its README prescribes), plus raw HTTP for isolation, expiry and bad input.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import xhr2 from 'xhr2';
import type { App } from '../../src/app.js';
import { createServer } from '../../src/server.js';
import { makeApp, order } from '../helpers.js';

Object.assign(globalThis, { XMLHttpRequest: xhr2, WebSocket });
const { DirectLine } = await import('botframework-directlinejs');

const SECRET = 'test-shop-secret-0123456789';
const mine = order({
  orderNo: 'K7QX9ZP2M4RT8WNB',
  status: 'paid',
  paidAt: '2026-11-22T20:03:00+08:00',
  buyer: { userId: 'u1001', contact: '13812345678', hasQueryPassword: false },
});
const recent = order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' });

interface Running {
  app: App;
  server: Awaited<ReturnType<typeof createServer>>;
  base: string;
}
async function start(file: string, env: Record<string, string> = {}): Promise<Running> {
  const app = await makeApp({ file, orders: [mine, recent], env: { DIRECTLINE_SECRET: SECRET, ...env } });
  const server = await createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { app, server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
async function stop(r: Running) {
  r.server.closeAllConnections();
  await new Promise((res) => r.server.close(res));
  await r.app.close();
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-dl-'));
let run: Running;
beforeAll(async () => {
  run = await start(path.join(dir, 'bot.sqlite'));
});
afterAll(async () => {
  await stop(run);
  fs.rmSync(dir, { recursive: true, force: true });
});

const json = async (r: Response) => (await r.json()) as any;
const call = (method: string, url: string, token?: string, body?: unknown) =>
  fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
const anonToken = async (base = run.base) => json(await call('POST', `${base}/api/directline/token`));

/** Collects bot messages from a DirectLineJS client until `until` matches one. */
function nextBotMessage(dl: InstanceType<typeof DirectLine>, until: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.unsubscribe();
      reject(new Error('no matching bot message'));
    }, timeoutMs);
    const sub = dl.activity$.subscribe({
      next: (a) => {
        if (a.type === 'message' && a.from.role === 'bot' && until(a.text ?? '')) {
          clearTimeout(timer);
          sub.unsubscribe();
          resolve(a.text ?? '');
        }
      },
      error: () => undefined,
    });
  });
}
const post = (dl: InstanceType<typeof DirectLine>, text: string, channelData?: Record<string, unknown>) =>
  new Promise<string>((resolve, reject) =>
    dl.postActivity({ type: 'message', from: { id: 'ignored', name: '买家' }, text, channelData } as never).subscribe({ next: resolve, error: reject }),
  );

describe('Direct Line 3.0 with the official DirectLineJS client', () => {
  it.each([true, false])('converses over %s (true = WebSocket, false = polling)', async (webSocket) => {
    const { token } = await anonToken();
    const dl = new DirectLine({ token, domain: `${run.base}/v3/directline`, webSocket, pollingInterval: 200 });
    const welcome = nextBotMessage(dl, (t) => t.includes('订单助手'));
    expect(await welcome).toContain('转人工');
    const asked = nextBotMessage(dl, (t) => t.includes('订单号'));
    const id = await post(dl, '付款了怎么查不到单号');
    expect(id).toMatch(/^[\w-]+\|[\w-]+$/); // <conversation>|<unique part>, as Azure's
    await asked;
    const diagnosed = nextBotMessage(dl, (t) => t.includes('K7QX9ZP2M4RT8WNA'));
    await post(dl, 'K7QX9ZP2M4RT8WNA');
    expect(await diagnosed).toContain('➤ 出卡');
    dl.end();
  });

  it('echoes the user activity with its id and clientActivityID, and replies with replyToId', async () => {
    const { token } = await anonToken();
    const start = await json(await call('POST', `${run.base}/v3/directline/conversations`, token));
    const sent = await json(
      await call('POST', `${run.base}/v3/directline/conversations/${start.conversationId}/activities`, token, {
        type: 'message',
        text: '你好',
        from: { id: 'x' },
        channelData: { clientActivityID: 'abc-1' },
      }),
    );
    const page = await json(await call('GET', `${run.base}/v3/directline/conversations/${start.conversationId}/activities?watermark=`, token));
    const echo = page.activities.find((a: any) => a.id === sent.id);
    expect(echo.channelData.clientActivityID).toBe('abc-1');
    expect(echo.from.role).toBe('user');
    const reply = page.activities.find((a: any) => a.replyToId === sent.id);
    expect(reply.from.role).toBe('bot');
    expect(page.activities.some((a: any) => a.type === 'trace')).toBe(false);
    // Watermarks: nothing new after the last one; a stale one replays.
    const later = await json(await call('GET', `${run.base}/v3/directline/conversations/${start.conversationId}/activities?watermark=${page.watermark}`, token));
    expect(later.activities).toEqual([]);
    const replay = await json(await call('GET', `${run.base}/v3/directline/conversations/${start.conversationId}/activities?watermark=1`, token));
    expect(replay.activities.length).toBe(page.activities.length - 1);
  });
});

describe('tokens', () => {
  it('grant exactly one conversation: A cannot read from or post to B', async () => {
    const a = await anonToken();
    const b = await anonToken();
    await call('POST', `${run.base}/v3/directline/conversations`, a.token);
    await call('POST', `${run.base}/v3/directline/conversations`, b.token);
    const bUrl = `${run.base}/v3/directline/conversations/${b.conversationId}`;
    expect((await call('GET', `${bUrl}/activities`, a.token)).status).toBe(403);
    expect((await call('POST', `${bUrl}/activities`, a.token, { type: 'message', text: 'hi' })).status).toBe(403);
    expect((await call('GET', bUrl, a.token)).status).toBe(403);
    const ws = new WebSocket(`${run.base.replace('http', 'ws')}/v3/directline/conversations/${b.conversationId}/stream?t=${encodeURIComponent(a.token)}`);
    const outcome = await new Promise((r) => {
      ws.on('open', () => r('open'));
      ws.on('error', () => r('refused'));
    });
    expect(outcome).toBe('refused');
    expect((await call('GET', `${bUrl}/activities`, 'forged.token')).status).toBe(403);
    expect((await call('GET', `${bUrl}/activities`)).status).toBe(403);
  });

  it('refresh to a new token for the same conversation', async () => {
    const a = await anonToken();
    await call('POST', `${run.base}/v3/directline/conversations`, a.token);
    const r = await json(await call('POST', `${run.base}/v3/directline/tokens/refresh`, a.token));
    expect(r.conversationId).toBe(a.conversationId);
    expect(r.token).not.toBe(a.token);
    expect((await call('GET', `${run.base}/v3/directline/conversations/${a.conversationId}/activities`, r.token)).status).toBe(200);
  });

  it('expire', async () => {
    const short = await start(path.join(dir, 'short.sqlite'), { DIRECTLINE_TOKEN_TTL_SEC: '1' });
    try {
      const a = await anonToken(short.base);
      await call('POST', `${short.base}/v3/directline/conversations`, a.token);
      expect((await call('GET', `${short.base}/v3/directline/conversations/${a.conversationId}/activities`, a.token)).status).toBe(200);
      // Two seconds later (the server's clock, moved: no sleeping, no dependence on how busy the machine is).
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 2100 });
      expect((await call('GET', `${short.base}/v3/directline/conversations/${a.conversationId}/activities`, a.token)).status).toBe(403);
      expect((await call('POST', `${short.base}/v3/directline/tokens/refresh`, a.token)).status).toBe(403);
    } finally {
      vi.useRealTimers();
      await stop(short);
    }
  });

  it('minted by the shop backend carry the logged-in buyer; a client cannot claim one', async () => {
    expect((await call('POST', `${run.base}/v3/directline/tokens/generate`, 'wrong-secret-wrong-secret', {})).status).toBe(403);
    const minted = await json(await call('POST', `${run.base}/v3/directline/tokens/generate`, SECRET, { user: { id: 'shopuser1' }, buyer: { id: 'u1001' } }));
    await call('POST', `${run.base}/v3/directline/conversations`, minted.token);
    const url = `${run.base}/v3/directline/conversations/${minted.conversationId}/activities`;
    await call('POST', url, minted.token, { type: 'message', text: '没有订单号，昨晚八点买的' });
    const page = await json(await call('GET', url, minted.token));
    expect(page.activities.map((a: any) => a.text ?? '').join('\n')).toContain('K7QX9ZP2M4RT8WNB');

    const anon = await anonToken();
    await call('POST', `${run.base}/v3/directline/conversations`, anon.token);
    const url2 = `${run.base}/v3/directline/conversations/${anon.conversationId}/activities`;
    await call('POST', url2, anon.token, { type: 'message', text: '没有订单号，昨晚八点买的', channelData: { buyer: { id: 'u1001' } } });
    const page2 = await json(await call('GET', url2, anon.token));
    const text2 = page2.activities.map((a: any) => a.text ?? '').join('\n');
    expect(text2).not.toContain('K7QX9ZP2M4RT8WNB');
    expect(text2).toContain('手机号');
  });
});

describe('other clients', () => {
  it('DirectLineJS with the shop secret starts its own conversation', async () => {
    const dl = new DirectLine({ secret: SECRET, domain: `${run.base}/v3/directline`, webSocket: true });
    const welcome = nextBotMessage(dl, (t) => t.includes('订单助手'));
    expect(await welcome).toContain('订单号');
    const reply = nextBotMessage(dl, (t) => t.includes('K7QX9ZP2M4RT8WNA'));
    await post(dl, 'K7QX9ZP2M4RT8WNA');
    expect(await reply).toContain('付款已经收到');
    dl.end();
  });

  it('pages on other origins may call Direct Line (CORS preflight)', async () => {
    const r = await fetch(`${run.base}/v3/directline/conversations`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,x-ms-bot-agent' },
    });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-headers')).toContain('x-ms-bot-agent');
  });
});

describe('resume', () => {
  it('after a restart of the server, by conversation id and watermark, losing and repeating nothing', async () => {
    const file = path.join(dir, 'resume.sqlite');
    const first = await start(file);
    const { token, conversationId } = await anonToken(first.base);
    await call('POST', `${first.base}/v3/directline/conversations`, token);
    await call('POST', `${first.base}/v3/directline/conversations/${conversationId}/activities`, token, { type: 'message', text: '付款了怎么查不到单号' });
    const seen = await json(await call('GET', `${first.base}/v3/directline/conversations/${conversationId}/activities`, token));
    await stop(first);

    const second = await start(file);
    try {
      const dl = new DirectLine({ token, domain: `${second.base}/v3/directline`, conversationId, watermark: seen.watermark, webSocket: true });
      const got: string[] = [];
      const sub = dl.activity$.subscribe({ next: (a) => void got.push(`${a.from.role}:${(a as { text?: string }).text}`), error: () => undefined });
      const reply = nextBotMessage(dl, (t) => t.includes('K7QX9ZP2M4RT8WNA'));
      await post(dl, 'K7QX9ZP2M4RT8WNA');
      expect(await reply).toContain('付款已经收到');
      sub.unsubscribe();
      dl.end();
      // Only what came after the watermark: the new echo and reply, not the welcome again.
      expect(got.some((g) => g.includes('订单助手，付款后'))).toBe(false);
      expect(got.filter((g) => g === 'user:K7QX9ZP2M4RT8WNA')).toHaveLength(1);
    } finally {
      await stop(second);
    }
  });
});

describe('bad input', () => {
  it('malformed JSON, bad activities, oversized bodies, unknown conversations, flooding', async () => {
    const a = await anonToken();
    await call('POST', `${run.base}/v3/directline/conversations`, a.token);
    const url = `${run.base}/v3/directline/conversations/${a.conversationId}/activities`;
    expect((await call('POST', url, a.token, '{"type":')).status).toBe(400);
    expect((await call('POST', url, a.token, { text: 'no type' })).status).toBe(400);
    expect((await call('POST', url, a.token, { type: 'message', text: 'x'.repeat(70_000) })).status).toBe(413);
    // 10,000 Chinese characters (about 30 kB) are accepted and answered.
    const long = await call('POST', url, a.token, { type: 'message', text: '啊'.repeat(10_000) });
    expect(long.status).toBe(200);
    const page = await json(await call('GET', url, a.token));
    expect(page.activities.at(-2).text).toContain('消息有点长');
    const fresh = await anonToken();
    expect((await call('GET', `${run.base}/v3/directline/conversations/${fresh.conversationId}/activities`, fresh.token)).status).toBe(404);
    let limited = 0;
    for (let i = 0; i < 35; i++) if ((await call('POST', url, a.token, { type: 'message', text: `第${i}条` })).status === 429) limited++;
    expect(limited).toBeGreaterThan(0);
  });
});

describe('uploads (Web Chat attachments)', () => {
  // A real 1×1 PNG: the server decides the type from these bytes.
  const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  /** The multipart body DirectLineJS builds: an "activity" blob, then one "file" part per attachment. */
  const form = (activity: unknown, files: Array<{ data: Buffer; type: string; name: string }>) => {
    const fd = new FormData();
    fd.append('activity', new Blob([JSON.stringify(activity)], { type: 'application/vnd.microsoft.activity' }));
    for (const f of files) fd.append('file', new Blob([f.data], { type: f.type }), f.name);
    return fd;
  };
  const conversation = async () => {
    const { token, conversationId } = await anonToken();
    await call('POST', `${run.base}/v3/directline/conversations`, token);
    return { token, conversationId, url: `${run.base}/v3/directline/conversations/${conversationId}` };
  };
  const upload = (url: string, token: string, body: FormData) => fetch(`${url}/upload?userId=dl_x`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body });
  const botTexts = async (url: string, token: string) =>
    ((await json(await call('GET', `${url}/activities`, token))).activities as any[]).filter((a) => a.from.role === 'bot').map((a) => a.text as string);

  it('stores a screenshot, serves it back under a signed link, and the bot keeps it for the ticket', async () => {
    const c = await conversation();
    const r = await upload(
      c.url,
      c.token,
      form({ type: 'message', from: { id: 'dl_x' }, attachments: [{ contentType: 'image/png', name: 'pay.png' }] }, [{ data: PNG, type: 'image/png', name: '付款截图.png' }]),
    );
    expect(r.status).toBe(200);
    const { id } = await json(r);
    const acts = (await json(await call('GET', `${c.url}/activities`, c.token))).activities as any[];
    const mine = acts.find((a) => a.id === id);
    expect(mine.attachments).toHaveLength(1);
    expect(mine.attachments[0]).toMatchObject({ contentType: 'image/png', name: '付款截图.png' });
    // The browser fetches the image without headers: the link itself is the capability.
    const img = await fetch(mine.attachments[0].contentUrl);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
    expect(img.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await img.arrayBuffer()).equals(PNG)).toBe(true);
    const forged = mine.attachments[0].contentUrl.replace(/\/[^/]+$/, '/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect((await fetch(forged)).status).toBe(404);
    expect((await botTexts(c.url, c.token)).at(-1)).toContain('图片收到了');

    // Filing a ticket afterwards takes the file with it.
    await call('POST', `${c.url}/activities`, c.token, { type: 'message', from: { id: 'dl_x' }, text: '提交工单' });
    await call('POST', `${c.url}/activities`, c.token, { type: 'message', from: { id: 'dl_x' }, text: '付款20分钟了还是没有卡密' });
    const ticketId = (await botTexts(c.url, c.token)).at(-1)!.match(/T\d{10}/)![0];
    const files = await run.app.services.attachments.forConversation({ channelId: 'directline', conversationId: c.conversationId });
    expect(files.map((f) => [f.ticketId, f.contentType, f.size])).toEqual([[ticketId, 'image/png', PNG.length]]);
    expect((await run.app.services.tickets.get(ticketId))!.symptom).toContain('附件 1 个');
  });

  it('refuses what is not an image or PDF whatever its name says, and files over the limit, and tells the buyer', async () => {
    const c = await conversation();
    const html = Buffer.from('<html><script>alert(1)</script></html>');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
    const big = Buffer.concat([PNG, Buffer.alloc(6 * 1024 * 1024)]);
    const r = await upload(
      c.url,
      c.token,
      form({ type: 'message' }, [
        { data: html, type: 'image/png', name: 'x.png' },
        { data: svg, type: 'image/svg+xml', name: 'x.svg' },
        { data: big, type: 'image/png', name: 'big.png' },
      ]),
    );
    expect(r.status).toBe(200);
    expect(await run.app.services.attachments.forConversation({ channelId: 'directline', conversationId: c.conversationId })).toEqual([]);
    const texts = await botTexts(c.url, c.token);
    expect(texts.at(-1)).toContain('有文件没收到');
    expect(texts.at(-1)).not.toContain('图片收到了');
  });

  it('only to its own conversation, and only as multipart', async () => {
    const a = await conversation();
    const b = await conversation();
    expect((await upload(b.url, a.token, form({ type: 'message' }, [{ data: PNG, type: 'image/png', name: 'p.png' }]))).status).toBe(403);
    expect(await run.app.services.attachments.forConversation({ channelId: 'directline', conversationId: b.conversationId })).toEqual([]);
    expect((await call('POST', `${a.url}/upload`, a.token, { type: 'message' })).status).toBe(415);
    const broken = await fetch(`${a.url}/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'multipart/form-data; boundary=zzz' },
      body: '--zzz\r\nContent-Disposition: form-data; name="activity"\r\n\r\n{not json\r\n--zzz--\r\n',
    });
    expect(broken.status).toBe(400);
    expect((await json(broken)).error.message).toMatch(/not valid JSON/);
  });
});
