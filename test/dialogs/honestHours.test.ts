/**
 * Every sentence true at every hour: the demo shop's 48 orders asked about at 03:00, 09:00, 15:00
 * and 23:30 shop time (the server in another zone), each followed by "转人工". No promised time
 * falls outside the hours of the people who keep it, no deadline given as still to come is already
 * past (and no "本应在" one is still to come), and no stated status contradicts the order.
 */
import { describe, expect, it } from 'vitest';
import { isOpen, parseHours } from '../../src/calendar.js';
import { demoOrders } from '../../src/orders/demo/seedOrders.js';
import type { UnifiedOrder } from '../../src/orders/model.js';
import { reviewStatement } from '../../src/orders/promise.js';
import { fromLocal, localFields } from '../../src/time.js';
import { makeApp, say } from '../helpers.js';

const TZ = 'Asia/Shanghai';
const AGENT_HOURS = parseHours('09:00-22:00')!;
const BASE = { y: 2026, m: 12, d: 2 }; // a Wednesday

/** "今天13:00", "明天09:30", "12月4日 10:00" in a reply → instants (relative to `now`, shop time). */
function times(text: string, now: Date, before: RegExp): Date[] {
  const out: Date[] = [];
  const re = new RegExp(`(今天|明天|昨天|(\\d{1,2})月(\\d{1,2})日 ?)(\\d{2}):(\\d{2})\\s*(?:${before.source})`, 'g');
  const n = localFields(now, TZ);
  for (const m of text.matchAll(re)) {
    const day = m[1] === '今天' ? n.day : m[1] === '明天' ? n.day + 1 : m[1] === '昨天' ? n.day - 1 : Number(m[3]);
    const month = m[2] ? Number(m[2]) : n.month;
    out.push(fromLocal(TZ, n.year, month, day, Number(m[4]), Number(m[5])));
  }
  return out;
}
const hm = (d: Date) => {
  const f = localFields(d, TZ);
  return `${f.month}/${f.day} ${String(f.hour).padStart(2, '0')}:${String(f.minute).padStart(2, '0')}`;
};

describe.each([
  ['03:00', 3, 0],
  ['09:00', 9, 0],
  ['15:00', 15, 0],
  ['23:30', 23, 30],
])('the demo shop asked at %s shop time', (_label, hour, minute) => {
  it('keeps every promise inside working hours and says nothing the order contradicts', async () => {
    const now = fromLocal(TZ, BASE.y, BASE.m, BASE.d, hour, minute);
    const orders = demoOrders(now).map((o) => ({ ...o })) as never[];
    const app = await makeApp({ now: now.toISOString(), orders });
    const problems: string[] = [];
    let asked = 0;
    let promises = 0;
    try {
      for (const no of await app.shop.demo!.allOrderNos()) {
        const order = (await app.orders.findByOrderNo(no)) as UnifiedOrder;
        const conv = `night-${no}`;
        const first = await say(app, `查一下 ${no}`, conv, { buyer: order.buyer.userId ? { id: order.buyer.userId } : undefined });
        const second = await say(app, '转人工', conv, { buyer: order.buyer.userId ? { id: order.buyer.userId } : undefined });
        const text = `${first.text}\n${second.text}`;
        asked++;
        promises += times(text, now, /前(?:回复|处理)|之前/).length;
        const where = `${no} (${order.status}${order.holdReasons.length ? `/${order.holdReasons.join(',')}` : ''}) at ${hm(now)}`;

        // People keep ticket promises: inside agent hours.
        for (const t of times(text, now, /前(?:回复|处理)/))
          if (!isOpen(new Date(t.getTime() - 60_000), AGENT_HOURS, TZ)) problems.push(`${where}: ticket promised for ${hm(t)}, outside agent hours`);
        // Reviewers keep review promises: inside review hours (the order's own, else the agents').
        const reviewHours = reviewStatement(order).hours ?? AGENT_HOURS;
        for (const t of times(text, now, /之前会有结果/))
          if (!isOpen(new Date(t.getTime() - 60_000), reviewHours, TZ)) problems.push(`${where}: review result promised for ${hm(t)}, outside review hours`);
        // A deadline still to come is in the future; one that "should have been" is in the past.
        for (const t of times(text, now, /之前(?:到账|就会好|能好|能恢复|会有结果|会有记录)|前(?:回复|处理)/))
          if (t.getTime() < now.getTime()) problems.push(`${where}: promises ${hm(t)}, already past`);
        for (const t of times(text, now, /之前完成/)) if (/本应在/.test(text) && t.getTime() > now.getTime()) problems.push(`${where}: "本应在" ${hm(t)} is still to come`);
        // Statuses as the order has them.
        const topup = order.delivery?.kind === 'topup_receipt' ? order.delivery : undefined;
        if (/已到账 [\d.]+ 元/.test(text) && !(topup && Number(topup.chargedAmount ?? 0) > 0)) problems.push(`${where}: says money arrived (已到账), the top-up charged nothing`);
        if (text.includes('✔ 已支付') && (order.holdReasons.includes('payment_mismatch') || order.status === 'awaiting_payment'))
          problems.push(`${where}: ✔ 已支付 but the payment is not confirmed`);
        if (/✔ (已完成|已到账|已签收)/.test(text) && ['failed', 'on_hold', 'paid', 'processing', 'awaiting_payment'].includes(order.status))
          problems.push(`${where}: shows a completed step, the order is ${order.status}`);
        if (/(已退款|部分退款)/.test(text) && !['refunded', 'partially_refunded'].includes(order.status))
          problems.push(`${where}: speaks of a refund made, the order is ${order.status}`);
        if (order.status === 'refunded' && /最晚约/.test(text)) problems.push(`${where}: a refund deadline in the "最晚约" form`);
        if (/单号生成（卡在这一步/.test(text)) problems.push(`${where}: stuck at 单号生成`);
      }
    } finally {
      await app.close();
    }
    expect(asked).toBeGreaterThanOrEqual(40);
    expect(promises).toBeGreaterThan(20); // the checks above had something to check
    expect(problems).toEqual([]);
  }, 60_000);
});
