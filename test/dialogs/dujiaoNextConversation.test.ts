/**
 * A buyer of a Dujiao-Next shop: the shop shows an order only for its checkout email and order
 * password, so the bot asks for both first, then answers the right cause for each mapped status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { type FakeDujiaoNext, fixtures, NO, PARENT_EMAIL, PARENT_NO, PARENT_PASSWORD, startFakeDujiaoNext } from '../fakes/dujiaoNext.js';
import { makeApp, say } from '../helpers.js';

const NOW = '2026-03-01T12:01:30+08:00';

describe('Dujiao-Next conversations (API fake)', () => {
  let fake: FakeDujiaoNext;
  let app: App;
  const data = fixtures();

  beforeAll(async () => {
    fake = await startFakeDujiaoNext(data);
    app = await makeApp({ now: NOW, env: { ORDER_ADAPTER: 'dujiao-next', SHOP_API_BASE: fake.url, SHOP_API_TIMEOUT_MS: '1000' } });
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });

  const proofFor = (no: string) => `${data.get(no)!.email} 密码${data.get(no)!.password}`;
  const PARENT_PROOF = `${PARENT_EMAIL} 密码${PARENT_PASSWORD}`;

  it.each([
    [NO.pending, 'not_paid'],
    [NO.expired, 'expired_or_canceled'],
    [NO.canceled, 'expired_or_canceled'],
    [NO.paid, 'sync_delay'],
    [NO.paidUpstreamOverdue, 'upstream_pending'],
    [NO.fulfillingUpstream, 'upstream_pending'],
    [NO.delivered, 'delivered'],
    [NO.completed, 'delivered'],
    [NO.refunded, 'refunded'],
    [NO.unknown, 'manual_review'],
    [NO.paidUpstreamYoung, 'upstream_pending'],
    [NO.fulfillingManual, 'sync_delay'],
    [NO.fulfilled, 'delivered'],
    [NO.shipped, 'logistics_pending'],
    [NO.partiallyRefunded, 'refunded'],
    [NO.topupDelivered, 'delivered'],
    [PARENT_NO, 'upstream_pending'],
  ])('%s: asks for email and order password first, then answers %s', async (no, cause) => {
    const conv = `dn-${no}`;
    const first = await say(app, `订单 ${no} 怎么样了`, conv);
    expect(first.text).toMatch(/邮箱和订单密码/);
    expect(first.outcome?.cause).toBeUndefined();
    expect(first.text).not.toMatch(/没有找到|不存在/);
    const second = await say(app, no === PARENT_NO ? PARENT_PROOF : proofFor(no), conv);
    expect(second.outcome?.cause).toBe(cause);
    expect(second.text).toContain(no);
    expect(second.text).not.toMatch(/STM-\d{4}-\d{4}-\d{4}|@example\.com|pw-\d+-secret/);
  });

  it('a wrong password is a failed check (counted), never an answer', async () => {
    // A bot that has not seen these orders proved yet (the adapter keeps proved orders for a while).
    await app.close();
    app = await makeApp({ now: NOW, env: { ORDER_ADAPTER: 'dujiao-next', SHOP_API_BASE: fake.url, SHOP_API_TIMEOUT_MS: '1000' } });
    const conv = 'dn-wrong';
    await say(app, PARENT_NO, conv);
    const r = await say(app, `${PARENT_EMAIL} 密码wrong-one`, conv);
    expect(r.outcome?.cause).toBeUndefined();
    expect(r.text).toMatch(/没对上|还可以再试/);
    const ok = await say(app, `${PARENT_EMAIL} 密码${PARENT_PASSWORD}`, conv);
    expect(ok.outcome?.cause).toBe('upstream_pending');
    // Proved once: the codes are shown on request without asking again.
    const codes = await say(app, '查看卡密', conv);
    expect(codes.text).toContain('STM-AAAA-BBBB-CCCC');
  });

  it('the API down: 系统查询暂时不可用 and a ticket, not "not found"', async () => {
    fake.fault = 'html_500';
    try {
      const conv = 'dn-down';
      await say(app, NO.fulfilled, conv);
      const r = await say(app, proofFor(NO.fulfilled), conv);
      expect(r.text).toMatch(/系统查询暂时不可用/);
      expect(r.outcome?.ticketId).toBeTruthy();
    } finally {
      fake.fault = null;
    }
  });
});
