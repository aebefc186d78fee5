/**
 * The order's progress as a short timeline of the steps a buyer of this product knows (a card
 * code is 出卡 → 发卡, a top-up 提交充值 → 充值中 → 已到账, a parcel 备货 → 运输中 → 已签收), with
 * the times the order itself records. It shows what happened, as it happened: a payment still to
 * be confirmed is not ✔ 已支付, a failure is ✘ at the step that failed (with its time, never as an
 * arrival), a refund is its own step, and a parcel with a tracking number is past 备货.
 */
import type { Delivery, OrderStatus, ProductType, UnifiedOrder } from '../orders/model.js';
import { refundOf } from '../orders/promise.js';
import { when } from './format.js';
import { HOLD_LABEL, STATUS_LABEL } from './labels.js';

/** Step names per product: paid, preparing, on its way, done. */
const STEPS: Record<ProductType, [string, string, string, string]> = {
  game_card: ['已支付', '出卡', '发卡', '已完成'],
  software_license: ['已支付', '生成激活码', '发放', '已完成'],
  phone_topup: ['已支付', '提交充值', '充值中', '已到账'],
  physical_card: ['已支付', '备货', '运输中', '已签收'],
  other: ['已支付', '处理', '发货', '已完成'],
};

const LOGISTICS_HOLDS = new Set(['logistics_exception', 'logistics_api_error']);

/** When the order was really fulfilled (a failed top-up's finishedAt is its failure, not an arrival). */
export function fulfilledAt(order: UnifiedOrder): string | undefined {
  const d: Delivery | undefined = order.delivery;
  const ev = order.timeline.find((e) => e.type === 'delivered')?.at;
  if (d?.kind === 'topup_receipt') return d.chargedAmount && Number(d.chargedAmount) > 0 ? (d.finishedAt ?? ev) : ev;
  if (d?.kind === 'tracking_number') return d.signed ? (ev ?? d.lastEvent?.at) : undefined;
  if (d && (d.kind === 'card_codes' || d.kind === 'license_key')) return d.items.length > 0 ? (d.deliveredAt ?? ev) : undefined;
  return ev;
}

const DELIVERED: ReadonlySet<OrderStatus> = new Set(['delivered', 'completed']);

export function timeline(order: UnifiedOrder, now: Date, tz: string): string {
  const t = (iso?: string) => (iso ? ` ${when(new Date(iso), now, tz)}` : '');
  if (order.status === 'awaiting_payment') return `订单状态：${STATUS_LABEL.awaiting_payment}（下单${t(order.createdAt)}，还没收到付款）`;
  if (order.status === 'expired' || order.status === 'canceled') return `订单状态：${STATUS_LABEL[order.status]}（下单${t(order.createdAt)}）`;

  const names = STEPS[order.productType];
  const ev = (type: string) => order.timeline.find((e) => e.type === type)?.at;
  const d = order.delivery;
  const at: Array<string | undefined> = [
    order.paidAt ?? ev('paid'),
    ev('fulfillment_started') ?? (d?.kind === 'topup_receipt' ? d.submittedAt : undefined),
    ev('shipped') ?? (d?.kind === 'tracking_number' ? d.shippedAt : undefined) ?? (d?.kind === 'topup_receipt' ? d.submittedAt : undefined),
    fulfilledAt(order),
  ];
  const holds = order.holdReasons;
  const failedAt =
    [...order.timeline].reverse().find((e) => e.type === 'failed' || (e.type === 'upstream_update' && /失败/.test(e.text ?? '')))?.at ??
    (d?.kind === 'topup_receipt' && d.finishedAt && !(Number(d.chargedAmount ?? 0) > 0) ? d.finishedAt : undefined);
  const refund = refundOf(order);
  const refundedStatus = order.status === 'refunded' || order.status === 'partially_refunded';
  const wasDelivered = DELIVERED.has(order.status) || (refundedStatus && !!at[3]);

  // Where the order stands (index of the step in progress; 4 = all done).
  let current: number;
  if (holds.includes('payment_mismatch')) current = 0;
  else if (wasDelivered) current = 4;
  else if (order.status === 'shipped' || d?.kind === 'tracking_number' || holds.some((h) => LOGISTICS_HOLDS.has(h))) current = 2;
  else if (order.status === 'partially_delivered') current = 2;
  else current = at[1] && !['on_hold', 'failed'].includes(order.status) && !refundedStatus ? 2 : 1;

  const failed = order.status === 'failed' || refundedStatus || holds.includes('upstream_failed');
  const lines: string[] = [];
  for (let i = 0; i < 4; i++) {
    const name = names[i]!;
    if (i === 0 && current === 0) {
      lines.push(`➤ 付款待核对（${HOLD_LABEL.payment_mismatch}，还没确认收款）`);
      continue;
    }
    if (i === 0 && i < current && order.paidAtPrecision === 'upper_bound' && at[0]) lines.push(`✔ ${name}（不晚于${t(at[0])}）`);
    else if (i < current) lines.push(`✔ ${name}${t(at[i])}`);
    else if (i === current && failed && !wasDelivered) {
      lines.push(`✘ ${name}失败${t(failedAt)}`);
      break; // nothing after a failure happens: what follows is the refund
    } else if (i === current) {
      const stuck = order.status === 'on_hold' || holds.some((h) => LOGISTICS_HOLDS.has(h));
      lines.push(`➤ ${name}${stuck ? `（卡在这一步：${holds.map((r) => HOLD_LABEL[r]).join('、') || STATUS_LABEL[order.status]}）` : '（进行中）'}`);
    } else lines.push(`○ ${name}`);
  }
  if (refund?.state === 'refunded' || refundedStatus) {
    lines.push(`✔ ${order.status === 'partially_refunded' ? '部分退款' : '已退款'}${t(refund?.at)}`);
  } else if (refund?.state === 'processing') {
    lines.push('➤ 退款中');
  }
  return `订单进度：\n${lines.join('\n')}`;
}
