import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeApp, order, say } from '../helpers.js';

describe('persistence', () => {
  it('a conversation survives a restart of the process between two turns', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-'));
    const file = path.join(dir, 'nested', 'bot.sqlite');
    const orders = [order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' })];

    const first = await makeApp({ file, orders });
    const asked = await say(first, '我昨晚八点付的款，到现在还没收到卡密', 'conv-restart');
    expect(asked.outcome).toMatchObject({ step: 'collecting', slots: { paymentTime: '2026-11-22T20:00:00+08:00' } });
    await first.close();
    expect(fs.existsSync(file)).toBe(true);

    // A new process: new app, same file. The dialog is still waiting for the order number.
    const second = await makeApp({ file });
    const answered = await say(second, 'K7QX9ZP2M4RT8WNA', 'conv-restart');
    expect(answered.outcome).toMatchObject({ cause: 'sync_delay', slots: { orderNo: 'K7QX9ZP2M4RT8WNA', paymentTime: '2026-11-22T20:00:00+08:00' } });
    // The ladder continues from where it was.
    await second.close();
    const third = await makeApp({ file });
    expect((await say(third, '还是没到', 'conv-restart')).outcome).toMatchObject({ step: 'contact' });
    await third.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('remembers a contact the buyer proved, across conversations (user state)', async () => {
    const mine = order({
      orderNo: 'K8PL3MZ7Q2XV9TRB',
      status: 'delivered',
      paidAt: '2026-11-22T20:04:00+08:00',
      buyer: { contact: '13812345678', hasQueryPassword: false },
      delivery: { kind: 'card_codes', items: [{ masked: 'QB10****7Z3K', plaintext: 'QB10-8842-5519-7Z3K' }], expected: 1 },
    });
    const app = await makeApp({ orders: [mine] });
    await say(app, '卡密发我 K8PL3MZ7Q2XV9TRB', 'first');
    expect((await say(app, '13812345678', 'first')).text).toContain('QB10-8842-5519-7Z3K');
    // A new conversation of the same channel user: no need to type the contact again to find the order…
    const found = await say(app, '没有订单号，昨晚八点买的', 'second');
    expect(found.text).toContain('K8PL****9TRB');
    // …but codes are still not revealed without proving it in this conversation.
    expect(found.text).not.toContain('QB10-8842-5519-7Z3K');
    await app.close();
  });

  it('seeds the demo shop on first start only', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-'));
    const file = path.join(dir, 'bot.sqlite');
    const a = await makeApp({ file });
    const n = await a.shop.demo!.count();
    expect(n).toBeGreaterThanOrEqual(40);
    await a.close();
    const b = await makeApp({ file });
    expect(await b.shop.demo!.count()).toBe(n);
    await b.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
