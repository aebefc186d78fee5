/**
 * The agent console's daily work over real HTTP: every new endpoint refuses signed-out and
 * cross-site calls; labels said once; transfer only to somebody online; quick replies per cause
 * (你, no time the order does not support); canned responses shared by agents with variables filled
 * (or flagged, never blank); views and search (resolved ones too, never a plaintext code); tickets
 * with their transcript, priority and an agent's claim; the buyer's contact masked and earlier
 * conversations; agents' actions on the order (validated, audited, masked); and "转店铺处理"
 * telling the buyer what happens next.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../src/app.js';
import { CAUSES } from '../../src/diagnosis/index.js';
import { fillVariables } from '../../src/handoff/canned.js';
import { quickReplies } from '../../src/replies/console.js';
import { createServerWithChannels } from '../../src/server.js';
import { NOW, RecordingChannel, makeApp, order, serve, shutdown, until } from '../helpers.js';

const PASSWORD = 'correct horse battery';
const CODE = 'QB10-8842-5519-7Z3K';
const delivered = order({
  orderNo: 'K8PL3MZ7Q2XV9TRB',
  status: 'delivered',
  paidAt: '2026-11-23T13:04:00+08:00',
  buyer: { contact: '13812345678', hasQueryPassword: false },
  delivery: { kind: 'card_codes', items: [{ plaintext: CODE }], expected: 1, deliveredAt: '2026-11-23T13:05:00+08:00' },
});
const risky = order({ orderNo: 'DJ20261123120055QWER', status: 'on_hold', holdReasons: ['risk_control'], paidAt: '2026-11-23T12:01:00+08:00', title: '网易一卡通300元' });
const noStock = order({ orderNo: 'M3HZ8QV5KX2WT9RA', status: 'on_hold', holdReasons: ['out_of_stock'], paidAt: '2026-11-23T14:30:00+08:00', title: 'Steam 充值卡 100 元' });
const justPaid = order({ orderNo: 'P7QX9ZP2M4RT8WNB', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' });
const THREE = ['JW30-AAAA-1111-0001', 'JW30-BBBB-2222-0002', 'JW30-CCCC-3333-0003'];
const threeCards = order({
  orderNo: 'H4NQ7VX2RB9KT6ZE',
  status: 'delivered',
  paidAt: '2026-11-23T13:10:00+08:00',
  title: '骏网一卡通 30 元 ×3',
  quantity: 3,
  buyer: { contact: '13900001111', hasQueryPassword: false },
  delivery: { kind: 'card_codes', items: THREE.map((plaintext) => ({ plaintext })), expected: 3, deliveredAt: '2026-11-23T13:11:00+08:00' },
});
const topup = order({
  orderNo: 'TP8K2M4Q6W9E3R5T',
  status: 'delivered',
  productType: 'phone_topup',
  paidAt: '2026-11-23T13:20:00+08:00',
  title: '移动话费 100 元',
  delivery: { kind: 'topup_receipt', account: '13900002222', faceValue: '100', finishedAt: '2026-11-23T13:25:00+08:00' },
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-desk-'));
let app: App;
let s: Awaited<ReturnType<typeof createServerWithChannels>>;
let base = '';
const logs: string[] = [];
const hub = new RecordingChannel();

beforeAll(async () => {
  app = await makeApp({
    file: path.join(dir, 'desk.sqlite'),
    orders: [delivered, risky, noStock, justPaid, threeCards, topup],
    env: { LOG_LEVEL: 'debug' },
    log: (l) => logs.push(l),
  });
  await app.agents.create('xiaowang', '小王', PASSWORD);
  await app.agents.create('xiaoli', '小李', PASSWORD);
  await app.agents.create('laozhang', '老张', PASSWORD);
  s = await createServerWithChannels(app);
  base = await serve(s.server);
  app.relay.register('hub', app.wire(hub));
});
afterAll(async () => {
  await shutdown(s.server);
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** An agent signed in (cookie + CSRF), online through the console's WebSocket. */
async function signIn(username = 'xiaowang', online = true) {
  const res = await fetch(`${base}/agent/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const { csrf, agent } = (await res.json()) as { csrf: string; agent: { id: string } };
  const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(p.startsWith('/api/') ? `${base}${p}` : `${base}/agent/api${p}`, {
      method,
      headers: { cookie, origin: base, 'x-csrf-token': csrf, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, json: (await r.json().catch(() => ({}))) as any, text: '' };
  };
  let ws: WebSocket | undefined;
  const events: Array<Record<string, any>> = [];
  if (online) {
    ws = new WebSocket(`${base.replace('http', 'ws')}/agent/ws`, { headers: { cookie, origin: base } });
    ws.on('message', (d) => events.push(JSON.parse(String(d))));
    await new Promise((ok, no) => (ws!.once('open', ok), ws!.once('error', no)));
    await until(async () => (await app.store.presence.agentIds()).includes(agent.id));
  }
  return { cookie, csrf, call, events, id: agent.id, close: () => ws?.close() };
}

/** A buyer on the recording channel: their own conversation, a stable channel user id. */
const buyerSays = (conversationId: string, text: string, userId = 'u-buyer-1') => app.adapter.message({ conversationId, userId, text, channelId: 'hub' }, app.logic);
const handoffOf = async (conversationId: string) => (await app.services.handoffs.active({ channelId: 'hub', conversationId }))!.id;

describe('new console endpoints: signed in and same-site only', () => {
  const endpoints: Array<[string, string, unknown?]> = [
    ['GET', '/agent/api/conversations?view=ended'],
    ['GET', '/agent/api/conversations?q=K8PL3MZ7Q2XV9TRB'],
    ['GET', '/agent/api/canned'],
    ['POST', '/agent/api/canned', { title: 't', body: 'b' }],
    ['PUT', '/agent/api/canned/x', { title: 't', body: 'b' }],
    ['DELETE', '/agent/api/canned/x'],
    ['GET', '/agent/api/tickets/T2611230001'],
    ['POST', '/agent/api/tickets/T2611230001/claim'],
    ['POST', '/agent/api/orders/K8PL3MZ7Q2XV9TRB/actions', { kind: 'note', text: '你好，已经在处理了' }],
    ['POST', '/api/agent/orders/K8PL3MZ7Q2XV9TRB/actions', { kind: 'note', text: '你好，已经在处理了' }],
  ];

  it('refuses every one without a session', async () => {
    for (const [method, p, body] of endpoints) {
      const r = await fetch(`${base}${p}`, {
        method,
        headers: body ? { 'content-type': 'application/json', origin: base } : { origin: base },
        body: body ? JSON.stringify(body) : undefined,
      });
      expect(r.status, `${method} ${p}`).toBe(401);
    }
  });

  it('refuses every change without the CSRF token or from another origin; nothing is recorded', async () => {
    const a = await signIn('xiaowang', false);
    for (const [method, p, body] of endpoints.filter(([m]) => m !== 'GET')) {
      const send = (headers: Record<string, string>) =>
        fetch(`${base}${p}`, { method, headers: { cookie: a.cookie, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body ?? {}) });
      expect((await send({ origin: base })).status, `${method} ${p} without CSRF`).toBe(403);
      expect((await send({ origin: base, 'x-csrf-token': 'forged' })).status, `${method} ${p} forged CSRF`).toBe(403);
      expect((await send({ origin: 'https://evil.example', 'x-csrf-token': a.csrf })).status, `${method} ${p} cross-site`).toBe(403);
    }
    expect(await app.orderActions.forOrder('K8PL3MZ7Q2XV9TRB')).toEqual([]);
    expect((await a.call('GET', '/canned')).json.canned).toEqual([]);
  });
});

describe('the queue and the conversation', () => {
  it('says a handoff’s reason and cause once, and 转人工 once in 处理记录', async () => {
    const agent = await signIn();
    try {
      await buyerSays('labels', '查下订单 DJ20261123120055QWER');
      const id = await handoffOf('labels');
      const q = (await agent.call('GET', '/queue')).json;
      const item = q.queued.find((h: any) => h.id === id);
      expect(item.label).toBe('风控冻结');
      expect(item.label).not.toContain('·');
      const d = (await agent.call('GET', `/handoffs/${id}`)).json;
      expect(d.context.ladder.map((l: any) => l.label)).toEqual(['转人工']);
      expect(d.handoff.label).toBe('风控冻结');
    } finally {
      agent.close();
    }
  });

  it('transfers only to an agent who is online', async () => {
    const a = await signIn('xiaowang');
    const b = await signIn('xiaoli');
    const offline = (await app.agents.list()).find((x) => x.username === 'laozhang')!;
    try {
      await buyerSays('transfer', '转人工', 'u-transfer');
      const id = await handoffOf('transfer');
      expect((await a.call('POST', `/handoffs/${id}/claim`)).status).toBe(200);
      const agentsNow = (await a.call('GET', '/agents')).json.agents;
      expect(agentsNow.find((x: any) => x.username === 'laozhang').online).toBe(false);
      const refused = await a.call('POST', `/handoffs/${id}/transfer`, { agentId: offline.id });
      expect(refused.status).toBe(409);
      expect(refused.json.error).toContain('not online');
      expect((await a.call('POST', `/handoffs/${id}/transfer`, { agentId: b.id })).status).toBe(200);
      expect((await app.services.handoffs.get(id))?.agentId).toBe(b.id);
      // The buyer hears who has them now.
      await until(() => hub.texts().some((t) => t.includes('客服 小王 把你转给了同事 小李')));
      await b.call('POST', `/handoffs/${id}/resolve`, { outcome: 'solved' });
    } finally {
      a.close();
      b.close();
    }
  });

  it('offers quick replies for the conversation’s cause: 你, and a time only when the diagnosis has one', async () => {
    const agent = await signIn();
    try {
      await buyerSays('oos', 'M3HZ8QV5KX2WT9RA 怎么还不发货');
      const oos = (await agent.call('GET', `/handoffs/${await handoffOf('oos')}`)).json;
      expect(oos.context.cause).toBe('out_of_stock');
      expect(oos.quickReplies.join('\n')).toContain('缺货');
      expect(oos.quickReplies.join('\n')).not.toMatch(/您|分钟内到账|预计/);

      // Paid six minutes ago: still in the normal window, and the diagnosis knows until when.
      await buyerSays('sync', 'P7QX9ZP2M4RT8WNB');
      await buyerSays('sync', '转人工');
      const sync = (await agent.call('GET', `/handoffs/${await handoffOf('sync')}`)).json;
      expect(sync.context.cause).toBe('sync_delay');
      const eta = sync.quickReplies.find((q: string) => q.includes('预计'));
      expect(eta).toMatch(/预计今天\d\d:\d\d前/);
      expect(sync.variables.预计时间).toMatch(/^今天\d\d:\d\d$/);
      // No order named: the greeting asks for it, never "checking this order".
      await buyerSays('no-order', '转人工');
      const none = (await agent.call('GET', `/handoffs/${await handoffOf('no-order')}`)).json;
      expect(none.quickReplies[0]).toContain('订单号');
      expect(none.quickReplies[0]).not.toContain('这笔订单');
      expect(oos.quickReplies[0]).toContain('这笔订单');
      for (const d of [oos, sync, none]) for (const q of d.quickReplies) expect(q).not.toContain('您');
      for (const h of [await handoffOf('oos'), await handoffOf('sync'), await handoffOf('no-order')]) await app.services.handoffs.cancel(h, new Date());
    } finally {
      agent.close();
    }
  });

  it('never says 您 in a quick reply, nor a time it was not given, for any cause', () => {
    for (const cause of [...CAUSES, undefined]) {
      const plain = quickReplies(cause);
      for (const q of plain) {
        expect(q, cause).not.toContain('您');
        expect(q, cause).not.toMatch(/\d+\s*(分钟|小时)内|预计.{0,4}\d/);
      }
      expect(quickReplies(cause, { eta: '今天16:00' }).join('').includes('今天16:00')).toBe(
        ['manual_review', 'sync_delay', 'upstream_pending', 'logistics_pending'].includes(cause ?? ''),
      );
    }
    expect(quickReplies('delivered', { delivery: 'license_key' }).join('')).toContain('激活码');
  });

  it('shows the buyer’s contact masked, and their earlier conversations with date, order and outcome', async () => {
    const agent = await signIn();
    try {
      await buyerSays('first', '查下订单 DJ20261123120055QWER', 'u-regular');
      await buyerSays('first', '我手机 138 1234 5678，快点', 'u-regular');
      const first = await handoffOf('first');
      await agent.call('POST', `/handoffs/${first}/claim`);
      await agent.call('POST', `/handoffs/${first}/resolve`, { outcome: 'buyer_error' });
      await buyerSays('second', 'K8PL3MZ7Q2XV9TRB 卡密在哪', 'u-regular');
      await buyerSays('second', '转人工', 'u-regular');
      const second = await handoffOf('second');
      const d = (await agent.call('GET', `/handoffs/${second}`)).json;
      // Not said in this conversation: the order's contact, masked by the shop adapter.
      expect(d.context.contact).toBe('138****5678');
      expect(d.earlier).toEqual([
        expect.objectContaining({ id: first, orderNo: 'DJ20261123120055QWER', outcome: 'buyer_error', outcomeLabel: '买家误会/操作问题', state: 'resolved' }),
      ]);
      expect(Date.parse(d.earlier[0].createdAt)).toBeGreaterThan(0);
      const f = (await agent.call('GET', `/handoffs/${first}`)).json;
      expect(f.context.contact).toBe('138****5678'); // as typed in the chat, masked
      expect(f.earlier.map((e: any) => e.id)).toEqual([second]);
      await app.services.handoffs.cancel(second, new Date());
      // Anonymous buyers have no history of each other.
      await buyerSays('anon-1', '转人工', 'anonymous');
      await agent.call('POST', `/handoffs/${await handoffOf('anon-1')}/claim`);
      await agent.call('POST', `/handoffs/${await handoffOf('anon-1')}/resolve`, { outcome: 'solved' }).catch(() => undefined);
      await buyerSays('anon-2', '转人工', 'anonymous');
      expect((await agent.call('GET', `/handoffs/${await handoffOf('anon-2')}`)).json.earlier).toEqual([]);
      await app.services.handoffs.cancel(await handoffOf('anon-2'), new Date());
    } finally {
      agent.close();
    }
  });
});

describe('canned responses', () => {
  it('are added, edited and deleted by any agent, for all; variables are filled from the packet or flagged, never blank', async () => {
    const a = await signIn('xiaowang');
    const b = await signIn('xiaoli');
    try {
      expect((await a.call('POST', '/canned', { title: '', body: 'x' })).status).toBe(400);
      expect((await a.call('POST', '/canned', { title: 'x', body: 'y', causes: ['not_a_cause'] })).status).toBe(400);
      const general = await a.call('POST', '/canned', { title: '退款说明', body: '订单 {订单号} 已经帮你办理退款，原路退回。' });
      expect(general.status).toBe(201);
      const eta = await a.call('POST', '/canned', {
        title: '缺货等待',
        body: '{商品}暂时缺货（{状态}），预计{预计时间}补货，联系人 {买家}，优惠 {优惠码}。',
        causes: ['out_of_stock'],
      });
      expect(eta.status).toBe(201);
      // Shared: the other agent sees and edits them.
      const listed = (await b.call('GET', '/canned')).json;
      expect(listed.canned.map((c: any) => c.title).sort()).toEqual(['缺货等待', '退款说明']);
      expect(listed.variables).toEqual(['订单号', '商品', '状态', '预计时间', '买家']);
      const edited = await b.call('PUT', `/canned/${general.json.canned.id}`, { title: '退款说明', body: '订单 {订单号} 已经帮你办理退款，原路退回，到账以支付渠道为准。' });
      expect(edited.json.canned).toMatchObject({ updatedBy: b.id, updatedByName: '小李' });
      expect((await b.call('PUT', '/canned/nope', { title: 'x', body: 'y' })).status).toBe(404);

      await buyerSays('canned', 'M3HZ8QV5KX2WT9RA 还没到 我手机13812345678', 'u-canned');
      const id = await handoffOf('canned');
      const d = (await a.call('GET', `/handoffs/${id}`)).json;
      expect(d.canned[0]).toMatchObject({ title: '缺货等待', suggested: true }); // for this cause: first
      expect(d.canned[0].text).toBe('Steam 充值卡 100 元暂时缺货（待处理），预计{预计时间}补货，联系人 138****5678，优惠 {优惠码}。');
      expect(d.canned[0].unfilled).toEqual([
        { name: '预计时间', why: expect.stringContaining('没有可靠的预计时间') },
        { name: '优惠码', why: '没有这个变量' },
      ]);
      expect(d.canned[1]).toMatchObject({ title: '退款说明', suggested: false, text: '订单 M3HZ8QV5KX2WT9RA 已经帮你办理退款，原路退回，到账以支付渠道为准。', unfilled: [] });

      expect((await a.call('DELETE', `/canned/${eta.json.canned.id}`)).status).toBe(200);
      expect((await a.call('DELETE', `/canned/${eta.json.canned.id}`)).status).toBe(404);
      expect((await b.call('GET', `/handoffs/${id}`)).json.canned.map((c: any) => c.title)).toEqual(['退款说明']);
      await app.services.handoffs.cancel(id, new Date());
      await a.call('DELETE', `/canned/${general.json.canned.id}`);
    } finally {
      a.close();
      b.close();
    }
  });

  it('fills only what it has: an empty variable stays visible', () => {
    expect(fillVariables('{订单号}/{买家}/{x y}/{未知}', { 订单号: 'A1' })).toEqual({
      text: 'A1/{买家}/{x y}/{未知}',
      unfilled: [
        { name: '买家', why: '这个会话没有买家' },
        { name: '未知', why: '没有这个变量' },
      ],
    });
  });
});

describe('views and search', () => {
  it('lists ended conversations with outcome and rating, finds them by order number, contact as typed or words, read-only', async () => {
    const agent = await signIn();
    try {
      await buyerSays('search-1', 'K8PL3MZ7Q2XV9TRB 卡密在哪', 'u-search');
      // The buyer proves it is theirs and sees the code; the records keep it masked.
      const revealed = await buyerSays('search-1', '13812345678');
      expect(revealed.map((r) => r.text).join('\n')).toContain(CODE);
      await buyerSays('search-1', '卡密用不了，提示已使用 转人工', 'u-search');
      const id = await handoffOf('search-1');
      await agent.call('POST', `/handoffs/${id}/claim`);
      await agent.call('POST', `/handoffs/${id}/resolve`, { outcome: 'reissued' });
      await buyerSays('search-1', '5', 'u-search');
      await until(async () => (await app.services.handoffs.get(id))?.rating === 5);

      const ended = (await agent.call('GET', '/conversations?view=ended')).json.conversations;
      expect(ended[0]).toMatchObject({ id, state: 'resolved', outcome: 'reissued', outcomeLabel: '已补发', rating: 5, orderNo: 'K8PL3MZ7Q2XV9TRB' });
      const find = async (q: string) => (await agent.call('GET', `/conversations?q=${encodeURIComponent(q)}`)).json;
      const byNo = await find('K8PL3MZ7Q2XV9TRB');
      expect(byNo.conversations.map((c: any) => c.id)).toContain(id);
      expect((await find('k8pl3mz7')).conversations.map((c: any) => c.id)).toContain(id); // part of it, any case
      const byPhone = await find('138 1234 5678');
      expect(byPhone.conversations.map((c: any) => c.id)).toContain(id);
      expect(JSON.stringify(byPhone)).not.toContain('13812345678'); // the matching line, contact masked
      const byWords = await find('提示已使用');
      expect(byWords.conversations.find((c: any) => c.id === id).match).toContain('提示已使用');
      // Never a plaintext code, however asked; wildcards are only characters.
      for (const q of ['K8PL3MZ7Q2XV9TRB', CODE, '卡密', '%%', '__']) expect(JSON.stringify(await find(q)), q).not.toContain(CODE);
      expect((await find(CODE)).conversations).toEqual([]);
      expect((await find('%%')).conversations).toEqual([]);
      expect((await find('x')).conversations).toEqual([]); // too short to mean anything
      expect((await agent.call('GET', '/conversations')).status).toBe(400);

      // Read-only, with its history, outcome and rating.
      const d = (await agent.call('GET', `/handoffs/${id}`)).json;
      expect(d.handoff).toMatchObject({ state: 'resolved', outcomeLabel: '已补发', rating: 5 });
      expect(d.transcript.some((l: any) => l.text.includes('提示已使用'))).toBe(true);
      expect(JSON.stringify(d)).not.toContain(CODE);
      expect((await agent.call('POST', `/handoffs/${id}/messages`, { text: '还在吗' })).status).toBe(409);
    } finally {
      agent.close();
    }
  });
});

describe('tickets', () => {
  it('lists the urgent first, opens one with its transcript, takes an agent’s claim, and its answer reaches the buyer', async () => {
    const a = await signIn('xiaowang', false);
    const b = await signIn('xiaoli', false);
    const now = new Date(NOW);
    await buyerSays('ticket-talk', '付款了一直没到账，订单 P7QX9ZP2M4RT8WNB', 'u-ticket');
    const ref = { channelId: 'hub', conversation: { id: 'ticket-talk' }, user: { id: 'u-ticket' }, bot: { id: 'bot' }, serviceUrl: 'https://hub.example' };
    const mk = (cause: string, conversationId = `t-${cause}`) =>
      app.services.tickets.create({ conversationId, channelId: 'hub', userId: 'u-ticket', cause, symptom: `问题：${cause}`, conversationRef: ref }, now);
    const low = await mk('sync_delay', 'ticket-talk');
    const high = await mk('risk_hold');
    const mid = await mk('out_of_stock');
    const list = (await a.call('GET', '/tickets')).json.tickets.filter((t: any) => [low.id, high.id, mid.id].includes(t.id));
    expect(list.map((t: any) => [t.id, t.priority])).toEqual([
      [high.id, 3],
      [mid.id, 2],
      [low.id, 1],
    ]);
    const one = (await a.call('GET', `/tickets/${low.id}`)).json;
    expect(one.ticket).toMatchObject({ id: low.id, priority: 1, causeLabel: '同步延迟（正常等待内）' });
    expect(one.ticket.conversationRef).toBeUndefined();
    expect(one.transcript.map((l: any) => l.text)).toContain('付款了一直没到账，订单 P7QX9ZP2M4RT8WNB');
    expect((await a.call('GET', '/tickets/T0000000000')).status).toBe(404);

    expect((await a.call('POST', `/tickets/${low.id}/claim`)).json.ticket).toMatchObject({ claimedBy: a.id, claimedByName: '小王' });
    expect((await a.call('POST', `/tickets/${low.id}/claim`)).status).toBe(200); // again: still theirs
    const taken = await b.call('POST', `/tickets/${low.id}/claim`);
    expect(taken.status).toBe(409);
    expect(taken.json.error).toContain('小王');
    expect((await b.call('GET', '/tickets')).json.tickets.find((t: any) => t.id === low.id).claimedByName).toBe('小王');

    const answered = await a.call('POST', `/tickets/${low.id}/answer`, { text: '你好，已经到账了，请查看。' });
    expect(answered.json).toMatchObject({ ok: true, delivered: true });
    expect(hub.texts().some((t) => t.includes(`关于工单 ${low.id}`) && t.includes('已经到账了'))).toBe(true);
    expect((await a.call('POST', `/tickets/${low.id}/claim`)).status).toBe(409); // not open any more
  });

  it('reach every open console the moment the bot files one, and each claim and answer is announced too', async () => {
    const a = await signIn('xiaoli');
    try {
      // The contact rung: a sync delay the buyer has waited out files a ticket (no agent involved).
      await buyerSays('ticket-live', '查下订单 P7QX9ZP2M4RT8WNB', 'u-live');
      const said = (await buyerSays('ticket-live', '等了还是没有', 'u-live')) as Array<{ name?: string; value?: { ticketId?: string } }>;
      const ticketId = said.find((a) => a.name === 'turnOutcome')?.value?.ticketId;
      const filed = ticketId ? await app.services.tickets.get(ticketId) : undefined;
      expect(filed, 'the bot filed a ticket').toMatchObject({ status: 'open', orderNo: 'P7QX9ZP2M4RT8WNB' });
      const ticketEvents = () => a.events.filter((e) => e.type === 'ticket' && e.ticketId === filed!.id);
      await until(() => ticketEvents().length === 1, 3000);
      expect(ticketEvents()[0]).toEqual({ type: 'ticket', ticketId: filed!.id, state: 'open' });
      // What the socket said is what the list now holds.
      expect((await a.call('GET', '/tickets')).json.tickets.map((t: any) => t.id)).toContain(filed!.id);

      await a.call('POST', `/tickets/${filed!.id}/claim`);
      await a.call('POST', `/tickets/${filed!.id}/answer`, { text: '你好，已经帮你催了，到账后会通知你。' });
      await until(() => ticketEvents().length === 3, 3000);
      expect(ticketEvents().map((e) => e.state)).toEqual(['open', 'claimed', 'answered']);
    } finally {
      a.close();
    }
  });
});

describe('agents’ actions on the order', () => {
  it('validates, records, audits with codes masked, never returns or logs a plaintext code; the bot answers from it', async () => {
    const agent = await signIn();
    const NEW = 'QB9Z-7Y6X-5W4V-3U2T';
    try {
      await buyerSays('act', 'K8PL3MZ7Q2XV9TRB 卡密用不了 转人工', 'u-act');
      const id = await handoffOf('act');
      await agent.call('POST', `/handoffs/${id}/claim`);
      // Shown once before the action: the order read then must not linger after it.
      expect((await agent.call('GET', `/handoffs/${id}`)).json.context.order.delivery.items).toEqual([{ masked: 'QB10****7Z3K' }]);
      const bad = async (body: unknown, want: RegExp, no = 'K8PL3MZ7Q2XV9TRB') => {
        const r = await agent.call('POST', `/orders/${no}/actions`, body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.json.error).toMatch(want);
        // What the agent reads is Chinese, never the API's English.
        expect(r.json.message, JSON.stringify(body)).toMatch(/[\u4e00-\u9fff]/);
        expect(r.json.message).not.toMatch(/[a-z]{4,}/);
      };
      await bad({ kind: 'delete_order' }, /kind: one of reissue_code, refund, note/);
      await bad({ kind: 'reissue_code', codes: [], reason: '补发' }, /reissue_code \(codes\)/);
      await bad({ kind: 'reissue_code', codes: [NEW], reason: '' }, /reissue_code \(reason\)/);
      await bad({ kind: 'refund', amount: '-1', channel: '原路退回' }, /refund \(amount\)/);
      await bad({ kind: 'refund', amount: '500', channel: '原路退回' }, /more than the order's ¥98.50/);
      await bad({ kind: 'note', text: 'x' }, /note \(text\)/);
      await bad({ kind: 'reissue_code', codes: [NEW], reason: '补发' }, /delivers no codes/, 'TP8K2M4Q6W9E3R5T');
      await bad({ kind: 'reissue_code', codes: [NEW], reason: '补发', replaces: [1, 1] }, /reissue_code \(replaces\)/);
      expect((await agent.call('POST', '/orders/NOSUCHORDER12345/actions', { kind: 'note', text: '你好，已经处理' })).status).toBe(404);
      expect(await app.orderActions.forOrder('K8PL3MZ7Q2XV9TRB')).toEqual([]);

      const r = await agent.call('POST', '/orders/k8pl3mz7q2xv9trb/actions', { kind: 'reissue_code', codes: [NEW], reason: '原卡密已被使用', handoffId: id });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ ok: true, orderNo: 'K8PL3MZ7Q2XV9TRB', action: { kind: 'reissue_code', description: '补发 QB9Z****3U2T（原卡密已被使用）' } });
      expect(JSON.stringify(r.json)).not.toContain(NEW);
      expect((await app.agents.auditLog(5))[0]).toMatchObject({
        agentId: agent.id,
        action: 'order_action',
        subject: 'K8PL3MZ7Q2XV9TRB',
        detail: '补发 QB9Z****3U2T（原卡密已被使用）',
      });
      // The order as the console shows it now: delivered, the new code masked.
      const o = (await agent.call('GET', '/orders/K8PL3MZ7Q2XV9TRB')).json;
      expect(o.order.delivery.items).toEqual([{ masked: 'QB9Z****3U2T' }]);
      expect(JSON.stringify(o)).not.toContain(NEW);
      // The conversation's record says what was done, masked.
      const d = (await agent.call('GET', `/handoffs/${id}`)).json;
      expect(d.notes.map((n: any) => n.text)).toContain('小王 对订单 K8PL3MZ7Q2XV9TRB 操作：补发 QB9Z****3U2T（原卡密已被使用）');
      // The conversation's side panel reads the order again: the re-issued code, not the copy from the handoff.
      expect(d.context.orderLive).toBe(true);
      expect(d.context.order.delivery.items).toEqual([{ masked: 'QB9Z****3U2T' }]);
      expect(JSON.stringify(d)).not.toContain(NEW);

      // The contract's own path works the same (session, CSRF, origin).
      const note = await agent.call('POST', '/api/agent/orders/K8PL3MZ7Q2XV9TRB/actions', { kind: 'note', text: '新卡密已经补发到订单里了。' });
      expect(note.json).toMatchObject({ ok: true, action: { kind: 'note', description: '备注：新卡密已经补发到订单里了。' } });

      const before = hub.texts().length;
      await agent.call('POST', `/handoffs/${id}/resolve`, { outcome: 'reissued' });
      // 已补发 with a re-issue recorded: the buyer hears where the new code is (and no code itself).
      const told = hub.texts().slice(before).join('\n');
      expect(told).toContain('客服已经给订单 K8PL3MZ7Q2XV9TRB 补发了新卡密');
      expect(told).not.toContain(NEW);
      const answer = (await buyerSays('act', 'K8PL3MZ7Q2XV9TRB 卡密呢', 'u-act')).map((a) => a.text ?? '').join('\n');
      expect(answer).toContain('QB9Z****3U2T');
      expect(answer).toContain('客服留言：新卡密已经补发到订单里了。');
      expect(answer).not.toContain(NEW);
      expect((await buyerSays('act', '13812345678', 'u-act')).map((a) => a.text ?? '').join('\n')).toContain(NEW);
      expect(logs.join('')).not.toContain(NEW);
    } finally {
      agent.close();
    }
  });

  it('re-issues one bad card of several: the agent says which, the buyer keeps the others', async () => {
    const agent = await signIn('laozhang'); // (each agent may sign in 10 times a minute from one address)
    const NEW = 'JW30-NEWC-7777-8888';
    try {
      // Fewer new codes than the order holds, without saying which they replace: refused, nothing recorded.
      const vague = await agent.call('POST', '/orders/H4NQ7VX2RB9KT6ZE/actions', { kind: 'reissue_code', codes: [NEW], reason: '第二张提示已使用' });
      expect(vague.status).toBe(400);
      expect(vague.json.message).toContain('这笔订单有 3 张卡密');
      const beyond = await agent.call('POST', '/orders/H4NQ7VX2RB9KT6ZE/actions', { kind: 'reissue_code', codes: [NEW], reason: '第二张提示已使用', replaces: [4] });
      expect(beyond.status).toBe(400);
      expect(await app.orderActions.forOrder('H4NQ7VX2RB9KT6ZE')).toEqual([]);

      const r = await agent.call('POST', '/orders/H4NQ7VX2RB9KT6ZE/actions', { kind: 'reissue_code', codes: [NEW], reason: '第二张提示已使用', replaces: [2] });
      expect(r.json.action.description).toBe('补发 JW30****8888，换掉第 2 张（第二张提示已使用）');
      const o = (await agent.call('GET', '/orders/H4NQ7VX2RB9KT6ZE')).json;
      expect(o.order.delivery.items.map((i: any) => i.masked)).toEqual(['JW30****0001', 'JW30****8888', 'JW30****0003']);
      // The buyer, after proving the order is theirs, gets all three: the two good ones and the new one.
      await buyerSays('three', 'H4NQ7VX2RB9KT6ZE 卡密呢', 'u-three');
      const shown = (await buyerSays('three', '13900001111', 'u-three')).map((a) => a.text ?? '').join('\n');
      for (const code of [THREE[0]!, NEW, THREE[2]!]) expect(shown).toContain(code);
      expect(shown).not.toContain(THREE[1]!);
    } finally {
      agent.close();
    }
  });
});

describe('转店铺处理', () => {
  it('tells the buyer the shop handles it, with a ticket and its due time (filed for them, or the open one)', async () => {
    const agent = await signIn();
    try {
      await buyerSays('shop', 'M3HZ8QV5KX2WT9RA 怎么还不发货', 'u-shop');
      const id = await handoffOf('shop');
      await agent.call('POST', `/handoffs/${id}/claim`);
      const before = hub.sent.length;
      const r = await agent.call('POST', `/handoffs/${id}/resolve`, { outcome: 'escalated_to_shop' });
      expect(r.status).toBe(200);
      const ticketId = r.json.ticketId as string;
      expect(ticketId).toMatch(/^T\d{10}$/);
      const ticket = (await app.services.tickets.get(ticketId))!;
      expect(ticket).toMatchObject({ status: 'open', orderNo: 'M3HZ8QV5KX2WT9RA', cause: 'out_of_stock', conversationId: 'shop', channelId: 'hub' });
      expect(ticket.symptom).toContain('小王');
      expect(ticket.conversationRef).toBeTruthy();
      const told = hub.sent
        .slice(before)
        .filter((a) => a.type === 'message')
        .map((a) => a.text)
        .join('\n');
      expect(told).toContain(`工单号 ${ticketId}`);
      expect(told).toMatch(/店铺会在 今天\d\d:\d\d 前回复你/);
      expect(told).toContain('这次人工服务就到这里'); // and then the rating, as always
      expect(told).not.toContain('您');
      // Nothing promised that the bot does not do (it does not add later messages to the ticket).
      expect(told).not.toContain('附到工单');
      expect(r.json.delivered).toBe(true);
      expect((await agent.call('GET', `/handoffs/${id}`)).json.notes.map((n: any) => n.text)).toContain(`已转店铺处理，工单 ${ticketId}`);

      // A conversation that already has an open ticket keeps it: no second one.
      await buyerSays('shop', 'M3HZ8QV5KX2WT9RA 还是要人工', 'u-shop');
      await buyerSays('shop', '转人工', 'u-shop');
      const again = await handoffOf('shop');
      await agent.call('POST', `/handoffs/${again}/claim`);
      expect((await agent.call('POST', `/handoffs/${again}/resolve`, { outcome: 'escalated_to_shop' })).json.ticketId).toBe(ticketId);
      // Other outcomes file nothing.
      await buyerSays('shop-2', '转人工', 'u-shop-2');
      const plain = await handoffOf('shop-2');
      await agent.call('POST', `/handoffs/${plain}/claim`);
      expect((await agent.call('POST', `/handoffs/${plain}/resolve`, { outcome: 'solved' })).json.ticketId).toBeUndefined();
    } finally {
      agent.close();
    }
  });
});
