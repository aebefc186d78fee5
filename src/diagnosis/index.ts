/**
 * order + what the buyer said + now + policy → cause, honest expected time, next ladder step.
 * Pure: no I/O, no clock of its own.
 */
import { ALWAYS, type DailyHours, addBusinessDays, addWorkingMinutes, hoursInText } from '../calendar.js';
import type { Policy } from '../config.js';
import type { HoldReason, ProductType, UnifiedOrder } from '../orders/model.js';
import { isVirtual } from '../orders/model.js';
import { type Refund, type Span, deliveryPromise, refundOf, reviewStatement } from '../orders/promise.js';
import { HOUR, MINUTE } from '../time.js';

export const CAUSES = [
  'not_paid',
  'payment_unconfirmed',
  'expired_or_canceled',
  'manual_review',
  'sync_delay',
  'upstream_pending',
  'upstream_failed',
  'out_of_stock',
  'logistics_pending',
  'logistics_problem',
  'risk_hold',
  'order_not_found',
  'wrong_identifier',
  'code_not_tracking',
  'delivered',
  'refunded',
  'overdue',
] as const;
export type Cause = (typeof CAUSES)[number];

export const STEPS = ['collecting', 'answered', 'self_check', 'contact', 'escalate', 'rights'] as const;
export type Step = (typeof STEPS)[number];
export const LADDER: Step[] = ['self_check', 'contact', 'escalate', 'rights'];

export type IdentifierKind = 'order_no' | 'wechat_pay_txn' | 'alipay_txn' | 'courier_no';

export type Lookup =
  | { found: true; order: UnifiedOrder; given: string; givenAs: IdentifierKind; via: 'order_no' | 'alt_no' }
  | { found: false; given: string; givenAs: IdentifierKind; closeMatches: string[] };

export interface BuyerClaims {
  /** The buyer says money left their account. */
  moneyTaken: boolean;
  /** The buyer is looking for a courier / tracking number. */
  wantsTracking: boolean;
}

export interface Diagnosis {
  cause: Cause;
  step: Step;
  /** When the buyer can honestly expect the next change (delivery, review result, first scan…). */
  eta?: Date;
  /** Minutes since payment (or shipping for parcels) at diagnosis time. */
  waitedMin?: number;
  holdReason?: HoldReason;
  /** True when the wait is past the policy window (used by replies and queue priority). */
  pastWindow: boolean;
  /** Agents see higher numbers first (risk holds, overdue, complaints). */
  priority: number;
  /** For wrong_identifier that still mapped to an order: that order's own diagnosis. */
  underlying?: Diagnosis;
  /** The working hours the ETA was counted in (reviews), when they are not round the clock. */
  hours?: DailyHours;
  /** The product's own delivery promise, when the ETA comes from it. */
  promise?: Span;
  /** Where a refund stands (refunded, or in progress), from the order's own records. */
  refund?: Refund;
}

const minutesBetween = (a: Date, b: Date) => Math.max(0, Math.round((b.getTime() - a.getTime()) / MINUTE));
const at = (iso?: string) => (iso ? new Date(iso) : undefined);

/**
 * Up to the next whole minute: a time counted from the payment (13:54:50 + 15 min) is shown as
 * HH:MM and must not read as already past (14:09 at 14:09:47); deadlines of a day stay as they are.
 */
const ceilMinute = (d: Date) => new Date(Math.ceil(d.getTime() / 60_000) * 60_000);

function result(cause: Cause, step: Step, extra: Partial<Diagnosis> = {}): Diagnosis {
  const priority = step === 'escalate' ? (cause === 'risk_hold' || cause === 'overdue' ? 3 : 2) : 1;
  return { cause, step, pastWindow: false, priority, ...extra };
}

function upstreamStart(order: UnifiedOrder): Date | undefined {
  const d = order.delivery;
  return at(d?.kind === 'topup_receipt' ? d.submittedAt : undefined) ?? at(order.paidAt) ?? at(order.createdAt);
}

function isUpstream(order: UnifiedOrder): boolean {
  return order.holdReasons.includes('upstream_pending') || order.fulfillmentMode === 'upstream';
}

function deliveredCount(order: UnifiedOrder): { have: number; want: number } | undefined {
  const d = order.delivery;
  if (!d || (d.kind !== 'card_codes' && d.kind !== 'license_key')) return undefined;
  return { have: d.items.length, want: d.expected ?? order.quantity };
}

/** Waiting for fulfilment with no hold: inside the normal wait, inside the overdue limit, or overdue. */
function waiting(order: UnifiedOrder, now: Date, policy: Policy): Diagnosis {
  const type: ProductType = order.productType;
  const paid = at(order.paidAt) ?? at(order.createdAt)!;
  const waited = minutesBetween(paid, now);
  // What the product itself promises ("72小时内到账") is the window; policy is the default.
  const promise = deliveryPromise(order);
  if (isUpstream(order)) {
    // A promise counts from payment (what the buyer was told); a policy SLA from submission upstream.
    const start = promise ? paid : upstreamStart(order)!;
    const sla = promise?.minutes ?? policy.supplierSlaMin[type];
    const w = minutesBetween(start, now);
    const eta = ceilMinute(new Date(start.getTime() + sla * MINUTE));
    return w <= sla
      ? result('upstream_pending', 'self_check', { eta, waitedMin: w, holdReason: 'upstream_pending', promise })
      : result('upstream_pending', 'escalate', { eta, waitedMin: w, holdReason: 'upstream_pending', pastWindow: true, promise });
  }
  const normal = promise?.minutes ?? policy.normalWaitMin[type];
  const overdue = Math.max(normal, policy.overdueMin[type]);
  // People deliver manual orders: the time promised for a window of minutes or hours is one they
  // can keep, counted in their working hours (the notice's, else the agents'); how long the buyer
  // has waited (and so the rung) is plain time. Windows of days (parcels) are calendar days.
  const hours = order.fulfillmentMode === 'manual' && normal < 24 * 60 ? (hoursInText(order.shopNotice, /发货|处理|在线|上班|营业|客服/) ?? policy.agentHours) : ALWAYS;
  const by = (minutes: number) => ceilMinute(addWorkingMinutes(paid, minutes, hours, policy.timeZone));
  const shown = hours === ALWAYS ? undefined : hours;
  if (waited <= normal) return result('sync_delay', 'self_check', { eta: by(normal), waitedMin: waited, promise, hours: shown });
  if (waited < overdue) return result('sync_delay', 'contact', { eta: by(overdue), waitedMin: waited, pastWindow: true, promise, hours: shown });
  return result('overdue', 'escalate', { waitedMin: waited, pastWindow: true, promise, hours: shown });
}

/** Failed at the supplier: a refund already under way is the remedy (say when it arrives; a ticket is for when it does not). */
function failedUpstream(order: UnifiedOrder, policy: Policy, extra: Partial<Diagnosis>): Diagnosis {
  const refund = refundOf(order);
  if (refund?.state === 'processing') return result('upstream_failed', 'self_check', { ...extra, refund, eta: refundDue(refund, policy) });
  return result('upstream_failed', 'contact', extra);
}

/** When a refund should reach the buyer: at once for wallets, within the stated (or usual) business days otherwise. */
function refundDue(refund: Refund, policy: Policy): Date | undefined {
  const from = at(refund.at);
  if (!from) return undefined;
  if (refund.channel && /零钱|余额|花呗/.test(refund.channel) && !refund.window) return from;
  const days = refund.window?.businessDays ?? (refund.window ? Math.ceil(refund.window.minutes / (24 * 60)) : refund.channel && /银行|信用卡|储蓄卡/.test(refund.channel) ? 7 : 3);
  return addBusinessDays(from, days, policy.timeZone);
}

const HOLD_ORDER: HoldReason[] = [
  'risk_control',
  'payment_mismatch',
  'upstream_failed',
  'out_of_stock',
  'logistics_exception',
  'logistics_api_error',
  'manual_review',
  'upstream_pending',
];

function onHold(order: UnifiedOrder, now: Date, policy: Policy): Diagnosis {
  const reason = HOLD_ORDER.find((r) => order.holdReasons.includes(r)) ?? 'manual_review';
  const paid = at(order.paidAt) ?? at(order.createdAt)!;
  const waited = minutesBetween(paid, now);
  switch (reason) {
    case 'risk_control':
      return result('risk_hold', 'escalate', { holdReason: reason, waitedMin: waited });
    case 'payment_mismatch':
      return result('payment_unconfirmed', 'contact', { holdReason: reason, waitedMin: waited });
    case 'upstream_failed':
      return failedUpstream(order, policy, { holdReason: reason, waitedMin: waited });
    case 'out_of_stock':
      return result('out_of_stock', 'escalate', { holdReason: reason, waitedMin: waited });
    case 'logistics_exception':
    case 'logistics_api_error':
      return result('logistics_problem', 'escalate', { holdReason: reason, waitedMin: waited });
    case 'manual_review': {
      // Reviews happen in review hours (the order's own notice wins): at 03:14 the clock has not started.
      const stated = reviewStatement(order);
      const hours = stated.hours ?? policy.reviewHours;
      const eta = ceilMinute(addWorkingMinutes(paid, stated.minutes ?? policy.reviewMin, hours, policy.timeZone));
      return now.getTime() <= eta.getTime()
        ? result('manual_review', 'self_check', { holdReason: reason, eta, waitedMin: waited, hours })
        : result('manual_review', 'escalate', { holdReason: reason, eta, waitedMin: waited, pastWindow: true, hours });
    }
    case 'upstream_pending':
      return waiting(order, now, policy);
  }
  return result('manual_review', 'escalate', { holdReason: reason });
}

function shipped(order: UnifiedOrder, now: Date, policy: Policy): Diagnosis {
  const d = order.delivery;
  if (d?.kind !== 'tracking_number') return waiting(order, now, policy);
  if (d.signed) return result('delivered', 'answered');
  // The carrier reports a problem, or cannot tell us anything: a person must look.
  const logistics = order.holdReasons.find((r) => r === 'logistics_exception' || r === 'logistics_api_error');
  if (logistics) return result('logistics_problem', 'escalate', { holdReason: logistics });
  const shippedAt = at(d.shippedAt) ?? at(order.timeline.find((e) => e.type === 'shipped')?.at) ?? at(order.updatedAt) ?? at(order.paidAt)!;
  const hours = minutesBetween(shippedAt, now) / 60;
  const eta = ceilMinute(new Date(shippedAt.getTime() + policy.firstScanHours * HOUR));
  if (d.lastEvent) return result('logistics_pending', 'self_check', { waitedMin: Math.round(hours * 60) });
  return hours <= policy.firstScanHours
    ? result('logistics_pending', 'self_check', { eta, waitedMin: Math.round(hours * 60) })
    : result('logistics_problem', 'escalate', { eta, waitedMin: Math.round(hours * 60), pastWindow: true });
}

export interface DiagnoseInput {
  lookup: Lookup;
  claims: BuyerClaims;
  now: Date;
  policy: Policy;
}

export function diagnose({ lookup, claims, now, policy }: DiagnoseInput): Diagnosis {
  if (!lookup.found) {
    if (lookup.givenAs === 'courier_no') return result('wrong_identifier', 'self_check');
    return result('order_not_found', 'self_check');
  }
  const order = lookup.order;
  const base = diagnoseOrder(order, claims, now, policy);
  // A payment or courier number that maps to an order: first explain the mix-up, then the order.
  if (lookup.via === 'alt_no' && lookup.givenAs !== 'order_no')
    return { ...base, cause: 'wrong_identifier', step: base.step === 'answered' ? 'self_check' : base.step, underlying: base };
  return base;
}

export function diagnoseOrder(order: UnifiedOrder, claims: BuyerClaims, now: Date, policy: Policy): Diagnosis {
  const virtual = isVirtual(order.productType);
  switch (order.status) {
    case 'awaiting_payment':
      return claims.moneyTaken ? result('payment_unconfirmed', 'contact') : result('not_paid', 'self_check', { eta: at(order.expiresAt) });
    case 'expired':
    case 'canceled':
      return claims.moneyTaken ? result('expired_or_canceled', 'rights') : result('expired_or_canceled', 'self_check');
    case 'paid':
    case 'processing':
      if (order.holdReasons.length > 0 && order.holdReasons.some((r) => r !== 'upstream_pending')) return onHold(order, now, policy);
      return waiting(order, now, policy);
    case 'on_hold':
      return onHold(order, now, policy);
    case 'shipped':
      return shipped(order, now, policy);
    case 'partially_delivered': {
      if (order.delivery?.kind === 'topup_receipt') return result('upstream_failed', 'contact');
      const count = deliveredCount(order);
      if (count && count.have < count.want) return result('out_of_stock', 'escalate');
      return waiting(order, now, policy);
    }
    case 'delivered':
    case 'completed':
      if (claims.wantsTracking && virtual) return result('code_not_tracking', 'answered');
      return result('delivered', 'answered');
    case 'failed':
      return failedUpstream(order, policy, { holdReason: order.holdReasons[0] });
    case 'partially_refunded':
    case 'refunded': {
      const refund = refundOf(order) ?? { state: 'refunded' as const, at: order.updatedAt };
      return result('refunded', 'answered', { refund, eta: refundDue(refund, policy) });
    }
  }
}

/** When a ticket filed now is answered: the promised hours of agent time, counted in agent hours only. */
export function ticketDue(now: Date, policy: Policy): Date {
  return addWorkingMinutes(now, policy.ticketResponseHours * 60, policy.agentHours, policy.timeZone);
}

/** The rung after `step` on the ladder self_check → contact → escalate → rights. */
export function nextStep(step: Step): Step {
  const i = LADDER.indexOf(step);
  if (i < 0) return 'contact';
  return LADDER[Math.min(i + 1, LADDER.length - 1)]!;
}
