import { describe, expect, it } from 'vitest';
import { understand } from '../../src/understanding/index.js';
import { classifyToken, extractIdentifiers } from '../../src/understanding/identifiers.js';
import { extractPaymentTime, mayHoldTime } from '../../src/understanding/time.js';
import { normalizeText } from '../../src/understanding/normalize.js';
import { detectProductType } from '../../src/understanding/productType.js';

const now = new Date('2026-11-23T15:00:00+08:00');
const tz = 'Asia/Shanghai';
const u = (t: string) => understand(t, { now, timeZone: tz });

describe('normalisation and identifiers', () => {
  it('turns full-width characters, zero-width spaces and soft hyphens into a clean number', () => {
    expect(normalizeText('Ｋ７ＱＸ９ＺＰ２Ｍ４ＲＴ８ＷＮＡ')).toBe('K7QX9ZP2M4RT8WNA');
    expect(u('订单K7QX\u200b9ZP2\u200dM4RT\ufeff8WNA').orderNo).toBe('K7QX9ZP2M4RT8WNA');
    expect(u('单号 k7qx-9zp2-m4rt-8wna 🙏🙏').orderNo).toBe('K7QX9ZP2M4RT8WNA');
    expect(u('K7QX🙏9ZP2M4RT8WNA👍🏻').orderNo).toBe('K7QX9ZP2M4RT8WNA');
    expect(u('4826 1123 1010 5577 31').orderNo).toBe('482611231010557731');
    expect(u('ＤＪ２０２６１１２３１２００５５ＱＷＥＲ').orderNo).toBe('DJ20261123120055QWER');
  });

  it('classifies shop order numbers by system', () => {
    expect(classifyToken('K7QX9ZP2M4RT8WNA')?.format).toBe('dujiaoka');
    expect(classifyToken('482611231430221957')?.format).toBe('acg-faka');
    expect(classifyToken('DJ20261123120055QWER')?.format).toBe('dujiao-next');
    expect(classifyToken('20261123120055AB1C2')?.format).toBe('card-system');
    expect(classifyToken('ZLKB2026112312005512345')?.format).toBe('zfaka');
    expect(classifyToken('KM2026112300012')?.kind).toBe('order_no');
  });

  it('tells payment transaction numbers and courier numbers from order numbers', () => {
    expect(classifyToken('4200001234202611231234567890')?.kind).toBe('wechat_pay_txn');
    expect(classifyToken('2026112322001412341234567890')?.kind).toBe('alipay_txn');
    expect(classifyToken('SF1234567890123')?.format).toBe('shunfeng');
    expect(classifyToken('YT7512345678901')?.format).toBe('yuantong');
    expect(classifyToken('JDVA12345678901')?.format).toBe('jd');
    expect(classifyToken('JT1234567890123')?.format).toBe('jtexpress');
    expect(extractIdentifiers('快递单号 75123456789012')[0]?.kind).toBe('courier_no');
  });

  it('does not read phone numbers, short numbers or card-free text as orders', () => {
    expect(u('我的手机13812345678').orderNo).toBeUndefined();
    expect(u('我的手机13812345678').contact).toEqual({ value: '13812345678', kind: 'phone' });
    expect(u('买了100元Q币').orderNo).toBeUndefined();
    expect(u("' OR 1=1; DROP TABLE orders; --").identifiers).toEqual([]);
    expect(u('邮箱 Buyer.One@Example.com').contact).toEqual({ value: 'buyer.one@example.com', kind: 'email' });
    expect(u('QQ 10086123').contact?.kind).toBe('qq');
  });
});

describe('payment time in the shop zone (server TZ is Los Angeles in tests)', () => {
  const iso = (t: string) => extractPaymentTime(t, now, tz)?.at.toISOString();
  it.each([
    ['昨晚八点付的款', '2026-11-22T12:00:00.000Z'],
    ['昨晚八点左右', '2026-11-22T12:00:00.000Z'],
    ['十分钟前', '2026-11-23T06:50:00.000Z'],
    ['半小时前付的', '2026-11-23T06:30:00.000Z'],
    ['一个半小时前', '2026-11-23T05:30:00.000Z'],
    ['两个小时前买的', '2026-11-23T05:00:00.000Z'],
    ['11月20号晚上9点半', '2026-11-20T13:30:00.000Z'],
    ['今天下午3点', '2026-11-23T07:00:00.000Z'],
    ['今天中午12点半', '2026-11-23T04:30:00.000Z'],
    ['前天晚上10点', '2026-11-21T14:00:00.000Z'],
    ['昨天下午四点二十', '2026-11-22T08:20:00.000Z'],
    ['2026-11-20 21:30', '2026-11-20T13:30:00.000Z'],
    ['11-20 21:30', '2026-11-20T13:30:00.000Z'],
    ['晚上8点', '2026-11-22T12:00:00.000Z'], // 20:00 today is still ahead: yesterday evening
    ['上午10点15分', '2026-11-23T02:15:00.000Z'],
    ['三天前', '2026-11-19T16:00:00.000Z'],
    ['20号', '2026-11-19T16:00:00.000Z'],
  ])('%s', (text, expected) => {
    expect(iso(text)).toBe(expected);
  });

  it('gives vague times a tolerance window', () => {
    const exact = extractPaymentTime('上午10点15分', now, tz)!;
    expect(exact.to.getTime() - exact.from.getTime()).toBe(20 * 60_000);
    const vague = extractPaymentTime('昨晚八点左右', now, tz)!;
    expect(vague.to.getTime() - vague.from.getTime()).toBe(90 * 60_000);
    const more = extractPaymentTime('下午两点多', now, tz)!;
    expect(more.from.toISOString()).toBe('2026-11-23T06:00:00.000Z');
    expect(more.to.toISOString()).toBe('2026-11-23T07:00:00.000Z');
    const evening = extractPaymentTime('昨天晚上', now, tz)!;
    expect(evening.from.toISOString()).toBe('2026-11-22T10:00:00.000Z');
    expect(evening.precision).toBe('part_of_day');
  });

  it('never returns a payment time in the future and skips "现在"', () => {
    const r = extractPaymentTime('11月20号晚上9点半', now, tz)!;
    expect(r.at.getTime()).toBeLessThan(now.getTime());
    expect(extractPaymentTime('到现在还没到', now, tz)).toBeUndefined();
  });

  it('a time the buyer asks about is not the payment time ("今天发货么", "明天能到账吗")', () => {
    for (const t of ['[数字x]这个订单今天发货么?', '今天能到账吗', '明天能发吗', '几点给我处理', '20号发货的']) expect(extractPaymentTime(t, now, tz), t).toBeUndefined();
    // ...while the time they paid, near such words, still is.
    expect(extractPaymentTime('今天发货么 昨天付的', now, tz)?.text).toBe('昨天');
    expect(extractPaymentTime('昨天下午付的 今天能到吗', now, tz)?.text).toBe('昨天下午');
    expect(extractPaymentTime('昨天8点充的话费还没到', now, tz)?.text).toBe('昨天8点');
    expect(extractPaymentTime('20号买的', now, tz)?.text).toBe('20号');
  });

  it('gates the recognizer on text that can hold a time', () => {
    expect(mayHoldTime('付款了怎么查不到单号')).toBe(false);
    expect(mayHoldTime('昨晚八点')).toBe(true);
  });
});

describe('product type and intent', () => {
  it.each([
    ['Q币没到', 'game_card'],
    ['魔兽点卡', 'game_card'],
    ['网易一卡通', 'game_card'],
    ['Steam充值卡', 'game_card'],
    ['话费没到账', 'phone_topup'],
    ['流量包', 'phone_topup'],
    ['激活码', 'software_license'],
    ['Windows密钥', 'software_license'],
    ['序列号', 'software_license'],
    ['实体卡寄过来了吗', 'physical_card'],
    ['快递到哪了', 'physical_card'],
    ['我买的Q币卡 快递单号是多少', 'game_card'],
  ])('%s → %s', (text, type) => expect(detectProductType(normalizeText(text))).toBe(type));

  it.each([
    ['付款了怎么查不到单号', 'order_status'],
    ['话费充了快五个小时了还没到', 'order_status'],
    ['我的卡密在哪里看', 'card_code'],
    ['钱扣了订单显示未支付', 'payment_issue'],
    ['扣了两次款', 'payment_issue'],
    ['我要退款', 'refund'],
    ['转人工', 'human_agent'],
    ['我要投诉你们', 'complaint'],
    ['K7QX9ZP2M4RT8WNA', 'provide_info'],
    ['昨晚八点付的', 'provide_info'],
    ['你好', 'greeting'],
    ['谢谢', 'thanks'],
    ['再见', 'goodbye'],
    ['卡密和订单号有什么区别', 'faq'],
    ['怎么辨别卡盟是不是骗子', 'faq'],
    ['今天天气怎么样', 'unknown'],
    ['', 'unknown'],
    ['😀😀😀', 'unknown'],
    ['？？？！！！', 'unknown'],
  ])('%s → %s', (text, intent) => expect(u(text).intent).toBe(intent));
});

describe('shop-local time helpers', async () => {
  const { localFields, fromLocal, toShopIso } = await import('../../src/time.js');
  it('agree with Intl across zones, including DST transitions', () => {
    for (const tz of ['Asia/Shanghai', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata']) {
      const fmt = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
      for (let t = Date.parse('2026-03-07T00:00:00Z'); t < Date.parse('2026-03-30T00:00:00Z'); t += 37 * 60_000) {
        const f = localFields(new Date(t), tz);
        const p = Object.fromEntries(fmt.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
        expect([f.year, f.month, f.day, f.hour % 24, f.minute]).toEqual([Number(p.year), Number(p.month), Number(p.day), Number(p.hour) % 24, Number(p.minute)]);
      }
    }
    expect(toShopIso(fromLocal('Asia/Shanghai', 2026, 11, 22, 20), 'Asia/Shanghai')).toBe('2026-11-22T20:00:00+08:00');
    expect(toShopIso(fromLocal('America/New_York', 2026, 7, 1, 9, 30), 'America/New_York')).toBe('2026-07-01T09:30:00-04:00');
  });
});
