/**
 * What an agent does to an order reaches the bot's next answer: a re-issued code (masked, in full
 * only after the buyer's proof), a refund, a note the bot repeats — on the demo shop and on a shop
 * the bot only reads (the http contract), across a restart, on SQLite and PostgreSQL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OrderAction } from '../../src/orders/actions.js';
import { makeApp, order, say } from '../helpers.js';
import { createDatabase, requirePostgres } from '../support/postgres.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-actions-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const OOS = order({
  orderNo: 'K8PL3MZ7Q2XV9TRB',
  status: 'on_hold',
  holdReasons: ['out_of_stock'],
  paidAt: '2026-11-23T13:04:00+08:00',
  buyer: { contact: '13812345678', hasQueryPassword: false },
});

describe.each([
  ['sqlite', async () => ({ DATABASE_FILE: path.join(dir, `a-${Math.random()}.sqlite`) })],
  ['postgres', async () => ({ DATABASE_URL: await createDatabase(requirePostgres(), 'actions') })],
])('agents’ actions on orders (%s)', (_name, env) => {
  it('a re-issued code: the bot answers delivered, masked; in full only after the proof; survives a restart', async () => {
    const e = await env();
    let app = await makeApp({ env: e, orders: [OOS] });
    try {
      expect((await say(app, 'K8PL3MZ7Q2XV9TRB', 'c1')).outcome?.cause).toBe('out_of_stock');
      await app.actOnOrder('K8PL3MZ7Q2XV9TRB', { kind: 'reissue_code', codes: ['QB9Z-7Y6X-5W4V-3U2T'], reason: '缺货补发' }, 'agent-1');
      await app.close();
      app = await makeApp({ env: e });
      const r = await say(app, 'K8PL3MZ7Q2XV9TRB', 'c2');
      expect(r.outcome?.cause).toBe('delivered');
      expect(r.text).toContain('QB9Z****3U2T');
      expect(r.text).not.toContain('QB9Z-7Y6X-5W4V-3U2T');
      await say(app, '查看卡密', 'c2');
      expect((await say(app, '13900000000', 'c2')).text).not.toContain('QB9Z-7Y6X-5W4V-3U2T');
      expect((await say(app, '13812345678', 'c2')).text).toContain('QB9Z-7Y6X-5W4V-3U2T');
      // Never in the transcript.
      const lines = await app.services.transcript.recent({ channelId: 'test', conversationId: 'c2' }, 100);
      expect(JSON.stringify(lines)).not.toContain('QB9Z-7Y6X-5W4V-3U2T');
    } finally {
      await app.close();
    }
  });

  it('a refund and a note: the bot says refunded, and repeats the agent’s words', async () => {
    const app = await makeApp({ env: await env(), orders: [OOS] });
    try {
      await app.actOnOrder('K8PL3MZ7Q2XV9TRB', { kind: 'refund', channel: '原路退回' } as OrderAction, 'agent-1');
      await app.actOnOrder('K8PL3MZ7Q2XV9TRB', { kind: 'note', text: '退款已经提交，1–3 个工作日原路退回。' }, 'agent-1');
      const r = await say(app, 'K8PL3MZ7Q2XV9TRB 钱退了吗', 'c3');
      expect(r.outcome?.cause).toBe('refunded');
      expect(r.text).toContain('客服留言：退款已经提交，1–3 个工作日原路退回。');
    } finally {
      await app.close();
    }
  });
});

describe('action validation', () => {
  it('refuses what is not an action', () => {
    expect(OrderAction.safeParse({ kind: 'reissue_code', codes: [], reason: 'x' }).success).toBe(false);
    expect(OrderAction.safeParse({ kind: 'refund', amount: '-1' }).success).toBe(false);
    expect(OrderAction.safeParse({ kind: 'delete_order' }).success).toBe(false);
    expect(OrderAction.safeParse({ kind: 'note', text: 'x'.repeat(301) }).success).toBe(false);
  });
});
