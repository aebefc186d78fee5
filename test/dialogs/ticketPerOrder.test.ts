/**
 * A ticket is per order (in-process, fixed clock, no agent online): a conversation that asks about
 * two orders gets a ticket for each, and every reply names the ticket that holds the order it is
 * about; a second message about the same order reuses its ticket.
 */
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { ShopUnavailableError } from '../../src/orders/errors.js';
import type { OrderService } from '../../src/orders/port.js';
import { NOW, makeApp, order, say } from '../helpers.js';

const A = 'Q9WF4KT7ZM2XB6NH';
const B = '219261128115029287';
const orders = [
  order({ orderNo: A, status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' }),
  order({ orderNo: B, status: 'paid', productType: 'phone_topup', title: '移动话费50元', paidAt: '2026-11-23T14:50:00+08:00', createdAt: '2026-11-23T14:49:00+08:00' }),
];
const ticketNo = /T\d{10}/g;
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

async function ticketOf(app: App, r: { text: string; outcome?: Record<string, any> }, orderNo: string): Promise<string> {
  const id = r.outcome?.ticketId as string;
  expect(id).toMatch(/^T\d{10}$/);
  expect((await app.services.tickets.get(id))?.orderNo).toBe(orderNo);
  // The reply names that ticket and no other.
  expect(r.text.match(ticketNo)).toEqual([id]);
  return id;
}

describe('a ticket per order', () => {
  for (const [first, second] of [
    [A, B],
    [B, A],
  ] as const) {
    it(`转人工 with nobody online: ${first} then ${second} get a ticket each, each reply names its own`, async () => {
      const app = await makeApp({ orders });
      app.services.presence.online = async () => 0;
      const conv = `two-${first}`;
      try {
        await say(app, `订单 ${first} 付款了还没到`, conv);
        const t1 = await ticketOf(app, await say(app, '转人工', conv), first);
        // The same order again: its ticket, not a second one.
        expect(await ticketOf(app, await say(app, '转人工', conv), first)).toBe(t1);

        await say(app, `还有一个订单 ${second} 也没到`, conv);
        const t2 = await ticketOf(app, await say(app, '转人工', conv), second);
        expect(t2).not.toBe(t1);
        expect(await ticketOf(app, await say(app, '转人工', conv), second)).toBe(t2);
        const open = await app.services.tickets.open();
        expect(open.map((t) => t.orderNo).sort()).toEqual([A, B].sort());
      } finally {
        await app.close();
      }
    });
  }

  it("还是没到 for A, then B: 还要等多久 and 提交工单 name B's ticket, never A's", async () => {
    const app = await makeApp({ orders });
    app.services.presence.online = async () => 0;
    const conv = 'ladder';
    try {
      await say(app, A, conv);
      const c1 = await say(app, '还是没到', conv);
      expect(c1.outcome).toMatchObject({ step: 'contact' });
      const t1 = await ticketOf(app, c1, A);
      expect(await ticketOf(app, await say(app, '提交工单', conv), A)).toBe(t1); // 这个问题已经有工单 … (A's)

      await say(app, B, conv);
      // Nobody has B's case yet: no ticket is named for it.
      const wait = await say(app, '还要等多久', conv);
      expect(wait.text).not.toContain(t1);
      expect(wait.outcome?.ticketId).toBeUndefined();
      const c2 = await say(app, '还是没到', conv);
      const t2 = await ticketOf(app, c2, B);
      expect(t2).not.toBe(t1);
      expect(await ticketOf(app, await say(app, '提交工单', conv), B)).toBe(t2);
      expect(await ticketOf(app, await say(app, '还要等多久', conv), B)).toBe(t2);
      expect(await ticketOf(app, await say(app, '转人工', conv), B)).toBe(t2);
      expect((await app.services.tickets.open()).map((t) => t.orderNo).sort()).toEqual([A, B].sort());
    } finally {
      await app.close();
    }
  });

  it("a screenshot sent about B does not go onto A's ticket", async () => {
    const app = await makeApp({ orders });
    app.services.presence.online = async () => 0;
    const conv = 'files';
    try {
      await say(app, A, conv);
      const t1 = await ticketOf(app, await say(app, '转人工', conv), A);
      await say(app, B, conv);
      const file = (await app.services.attachments.save({ conversationId: conv, channelId: 'test', userId: 'buyer-1', name: 'pay.png', data: PNG }, new Date(NOW)))!;
      const acts = await app.adapter.process(
        {
          type: 'message',
          channelId: 'test',
          conversation: { id: conv, isGroup: false, conversationType: 'personal', name: '' },
          from: { id: 'buyer-1', name: 'buyer-1' },
          attachments: [{ contentType: 'image/png', contentUrl: 'https://bot.example/v3/directline/attachments/x/y', name: 'pay.png' }],
        },
        app.logic,
      );
      const text = acts.map((a) => a.text ?? '').join('\n');
      expect(text).not.toContain(t1);
      expect((await app.services.attachments.meta(file.id))!.ticketId).toBeUndefined();
      // B's own ticket takes it.
      const t2 = await ticketOf(app, await say(app, '转人工', conv), B);
      expect((await app.services.attachments.meta(file.id))!.ticketId).toBe(t2);
    } finally {
      await app.close();
    }
  });

  it("the shop not answering about B files B's ticket, not A's", async () => {
    const app = await makeApp({ orders });
    app.services.presence.online = async () => 0;
    const conv = 'down';
    try {
      await say(app, A, conv);
      const t1 = await ticketOf(app, await say(app, '转人工', conv), A);
      const real = app.services.orders;
      app.services.orders = new Proxy(real, {
        get: (o, p) =>
          p === 'findByOrderNo' || p === 'findByAltNo' ? async () => Promise.reject(new ShopUnavailableError('dujiaoka', 'down', 'ECONNREFUSED')) : Reflect.get(o, p),
      }) as OrderService;
      const down = await say(app, B, conv);
      expect(down.text).toContain('系统查询暂时不可用');
      const t2 = await ticketOf(app, down, B);
      expect(t2).not.toBe(t1);
      expect(await ticketOf(app, await say(app, B, conv), B)).toBe(t2); // the same order again: the same ticket
    } finally {
      await app.close();
    }
  });
});
