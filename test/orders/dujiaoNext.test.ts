import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { diagnoseOrder } from '../../src/diagnosis/index.js';
import { CALLBACK_SIGNED_PATH, callbackSignature, type MapOptions, mapOrder, openDujiaoNext, verifyCallback } from '../../src/orders/dujiaoNext/index.js';
import type { DnOrder } from '../../src/orders/dujiaoNext/wire.js';
import { ProofRequiredError, ShopUnavailableError } from '../../src/orders/errors.js';
import { type OrderChange, OrderEventHub } from '../../src/orders/events.js';
import { HOLD_REASONS, type HoldReason, type OrderStatus, UnifiedOrder } from '../../src/orders/model.js';
import { fixedClock } from '../../src/time.js';
import {
  CALLBACK_FIXTURE,
  type Fault,
  type FakeDujiaoNext,
  fixtures,
  NO,
  PARENT_EMAIL,
  PARENT_FIXTURE_JSON,
  PARENT_NO,
  PARENT_PASSWORD,
  postSignedCallback,
  signCallback,
  startFakeDujiaoNext,
  TRUNCATED_FULL,
} from '../fakes/dujiaoNext.js';

/** 30 s after the signed fixture's timestamp (1772337660 = 2026-03-01T04:01:00Z). */
const NOW = '2026-03-01T12:01:30+08:00';
const CALLBACK_TS = Number(CALLBACK_FIXTURE.timestamp);

let fake: FakeDujiaoNext;
beforeAll(async () => {
  fake = await startFakeDujiaoNext();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.fault = null;
  fake.requests.length = 0;
});

function config(env: Record<string, string> = {}) {
  const c = loadConfig({
    ORDER_ADAPTER: 'dujiao-next',
    SHOP_API_BASE: fake?.url ?? 'http://127.0.0.1:9',
    DATABASE_FILE: ':memory:',
    LOG_LEVEL: 'silent',
    SHOP_API_TIMEOUT_MS: '250',
    SHOP_PRODUCT_TYPES: 'title:Steam=game_card,title:礼品卡=game_card',
    DUJIAO_NEXT_API_KEY: CALLBACK_FIXTURE.key,
    DUJIAO_NEXT_API_SECRET: CALLBACK_FIXTURE.secret,
    ...env,
  });
  if (c.shop.adapter !== 'dujiao-next') throw new Error('expected the dujiao-next settings');
  return { config: c, settings: c.shop.dujiaoNext };
}

async function open(opts: { now?: string | { now(): Date }; env?: Record<string, string>; logs?: string[] } = {}) {
  const { config: c, settings } = config(opts.env);
  const events = new OrderEventHub();
  const changes: OrderChange[] = [];
  events.on((ch) => {
    changes.push(ch);
  });
  const logs = opts.logs;
  const logger = logs ? pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) }) : pino({ level: 'silent' });
  const clock = typeof opts.now === 'object' ? opts.now : fixedClock(opts.now ?? NOW);
  const adapter = await openDujiaoNext({ config: c, clock, signingClock: clock, logger, store: {} as never, events }, settings);
  return { adapter, service: adapter.service, changes, config: c };
}

const proofOf = (no: string) => {
  const f = fixtures().get(no)!;
  return { email: f.email, queryPassword: f.password };
};

async function verified(no: string, svc: Awaited<ReturnType<typeof open>>['service']) {
  expect(await svc.verifyOwnership(no, proofOf(no))).toBe(true);
  const o = await svc.findByOrderNo(no);
  expect(o).not.toBeNull();
  return o!;
}

describe('Dujiao-Next status mapping (through the fake)', () => {
  const cases: Array<[keyof typeof NO, OrderStatus, HoldReason[]]> = [
    ['parent', 'partially_delivered', []],
    ['pending', 'awaiting_payment', []],
    ['expired', 'expired', []],
    ['canceled', 'canceled', []],
    ['paid', 'paid', []],
    ['paidUpstreamOverdue', 'on_hold', ['upstream_pending']],
    ['paidUpstreamYoung', 'paid', []],
    ['fulfillingUpstream', 'processing', ['upstream_pending']],
    ['fulfillingManual', 'processing', []],
    ['delivered', 'delivered', []],
    ['fulfilled', 'delivered', []],
    ['shipped', 'shipped', []],
    ['completed', 'completed', []],
    ['partiallyRefunded', 'partially_refunded', []],
    ['refunded', 'refunded', []],
    ['unknown', 'on_hold', ['manual_review']],
    ['truncated', 'delivered', []],
    ['topupDelivered', 'delivered', []],
  ];

  it.each(cases)('%s → %s %j', async (name, status, holds) => {
    const { service } = await open();
    const o = await verified(NO[name], service);
    expect(o.status).toBe(status);
    expect(o.holdReasons).toEqual(holds);
    expect(() => UnifiedOrder.parse(o)).not.toThrow();
    expect(o.source.system).toBe('dujiao-next');
    expect(o.buyer).toMatchObject({ contactType: 'email', hasQueryPassword: true });
    expect(o.verification).toEqual(['order_no', 'email', 'query_password']);
  });

  it('reads times, amount, title and product type', async () => {
    const { service } = await open();
    const paid = await verified(NO.paid, service);
    expect(paid).toMatchObject({ paidAt: '2026-03-01T12:00:10+08:00', paidAtPrecision: 'exact', createdAt: '2026-03-01T11:59:50+08:00', amount: '49.00', currency: 'CNY' });
    expect(paid.title).toBe('Steam 钱包码 50元');
    expect(paid.productType).toBe('game_card');
    expect(paid.expiresAt).toBeDefined();
    const pending = await verified(NO.pending, service);
    expect(pending.expiresAt).toBe('2026-03-01T12:10:00+08:00');
    expect(pending.paidAt).toBeUndefined();
    const expired = await verified(NO.expired, service);
    expect(expired.timeline.map((e) => e.type)).toEqual(['created', 'expired']);
    const canceled = await verified(NO.canceled, service);
    expect(canceled.timeline.map((e) => e.type)).toEqual(['created', 'canceled']);
    expect((await verified(NO.fulfillingManual, service)).productType).toBe('software_license');
    expect((await verified(NO.fulfillingManual, service)).fulfillmentMode).toBe('manual');
  });

  it('shipped: the configured delivery_data keys give the courier number, the carrier and the phone tail', async () => {
    const { service } = await open();
    const o = await verified(NO.shipped, service);
    expect(o.productType).toBe('physical_card');
    expect(o.delivery).toMatchObject({
      kind: 'tracking_number',
      trackingNo: 'SF1234567890123',
      carrierCode: 'shunfeng',
      carrierName: '顺丰速运',
      phoneTail: '7011',
      signed: false,
      shippedAt: '2026-03-01T11:30:00+08:00',
    });
    expect(o.timeline.map((e) => e.type)).toContain('shipped');
    // Other keys configured: no number found, so it is a plain delivery.
    const other = await open({ env: { DUJIAO_NEXT_TRACKING_KEYS: 'waybill' } });
    const plain = await verified(NO.shipped, other.service);
    expect(plain.status).toBe('delivered');
    expect(plain.delivery?.kind).toBe('card_codes');
  });

  it('top-ups: the account from the checkout form, masked, in a topup_receipt', async () => {
    const { service } = await open();
    const o = await verified(NO.topupDelivered, service);
    expect(o.productType).toBe('phone_topup');
    expect(o.fulfillmentMode).toBe('upstream');
    expect(o.delivery).toEqual({ kind: 'topup_receipt', account: '139****9017' });
    expect(o.timeline.find((e) => e.type === 'delivered')?.at).toBe('2026-03-01T08:12:00+08:00');
    const running = await verified(NO.fulfillingUpstream, service);
    expect(running.delivery).toEqual({ kind: 'topup_receipt', account: '139****9007' });
  });

  it('paid upstream: the supplier SLA comes from policy (POLICY_SUPPLIER_SLA_MIN)', async () => {
    // Paid 09:30:20; at 12:01:30 that is 151 min: past 120 (default for top-ups), within 200.
    const longer = await open({ env: { POLICY_SUPPLIER_SLA_MIN: 'phone_topup=200' } });
    expect((await verified(NO.paidUpstreamOverdue, longer.service)).status).toBe('paid');
    const { service, config: c } = await open();
    const o = await verified(NO.paidUpstreamOverdue, service);
    expect(o.status).toBe('on_hold');
    // Diagnosis reads this as an overdue supplier, to escalate.
    expect(diagnoseOrder(o, { moneyTaken: false, wantsTracking: false }, new Date(NOW), c.policy)).toMatchObject({ cause: 'upstream_pending', step: 'escalate' });
  });
});

describe('mapOrder (pure)', () => {
  const { config: c, settings } = config();
  const opts = (now: string): MapOptions => ({
    now: new Date(now),
    rules: settings.SHOP_PRODUCT_TYPES,
    supplierSlaMin: c.policy.supplierSlaMin,
    trackingKeys: ['tracking_no'],
    carrierKeys: ['carrier'],
  });
  const raw = (no: string) => fixtures().get(no)!.order as DnOrder;

  it('paid with an upstream item: on_hold only once strictly older than the SLA', () => {
    // Paid 09:30:20, phone_topup SLA 120 min.
    expect(mapOrder(raw(NO.paidUpstreamOverdue), opts('2026-03-01T11:30:20+08:00')).status).toBe('paid');
    expect(mapOrder(raw(NO.paidUpstreamOverdue), opts('2026-03-01T11:30:21+08:00')).status).toBe('on_hold');
    // Auto goods never wait for a supplier.
    expect(mapOrder(raw(NO.paid), opts('2026-03-09T00:00:00+08:00')).status).toBe('paid');
  });

  it('canceled is expired only when never paid and canceled at or after expiry', () => {
    const base = raw(NO.expired);
    expect(mapOrder({ ...base, canceled_at: base.expires_at }, opts(NOW)).status).toBe('expired');
    expect(mapOrder({ ...base, canceled_at: '2026-03-01T11:44:59+08:00' }, opts(NOW)).status).toBe('canceled');
    expect(mapOrder({ ...base, canceled_at: null }, opts(NOW)).status).toBe('canceled');
    expect(mapOrder({ ...base, paid_at: '2026-03-01T11:31:00+08:00' }, opts(NOW)).status).toBe('canceled');
  });

  it('reads every status Dujiao-Next has, and holds anything else for review', () => {
    const base = raw(NO.paid);
    const expect_: Record<string, OrderStatus> = {
      pending_payment: 'awaiting_payment',
      paid: 'paid',
      fulfilling: 'processing',
      partially_delivered: 'partially_delivered',
      delivered: 'delivered',
      fulfilled: 'delivered',
      completed: 'completed',
      partially_refunded: 'partially_refunded',
      refunded: 'refunded',
      canceled: 'canceled',
    };
    for (const [s, want] of Object.entries(expect_)) expect(mapOrder({ ...base, status: s }, opts(NOW)).status, s).toBe(want);
    for (const s of ['', 'frozen', 'PAYING']) expect(mapOrder({ ...base, status: s }, opts(NOW)), s).toMatchObject({ status: 'on_hold', holdReasons: ['manual_review'] });
    expect(mapOrder({ ...base, status: 'Delivered ' }, opts(NOW)).status).toBe('delivered');
    for (const o of [mapOrder(base, opts(NOW))]) for (const h of o.holdReasons) expect(HOLD_REASONS).toContain(h);
  });

  it('tolerates Go time formats, number amounts, other locales and string delivery_data', () => {
    const base = raw(NO.delivered);
    const o = mapOrder(
      {
        ...base,
        paid_at: '2026-03-01T03:00:30.123456789Z',
        total_amount: '98.000',
        items: [{ ...base.items![0]!, title: { 'en-US': 'Steam wallet code' } }],
        fulfillment: { ...base.fulfillment!, delivery_data: '{"tracking_no":"YT0000000001","carrier":"yuantong"}' },
      },
      opts(NOW),
    );
    expect(o.paidAt).toBe('2026-03-01T03:00:30.123456789Z');
    expect(o.amount).toBe('98.00');
    expect(o.title).toBe('Steam wallet code');
    expect(o.delivery).toMatchObject({ kind: 'tracking_number', trackingNo: 'YT0000000001', carrierCode: 'yuantong' });
    expect(o.status).toBe('shipped');
    expect(() => mapOrder({ ...base, created_at: null, paid_at: null }, opts(NOW))).toThrow();
  });
});

describe('parent and child orders', () => {
  it('maps the brief fixture: children make the delivery, their numbers the altNos, each its timeline event', async () => {
    const { service, config: c } = await open();
    expect(await service.verifyOwnership(PARENT_NO, { email: PARENT_EMAIL, queryPassword: PARENT_PASSWORD })).toBe(true);
    const o = (await service.findByOrderNo(PARENT_NO))!;
    expect(o).toMatchObject({
      orderNo: PARENT_NO,
      altNos: [`${PARENT_NO}-01`, `${PARENT_NO}-02`],
      status: 'partially_delivered',
      title: 'Steam 钱包码 50元 + 话费代充 10元',
      quantity: 3,
      amount: '109.00',
      createdAt: '2026-03-01T12:00:05+08:00',
      paidAt: '2026-03-01T12:00:58+08:00',
      expiresAt: '2026-03-01T12:15:05+08:00',
      // The part still to come decides the windows: the top-up, through a supplier.
      productType: 'phone_topup',
      fulfillmentMode: 'upstream',
      buyer: { email: 'bu***@example.com', contactType: 'email', hasQueryPassword: true },
    });
    // Codes of the card child only: expected = its quantity (the top-up is not a missing code).
    expect(o.delivery).toEqual({ kind: 'card_codes', items: [{ masked: 'STMA****CCCC' }, { masked: 'STMD****FFFF' }], expected: 2, deliveredAt: '2026-03-01T12:01:00+08:00' });
    const child1 = o.timeline.find((e) => e.text?.includes('-01'));
    const child2 = o.timeline.find((e) => e.text?.includes('-02'));
    expect(child1).toMatchObject({ type: 'delivered', at: '2026-03-01T12:01:00+08:00', source: 'shop' });
    expect(child2).toMatchObject({ type: 'upstream_update', source: 'upstream', at: '2026-03-01T12:00:58+08:00', synthetic: true });
    expect(child2?.text).not.toMatch(/失败/);
    expect(o.timeline.map((e) => e.type)).toEqual(['created', 'paid', 'upstream_update', 'delivered']);
    // Not "out of stock": the rest is a top-up still with its supplier.
    expect(diagnoseOrder(o, { moneyTaken: false, wantsTracking: false }, new Date(NOW), c.policy).cause).toBe('upstream_pending');
  });

  it('a child number finds the parent once the parent is verified', async () => {
    const { service } = await open();
    expect(await service.findByAltNo(`${PARENT_NO}-01`)).toBeNull();
    await expect(service.findByOrderNo(`${PARENT_NO}-01`)).rejects.toBeInstanceOf(ProofRequiredError);
    await service.verifyOwnership(PARENT_NO, { email: PARENT_EMAIL, queryPassword: PARENT_PASSWORD });
    expect((await service.findByAltNo(`${PARENT_NO}-01`))?.orderNo).toBe(PARENT_NO);
    expect((await service.findByAltNo(`${PARENT_NO}-02`))?.orderNo).toBe(PARENT_NO);
    // findByOrderNo leaves a known child to findByAltNo (lookupIdentifier's order).
    expect(await service.findByOrderNo(`${PARENT_NO}-02`)).toBeNull();
    expect(await service.findByAltNo(`${PARENT_NO}-03`)).toBeNull();
    expect(await service.findByAltNo('4200000123202603011234567890')).toBeNull();
    expect(await service.findCandidates({ email: PARENT_EMAIL })).toEqual([]);
  });

  it('verifying with a child number asks the shop again for its parent', async () => {
    const { service } = await open();
    expect(await service.verifyOwnership(`${PARENT_NO}-02`, { email: PARENT_EMAIL, queryPassword: PARENT_PASSWORD })).toBe(true);
    expect(fake.requests.filter((r) => r.route === 'detail').map((r) => r.orderNo)).toEqual([`${PARENT_NO}-02`, PARENT_NO]);
    expect(await service.findByOrderNo(`${PARENT_NO}-02`)).toBeNull();
    expect((await service.findByAltNo(`${PARENT_NO}-02`))?.orderNo).toBe(PARENT_NO);
    expect((await service.findByOrderNo(PARENT_NO))?.status).toBe('partially_delivered');
    expect(await service.verifyOwnership(`${PARENT_NO}-02`, { email: PARENT_EMAIL, queryPassword: 'wrong' })).toBe(false);
  });

  it('reveals the children codes in plaintext with the proof', async () => {
    const { service } = await open();
    const d = await service.revealDelivery(PARENT_NO, { email: PARENT_EMAIL, queryPassword: PARENT_PASSWORD });
    expect(d?.kind).toBe('card_codes');
    expect(d?.kind === 'card_codes' ? d.items.map((i) => i.plaintext) : []).toEqual(['STM-AAAA-BBBB-CCCC', 'STM-DDDD-EEEE-FFFF']);
    expect(fake.count('download')).toBe(0);
  });

  it('the served fixture is the brief JSON verbatim', () => {
    expect(fixtures().get(PARENT_NO)!.order).toEqual(JSON.parse(PARENT_FIXTURE_JSON).data);
  });
});

describe('proof and masking', () => {
  it('asks for the proof before verification (never "not found"), and answers null for a number not of this shop', async () => {
    const { service } = await open();
    const err = await service.findByOrderNo(NO.paid).catch((e) => e);
    expect(err).toBeInstanceOf(ProofRequiredError);
    expect(err).toMatchObject({ orderNo: NO.paid, needs: ['email', 'queryPassword'] });
    await expect(service.findByOrderNo(` ${NO.paid.toLowerCase()} `)).rejects.toMatchObject({ orderNo: NO.paid });
    expect(await service.findByOrderNo('12345')).toBeNull();
    expect(await service.findByOrderNo('DJ2026030112000548291')).toBeNull();
    expect(fake.count()).toBe(0);
  });

  it('a wrong proof is false, a missing field false without asking, staff cannot be honoured', async () => {
    const { service } = await open();
    const right = proofOf(NO.delivered);
    expect(await service.verifyOwnership(NO.delivered, { ...right, queryPassword: 'wrong' })).toBe(false);
    expect(await service.verifyOwnership(NO.delivered, { ...right, email: 'someone@example.com' })).toBe(false);
    expect(await service.verifyOwnership('DJ20260301110000999999', right)).toBe(false);
    expect(fake.count('detail')).toBe(3);
    expect(await service.verifyOwnership(NO.delivered, { email: right.email })).toBe(false);
    expect(await service.verifyOwnership(NO.delivered, { queryPassword: right.queryPassword })).toBe(false);
    expect(await service.verifyOwnership(NO.delivered, { email: right.email, queryPassword: '   ' })).toBe(false);
    expect(await service.verifyOwnership(NO.delivered, { staff: { agentId: 'a1', reason: 'buyer asked' } })).toBe(false);
    expect(await service.revealDelivery(NO.delivered, { staff: { agentId: 'a1', reason: 'buyer asked' } })).toBeNull();
    expect(await service.revealDelivery(NO.delivered, { ...right, queryPassword: 'wrong' })).toBeNull();
    expect(await service.verifyOwnership('not-a-number', right)).toBe(false);
    expect(fake.count('detail')).toBe(4);
    await expect(service.findByOrderNo(NO.delivered)).rejects.toBeInstanceOf(ProofRequiredError);
    expect(await service.refresh(NO.delivered, { ...right, queryPassword: 'wrong' })).toBeNull();
  });

  it('nothing it returns before reveal holds a code, the e-mail, the password or the top-up account', async () => {
    const logs: string[] = [];
    const { service } = await open({ logs });
    const all = fixtures();
    const returned: unknown[] = [];
    for (const [no, f] of all) {
      const proof = { email: f.email, queryPassword: f.password };
      returned.push(await service.verifyOwnership(no, proof), await service.findByOrderNo(no), await service.refresh(no, proof), await service.findByAltNo(`${no}-01`));
    }
    const text = JSON.stringify(returned);
    expect(text).not.toMatch(/plaintext/);
    for (const [, f] of all) {
      expect(text).not.toContain(f.email);
      expect(text).not.toContain(f.password);
      const payloads = [f.order.fulfillment?.payload, ...(f.order.children ?? []).map((c: any) => c.fulfillment?.payload), ...Object.values(f.downloads ?? {})];
      for (const line of payloads.flatMap((p) => (p ?? '').split('\n')).filter((l: string) => l.length > 4)) expect(text).not.toContain(line);
      for (const it of f.order.items) for (const v of Object.values(it.manual_form_submission ?? {}) as string[]) if (/^\d{11}$/.test(v)) expect(text).not.toContain(v);
    }
    // Plaintext only from reveal, after the proof.
    const d = await service.revealDelivery(NO.delivered, proofOf(NO.delivered));
    expect(d?.kind === 'card_codes' && d.items.map((i) => i.plaintext)).toEqual(['STM-1111-2222-3333', 'STM-4444-5555-6666']);
    const topup = await service.revealDelivery(NO.topupDelivered, proofOf(NO.topupDelivered));
    expect(topup).toEqual({ kind: 'topup_receipt', account: '13900139017' });
    // …and the cached order stays masked after a reveal.
    expect(JSON.stringify(await service.findByOrderNo(NO.delivered))).not.toContain('STM-1111');
    // The logs never hold a proof.
    fake.fault = 'html_500';
    await service.verifyOwnership(NO.paid, proofOf(NO.paid)).catch(() => undefined);
    fake.fault = null;
    const logText = logs.join('');
    expect(logs.length).toBeGreaterThan(0);
    for (const [, f] of all) {
      expect(logText).not.toContain(f.password);
      expect(logText).not.toContain(f.email);
    }
    expect(logText).not.toContain('order_password');
    // The shop's X-Request-ID is logged with the failure.
    expect(logText).toMatch(/"requestId":"01FAKE\d+"/);
  });

  it('a verified order is answered from the cache for about ten minutes', async () => {
    let now = Date.parse(NOW);
    const { service } = await open({ now: { now: () => new Date(now) } });
    await service.verifyOwnership(NO.paid, proofOf(NO.paid));
    const asked = fake.count();
    now += 9 * 60_000;
    expect((await service.findByOrderNo(NO.paid))?.status).toBe('paid');
    expect(fake.count()).toBe(asked);
    now += 61_000;
    await expect(service.findByOrderNo(NO.paid)).rejects.toBeInstanceOf(ProofRequiredError);
    // refresh (notify-me's poll) reads again with the kept proof and fills the cache.
    expect((await service.refresh(NO.paid, proofOf(NO.paid)))?.status).toBe('paid');
    expect((await service.findByOrderNo(NO.paid))?.status).toBe('paid');
  });

  it('uses the download route when the detail truncated the payload', async () => {
    const { service } = await open();
    const masked = await verified(NO.truncated, service);
    // The preview shows 2 lines of 5: all 5 count (masked) without fetching the download.
    expect(masked.delivery?.kind === 'card_codes' && masked.delivery.items.length).toBe(5);
    expect(masked.delivery?.kind === 'card_codes' && masked.delivery.expected).toBe(5);
    expect(fake.count('download')).toBe(0);
    const d = await service.revealDelivery(NO.truncated, proofOf(NO.truncated));
    expect(d?.kind === 'card_codes' ? d.items.map((i) => i.plaintext) : null).toEqual(TRUNCATED_FULL);
    expect(fake.count('download')).toBe(1);
    // Not truncated: no download.
    await service.revealDelivery(NO.delivered, proofOf(NO.delivered));
    expect(fake.count('download')).toBe(1);
    // Nothing delivered yet: null.
    expect(await service.revealDelivery(NO.paid, proofOf(NO.paid))).toBeNull();
  });
});

describe('when the shop cannot answer', () => {
  const faults: Array<[Fault, ShopUnavailableError['reason']]> = [
    ['html_500', 'down'],
    ['html_200', 'bad_response'],
    ['truncated_json', 'bad_response'],
    ['null_data', 'bad_response'],
    ['status_500_in_200', 'down'],
    ['slow', 'timeout'],
    ['rate_limited', 'refused'],
  ];

  it.each(faults)('%s → ShopUnavailableError(%s) from verify, refresh and reveal, never false or null', async (fault, reason) => {
    const { service } = await open();
    fake.fault = fault;
    const proof = proofOf(NO.delivered);
    for (const call of [() => service.verifyOwnership(NO.delivered, proof), () => service.refresh(NO.delivered, proof), () => service.revealDelivery(NO.delivered, proof)]) {
      const err = await call().then(
        (v) => v,
        (e) => e,
      );
      expect(err).toBeInstanceOf(ShopUnavailableError);
      expect(err).toMatchObject({ system: 'dujiao-next', reason });
      expect(String(err.message)).not.toContain(proof.queryPassword);
    }
    // Still "needs proof", not "not found", for an order never verified.
    await expect(service.findByOrderNo(NO.delivered)).rejects.toBeInstanceOf(ProofRequiredError);
  });

  it('a fault during the download is unavailable too', async () => {
    const { service } = await open();
    await verified(NO.truncated, service);
    const original = fake.orders.get(NO.truncated)!;
    // The download route answers HTML (a WAF page) while the detail still works.
    const server = http.createServer((req, res) => {
      if (req.url?.includes('/fulfillment/download')) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>blocked</html>');
        return;
      }
      fetch(`${fake.url}${req.url}`).then(
        async (r) => {
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? '' });
          res.end(await r.text());
        },
        () => res.destroy(),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const proxied = await open({ env: { SHOP_API_BASE: `http://127.0.0.1:${(server.address() as AddressInfo).port}` } });
      await expect(proxied.service.revealDelivery(NO.truncated, { email: original.email, queryPassword: original.password })).rejects.toMatchObject({ reason: 'bad_response' });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('a refused connection is down', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const { service } = await open({ env: { SHOP_API_BASE: `http://127.0.0.1:${port}` } });
    await expect(service.verifyOwnership(NO.paid, proofOf(NO.paid))).rejects.toMatchObject({ name: 'ShopUnavailableError', reason: 'down' });
  });
});

describe('the signed status callback', () => {
  async function receiver(now: string | Date = NOW, env: Record<string, string> = {}) {
    const opened = await open({ now: typeof now === 'string' ? now : now.toISOString(), env });
    const app = express();
    app.use('/hooks', opened.adapter.hooks!);
    const server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/dujiao-next/callback`;
    return {
      ...opened,
      url,
      close: async () => {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      },
    };
  }
  const at = (offsetSec: number) => new Date((CALLBACK_TS + offsetSec) * 1000);

  it('reproduces the brief fixture signature', () => {
    expect(crypto.createHash('md5').update(CALLBACK_FIXTURE.body).digest('hex')).toBe(CALLBACK_FIXTURE.bodyMd5);
    expect(signCallback(CALLBACK_FIXTURE.secret, CALLBACK_FIXTURE.timestamp, CALLBACK_FIXTURE.body)).toBe(CALLBACK_FIXTURE.signature);
    expect(callbackSignature(CALLBACK_FIXTURE.secret, CALLBACK_FIXTURE.timestamp, Buffer.from(CALLBACK_FIXTURE.body))).toBe(CALLBACK_FIXTURE.signature);
    expect(CALLBACK_SIGNED_PATH).toBe('/api/v1/upstream/callback');
    expect(new Date(CALLBACK_TS * 1000).toISOString()).toBe('2026-03-01T04:01:00.000Z');
  });

  it('accepts the signed fixture once: a retry answers ok and emits nothing new', async () => {
    const r = await receiver();
    try {
      expect(await postSignedCallback(r.url, { signature: CALLBACK_FIXTURE.signature })).toEqual({ status: 200, json: { ok: true } });
      expect(r.changes).toEqual([{ orderNo: PARENT_NO, source: 'dujiao_next_callback' }]);
      expect(await postSignedCallback(r.url)).toEqual({ status: 200, json: { ok: true } });
      // The sender re-signs each attempt with a new timestamp: still the same change.
      const ts = String(CALLBACK_TS + 20);
      const retry = CALLBACK_FIXTURE.body.replace('"timestamp":1772337660', `"timestamp":${ts}`);
      expect(await postSignedCallback(r.url, { body: retry, timestamp: ts })).toEqual({ status: 200, json: { ok: true } });
      expect(r.changes).toHaveLength(1);
      // A new status is news.
      const completed = CALLBACK_FIXTURE.body.replace('"status":"delivered","fulfillment"', '"status":"completed","fulfillment"');
      expect((await postSignedCallback(r.url, { body: completed })).json).toEqual({ ok: true });
      expect(r.changes).toHaveLength(2);
    } finally {
      await r.close();
    }
  });

  it('accepts a timestamp 60 s away, rejects 61 s (either side)', async () => {
    for (const [offset, ok] of [
      [60, true],
      [-60, true],
      [61, false],
      [-61, false],
    ] as const) {
      const r = await receiver(at(offset));
      try {
        const res = await postSignedCallback(r.url);
        expect(res.status, String(offset)).toBe(200);
        expect(res.json, String(offset)).toEqual(ok ? { ok: true } : { ok: false, message: 'timestamp_expired' });
        expect(r.changes).toHaveLength(ok ? 1 : 0);
      } finally {
        await r.close();
      }
    }
  });

  it('rejects a flipped body byte, the real path signed, an unknown key, a wrong secret and missing headers, changing nothing', async () => {
    const r = await receiver();
    try {
      const flipped = Buffer.from(CALLBACK_FIXTURE.body);
      flipped[flipped.indexOf('ABCD')] = 'B'.charCodeAt(0);
      const cases: Array<[string, Parameters<typeof postSignedCallback>[1], string]> = [
        ['flipped byte', { body: flipped, signature: CALLBACK_FIXTURE.signature }, 'invalid_signature'],
        ['real path', { signPath: '/hooks/dujiao-next/callback' }, 'invalid_signature'],
        ['unknown key', { key: 'other_api_key' }, 'invalid_api_key'],
        ['wrong secret', { secret: 'not_the_secret' }, 'invalid_signature'],
        ['garbage signature', { signature: 'zz' }, 'invalid_signature'],
        ['no timestamp', { timestamp: '' }, 'missing_auth_headers'],
        ['bad timestamp', { timestamp: '17723376.60' }, 'invalid_timestamp'],
      ];
      for (const [name, p, message] of cases) {
        const res = await postSignedCallback(r.url, p);
        expect(res, name).toEqual({ status: 200, json: { ok: false, message } });
      }
      // Too large to read: refused before any check.
      const huge = await postSignedCallback(r.url, { body: 'x'.repeat(300 * 1024) });
      expect(huge).toEqual({ status: 413, json: { ok: false, message: 'payload_too_large' } });
      // Signed, but not a callback body.
      expect((await postSignedCallback(r.url, { body: 'not json' })).json).toEqual({ ok: false, message: 'bad_request' });
      expect(r.changes).toEqual([]);
      // The genuine one still goes through afterwards.
      expect((await postSignedCallback(r.url)).json).toEqual({ ok: true });
      expect(r.changes).toHaveLength(1);
    } finally {
      await r.close();
    }
  });

  it('verifyCallback checks the raw bytes it is given', () => {
    const input = {
      apiKey: CALLBACK_FIXTURE.key,
      apiSecret: CALLBACK_FIXTURE.secret,
      headers: { key: CALLBACK_FIXTURE.key, timestamp: CALLBACK_FIXTURE.timestamp, signature: CALLBACK_FIXTURE.signature },
      now: at(0),
    };
    expect(verifyCallback({ ...input, rawBody: Buffer.from(CALLBACK_FIXTURE.body) })).toEqual({ ok: true });
    // Re-serialized JSON (key order, spacing) is not what was signed.
    const reserialized = JSON.stringify(JSON.parse(CALLBACK_FIXTURE.body), null, 1);
    expect(verifyCallback({ ...input, rawBody: Buffer.from(reserialized) })).toEqual({ ok: false, reason: 'invalid_signature' });
    expect(verifyCallback({ ...input, headers: { ...input.headers, signature: CALLBACK_FIXTURE.signature.toUpperCase() }, rawBody: Buffer.from(CALLBACK_FIXTURE.body) })).toEqual({
      ok: true,
    });
  });

  it('is only there with the key pair, and the adapter says it does not push buyers’ changes', async () => {
    const withKeys = await open();
    expect(withKeys.adapter).toMatchObject({ name: 'dujiao-next', pushesChanges: false });
    expect(withKeys.adapter.hooks).toBeDefined();
    const without = await open({ env: { DUJIAO_NEXT_API_KEY: '', DUJIAO_NEXT_API_SECRET: '' } });
    expect(without.adapter.hooks).toBeUndefined();
    await without.adapter.close?.();
  });
});
