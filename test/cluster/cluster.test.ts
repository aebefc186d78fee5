/**
 * Three instances of the real server (child processes, `npm start` with DATABASE_URL) on one
 * PostgreSQL, clients spread over them:
 * - a Direct Line conversation whose posts alternate between instances, its stream on a third;
 * - two messages of one conversation posted at the same moment to two instances, answered in order;
 * - an agent's console on one instance, the buyer on another;
 * - a WeChat push and its retry landing on two instances: one turn, one answer;
 * - then `kill -9` of one instance under load: clients go to the others (posts retried with the same
 *   clientActivityID, streams reopened from their watermark) and nothing is lost or repeated.
 */
import path from 'node:path';
import { createHash } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { AgentStore } from '../../src/handoff/agents.js';
import { openStore } from '../../src/storage/index.js';
import { type AttemptLog, type DlActivity, DlClient, ServerProcess, freePort, requestJson, sleep } from '../load/loadKit.js';
import { createDatabase, requirePostgres } from '../support/postgres.js';

const ROOT = path.resolve('.');
const SECRET = 'cluster-shop-secret-0123456789';
const WECHAT_TOKEN = 'clustertoken';
const HOST = '127.0.0.1';
let url = '';
const servers: ServerProcess[] = [];
const log: AttemptLog = { retries: 0, serverErrors: 0, errors: [] };

const until = async (what: string, cond: () => boolean | Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
};

/** A Direct Line stream: everything it was sent, and the watermark it has reached. */
class Stream {
  readonly got: DlActivity[] = [];
  watermark = 0;
  ws?: WebSocket;
  closed = false;
  constructor(
    readonly conversationId: string,
    readonly token: string,
  ) {}
  async open(base: string): Promise<void> {
    const info = await requestJson<{ streamUrl: string }>('GET', `${base}/v3/directline/conversations/${encodeURIComponent(this.conversationId)}?watermark=${this.watermark}`, {
      token: this.token,
      log,
    });
    const ws = new WebSocket(info.json.streamUrl);
    this.ws = ws;
    this.closed = false;
    ws.on('message', (data) => {
      const text = data.toString();
      if (!text) return;
      const set = JSON.parse(text) as { activities: DlActivity[]; watermark: string };
      this.got.push(...set.activities);
      this.watermark = Number(set.watermark);
    });
    ws.on('close', () => void (this.closed = true));
    ws.on('error', () => void (this.closed = true));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
  }
  close() {
    this.ws?.close();
  }
}

/** An agent signed in to one instance's console, with its live socket. */
async function signIn(base: string) {
  const res = await fetch(`${base}/agent/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'xiaowang', password: 'agent-password-1' }),
  });
  expect(res.status).toBe(200);
  const { csrf } = (await res.json()) as { csrf: string };
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const call = async (p: string, body?: unknown) => {
    const r = await fetch(`${base}/agent/api${p}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { cookie, origin: base, 'x-csrf-token': csrf, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, json: (await r.json()) as any };
  };
  const events: any[] = [];
  const ws = new WebSocket(`${base.replace('http', 'ws')}/agent/ws`, { headers: { cookie, origin: base } });
  ws.on('message', (d) => events.push(JSON.parse(d.toString())));
  await new Promise<void>((r, j) => {
    ws.once('open', () => r());
    ws.once('error', j);
  });
  return { call, events, ws };
}

/** Turns in the log are whole: every bot reply follows the message it answers, nothing in between. */
function turnsAreWhole(activities: DlActivity[]): string[] {
  const problems: string[] = [];
  let lastUser: string | undefined;
  for (const a of activities) {
    if (a.from.role === 'user') lastUser = a.id;
    // Before the buyer's first message, only the welcome (it answers the conversation's start, not a logged message).
    else if (a.type === 'message' && a.replyToId && lastUser !== undefined && a.replyToId !== lastUser) problems.push(`${a.id} answers ${a.replyToId} after ${lastUser}`);
  }
  return problems;
}

const sha1 = (...parts: string[]) =>
  createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
const wechatPush = (base: string, timestamp: string, nonce: string, body: string) =>
  fetch(`${base}/wechat/oa?${new URLSearchParams({ timestamp, nonce, signature: sha1(WECHAT_TOKEN, timestamp, nonce) })}`, { method: 'POST', body }).then((r) => r.text());

beforeAll(async () => {
  url = await createDatabase(requirePostgres(), 'cluster');
  const store = await openStore({ databaseUrl: url, databaseFile: ':unused:', logger: pino({ level: 'silent' }), poolSize: 2 });
  await new AgentStore(store.repos.agents).create('xiaowang', '小王', 'agent-password-1');
  await store.close();
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  for (const port of ports) {
    servers.push(
      new ServerProcess({
        root: ROOT,
        host: HOST,
        port,
        env: {
          ...process.env,
          NODE_ENV: 'test',
          DATABASE_URL: url,
          DATABASE_POOL_SIZE: '8',
          HOST,
          PORT: String(port),
          LOG_LEVEL: 'info',
          DIRECTLINE_SECRET: SECRET,
          AGENT_HOURS: '00:00-24:00',
          WECHAT_OA_TOKEN: WECHAT_TOKEN,
          LOOKUP_RATE_LIMIT: '100000',
          LOOKUP_ADDRESS_RATE_LIMIT: '100000',
          DIRECTLINE_RATE_PER_MIN: '100000',
        },
      }),
    );
  }
  await Promise.all(servers.map((s) => s.start()));
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.dispose()));
  if (process.env.CLUSTER_LOGS) for (const [i, s] of servers.entries()) console.log(`=== instance ${i} ===\n${s.log.slice(-6000)}`);
});

describe('three instances on one PostgreSQL', () => {
  it('serves one Direct Line conversation from all three: posts alternate, the stream sits on a third, simultaneous posts are answered in order', async () => {
    const [a, b, c] = servers as [ServerProcess, ServerProcess, ServerProcess];
    const client = await DlClient.open(a.base, SECRET, 'dl_cluster_1', log);
    const stream = new Stream(client.conversationId, client.token);
    await stream.open(c.base);
    const texts = ['你好', '查订单', 'K7QX9ZP2M4RT8WNA', '谢谢'];
    for (const [i, text] of texts.entries()) {
      const via = i % 2 === 0 ? a : b;
      const posted = await new DlClient(via.base, client.conversationId, client.token, client.userId, log).post(text, `alt-${i}`);
      // The reply was committed before the post answered; the stream (on another instance) hears of it.
      await until(`the reply to ${text} on the stream`, () => stream.got.some((x) => x.replyToId === posted.id && x.from.role === 'bot'));
    }
    // Two messages at the same moment on two instances: one turn after the other, never interleaved.
    await Promise.all([
      new DlClient(a.base, client.conversationId, client.token, client.userId, log).post('卡密在哪看', 'same-1'),
      new DlClient(b.base, client.conversationId, client.token, client.userId, log).post('转人工', 'same-2'),
    ]);
    const full = await client.fullLog();
    await until('the stream to catch up', () => stream.watermark >= full.length);
    expect(turnsAreWhole(full), JSON.stringify(full.map((x) => [x.id, x.from.role, x.type, x.replyToId, x.text?.slice(0, 20)]))).toEqual([]);
    expect(stream.got.map((x) => x.id)).toEqual(full.map((x) => x.id)); // everything, once, in order
    expect(full.filter((x) => x.from.role === 'user').map((x) => x.text)).toEqual(expect.arrayContaining([...texts, '卡密在哪看', '转人工']));
    stream.close();
  });

  it('connects an agent on one instance with a buyer on another', async () => {
    const [a, b, c] = servers as [ServerProcess, ServerProcess, ServerProcess];
    const agent = await signIn(b.base);
    // Presence is shared: the buyer's instance knows an agent is online.
    const buyer = await DlClient.open(a.base, SECRET, 'dl_cluster_2', log);
    const stream = new Stream(buyer.conversationId, buyer.token);
    await stream.open(c.base);
    await until('the agent to count as online everywhere', async () => {
      const r = await agent.call('/queue');
      return r.json.online === 1;
    });
    await buyer.post('转人工', 'h-1');
    await until("the handoff on the agent's console", () => agent.events.some((e) => e.type === 'changed' && e.state === 'queued'));
    const queue = (await agent.call('/queue')).json;
    const mine = queue.queued.find((h: any) => h.channelId === 'directline');
    expect(mine).toBeDefined();
    expect((await agent.call(`/handoffs/${mine.id}/claim`, {})).status).toBe(200);
    const sent = await agent.call(`/handoffs/${mine.id}/messages`, { text: '你好，我是小王，正在看你的订单' });
    expect(sent.status).toBe(200);
    await until('the agent message on the buyer’s stream (a third instance)', () => stream.got.some((x) => x.text?.includes('正在看你的订单')));
    await new DlClient(a.base, buyer.conversationId, buyer.token, buyer.userId, log).post('好的谢谢', 'h-2');
    await until('the buyer’s words on the console', () => agent.events.some((e) => e.type === 'buyer' && e.text?.includes('好的谢谢')));
    agent.ws.close();
    stream.close();
  });

  it('answers a WeChat push and its retry on another instance once', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const ts = String(Math.floor(Date.now() / 1000));
    const body = `<xml><ToUserName><![CDATA[gh_cluster]]></ToUserName><FromUserName><![CDATA[o-cluster-1]]></FromUserName><CreateTime>${ts}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content><MsgId>9100000000000001</MsgId></xml>`;
    const answers = await Promise.all([wechatPush(a.base, ts, '77', body), wechatPush(b.base, ts, '77', body)]);
    // One instance runs the turn and answers. The other, depending on when it looks, either says
    // "success" (the turn is running elsewhere) or repeats that same passive reply (WeChat retries only
    // when the first answer was lost): never a second, different answer.
    const replies = answers.filter((x) => x.includes('<Content>'));
    expect(replies.length).toBeGreaterThanOrEqual(1);
    expect(answers.filter((x) => x !== 'success' && !x.includes('<Content>'))).toEqual([]);
    expect(new Set(replies.map((x) => /<Content><!\[CDATA\[([\s\S]*?)\]\]>/.exec(x)?.[1])).size).toBe(1);
    const store = await openStore({ databaseUrl: url, databaseFile: ':unused:', logger: pino({ level: 'silent' }), poolSize: 2 });
    try {
      const heard = await store.sql.all('SELECT text FROM transcript WHERE channel_id = ? AND conversation_id = ? AND direction = ?', ['wechat', 'wechat:o-cluster-1', 'in']);
      expect(heard).toHaveLength(1);
      const said = await store.sql.all('SELECT text FROM transcript WHERE channel_id = ? AND conversation_id = ? AND direction = ?', ['wechat', 'wechat:o-cluster-1', 'out']);
      expect(said.length).toBeGreaterThan(0); // one turn's replies, recorded once
      expect(new Set(said.map((r: any) => r.text)).size).toBe(said.length);
    } finally {
      await store.close();
    }
  });

  it('loses and repeats nothing when one instance is killed under load', async () => {
    const alive = () => servers.filter((s) => s.alive);
    const victim = servers[2]!;
    const buyers = await Promise.all(Array.from({ length: 6 }, (_, i) => DlClient.open(servers[i % 2]!.base, SECRET, `dl_kill_${i}`, log)));
    // Half the streams sit on the instance that will die.
    const streams = await Promise.all(
      buyers.map(async (bu, i) => {
        const s = new Stream(bu.conversationId, bu.token);
        await s.open(servers[i % 3]!.base);
        return s;
      }),
    );
    // An agent on a surviving instance talks to a buyer whose stream is on the one that dies.
    const agent = await signIn(servers[1]!.base);
    const helped = await DlClient.open(servers[0]!.base, SECRET, 'dl_kill_agent', log);
    const helpedStream = new Stream(helped.conversationId, helped.token);
    await helpedStream.open(victim.base);
    await until('the agent online', async () => (await agent.call('/queue')).json.online >= 1);
    await helped.post('转人工', 'ka-1');
    let handoffId = '';
    await until('the handoff queued', async () => {
      const q = (await agent.call('/queue')).json;
      handoffId = q.queued.find((h: any) => h.channelId === 'directline')?.id ?? '';
      return !!handoffId;
    });
    expect((await agent.call(`/handoffs/${handoffId}/claim`, {})).status).toBe(200);
    const agentSays = async (text: string) => expect((await agent.call(`/handoffs/${handoffId}/messages`, { text })).status).toBe(200);
    await agentSays('客服消息一：我在看');
    await until('the first agent message on the stream', () => helpedStream.got.some((x) => x.text?.includes('客服消息一')));

    const ROUNDS = 8;
    let killed = false;
    let rerouted = 0;
    let reopened = 0;
    const traffic = buyers.map(async (bu, i) => {
      for (let r = 0; r < ROUNDS; r++) {
        // Round-robin over the instances; a post that meets a dead one is sent again, unchanged, to the next.
        for (let attempt = 0; ; attempt++) {
          const target = servers[(i + r + attempt) % 3]!;
          // A balancer stops sending to an instance once it is gone; a post already on its way there fails and goes again below.
          if (!target.alive && attempt < 6) {
            rerouted++;
            continue;
          }
          try {
            // Like a client behind a balancer: give up on this instance quickly, then try the next.
            const activity = {
              type: 'message',
              text: r % 2 ? '查订单' : `第${r}条：K7QX9ZP2M4RT8WNA`,
              from: { id: bu.userId },
              channelData: { clientActivityID: `kill-${i}-${r}` },
            };
            await requestJson('POST', `${target.base}/v3/directline/conversations/${encodeURIComponent(bu.conversationId)}/activities`, {
              token: bu.token,
              body: activity,
              deadlineMs: 500,
              timeoutMs: 5000,
              log,
            });
            break;
          } catch (err) {
            if (attempt > 8) throw err;
            rerouted++;
            await sleep(50);
          }
        }
        if (i === 0 && r === 3 && !killed) {
          killed = true;
          await victim.kill9();
        }
      }
    });
    // Streams on the dead instance reopen on another one, from the watermark they had.
    const reopen = (async () => {
      while (!killed || victim.alive) await sleep(20);
      await until('the streams on the dead instance to close', () => streams.filter((_, i) => i % 3 === 2).every((s) => s.closed), 10_000);
      for (const [i, s] of streams.entries()) {
        if (!s.closed) continue;
        await s.open(alive()[i % alive().length]!.base);
        reopened++;
      }
    })();
    const agentTalk = (async () => {
      while (!killed || victim.alive) await sleep(20);
      await agentSays('客服消息二：已补发');
      await agentSays('客服消息三：请查收');
    })();
    await Promise.all([...traffic, reopen, agentTalk]);
    // The buyer whose stream died reconnects elsewhere from its watermark and gets every agent message once.
    await until('the helped stream to close', () => helpedStream.closed);
    await helpedStream.open(servers[0]!.base);
    const helpedLog = await helped.fullLog();
    for (const t of ['客服消息一', '客服消息二', '客服消息三']) expect(helpedLog.filter((x) => x.text?.includes(t))).toHaveLength(1);
    await until('the helped stream to catch up', () => helpedStream.watermark >= helpedLog.length);
    expect(helpedStream.got.map((x) => x.id)).toEqual(helpedLog.map((x) => x.id));
    helpedStream.close();
    agent.ws.close();
    expect(victim.alive).toBe(false);
    // The failover really happened: posts meant for the dead instance went elsewhere, its streams moved.
    expect(rerouted).toBeGreaterThan(0);
    expect(reopened).toBe(2);
    for (const [i, bu] of buyers.entries()) {
      const full = await new DlClient(alive()[0]!.base, bu.conversationId, bu.token, bu.userId, log).fullLog();
      const user = full.filter((x) => x.from.role === 'user');
      // Every message once (retries with the same clientActivityID are one turn), each answered, in order.
      expect(user.map((x) => x.channelData?.clientActivityID)).toEqual(Array.from({ length: ROUNDS }, (_, r) => `kill-${i}-${r}`));
      expect(turnsAreWhole(full)).toEqual([]);
      for (const m of user) expect(full.some((x) => x.replyToId === m.id && x.from.role === 'bot')).toBe(true);
      // Watermarks have no gaps, and the stream saw exactly the log.
      const s = streams[i]!;
      await until(`stream ${i} to catch up`, () => s.watermark >= full.length, 10_000);
      expect(s.got.map((x) => x.id)).toEqual(full.map((x) => x.id));
      s.close();
    }
    // The transcript holds each buyer message once, too.
    const store = await openStore({ databaseUrl: url, databaseFile: ':unused:', logger: pino({ level: 'silent' }), poolSize: 2 });
    try {
      for (const bu of buyers) {
        const rows = await store.sql.all<{ text: string }>('SELECT text FROM transcript WHERE channel_id = ? AND conversation_id = ? AND direction = ?', [
          'directline',
          bu.conversationId,
          'in',
        ]);
        expect(rows).toHaveLength(ROUNDS);
      }
      // Agent messages were delivered once each, and nothing waits in an outbox.
      expect(await store.sql.all("SELECT seq FROM handoff_messages WHERE kind = 'agent' AND delivered_at IS NULL")).toEqual([]);
      expect(await store.sql.all("SELECT id FROM wechat_outbox WHERE state = 'pending'")).toEqual([]);
    } finally {
      await store.close();
    }
  }, 120_000);
});
