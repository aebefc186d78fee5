/**
 * What the console keeps, on both backends (SQLite and PostgreSQL): canned responses, a ticket's
 * claim, ended handoffs, search (order number, contact, a line of the conversation; wildcards taken
 * literally) and a buyer's earlier handoffs (never for an anonymous id).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CannedResponses } from '../../src/handoff/canned.js';
import { HandoffService } from '../../src/handoff/index.js';
import { type Store, openStore } from '../../src/storage/index.js';
import { SqlCannedRepo } from '../../src/storage/sql/canned.js';
import { TicketService } from '../../src/tickets/index.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase, requirePostgres } from '../support/postgres.js';

const silent = pino({ level: 'silent' });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-console-storage-'));
const opened: Store[] = [];
afterAll(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});
const policy = loadConfig({ DATABASE_FILE: ':memory:' }).policy;

describe.each([
  ['sqlite', () => openStore({ databaseFile: path.join(dir, `s-${Math.random().toString(36).slice(2)}.sqlite`), logger: silent })],
  ['postgres', async () => openStore({ databaseUrl: await createDatabase(requirePostgres(), 'console'), databaseFile: ':unused:', logger: silent, poolSize: 4 })],
])('the console’s storage on %s', (_name, open) => {
  it('keeps canned responses, ticket claims, ended handoffs, search and a buyer’s history', async () => {
    const store = await open();
    opened.push(store);
    const schema = await store.schema();
    expect(schema.version).toBe(schema.latest);

    const canned = new CannedResponses(new SqlCannedRepo(store.sql));
    const c = await canned.add({ title: '退款', body: '订单 {订单号} 已退款', causes: ['refunded', 'upstream_failed'] }, 'a1', new Date('2026-11-23T07:00:00Z'));
    expect(await canned.list()).toEqual([c]);
    expect((await canned.edit(c.id, { title: '退款说明', body: '已退款', causes: [] }, 'a2', new Date('2026-11-23T08:00:00Z')))!).toMatchObject({
      title: '退款说明',
      causes: [],
      createdBy: 'a1',
      updatedBy: 'a2',
      updatedAt: Date.parse('2026-11-23T08:00:00Z'),
    });
    expect(await canned.remove(c.id)).toBe(true);
    expect(await canned.remove(c.id)).toBe(false);

    const tickets = new TicketService(store.repos.tickets, policy);
    const t = await tickets.create({ conversationId: 'c1', channelId: 'web', userId: 'u1', symptom: 'x', cause: 'risk_hold' }, new Date('2026-11-23T07:00:00Z'));
    expect(await tickets.claim(t.id, 'a1', new Date('2026-11-23T07:01:00Z'))).toBe(true);
    expect(await tickets.claim(t.id, 'a2', new Date('2026-11-23T07:02:00Z'))).toBe(false);
    expect(await tickets.get(t.id)).toMatchObject({ claimedBy: 'a1', claimedAt: expect.stringMatching(/^2026-11-23T15:01/) });
    expect((await tickets.queue())[0]).toMatchObject({ id: t.id, priority: 3 });

    const handoffs = new HandoffService(store.repos.handoffs, store.bus);
    const ask = async (conversationId: string, userId: string, orderNo: string | undefined, at: string) => {
      const r = await handoffs.request(
        {
          conversationId,
          channelId: 'web',
          userId,
          priority: 1,
          conversationRef: {},
          context: { reason: 'buyer_request', orderNo, ladder: [], transcript: [], buyer: { contact: '13900001111' } },
        },
        new Date(at),
      );
      return r.id;
    };
    const h1 = await ask('c1', 'u1', 'K8PL3MZ7Q2XV9TRB', '2026-11-23T07:00:00Z');
    const h2 = await ask('c2', 'u1', 'DJ20261123120055QWER', '2026-11-23T07:10:00Z');
    const h3 = await ask('c3', 'anonymous', undefined, '2026-11-23T07:20:00Z');
    const h4 = await ask('c4', 'anonymous', undefined, '2026-11-23T07:30:00Z');
    await store.repos.transcript.appendAll({ channelId: 'web', conversationId: 'c3' }, [
      { direction: 'in', sender: 'u', text: '我的手机是13812345678，100%_付了', at: new Date('2026-11-23T07:20:00Z') },
    ]);
    expect(await handoffs.claim(h1, 'a1', new Date('2026-11-23T07:01:00Z'))).toBe(true);
    expect(await handoffs.resolve(h1, 'a1', 'solved', new Date('2026-11-23T07:05:00Z'))).toBe(true);
    expect(await handoffs.cancel(h3, new Date('2026-11-23T07:25:00Z'))).toBe(true);
    expect((await handoffs.ended()).map((h) => h.id)).toEqual([h3, h1]);
    expect((await handoffs.get(h1))?.orderNo).toBe('K8PL3MZ7Q2XV9TRB');

    const found = async (text: string, contact?: string) => (await handoffs.search({ text, contact })).map((f) => f.handoff.id);
    expect(await found('k8pl3mz7')).toEqual([h1]);
    expect(await found('13812345678', '13812345678')).toEqual([h3]);
    expect(await found('13900001111', '13900001111')).toEqual([h4, h3, h2, h1]); // in every context packet
    expect(await found('100%_付')).toEqual([h3]);
    expect(await found('%')).toEqual([h3]); // the character itself, not "anything"
    expect(await found('%%')).toEqual([]);
    expect(await found('__')).toEqual([]);
    expect((await handoffs.search({ text: '手机是' }))[0]?.match).toContain('13812345678'); // the console masks what it shows

    expect((await handoffs.earlier((await handoffs.get(h2))!)).map((h) => h.id)).toEqual([h1]);
    expect(await handoffs.earlier((await handoffs.get(h4))!)).toEqual([]);
  });
});
