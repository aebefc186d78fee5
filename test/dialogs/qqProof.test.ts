import { describe, expect, it } from 'vitest';
import { demoOrders } from '../../src/orders/demo/seedOrders.js';
import { NOW, makeApp, order, say } from '../helpers.js';

// The demo shop's guest order paid by a QQ buyer with a query password (the demo's is 8888), codes delivered.
const seeded = demoOrders(new Date(NOW));
const qqOrder = seeded.find((o) => o.buyer?.contact === '2290417735' && o.buyer.hasQueryPassword)!;
const otherOrder = seeded.find((o) => o.orderNo !== qqOrder.orderNo && o.delivery?.kind === 'card_codes' && (o.delivery.items?.length ?? 0) > 0)!;
const codes = qqOrder.delivery?.kind === 'card_codes' ? (qqOrder.delivery.items ?? []).map((i) => i.plaintext ?? '') : [];
const shows = (text: string) => codes.some((c) => c && text.includes(c));

async function askedToProve(conv: string) {
  const app = await makeApp();
  const ask = await say(app, `查看卡密 ${qqOrder.orderNo}`, conv);
  expect(ask.text).toContain('核对身份');
  expect(ask.text).toContain('密码');
  return app;
}

describe('proving ownership with a bare QQ number and the query password', () => {
  it('the demo order is the one the tester used: QQ buyer, query password, codes delivered', () => {
    expect(qqOrder.orderNo).toMatch(/^\d{18}$/);
    expect(codes.length).toBeGreaterThan(0);
    expect(codes.every((c) => c.length > 0)).toBe(true);
  });

  it('takes "2290417735 密码8888" as the contact and password, not as order number 2290417735', async () => {
    const app = await askedToProve('qq-pw');
    const ok = await say(app, '2290417735 密码8888', 'qq-pw');
    expect(ok.text).not.toContain('没有查到订单号');
    expect(ok.outcome?.lookup).toBeUndefined(); // no order lookup spent on it
    expect(shows(ok.text)).toBe(true);
    for (const [conv, typed] of [
      ['qq-pw-2', '2290417735，密码是8888'],
      ['qq-pw-3', '密码8888 2290417735'],
      ['qq-pw-4', '2290 4177 35 查询密码:8888'],
    ] as const) {
      const app2 = await askedToProve(conv);
      expect(shows((await say(app2, typed, conv)).text), typed).toBe(true);
    }
  });

  it('a bare QQ number alone is the contact: the bot asks for the password, then the pair reveals', async () => {
    const app = await askedToProve('qq-alone');
    const noPw = await say(app, '2290417735', 'qq-alone');
    expect(noPw.outcome?.lookup).toBeUndefined();
    expect(noPw.text).toContain('查询密码');
    expect(shows(noPw.text)).toBe(false);
    const ok = await say(app, '2290417735 密码8888', 'qq-alone');
    expect(shows(ok.text)).toBe(true);
  });

  it('"QQ 2290417735 密码8888" still works', async () => {
    const app = await askedToProve('qq-labelled');
    expect(shows((await say(app, 'QQ 2290417735 密码8888', 'qq-labelled')).text)).toBe(true);
  });

  it('a wrong password with the bare QQ is a failed attempt and shows no code', async () => {
    const app = await askedToProve('qq-wrong');
    const wrong = await say(app, '2290417735 密码1234', 'qq-wrong');
    expect(wrong.text).not.toContain('没有查到订单号');
    expect(wrong.text).toContain('信息没对上');
    expect(wrong.text).toContain('再试 4 次');
    expect(shows(wrong.text)).toBe(false);
    const again = await say(app, '2290417735 密码0000', 'qq-wrong');
    expect(again.text).toContain('再试 3 次');
    expect(shows(again.text)).toBe(false);
  });

  it('any QQ-shaped contact, not one string: another QQ buyer with a password', async () => {
    const other = order({
      orderNo: 'K8PL3MZ7Q2XV9TRQ',
      status: 'delivered',
      paidAt: '2026-11-23T13:04:00+08:00',
      queryPassword: 'abc123',
      buyer: { contact: '1837465290', contactType: 'qq', hasQueryPassword: true },
      delivery: { kind: 'card_codes', items: [{ masked: 'QB10****7Z3K', plaintext: 'QB10-8842-5519-7Z3K' }], expected: 1, deliveredAt: '2026-11-23T13:05:00+08:00' },
    });
    const app = await makeApp({ orders: [other] });
    await say(app, '卡密发我 K8PL3MZ7Q2XV9TRQ');
    const ok = await say(app, '1837465290 密码abc123');
    expect(ok.outcome?.lookup).toBeUndefined();
    expect(ok.text).toContain('QB10-8842-5519-7Z3K');
  });

  it('a phone number with the password still works', async () => {
    const phoneOrder = order({
      orderNo: 'K8PL3MZ7Q2XV9TRP',
      status: 'delivered',
      paidAt: '2026-11-23T13:04:00+08:00',
      queryPassword: '8888',
      buyer: { contact: '13812345678', hasQueryPassword: true },
      delivery: { kind: 'card_codes', items: [{ masked: 'QB10****7Z3K', plaintext: 'QB10-8842-5519-7Z3K' }], expected: 1, deliveredAt: '2026-11-23T13:05:00+08:00' },
    });
    const app = await makeApp({ orders: [phoneOrder] });
    await say(app, '卡密发我 K8PL3MZ7Q2XV9TRP');
    expect((await say(app, '13812345678 密码8888')).text).toContain('QB10-8842-5519-7Z3K');
  });

  it('a real order number sent at that prompt still looks that order up', async () => {
    const app = await askedToProve('switch');
    const other = await say(app, otherOrder.orderNo, 'switch');
    expect(other.outcome?.lookup).toMatchObject({ found: true });
    expect(other.text).toContain(otherOrder.orderNo);
    expect(shows(other.text)).toBe(false);
    // An 18-digit shop order number with the password after it is that order too, not a contact.
    const app2 = await askedToProve('switch-2');
    const same = await say(app2, `${qqOrder.orderNo} 密码8888`, 'switch-2');
    expect(same.outcome?.lookup).toMatchObject({ found: true });
    expect(same.text).toContain(qqOrder.orderNo);
    expect(shows(same.text)).toBe(false);
  });
});
