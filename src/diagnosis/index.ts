/**
 * order + what the buyer said + now + policy → cause, honest expected time, next ladder step.
 * Pure: no I/O, no clock of its own.
 */
import type { Policy } from '../config.js';
import type { HoldReason, ProductType, UnifiedOrder } from '../orders/model.js';
import { isVirtual } from '../orders/model.js';
import { HOUR, MINUTE } from '../time.js';

export const CAUSES = [
  'not_paid', 'payment_unconfirmed', 'expired_or_canceled', 'manual_review', 'sync_delay',
  'upstream_pending', 'upstream_failed', 'out_of_stock', 'logistics_pending', 'logistics_problem',
  'risk_hold', 'order_not_found', 'wrong_identifier', 'code_not_tracking', 'delivered', 'refunded', 'overdue',
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
}

const minutesBetween = (a: Date, b: Date) => Math.max(0, Math.round((b.getTime() - a.getTime()) / MINUTE));
const at = (iso?: string) => (iso ? new Date(iso) : undefined);

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
  if (isUpstream(order)) {
    const start = upstreamStart(order)!;
    const sla = policy.supplierSlaMin[type];
    const w = minutesBetween(start, now);
    const eta = new Date(start.getTime() + sla * MINUTE);
    return w <= sla
      ? result('upstream_pending', 'self_check', { eta, waitedMin: w, holdReason: 'upstream_pending' })
      : result('upstream_pending', 'escalate', { eta, waitedMin: w, holdReason: 'upstream_pending', pastWindow: true });
  }
  const normal = policy.normalWaitMin[type];
  const overdue = policy.overdueMin[type];
  if (waited <= normal) return result('sync_delay', 'self_check', { eta: new Date(paid.getTime() + normal * MINUTE), waitedMin: waited });
  if (waited <= overdue) return result('sync_delay', 'contact', { eta: new Date(paid.getTime() + overdue * MINUTE), waitedMin: waited, pastWindow: true });
  return result('overdue', 'escalate', { waitedMin: waited, pastWindow: true });
}

const HOLD_ORDER: HoldReason[] = ['risk_control', 'payment_mismatch', 'upstream_failed', 'out_of_stock', 'logistics_exception', 'logistics_api_error', 'manual_review', 'upstream_pending'];

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
      return result('upstream_failed', 'contact', { holdReason: reason, waitedMin: waited });
    case 'out_of_stock':
      return result('out_of_stock', 'escalate', { holdReason: reason, waitedMin: waited });
    case 'logistics_exception':
    case 'logistics_api_error':
      return result('logistics_problem', 'escalate', { holdReason: reason, waitedMin: waited });
    case 'manual_review': {
      const eta = new Date(paid.getTime() + policy.reviewMin * MINUTE);
      return waited <= policy.reviewMin
        ? result('manual_review', 'self_check', { holdReason: reason, eta, waitedMin: waited })
        : result('manual_review', 'escalate', { holdReason: reason, eta, waitedMin: waited, pastWindow: true });
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
  const shippedAt = at(d.shippedAt) ?? at(order.timeline.find((e) => e.type === 'shipped')?.at) ?? at(order.updatedAt) ?? at(order.paidAt)!;
  const hours = minutesBetween(shippedAt, now) / 60;
  const eta = new Date(shippedAt.getTime() + policy.firstScanHours * HOUR);
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
  if (lookup.via === 'alt_no' && lookup.givenAs !== 'order_no') return { ...base, cause: 'wrong_identifier', step: base.step === 'answered' ? 'self_check' : base.step, underlying: base };
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
      return result('upstream_failed', 'contact', { holdReason: order.holdReasons[0] });
    case 'partially_refunded':
    case 'refunded': {
      const refundedAt = at([...order.timeline].reverse().find((e) => e.type === 'refunded')?.at) ?? at(order.updatedAt);
      return result('refunded', 'answered', { eta: refundedAt ? new Date(refundedAt.getTime() + 72 * HOUR) : undefined });
    }
  }
}

/** The rung after `step` on the ladder self_check → contact → escalate → rights. */
export function nextStep(step: Step): Step {
  const i = LADDER.indexOf(step);
  if (i < 0) return 'contact';
  return LADDER[Math.min(i + 1, LADDER.length - 1)]!;
}
