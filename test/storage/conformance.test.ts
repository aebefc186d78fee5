/**
 * One storage contract, run against both backends: SQLite (a file) and PostgreSQL (a throwaway
 * server started for the run, a fresh database per backend here). Every repository, the unit of
 * work, the botbuilder Storage contract, migrations, and what must hold when several callers race:
 * ids, counters, claims and limits.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConversationState, TestAdapter } from 'botbuilder';
import { type DialogState, DialogSet, TextPrompt, WaterfallDialog } from 'botbuilder-dialogs';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/handoff/agents.js';
import { HandoffService } from '../../src/handoff/index.js';
import { VerifyGuard } from '../../src/orders/guards.js';
import { AttachmentStore } from '../../src/storage/attachments.js';
import { type Store, openStore } from '../../src/storage/index.js';
import { SqlLimiter } from '../../src/storage/sql/guards.js';
import { UnitOfWork, inUnitOfWork } from '../../src/storage/unitOfWork.js';
import { TicketService } from '../../src/tickets/index.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase, requirePostgres } from '../support/postgres.js';

const silent = pino({ level: 'silent' });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-conformance-'));
const opened: Store[] = [];
afterAll(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

type Backend = { name: 'sqlite' | 'postgres'; open: () => Promise<Store> };
const backends: Backend[] = [
  {
    name: 'sqlite',
    open: async () => {
      const s = await openStore({ databaseFile: path.join(dir, `s-${Math.random().toString(36).slice(2)}.sqlite`), logger: silent });
      opened.push(s);
      return s;
    },
  },
  {
    name: 'postgres',
    open: async () => {
      const url = await createDatabase(requirePostgres(), 'conformance');
      const s = await openStore({ databaseUrl: url, databaseFile: ':unused:', logger: silent, poolSize: 8 });
      opened.push(s);
      return s;
    },
  },
];
const policy = loadConfig({ DATABASE_FILE: ':memory:' }).policy;
const at = (iso: string) => new Date(iso);
const c1 = { channelId: 'test', conversationId: 'c1' };

describe.each(backends)('storage on $name', ({ name, open }) => {
  it('is migrated to its latest version, and says so', async () => {
    const s = await open();
    expect(s.kind).toBe(name);
    const schema = await s.schema();
    expect(schema.version).toBe(schema.latest);
    expect(schema.latest).toBeGreaterThan(0);
  });

  describe('botbuilder Storage', () => {
    it('reads unknown keys as absent and gives created items an eTag; odd keys are fine', async () => {
      const s = (await open()).repos.botState;
      expect(await s.read(['nope'])).toEqual({});
      await s.write({ a: { n: 1 } });
      const r = await s.read(['a', 'nope']);
      expect(Object.keys(r)).toEqual(['a']);
      expect(r.a).toMatchObject({ n: 1 });
      expect(typeof r.a!.eTag).toBe('string');
      const key = '!@#$%^&*()~/\\><,.?\';"`~中文';
      await s.write({ [key]: { v: 'x' } });
      expect((await s.read([key]))[key]).toMatchObject({ v: 'x' });
    });

    it('updates with the current eTag, rejects a stale one, overwrites with * or no eTag', async () => {
      const s = (await open()).repos.botState;
      await s.write({ k: { v: 1 } });
      const first = (await s.read(['k'])).k!;
      await s.write({ k: { ...first, v: 2 } });
      const second = (await s.read(['k'])).k!;
      expect(second.eTag).not.toBe(first.eTag);
      await expect(s.write({ k: { ...first, v: 3 } })).rejects.toThrow('Storage: error writing "k" due to eTag conflict.');
      expect((await s.read(['k'])).k).toMatchObject({ v: 2 });
      await s.write({ k: { v: 4, eTag: '*' } });
      await s.write({ k: { v: 5 } });
      expect((await s.read(['k'])).k).toMatchObject({ v: 5 });
    });

    it('of two writers holding the same eTag, exactly one wins', async () => {
      const s = (await open()).repos.botState;
      await s.write({ k: { v: 0 } });
      const read = (await s.read(['k'])).k!;
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => s.write({ k: { ...read, v: i + 1 } })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    });

    it('writes a batch all or nothing, deletes, and accepts empty batches', async () => {
      const s = (await open()).repos.botState;
      await s.write({ a: { v: 1 } });
      await expect(s.write({ b: { v: 2 }, a: { v: 9, eTag: 'stale' } })).rejects.toThrow(/eTag conflict/);
      expect(await s.read(['b'])).toEqual({});
      await s.write({ b: { v: 2 } });
      await s.delete(['a', 'unknown']);
      expect(Object.keys(await s.read(['a', 'b']))).toEqual(['b']);
      await s.write({});
    });

    it('runs a waterfall dialog end to end', async () => {
      const convo = new ConversationState((await open()).repos.botState);
      const dialogs = new DialogSet(convo.createProperty<DialogState>('d'));
      dialogs.add(new TextPrompt('text'));
      dialogs.add(
        new WaterfallDialog('w', [
          async (st) => st.prompt('text', '请提供订单号'),
          async (st) => {
            await st.context.sendActivity(`收到 ${st.result}`);
            return st.endDialog();
          },
        ]),
      );
      const adapter = new TestAdapter(async (ctx) => {
        const dc = await dialogs.createContext(ctx);
        const r = await dc.continueDialog();
        if (r.status === 'empty') await dc.beginDialog('w');
        await convo.saveChanges(ctx);
      });
      await adapter.send('hi').assertReply('请提供订单号').send('KM20241111').assertReply('收到 KM20241111').startTest();
    });
  });

  describe('unit of work', () => {
    it('commits a turn’s writes together, after which `after` runs; a discarded turn keeps only what is kept', async () => {
      const s = await open();
      const told: string[] = [];
      await inUnitOfWork(s.sql, async () => {
        await s.repos.botState.write({ st: { v: 1 } });
        await s.repos.transcript.appendAll(c1, [{ direction: 'in', sender: 'b', text: '在吗', at: at('2026-11-23T15:00:00Z') }]);
        await UnitOfWork.write(async () => undefined, { after: () => told.push('after') });
        // Nothing is visible before the commit.
        expect(await s.repos.botState.read(['st'])).toEqual({});
        expect(told).toEqual([]);
      });
      expect((await s.repos.botState.read(['st'])).st).toMatchObject({ v: 1 });
      expect(told).toEqual(['after']);
      await inUnitOfWork(s.sql, async () => {
        await s.repos.botState.write({ st2: { v: 2 } });
        await s.repos.transcript.appendAll(c1, [{ direction: 'in', sender: 'b', text: '还在吗', at: at('2026-11-23T15:01:00Z') }]);
        UnitOfWork.current()!.discard();
      });
      expect(await s.repos.botState.read(['st2'])).toEqual({});
      expect((await s.repos.transcript.recent(c1)).map((l) => l.text)).toEqual(['在吗', '还在吗']);
    });

    it('a turn that throws leaves nothing behind', async () => {
      const s = await open();
      await expect(
        inUnitOfWork(s.sql, async () => {
          await s.repos.botState.write({ x: { v: 1 } });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await s.repos.botState.read(['x'])).toEqual({});
    });

    it('a transaction rolls back every statement when one fails, and writes from outside wait for it rather than slip in', async () => {
      const s = await open();
      const failing = s.sql.tx(async () => {
        await s.sql.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['a', '1']);
        await new Promise((r) => setTimeout(r, 40));
        await s.sql.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['a', '2']); // primary key violation
      });
      // Another caller writes, outside the transaction's async context, while it is open: it must not join (and roll back with) it.
      const outside = new Promise((r) => setTimeout(r, 10)).then(() => s.sql.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['b', 'outside']));
      await expect(failing).rejects.toThrow();
      expect(await outside).toBe(1);
      expect(await s.sql.get('SELECT value FROM settings WHERE key = ?', ['b'])).toEqual({ value: 'outside' });
      expect(await s.sql.get('SELECT value FROM settings WHERE key = ?', ['a'])).toBeUndefined();
    });
  });

  it('counts LLM tokens per shop day, one total for every caller', async () => {
    const u = (await open()).repos.llmUsage;
    const totals = await Promise.all([u.add('2026-11-23', 100), u.add('2026-11-23', 50)]);
    expect(Math.max(...totals)).toBe(150);
    expect(await u.total('2026-11-23')).toBe(150);
    expect(await u.total('2026-11-24')).toBe(0);
  });

  it('keeps one installation-wide setting however many ask at once', async () => {
    const s = await open();
    let n = 0;
    const values = await Promise.all(Array.from({ length: 8 }, () => s.setting('k', () => `v${++n}`)));
    expect(new Set(values).size).toBe(1);
    expect(await s.setting('k', () => 'other')).toBe(values[0]);
  });

  it('numbers tickets per day without gaps or repeats when many are filed at once', async () => {
    const s = await open();
    const tickets = new TicketService(s.repos.tickets, policy);
    const now = at('2026-11-23T15:00:00+08:00');
    const made = await Promise.all(Array.from({ length: 12 }, (_, i) => tickets.create({ ...c1, userId: `u${i}`, symptom: '没到账' }, now)));
    expect(made.map((t) => t.id).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `T261123${String(i + 1).padStart(4, '0')}`));
    const next = await tickets.create({ ...c1, userId: 'u', symptom: 'x', orderNo: 'K1', conversationRef: { conversation: { id: 'c1' } } }, at('2026-11-24T10:00:00+08:00'));
    expect(next.id).toBe('T2611240001');
    expect(await tickets.get(next.id)).toMatchObject({ orderNo: 'K1', status: 'open', conversationRef: { conversation: { id: 'c1' } } });
    expect((await tickets.openFor(c1, 'K1'))?.id).toBe(next.id);
    expect(await tickets.openCount()).toBe(13);
    expect(await tickets.answer(next.id, 'agent', '已补发', now)).toBe(true);
    expect(await tickets.answer(next.id, 'agent', '再答一次', now)).toBe(false);
    expect((await tickets.open()).map((t) => t.id)).not.toContain(next.id);
  });

  it('runs the handoff lifecycle, with one winner when two agents claim at once', async () => {
    const s = await open();
    const events: string[] = [];
    s.bus.subscribe('handoff.changed', (e) => events.push(`${e.state}`));
    const h = new HandoffService(s.repos.handoffs, s.bus);
    const now = at('2026-11-23T15:00:00Z');
    const context = { reason: 'human_agent', ladder: [], transcript: [] };
    const req = await h.request({ ...c1, userId: 'u', priority: 1, context, conversationRef: { conversation: { id: 'c1' } } }, now);
    const urgent = await h.request({ channelId: 'test', conversationId: 'c2', userId: 'u2', priority: 3, context, conversationRef: {} }, at('2026-11-23T15:01:00Z'));
    expect((await h.active(c1))?.id).toBe(req.id);
    expect(await h.ahead(req)).toBe(1); // the urgent one goes first
    expect((await h.open()).map((x) => x.id)).toEqual([urgent.id, req.id]);
    const claims = await Promise.all([h.claim(req.id, 'a1', now), h.claim(req.id, 'a2', now)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    const winner = claims[0] ? 'a1' : 'a2';
    expect(await h.annotate(req.id, { summary: ['s'], suggestions: [], model: 'm', at: now.toISOString() })).toBe(true);
    expect((await h.context(req.id))?.assist?.summary).toEqual(['s']);
    const m = await h.addMessage({ handoffId: req.id, conversationId: 'c1', kind: 'agent', agentId: winner, text: '你好', delivered: false }, now);
    expect((await h.undelivered()).map((x) => x.seq)).toEqual([m.seq]);
    expect(await h.markDelivered(m.seq, now)).toBe(true);
    expect(await h.markDelivered(m.seq, now)).toBe(false);
    expect(await h.resolve(req.id, winner === 'a1' ? 'a2' : 'a1', 'solved', now)).toBe(false);
    expect(await h.resolve(req.id, winner, 'solved', at('2026-11-23T15:10:00Z'))).toBe(true);
    expect(await h.rate(req.id, 5, now)).toBe(true);
    expect(await h.rate(req.id, 1, now)).toBe(false);
    expect(await h.expire(urgent.id, now)).toBe(true);
    expect(await h.active(c1)).toBeUndefined();
    expect(events).toEqual(['queued', 'queued', 'assigned', 'assigned', 'resolved', 'canceled']);
    expect((await h.messages(req.id)).map((x) => x.text)).toEqual(['你好']);
  });

  it('counts failed ownership checks exactly when they come at once, locks, and resets', async () => {
    const s = await open();
    const guard = new VerifyGuard(s.repos.verify, { maxFailures: 5, orderMaxFailures: 20, lockMinutes: 30 });
    const now = at('2026-11-23T15:00:00Z');
    const left = await Promise.all(Array.from({ length: 5 }, () => guard.fail('K1', ['conv:a'], now)));
    expect(left.sort()).toEqual([0, 1, 2, 3, 4]);
    expect((await guard.lockedUntil('K1', ['conv:a'], now))?.toISOString()).toBe('2026-11-23T15:30:00.000Z');
    expect(await guard.lockedUntil('K1', ['conv:b'], now)).toBeUndefined();
    expect(await guard.lockedUntil('K1', ['conv:a'], at('2026-11-23T15:31:00Z'))).toBeUndefined();
    await guard.reset('K1', ['conv:a']);
    expect(await guard.fail('K1', ['conv:a'], now)).toBe(4);
  });

  it('limits hits in the database: exactly `max` of many at once, none counted when refused, a new window after', async () => {
    const s = await open();
    const l = new SqlLimiter(s.sql, 'test', 3, 60_000);
    const now = at('2026-11-23T15:00:00Z');
    const taken = await Promise.all(Array.from({ length: 8 }, () => l.take('ip:1', now)));
    expect(taken.filter(Boolean)).toHaveLength(3);
    expect(await l.allows('ip:1', now)).toBe(false);
    expect(await l.allows('ip:2', now)).toBe(true);
    expect(await l.retryAfterMinutes('ip:1', now)).toBe(1);
    expect(await l.take('ip:1', at('2026-11-23T15:01:00.001Z'))).toBe(true);
  });

  it('keeps agents, sessions by digest only, and an audit trail', async () => {
    const s = await open();
    const agents = new AgentStore(s.repos.agents);
    const a = await agents.create('xiaoli', '小李', 'correct horse');
    expect(await agents.count()).toBe(1);
    expect((await agents.get(a.id))?.displayName).toBe('小李');
    expect(await agents.login('xiaoli', 'wrong password')).toBeUndefined();
    const ok = (await agents.login('xiaoli', 'correct horse'))!;
    expect((await agents.session(ok.token))?.agent.id).toBe(a.id);
    const stored = await s.sql.all<{ id: string }>('SELECT id FROM agent_sessions');
    expect(stored.map((r) => r.id)).not.toContain(ok.token);
    await agents.audit(a.id, 'reveal_delivery', 'K1', 'buyer asked');
    expect((await agents.auditLog())[0]).toMatchObject({ agentId: a.id, action: 'reveal_delivery', subject: 'K1' });
    expect(await agents.setPassword('xiaoli', 'battery staple')).toBe(true);
    expect(await agents.session(ok.token)).toBeUndefined(); // signed out everywhere
    await expect(agents.create('xiaoli', 'again', 'correct horse')).rejects.toThrow();
  });

  it('keeps files byte for byte and links them to a ticket once', async () => {
    const s = await open();
    const files = new AttachmentStore(s.repos.attachments);
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const meta = (await files.save({ ...c1, userId: 'u', name: '付款截图.png', data: png }, at('2026-11-23T15:00:00Z')))!;
    expect(meta.contentType).toBe('image/png');
    expect(Buffer.compare((await files.data(meta.id))!, png)).toBe(0);
    expect(await files.save({ ...c1, userId: 'u', name: 'x.svg', data: Buffer.from('<svg/>') }, at('2026-11-23T15:00:00Z'))).toBeUndefined();
    expect(await files.attachToTicket(c1, 'T1')).toBe(1);
    expect(await files.attachToTicket(c1, 'T2')).toBe(0);
    expect((await files.forConversation(c1)).map((f) => f.ticketId)).toEqual(['T1']);
  });

  it('appends to a Direct Line log with watermarks in order, unique however many append at once', async () => {
    const s = await open();
    const dl = s.repos.directLine;
    expect(await dl.create({ id: 'd1', userId: 'dl_u', createdAt: 1 })).toBe(true);
    expect(await dl.create({ id: 'd1', userId: 'dl_u', createdAt: 1 })).toBe(false);
    const seqs = await Promise.all(Array.from({ length: 10 }, (_, i) => dl.append('d1', { id: `a${i}`, type: 'message', text: `${i}` }, i === 3 ? 'client-3' : undefined)));
    expect([...seqs].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const page = await dl.after('d1', 4, 500);
    expect(page.watermark).toBe(10);
    expect(page.activities).toHaveLength(6);
    expect(await dl.byClientActivityId('d1', 'client-3')).toBe('a3');
    expect(await dl.has('d1', 'a9')).toBe(true);
    expect(await dl.replace('d1', 'a9', { type: 'messageDelete' })).toBe(true);
    await expect(dl.append('nope', { id: 'x' })).rejects.toThrow();
  });

  it('answers a WeChat push once, and never hands the same outbox message to two senders', async () => {
    const s = await open();
    const w = s.repos.wechat;
    expect(await w.useNonce('n1', 'sha-a', 10_000, 0)).toBe('fresh');
    expect(await w.useNonce('n1', 'sha-a', 10_000, 0)).toBe('same');
    expect(await w.useNonce('n1', 'sha-b', 10_000, 0)).toBe('reused');
    const claims = await Promise.all([w.claim('k1', 'wechat', 'u', 'i1', 1), w.claim('k1', 'wechat', 'u', 'i2', 1)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await w.takeOver('k1', claims[0] ? 'i1' : 'i2', 'i3', 2)).toBe(true);
    await w.settle('k1', 'passive', '好的', 3);
    expect(await w.inbound('k1')).toMatchObject({ state: 'passive', reply: '好的' });
    await w.enqueue('wechat', 'u1', 'wechat:u1', ['一', '二'], 0, null);
    await w.enqueue('wechat', 'u2', 'wechat:u2', ['甲'], 0, '甲（记录）');
    // Two senders at once: each user's oldest message goes to exactly one of them.
    const [x, y] = await Promise.all([w.claimDue('wechat', 10, 60_000, 'i1'), w.claimDue('wechat', 10, 60_000, 'i2')]);
    const texts = [...x!, ...y!].map((r) => r.text).sort();
    expect(texts).toEqual(['一', '甲']);
    expect(await w.claimDue('wechat', 20, 60_000, 'i1')).toEqual([]); // '二' waits for '一'
    const one = [...x!, ...y!].find((r) => r.text === '一')!;
    await w.sent(one.id, 30);
    expect((await w.claimDue('wechat', 40, 60_000, 'i5')).map((r) => r.text)).toEqual(['二']);
    // A claim that is never settled (its sender died) is free again once its lease runs out, or once its owner is known to be gone.
    const jia = [...x!, ...y!].find((r) => r.text === '甲')!;
    expect(jia.record_text).toBe('甲（记录）');
    const jiaOwner = x!.some((r) => r.text === '甲') ? 'i1' : 'i2';
    expect((await w.claimHolders('wechat', 50)).sort()).toEqual(['i5', jiaOwner].sort()); // '二' and '甲'
    expect(await w.release('wechat', jiaOwner)).toBeGreaterThan(0);
    expect((await w.claimDue('wechat', 60, 60_000, 'i3')).map((r) => r.text)).toEqual(['甲']);
    expect((await w.claimDue('wechat', 200_000, 60_000, 'i4')).map((r) => r.text).sort()).toEqual(['二', '甲']);
    await w.openWindow('wechat', 'u1', 1000, 2);
    await w.openWindow('wechat', 'u1', 500, 1); // a shorter window never shortens a longer one
    expect([await w.useWindow('wechat', 'u1', 100), await w.useWindow('wechat', 'u1', 100), await w.useWindow('wechat', 'u1', 100)]).toEqual(['ok', 'ok', 'quota']);
    expect(await w.useWindow('wechat', 'u1', 2000)).toBe('closed');
    await w.saveToken('wechat', 'tok', 99);
    expect(await w.token('wechat')).toEqual({ token: 'tok', expiresAt: 99 });
    await w.dropToken('wechat', 'tok');
    expect(await w.token('wechat')).toBeUndefined();
  });
});

describe('several instances on one PostgreSQL', () => {
  const two = async () => {
    const url = await createDatabase(requirePostgres(), 'cluster');
    const a = await openStore({ databaseUrl: url, databaseFile: ':unused:', logger: silent, poolSize: 6, instance: 'a' });
    const b = await openStore({ databaseUrl: url, databaseFile: ':unused:', logger: silent, poolSize: 6, instance: 'b' });
    opened.push(a, b);
    return [a, b] as const;
  };
  const until = async (cond: () => boolean | Promise<boolean>, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('runs one conversation’s work one at a time across instances, others in parallel', async () => {
    const [a, b] = await two();
    const log: string[] = [];
    const work = (who: string, ms: number) => async () => {
      log.push(`${who}+`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${who}-`);
    };
    await Promise.all([a.lock.run('conv', work('a', 150)), new Promise((r) => setTimeout(r, 30)).then(() => b.lock.run('conv', work('b', 10)))]);
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-']);
    const t0 = Date.now();
    await Promise.all([a.lock.run('x', work('x', 200)), b.lock.run('y', work('y', 200))]);
    expect(Date.now() - t0).toBeLessThan(390);
  });

  it('carries bus events from one instance to the other', async () => {
    const [a, b] = await two();
    const heard: string[] = [];
    b.bus.subscribe('directline.append', (e) => heard.push(`${e.conversationId}@${e.watermark}`));
    a.bus.subscribe('directline.append', (e) => heard.push(`a:${e.conversationId}`));
    a.bus.publish('directline.append', { conversationId: 'd1', watermark: 3 });
    await until(() => heard.includes('d1@3'));
    expect(heard.filter((h) => h === 'a:d1')).toHaveLength(1); // the publisher hears it once, not twice
  });

  it('elects one leader, and another takes over when it goes', async () => {
    const [a, b] = await two();
    await until(() => a.leader.isLeader() || b.leader.isLeader());
    expect(a.leader.isLeader() && b.leader.isLeader()).toBe(false);
    const [leader, other] = a.leader.isLeader() ? [a, b] : [b, a];
    expect(await other.alive(leader.instance)).toBe(true);
    await leader.close();
    await until(() => other.leader.isLeader(), 10_000);
    expect(await other.alive(leader.instance)).toBe(false);
  });

  it('shares agent presence', async () => {
    const [a, b] = await two();
    await a.presence.here('agent-1');
    await b.presence.here('agent-2');
    await b.presence.here('agent-1');
    expect(await a.presence.online()).toBe(2);
    await a.presence.gone('agent-1');
    expect((await b.presence.agentIds()).sort()).toEqual(['agent-1', 'agent-2']);
    await b.presence.gone('agent-1');
    expect(await a.presence.agentIds()).toEqual(['agent-2']);
  });
});
