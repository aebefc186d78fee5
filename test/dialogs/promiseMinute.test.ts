/**
 * A promised time is shown to the minute, so it is rounded up, never down: paid at 13:54:50 with a
 * 15-minute window, the code is due by 14:09:50. At 14:09:47 "14:09之前" would read as a promise
 * already broken; the bot says 14:10.
 */
import { describe, expect, it } from 'vitest';
import { makeApp, order, say } from '../helpers.js';

describe('promised times', () => {
  it('are rounded up to the minute, so one never reads as already past', async () => {
    const app = await makeApp({
      now: '2026-11-23T14:09:47+08:00',
      orders: [order({ orderNo: 'R7QX9ZP2M4RT8WNC', status: 'paid', paidAt: '2026-11-23T13:54:50+08:00' })],
    });
    try {
      const reply = (await say(app, '查下订单 R7QX9ZP2M4RT8WNC')).text;
      expect(reply).toContain('一般今天14:10之前就会好');
      expect(reply).not.toContain('14:09之前');
    } finally {
      await app.close();
    }
  });
});
