/**
 * A Direct Line turn is all or nothing, and one posted message is one turn: the buyer's activity,
 * the bot's replies and the conversation state are committed together; a commit that fails leaves
 * nothing (the client's retry is then the one turn); a message re-posted with the same
 * clientActivityID is not answered twice; a turn that fails in the bot keeps only the message and
 * the apology, not its half-done state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { type Served, createServerWithChannels } from '../../src/server.js';
import { makeApp, order, serve, shutdown } from '../helpers.js';

const paid = order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' });

let app: App;
let s: Served;
let base = '';
beforeAll(async () => {
  app = await makeApp({ orders: [paid], env: { DIRECTLINE_RATE_PER_MIN: '1000' } });
  s = await createServerWithChannels(app);
  base = await serve(s.server);
});
afterAll(async () => {
  await shutdown(s.server);
  await app.close();
});

const json = async (r: Response) => (await r.json()) as any;
async function conversation() {
  const { token, conversationId } = await json(await fetch(`${base}/api/directline/token`, { method: 'POST' }));
  await fetch(`${base}/v3/directline/conversations`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  const url = `${base}/v3/directline/conversations/${conversationId}/activities`;
  const post = (text: string, clientActivityID?: string) =>
    fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', from: { id: 'x' }, text, channelData: clientActivityID ? { clientActivityID } : undefined }),
    });
  const log = async () => (await json(await fetch(url, { headers: { authorization: `Bearer ${token}` } }))).activities as any[];
  const state = () => app.store.sql.get<{ etag: string; doc: string }>('SELECT etag, doc FROM bot_state WHERE key = ?', [`directline/conversations/${conversationId}/`]);
  const heard = async () => (await app.services.transcript.recent({ channelId: 'directline', conversationId })).filter((l) => l.direction === 'in').map((l) => l.text);
  return { conversationId, post, log, state, heard };
}

describe('one message, one turn', () => {
  it('a re-post with the same clientActivityID returns the same id and runs no second turn', async () => {
    const c = await conversation();
    const first = await json(await c.post('付款了怎么查不到单号', 'wc-1'));
    const again = await json(await c.post('付款了怎么查不到单号', 'wc-1'));
    expect(again.id).toBe(first.id);
    const log = await c.log();
    expect(log.filter((a) => a.from.role === 'user')).toHaveLength(1);
    expect(log.filter((a) => a.replyToId === first.id)).toHaveLength(1);
    expect(await c.heard()).toEqual(['付款了怎么查不到单号']);
  });

  it('also when both posts are in flight at once', async () => {
    const c = await conversation();
    const [a, b] = await Promise.all([c.post('K7QX9ZP2M4RT8WNA', 'wc-2'), c.post('K7QX9ZP2M4RT8WNA', 'wc-2')]);
    expect((await json(a)).id).toBe((await json(b)).id);
    const log = await c.log();
    expect(log.filter((a) => a.from.role === 'user')).toHaveLength(1);
    expect(log.filter((a) => a.from.role === 'bot' && a.type === 'message' && a.text.includes('K7QX9ZP2M4RT8WNA'))).toHaveLength(1);
  });

  it('different clientActivityIDs (or none) are different messages', async () => {
    const c = await conversation();
    await c.post('你好', 'wc-3');
    await c.post('你好', 'wc-4');
    await c.post('你好');
    expect((await c.log()).filter((a) => a.from.role === 'user')).toHaveLength(3);
  });
});

describe('all or nothing', () => {
  it('a commit that cannot be written answers 503 and leaves no trace; the retry is the one turn', async () => {
    const c = await conversation();
    await c.post('付款了怎么查不到单号', 'wc-10');
    const logBefore = await c.log();
    const stateBefore = await c.state();
    const real = s.directLine.store.append.bind(s.directLine.store);
    let failures = 0;
    s.directLine.store.append = async () => {
      failures++;
      throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    };
    try {
      const r = await c.post('K7QX9ZP2M4RT8WNA', 'wc-11');
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
    } finally {
      s.directLine.store.append = real;
    }
    expect(failures).toBeGreaterThan(1); // retried before giving up
    // Nothing of the turn is anywhere: not the message, not the reply, not the state, not the transcript.
    expect(await c.log()).toEqual(logBefore);
    expect(await c.state()).toEqual(stateBefore);
    expect(await c.heard()).toEqual(['付款了怎么查不到单号']);
    // The client posts again: now it is answered, once.
    const ok = await json(await c.post('K7QX9ZP2M4RT8WNA', 'wc-11'));
    const log = await c.log();
    expect(log.filter((a) => a.replyToId === ok.id && a.text.includes('K7QX9ZP2M4RT8WNA'))).toHaveLength(1);
    expect(await c.heard()).toEqual(['付款了怎么查不到单号', 'K7QX9ZP2M4RT8WNA']);
    expect((await c.state())!.etag).not.toBe(stateBefore!.etag);
  });

  it('a turn that fails in the bot keeps the message and the apology, not its half-done state or replies', async () => {
    const c = await conversation();
    await c.post('K7QX9ZP2M4RT8WNA', 'wc-20');
    const stateBefore = await c.state();
    const kb = app.services.knowledge;
    const real = kb.search;
    kb.search = () => {
      throw new Error('boom');
    };
    try {
      expect((await c.post('卡密和订单号有什么区别', 'wc-21')).status).toBe(200);
    } finally {
      kb.search = real;
    }
    const log = await c.log();
    const user = log.filter((a) => a.from.role === 'user').at(-1);
    expect(user.text).toBe('卡密和订单号有什么区别');
    const replies = log.filter((a) => a.replyToId === user.id).map((a) => a.text);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain('出了点问题');
    expect(await c.state()).toEqual(stateBefore);
    const lines = await app.services.transcript.recent({ channelId: 'directline', conversationId: c.conversationId });
    expect(lines.at(-2)).toMatchObject({ direction: 'in', text: '卡密和订单号有什么区别' });
    expect(lines.at(-1)!.text).toContain('出了点问题');
  });

  it("sockets hear of a turn only once it is committed, the buyer's message first", async () => {
    const c = await conversation();
    // Each commit is announced once, with the watermark it reached; read what it announced from the log.
    const announced: Promise<any[]>[] = [];
    const inTurn: boolean[] = [];
    let last = (await s.directLine.store.after(c.conversationId, 0)).watermark;
    const off = app.store.bus.subscribe('directline.append', ({ conversationId, watermark }) => {
      if (conversationId !== c.conversationId) return;
      inTurn.push(app.store.sql.inTx());
      announced.push(s.directLine.store.after(conversationId, last, watermark - last).then((p) => p.activities));
      last = watermark;
    });
    try {
      const { id } = await json(await c.post('付款了怎么查不到单号', 'wc-30'));
      await new Promise((r) => setImmediate(r));
      const heard = (await Promise.all(announced)).flat();
      expect(inTurn).toHaveLength(1); // the buyer's message and every reply: one commit, one announcement
      expect(heard.length).toBeGreaterThan(1);
      expect(inTurn.some((x) => x)).toBe(false); // announced after the commit, not from inside the transaction
      expect(heard[0]).toMatchObject({ id, from: { role: 'user' } });
      expect(heard.slice(1).every((a) => a.replyToId === id)).toBe(true);
      // What the server adds for the bot (buyer, client address) is not in the buyer's log.
      expect(JSON.stringify(heard[0].channelData)).toBe(JSON.stringify({ clientActivityID: 'wc-30' }));
    } finally {
      off();
    }
  });
});
