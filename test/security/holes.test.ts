/**
 * The holes an attacker found on the default configuration (issue: code leaks, a one-request
 * crash, lost turns). Each test here failed before its fix: a truncated upload killed the process,
 * the JSON API took any conversation id and logged it, deep JSON gave 500, lookups were limited per
 * token instead of per client, a captured WeChat signature carried any body, the console showed
 * revealed codes to every agent, masked candidates gave their courier number away, demo routes and
 * server source were served, clients could post any activity type.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../src/app.js';
import { createServerWithChannels } from '../../src/server.js';
import { makeApp, order, say, serve, shutdown } from '../helpers.js';
import { type Account, contentOf, push, textXml } from '../channels/wechat/fakes.js';

const PASSWORD = 'correct horse battery';
const OA: Account = { token: 'oatoken123', id: 'wx0123456789abcdef' };
const delivered = order({
  orderNo: 'K8PL3MZ7Q2XV9TRB',
  status: 'delivered',
  paidAt: '2026-11-23T13:04:00+08:00',
  buyer: { contact: '13812345678', hasQueryPassword: false },
  delivery: { kind: 'card_codes', items: [{ plaintext: 'QB10-8842-5519-7Z3K' }], expected: 1, deliveredAt: '2026-11-23T13:05:00+08:00' },
});
const shipped = order({
  orderNo: 'SH7Q2M9X4K8PZR3T',
  status: 'shipped',
  productType: 'physical_card',
  title: '实体点卡 100元',
  paidAt: '2026-11-23T10:00:00+08:00',
  buyer: { userId: 'u2001', contact: '13700001111', hasQueryPassword: false },
  delivery: { kind: 'tracking_number', carrierCode: 'shunfeng', carrierName: '顺丰', trackingNo: 'SF1234567890123', shippedAt: '2026-11-23T11:00:00+08:00' },
});

interface Running {
  app: App;
  s: Awaited<ReturnType<typeof createServerWithChannels>>;
  base: string;
  logs: string[];
}
async function start(env: Record<string, string> = {}): Promise<Running> {
  const logs: string[] = [];
  const app = await makeApp({ orders: [delivered, shipped], env: { LOG_LEVEL: 'debug', WECHAT_OA_TOKEN: OA.token, ...env }, log: (l) => logs.push(l) });
  await app.agents.create('xiaowang', '小王', PASSWORD);
  const s = await createServerWithChannels(app);
  return { app, s, base: await serve(s.server), logs };
}
async function stop(r: Running) {
  await shutdown(r.s.server);
  await r.app.close();
}

const json = async (r: Response) => (await r.json()) as any;
/** A Direct Line conversation of an anonymous visitor, over REST. */
async function visitor(base: string) {
  const { token, conversationId } = await json(await fetch(`${base}/api/directline/token`, { method: 'POST' }));
  await fetch(`${base}/v3/directline/conversations`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  const url = `${base}/v3/directline/conversations/${conversationId}`;
  const post = (body: unknown) =>
    fetch(`${url}/activities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const says = (text: string) => post({ type: 'message', from: { id: 'x' }, text });
  const log = async () => (await json(await fetch(`${url}/activities`, { headers: { authorization: `Bearer ${token}` } }))).activities as any[];
  const botTexts = async () => (await log()).filter((a) => a.from.role === 'bot' && a.type === 'message').map((a) => a.text as string);
  return { token, conversationId, url, post, says, log, botTexts };
}
async function signIn(r: Running) {
  const res = await fetch(`${r.base}/agent/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: r.base },
    body: JSON.stringify({ username: 'xiaowang', password: PASSWORD }),
  });
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const { csrf } = await json(res);
  return (method: string, p: string, body?: unknown) =>
    fetch(`${r.base}/agent/api${p}`, {
      method,
      headers: { cookie, origin: r.base, 'x-csrf-token': csrf, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
}

const uncaught: unknown[] = [];
const record = (e: unknown) => void uncaught.push(e);
let run: Running;
beforeAll(async () => {
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  run = await start();
});
afterAll(async () => {
  process.off('uncaughtException', record);
  process.off('unhandledRejection', record);
  await stop(run);
});

describe('one request must not kill the process', () => {
  it('a multipart upload cut off before its closing boundary gets 400, and the server goes on', async () => {
    const v = await visitor(run.base);
    const r = await fetch(`${v.url}/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${v.token}`, 'content-type': 'multipart/form-data; boundary=zzz' },
      body: '--zzz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc',
    });
    expect(r.status).toBe(400);
    await new Promise((res) => setTimeout(res, 50));
    expect(uncaught).toEqual([]);
    expect((await fetch(`${run.base}/healthz`)).status).toBe(200);
  });

  it('an upload whose connection drops mid-file leaves the server serving', async () => {
    const v = await visitor(run.base);
    const u = new URL(`${v.url}/upload`);
    await new Promise<void>((resolve) => {
      const sock = net.connect(Number(u.port), u.hostname, () => {
        sock.write(
          `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${v.token}\r\nContent-Type: multipart/form-data; boundary=zzz\r\nContent-Length: 100000\r\n\r\n--zzz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n\x89PNG`,
        );
        setTimeout(() => (sock.destroy(), resolve()), 50);
      });
      sock.on('error', () => resolve());
    });
    await new Promise((res) => setTimeout(res, 50));
    expect(uncaught).toEqual([]);
    expect((await fetch(`${run.base}/healthz`)).status).toBe(200);
  });

  it('an oversized or invalid WebSocket frame closes that socket only', async () => {
    const v = await visitor(run.base);
    const ws = new WebSocket(`${v.url.replace('http', 'ws')}/stream?t=${encodeURIComponent(v.token)}`);
    await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
    const closed = new Promise((res) => ws.once('close', res));
    ws.send(Buffer.alloc(200 * 1024, 0x61)); // over the 64 kB frame limit
    await closed;
    await new Promise((res) => setTimeout(res, 50));
    expect(uncaught).toEqual([]);
    expect((await fetch(`${run.base}/healthz`)).status).toBe(200);
  });
});

describe('deeply nested JSON is refused with 400 on every JSON endpoint', () => {
  // As deep as each endpoint's size limit allows: arrays, and objects.
  const arrays = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const objects = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
  it('Direct Line activities, the JSON chat API, the console, token endpoints', async () => {
    const v = await visitor(run.base);
    const call = await signIn(run);
    for (const [arr, obj, post] of [
      [30_000, 8_000, (nested: string) => v.post(`{"type":"message","text":"hi","value":${nested}}`)],
      [14_000, 5_000, (nested: string) => fetch(`${run.base}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"text":"hi","x":${nested}}` })],
      [
        7_000,
        2_500,
        (nested: string) =>
          call('POST', '/handoffs/x/notes', JSON.parse('{}')).then(() =>
            fetch(`${run.base}/agent/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"username":${nested}}` }),
          ),
      ],
      [1_800, 600, (nested: string) => fetch(`${run.base}/api/directline/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: nested })],
    ] as Array<[number, number, (nested: string) => Promise<Response>]>) {
      for (const nested of [arrays(arr), objects(obj)]) expect((await post(nested)).status, `${arr}/${obj}: ${nested.length}`).toBe(400);
    }
    expect((await call('GET', '/queue')).status).toBe(200);
    expect(uncaught).toEqual([]);
  });
});

describe('the JSON chat API: the conversation id is a capability the server issues, and never logged', () => {
  it("refuses ids it did not issue (another channel's conversation id, a guess)", async () => {
    const v = await visitor(run.base);
    await v.says('K8PL3MZ7Q2XV9TRB');
    const lines = (await run.app.services.transcript.recent({ channelId: 'directline', conversationId: v.conversationId })).length;
    const r = await fetch(`${run.base}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ conversationId: v.conversationId, text: '查看卡密' }),
    });
    expect(r.status).toBe(400);
    const guess = 'A'.repeat(24) + '.' + 'B'.repeat(32);
    expect(
      (await fetch(`${run.base}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ conversationId: guess, text: 'hi' }) }))
        .status,
    ).toBe(403);
    expect((await run.app.services.transcript.recent({ channelId: 'directline', conversationId: v.conversationId })).length).toBe(lines);
  });

  it('keeps a conversation it issued, and a failed turn logs only a digest of it', async () => {
    const start = await json(await fetch(`${run.base}/api/chat/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }));
    const id: string = start.conversationId;
    const first = await json(
      await fetch(`${run.base}/api/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ conversationId: id, text: 'K8PL3MZ7Q2XV9TRB' }),
      }),
    );
    expect(first.conversationId).toBe(id);
    // Make the next turn fail inside the bot.
    const kb = run.app.services.knowledge;
    const real = kb.search;
    kb.search = () => {
      throw new Error('boom');
    };
    const before = run.logs.length;
    try {
      const r = await fetch(`${run.base}/api/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ conversationId: id, text: '卡密和订单号有什么区别' }),
      });
      expect(r.status).toBe(200);
      expect((await json(r)).replies.map((x: any) => x.text).join('\n')).toContain('出了点问题');
    } finally {
      kb.search = real;
    }
    const logged = run.logs.slice(before).join('\n');
    expect(logged).toContain('turn failed');
    expect(logged).not.toContain(id);
    expect(logged).not.toContain(id.split('.')[0]!);
  });
});

describe('lookups are limited per client address, not per token', () => {
  it('many fresh anonymous Direct Line conversations from one address share one allowance', async () => {
    const r = await start({ LOOKUP_RATE_LIMIT: '12', LOOKUP_ADDRESS_RATE_LIMIT: '30' });
    try {
      let limited = 0;
      let answered = 0;
      for (let c = 0; c < 6; c++) {
        const v = await visitor(r.base);
        for (let i = 0; i < 8; i++) await v.says(`K7QX9ZP2M4RT8W${c}${i}`);
        const texts = await v.botTexts();
        limited += texts.filter((t) => t.includes('频繁')).length;
        answered += texts.filter((t) => t.includes('K7QX9ZP2M4RT8W')).length;
      }
      expect(answered).toBeLessThanOrEqual(30);
      expect(limited).toBeGreaterThanOrEqual(48 - 30);
    } finally {
      await stop(r);
    }
  });
});

describe('WeChat plaintext mode: a captured signature is good for one body', () => {
  it("refuses the captured query with another body (403), takes WeChat's retry of the same body", async () => {
    const now = Math.floor(Date.now() / 1000);
    const first = push(OA, textXml('o-buyer', '你好', '7000000000000000001', 'gh_0123456789ab', now), 'plain', now);
    const send = (query: string, body: string) => fetch(`${run.base}/wechat/oa?${query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
    const ok = await send(first.query, first.body);
    expect(ok.status).toBe(200);
    expect((await send(first.query, first.body)).status).toBe(200); // WeChat retrying: the same push
    const replayed = await send(first.query, textXml('o-buyer', '查看卡密', '7000000000000000002', 'gh_0123456789ab', now));
    expect(replayed.status).toBe(403);
    expect(contentOf(await replayed.text()) ?? '').toBe('');
  });
});

describe('codes a buyer saw are masked for agents', () => {
  it("the transcript in the console shows the revealed code masked; the buyer's own log has it", async () => {
    const r = await start({ AGENT_HOURS: '00:00-24:00' });
    try {
      const call = await signIn(r);
      const ws = new WebSocket(`${r.base.replace('http', 'ws')}/agent/ws`, {
        headers: {
          cookie: (
            await fetch(`${r.base}/agent/api/login`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', origin: r.base },
              body: JSON.stringify({ username: 'xiaowang', password: PASSWORD }),
            })
          ).headers
            .get('set-cookie')!
            .split(';')[0]!,
          origin: r.base,
        },
      });
      await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
      try {
        const v = await visitor(r.base);
        await v.says('查看卡密 K8PL3MZ7Q2XV9TRB');
        await v.says('13812345678');
        expect((await v.botTexts()).join('\n')).toContain('QB10-8842-5519-7Z3K');
        await v.says('转人工');
        const queue = await json(await call('GET', '/queue'));
        const id = queue.queued[0].id;
        const detail = await json(await call('GET', `/handoffs/${id}`));
        const shown = JSON.stringify(detail);
        expect(shown).toContain('QB10****7Z3K');
        expect(shown).not.toContain('QB10-8842-5519-7Z3K');
        expect(JSON.stringify(await r.app.services.handoffs.context(id))).not.toContain('QB10-8842-5519-7Z3K');
      } finally {
        ws.close();
      }
    } finally {
      await stop(r);
    }
  });
});

describe('a masked order shows nothing that unmasks it', () => {
  it('an anonymous buyer who sends a courier number sees the order with its numbers masked', async () => {
    const anon = await say(run.app, '快递单号 SF1234567890123 怎么还没到', 'courier-1');
    expect(anon.text).toContain('SH7Q****ZR3T');
    expect(anon.text).not.toContain('SH7Q2M9X4K8PZR3T');
    // Follow-ups in the same conversation stay masked.
    expect((await say(run.app, '还没到吗', 'courier-1')).text).not.toContain('SH7Q2M9X4K8PZR3T');
    // The shop's login proves the owner: they see their own numbers.
    const owner = await say(run.app, '快递单号 SF1234567890123 怎么还没到', 'courier-2', { buyer: { id: 'u2001' } });
    expect(owner.text).toContain('SH7Q2M9X4K8PZR3T');
  });

  it('a masked candidate does not show its courier number in full', async () => {
    await say(run.app, '没有订单号', 'cand-1');
    await say(run.app, '13700001111', 'cand-1');
    const found = await say(run.app, '今天上午10点 实体卡', 'cand-1');
    expect(found.text).toContain('SH7Q****ZR3T');
    expect(found.text).not.toContain('SF1234567890123');
    expect(found.text).not.toContain('SH7Q2M9X4K8PZR3T');
  });
});

describe('what the server serves', () => {
  it('never its own source, and the demo shop only when it is on', async () => {
    for (const p of ['/demo.ts', '/server.ts', '/../package.json', '/web/demo.ts', '/%2e%2e/app.ts']) expect((await fetch(`${run.base}${p}`)).status, p).toBe(404);
    expect((await fetch(`${run.base}/chat.js`)).status).toBe(200);
    expect((await fetch(`${run.base}/agent.js`)).status).toBe(200);
    const off = await start({ DEMO_PAGES: 'false' });
    try {
      expect((await fetch(`${off.base}/demo/orders?buyer=u1002`)).status).toBe(404);
      expect((await fetch(`${off.base}/demo/login-token?buyer=u1002`, { method: 'POST' })).status).toBe(404);
      expect((await fetch(`${off.base}/orders.html`)).status).toBe(404);
      expect((await fetch(`${off.base}/chat.js`)).status).toBe(200);
    } finally {
      await stop(off);
    }
  });

  it('Direct Line stores only what a client may send: message, typing, event (not handoff.*)', async () => {
    const v = await visitor(run.base);
    for (const type of ['trace', 'invoke', 'conversationUpdate', 'endOfConversation', 'handoff', 'messageUpdate']) {
      expect((await v.post({ type, from: { id: 'x' }, name: 'turnOutcome', value: { cause: 'delivered' } })).status, type).toBe(400);
    }
    expect((await v.post({ type: 'event', name: 'handoff.initiate', from: { id: 'x' } })).status).toBe(400);
    expect((await v.post({ type: 'event', name: 'webchat/join', from: { id: 'x' } })).status).toBe(200);
    const types = (await v.log()).filter((a) => a.from.role === 'user').map((a) => a.type);
    expect(types).toEqual(['event']);
  });
});

describe('agent sign-in', () => {
  it('is limited per address too, whatever the user names', async () => {
    let limited = false;
    for (let i = 0; i < 40 && !limited; i++) {
      const r = await fetch(`${run.base}/agent/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: `user${i}`, password: 'wrong password' }),
      });
      limited = r.status === 429;
    }
    expect(limited).toBe(true);
  });
});
