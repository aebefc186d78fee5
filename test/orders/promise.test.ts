import { describe, expect, it } from 'vitest';
import { type UnifiedOrderInput, UnifiedOrder } from '../../src/orders/model.js';
import { deliveryPromise, refundOf, reviewStatement, statedSpan } from '../../src/orders/promise.js';

const o = (x: Partial<UnifiedOrderInput>) => UnifiedOrder.parse({ orderNo: 'X1', status: 'paid', createdAt: '2026-12-02T02:00:00+08:00', ...x });

describe("what an order promises, in the shop's words", () => {
  it('reads spans as shops write them', () => {
    expect(statedSpan('慢充，72小时内到账')).toMatchObject({ minutes: 72 * 60 });
    expect(statedSpan('24h内发货')).toMatchObject({ minutes: 24 * 60 });
    expect(statedSpan('半小时内')).toMatchObject({ minutes: 30 });
    expect(statedSpan('两小时内到账')).toMatchObject({ minutes: 120 });
    expect(statedSpan('1–3 个工作日原路退回')).toMatchObject({ businessDays: 3 });
    expect(statedSpan('3-5天内发货')).toMatchObject({ minutes: 5 * 24 * 60 });
    expect(statedSpan('随时')).toBeUndefined();
  });

  it('takes the delivery promise from the model, the title or the notice, never from review or refund sentences', () => {
    expect(deliveryPromise(o({ promisedWithinMin: 90 }))?.minutes).toBe(90);
    expect(deliveryPromise(o({ title: '中国移动 话费 200元（慢充，72小时内到账）' }))).toMatchObject({ minutes: 4320, text: '72小时内到账' });
    expect(deliveryPromise(o({ title: 'Q币', shopNotice: '慢充商品 72 小时内到账，期间请勿重复充值。' }))?.minutes).toBe(4320);
    expect(deliveryPromise(o({ title: 'Q币', shopNotice: '审核时间 9:00–23:00，一般 30 分钟内完成。' }))).toBeUndefined();
    expect(deliveryPromise(o({ title: 'Q币', shopNotice: '退款处理中，1–3 个工作日原路退回' }))).toBeUndefined();
    expect(deliveryPromise(o({ title: '腾讯Q币100元' }))).toBeUndefined();
  });

  it('reads review hours and duration from the notice', () => {
    expect(reviewStatement(o({ shopNotice: '单笔满 500 元的订单需人工审核，审核时间 9:00–23:00，一般 30 分钟内完成。' }))).toEqual({ hours: { from: 540, to: 1380 }, minutes: 30 });
    expect(reviewStatement(o({}))).toEqual({ hours: undefined, minutes: undefined });
  });

  it('knows where a refund stands', () => {
    const done = o({ status: 'refunded', timeline: [{ at: '2026-11-28T19:02:00+08:00', type: 'refunded', source: 'payment', text: '全额退款 ¥49.50 已原路退回微信零钱' }] });
    expect(refundOf(done)).toMatchObject({ state: 'refunded', at: '2026-11-28T19:02:00+08:00', amount: '49.50', channel: '微信零钱' });
    const doing = o({ status: 'failed', timeline: [{ at: '2026-12-01T16:37:44+08:00', type: 'note', source: 'operator', text: '退款处理中，1–3 个工作日原路退回' }] });
    expect(refundOf(doing)).toMatchObject({ state: 'processing', window: { businessDays: 3 } });
    expect(refundOf(o({ status: 'failed', timeline: [{ at: '2026-12-01T11:05:00+08:00', type: 'failed', source: 'operator', text: '无法开通，将为您办理退款' }] }))?.state).toBe(
      'processing',
    );
    expect(
      refundOf(
        o({
          status: 'on_hold',
          holdReasons: ['upstream_failed'],
          timeline: [{ at: '2026-12-01T11:05:00+08:00', type: 'hold', source: 'adapter', text: '供货商充值失败，待退款或重新提交' }],
        }),
      ),
    ).toBeUndefined();
  });
});
