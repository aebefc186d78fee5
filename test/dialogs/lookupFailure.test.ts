/**
 * A lookup that fails inside the bot (not a shop outage) is a moment to try again: no ticket, no
 * 系统查询暂时不可用; only the shop's own system not answering files a ticket.
 */
import { describe, expect, it } from 'vitest';
import { ShopUnavailableError } from '../../src/orders/errors.js';
import type { OrderService } from '../../src/orders/port.js';
import { makeApp, order, say } from '../helpers.js';

const failing = (real: OrderService, err: () => Error): OrderService =>
  new Proxy(real, { get: (t, p) => (p === 'findByOrderNo' || p === 'findByAltNo' ? async () => Promise.reject(err()) : Reflect.get(t, p)) }) as OrderService;

describe('a lookup that fails', () => {
  it('inside the bot: try again, no ticket', async () => {
    const app = await makeApp({ orders: [order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' })] });
    try {
      app.services.orders = failing(app.services.orders, () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
      const r = await say(app, 'K7QX9ZP2M4RT8WNA', 'lf-1');
      expect(r.text).toContain('订单系统暂时没有响应');
      expect(r.outcome?.ticketId).toBeUndefined();
      expect(await app.services.tickets.openFor({ channelId: 'test', conversationId: 'lf-1' }, 'K7QX9ZP2M4RT8WNA')).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('at the shop: 系统查询暂时不可用 and a ticket', async () => {
    const app = await makeApp({ orders: [order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' })] });
    try {
      app.services.orders = failing(app.services.orders, () => new ShopUnavailableError('dujiaoka', 'down', 'ECONNREFUSED'));
      const r = await say(app, 'K7QX9ZP2M4RT8WNA', 'lf-2');
      expect(r.text).toContain('系统查询暂时不可用');
      expect(r.outcome?.ticketId).toBeTruthy();
    } finally {
      await app.close();
    }
  });
});
