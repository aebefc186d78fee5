import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type Lookup, diagnose, nextStep } from '../../src/diagnosis/index.js';
import { UnifiedOrder, type UnifiedOrderInput } from '../../src/orders/model.js';

const policy = loadConfig({}).policy;
const now = new Date('2026-11-23T15:00:00+08:00');
const claims = { moneyTaken: false, wantsTracking: false };
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();

function found(o: Partial<UnifiedOrderInput> & Pick<UnifiedOrderInput, 'status'>): Lookup {
  const order = UnifiedOrder.parse({ orderNo: 'K7QX9ZP2M4RT8WNA', productType: 'game_card', createdAt: minutesAgo(6), ...o });
  return { found: true, order, given: order.orderNo, givenAs: 'order_no', via: 'order_no' };
}
const d = (l: Lookup, c = claims) => diagnose({ lookup: l, claims: c, now, policy });

describe('diagnosis', () => {
  it('unpaid, and unpaid while the buyer says the money was taken', () => {
    expect(d(found({ status: 'awaiting_payment' }))).toMatchObject({ cause: 'not_paid', step: 'self_check' });
    expect(d(found({ status: 'awaiting_payment' }), { ...claims, moneyTaken: true })).toMatchObject({ cause: 'payment_unconfirmed', step: 'contact' });
    expect(d(found({ status: 'on_hold', holdReasons: ['payment_mismatch'], paidAt: minutesAgo(20) }))).toMatchObject({ cause: 'payment_unconfirmed' });
  });

  it('expired or canceled; with money taken the buyer has refund rights', () => {
    expect(d(found({ status: 'expired' }))).toMatchObject({ cause: 'expired_or_canceled', step: 'self_check' });
    expect(d(found({ status: 'canceled' }), { ...claims, moneyTaken: true })).toMatchObject({ cause: 'expired_or_canceled', step: 'rights' });
  });

  it('sync delay inside the normal wait, then contact, then overdue', () => {
    const a = d(found({ status: 'paid', paidAt: minutesAgo(6) }));
    expect(a).toMatchObject({ cause: 'sync_delay', step: 'self_check', waitedMin: 6 });
    expect(a.eta?.toISOString()).toBe(new Date(now.getTime() + 9 * 60_000).toISOString());
    expect(d(found({ status: 'paid', paidAt: minutesAgo(50) }))).toMatchObject({ cause: 'sync_delay', step: 'contact' });
    expect(d(found({ status: 'paid', paidAt: minutesAgo(300) }))).toMatchObject({ cause: 'overdue', step: 'escalate', priority: 3 });
    expect(d(found({ status: 'paid', productType: 'physical_card', paidAt: minutesAgo(30 * 60) }))).toMatchObject({ cause: 'sync_delay', step: 'self_check' });
  });

  it('upstream pending within and past the supplier SLA', () => {
    expect(d(found({ status: 'processing', productType: 'phone_topup', holdReasons: ['upstream_pending'], paidAt: minutesAgo(50) }))).toMatchObject({
      cause: 'upstream_pending',
      step: 'self_check',
    });
    expect(d(found({ status: 'processing', productType: 'phone_topup', holdReasons: ['upstream_pending'], paidAt: minutesAgo(290) }))).toMatchObject({
      cause: 'upstream_pending',
      step: 'escalate',
    });
    expect(d(found({ status: 'on_hold', productType: 'phone_topup', holdReasons: ['upstream_pending'], paidAt: minutesAgo(10) }))).toMatchObject({
      cause: 'upstream_pending',
      step: 'self_check',
    });
  });

  it('holds map to their causes', () => {
    const hold = (r: UnifiedOrderInput['holdReasons']) => d(found({ status: 'on_hold', holdReasons: r, paidAt: minutesAgo(30) }));
    expect(hold(['risk_control'])).toMatchObject({ cause: 'risk_hold', step: 'escalate' });
    expect(hold(['upstream_failed'])).toMatchObject({ cause: 'upstream_failed', step: 'contact' });
    expect(hold(['out_of_stock'])).toMatchObject({ cause: 'out_of_stock', step: 'escalate' });
    expect(hold(['logistics_exception'])).toMatchObject({ cause: 'logistics_problem', step: 'escalate' });
    expect(hold(['logistics_api_error'])).toMatchObject({ cause: 'logistics_problem', step: 'escalate' });
    expect(hold(['manual_review'])).toMatchObject({ cause: 'manual_review', step: 'self_check' });
    expect(d(found({ status: 'on_hold', holdReasons: ['manual_review'], paidAt: minutesAgo(300) }))).toMatchObject({ cause: 'manual_review', step: 'escalate' });
  });

  it('parcels: no scan yet, no scan for too long, in transit, signed', () => {
    const parcel = (shippedHoursAgo: number, extra = {}) =>
      found({
        status: 'shipped',
        productType: 'physical_card',
        paidAt: minutesAgo(3000),
        delivery: { kind: 'tracking_number', carrierCode: 'shunfeng', trackingNo: 'SF1234567890123', shippedAt: minutesAgo(shippedHoursAgo * 60), ...extra },
      });
    expect(d(parcel(20))).toMatchObject({ cause: 'logistics_pending', step: 'self_check' });
    expect(d(parcel(80))).toMatchObject({ cause: 'logistics_problem', step: 'escalate' });
    expect(d(parcel(80, { lastEvent: { at: minutesAgo(60), text: '运输中' } }))).toMatchObject({ cause: 'logistics_pending' });
    expect(d(parcel(80, { signed: true }))).toMatchObject({ cause: 'delivered', step: 'answered' });
  });

  it('delivered, code instead of tracking number, partial delivery, failures, refunds', () => {
    const codes = { kind: 'card_codes' as const, items: [{ masked: 'QB10****7Z3K' }], expected: 1 };
    expect(d(found({ status: 'delivered', delivery: codes }))).toMatchObject({ cause: 'delivered', step: 'answered' });
    expect(d(found({ status: 'delivered', delivery: codes }), { ...claims, wantsTracking: true })).toMatchObject({ cause: 'code_not_tracking' });
    expect(d(found({ status: 'partially_delivered', quantity: 3, delivery: { ...codes, expected: 3 } }))).toMatchObject({ cause: 'out_of_stock', step: 'escalate' });
    expect(d(found({ status: 'partially_delivered', productType: 'phone_topup', delivery: { kind: 'topup_receipt', faceValue: '100', chargedAmount: '50' } }))).toMatchObject({
      cause: 'upstream_failed',
    });
    expect(d(found({ status: 'failed' }))).toMatchObject({ cause: 'upstream_failed', step: 'contact' });
    expect(d(found({ status: 'refunded' }))).toMatchObject({ cause: 'refunded', step: 'answered' });
    expect(d(found({ status: 'partially_refunded' }))).toMatchObject({ cause: 'refunded' });
  });

  it('not found, and numbers that are not order numbers', () => {
    expect(d({ found: false, given: 'X', givenAs: 'order_no', closeMatches: [] })).toMatchObject({ cause: 'order_not_found', step: 'self_check' });
    expect(d({ found: false, given: 'SF1234567890123', givenAs: 'courier_no', closeMatches: [] })).toMatchObject({ cause: 'wrong_identifier' });
    const viaTxn = found({ status: 'delivered' });
    expect(d({ ...(viaTxn as Extract<Lookup, { found: true }>), givenAs: 'wechat_pay_txn', via: 'alt_no' })).toMatchObject({ cause: 'wrong_identifier' });
  });

  it('respects configured windows per product type', () => {
    const strict = loadConfig({ POLICY_NORMAL_WAIT_MIN: 'game_card=5' }).policy;
    expect(diagnose({ lookup: found({ status: 'paid', paidAt: minutesAgo(6) }), claims, now, policy: strict })).toMatchObject({ cause: 'sync_delay', step: 'contact' });
  });

  it('the ladder climbs one rung at a time and stops at rights', () => {
    expect(nextStep('self_check')).toBe('contact');
    expect(nextStep('contact')).toBe('escalate');
    expect(nextStep('escalate')).toBe('rights');
    expect(nextStep('rights')).toBe('rights');
  });
});
