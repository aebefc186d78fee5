/**
 * One conversation, one thread (in-process, fixed clock): what a ticket and a handoff record is
 * what the buyer was told; a rating given with a comment is a rating; a code reported as used is a
 * dispute, and "新的卡密在哪" tells the truth about whether the order holds a new one.
 */
import { describe, expect, it } from 'vitest';
import { makeApp, order, say } from '../helpers.js';

describe('tickets and handoffs say what the buyer was told', () => {
  it("the order's own payment time and the explanation the buyer got, not the buyer's guess", async () => {
    const slow = order({ orderNo: 'K2TW8NQ5XH7RMV4B', status: 'paid', paidAt: '2026-12-02T02:13:00+08:00', createdAt: '2026-12-02T02:12:00+08:00' });
    const app = await makeApp({ now: '2026-12-02T03:06:00+08:00', orders: [slow] });
    try {
      const a = await say(app, '凌晨两点付的款 到现在q币卡密还没发 订单K2TW8NQ5XH7RMV4B');
      expect(a.outcome).toMatchObject({ cause: 'sync_delay', step: 'contact' });
      const told = a.text.split('\n\n')[1]!;
      expect(told).toContain('比平时慢了一些');
      const ticket = (await app.services.tickets.get(a.outcome!.ticketId ?? (await app.services.tickets.open())[0]!.id))!;
      expect(Date.parse(ticket.paymentTime!)).toBe(Date.parse('2026-12-02T02:13:00+08:00'));
      expect(ticket.told).toBe(told);
      expect(ticket.dueAt).toBe('2026-12-02T13:00:00+08:00'); // 4 hours of agent time from 09:00
    } finally {
      await app.close();
    }
  });
});

describe('a rating after a hand-back', () => {
  it('"2分 问题根本没解决" is stored as 2 with its words, and becomes a ticket, not a rights list', async () => {
    const app = await makeApp({ env: { AGENT_HOURS: '00:00-24:00' }, orders: [order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' })] });
    app.services.presence.online = async () => 1;
    try {
      await say(app, 'K7QX9ZP2M4RT8WNA', 'rate-1');
      await say(app, '转人工', 'rate-1');
      const h = (await app.services.handoffs.open())[0]!;
      const now = new Date('2026-11-23T15:10:00+08:00');
      expect(await app.services.handoffs.claim(h.id, 'agent-1', now)).toBe(true);
      expect(await app.services.handoffs.resolve(h.id, 'agent-1', 'solved', now)).toBe(true);
      await app.adapter.continueConversation(h.conversationRef as never, (ctx) => app.bot.handBack(ctx, h.id));
      const r = await say(app, '2分 问题根本没解决', 'rate-1');
      expect(r.text).not.toContain('12315');
      expect(r.text).toContain('2 分');
      expect(r.outcome).toMatchObject({ step: 'contact' });
      expect(await app.store.sql.get('SELECT rating, rating_comment FROM handoff_requests WHERE id = ?', [h.id])).toEqual({ rating: 2, rating_comment: '问题根本没解决' });
    } finally {
      await app.close();
    }
  });
});

describe('a code that does not work', () => {
  const codes = (plain: string[]) => ({ kind: 'card_codes' as const, items: plain.map((plaintext) => ({ plaintext })), expected: 1, deliveredAt: '2026-11-23T13:05:00+08:00' });
  const delivered = (plain: string[]) =>
    order({
      orderNo: 'K8PL3MZ7Q2XV9TRB',
      status: 'delivered',
      paidAt: '2026-11-23T13:04:00+08:00',
      buyer: { contact: '13812345678', hasQueryPassword: false },
      delivery: codes(plain),
    });

  it('is a dispute with the code on the ticket; "新的卡密在哪" says honestly whether the order holds a new one', async () => {
    const app = await makeApp({ orders: [delivered(['QB10-8842-5519-7Z3K'])] });
    try {
      await say(app, 'K8PL3MZ7Q2XV9TRB');
      const d = await say(app, '卡密充不进去 提示已被使用');
      expect(d.text).not.toContain('核对身份');
      expect(d.outcome).toMatchObject({ step: 'contact', cause: 'delivered' });
      const ticket = (await app.services.tickets.open())[0]!;
      expect(ticket.symptom).toContain('QB10****7Z3K');
      expect(ticket.symptom).not.toContain('QB10-8842-5519-7Z3K');
      // Nothing re-issued yet: the order still holds the old code, and the bot says so.
      const same = await say(app, '新的卡密在哪');
      expect(same.text).toContain('还是原来那张');
      expect(same.text).toContain('QB10****7Z3K');
      // The shop re-issued it (the adapter now returns another code): that is what the bot shows.
      await app.shop.demo!.upsert([delivered(['QB10-9911-2044-8M2P'])]);
      const updated = await say(app, '新的卡密在哪');
      expect(updated.text).toContain('已经更新');
      expect(updated.text).toContain('QB10****8M2P');
      const reveal = await say(app, '查看卡密');
      expect(reveal.text).toContain('核对身份');
      expect((await say(app, '13812345678')).text).toContain('QB10-9911-2044-8M2P');
    } finally {
      await app.close();
    }
  });
});
