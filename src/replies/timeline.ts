/** The order's progress as the four-step timeline buyers know: 已支付 → 单号生成 → 发货中 → 已完成. */
import type { UnifiedOrder } from '../orders/model.js';
import { when } from './format.js';
import { HOLD_LABEL, STATUS_LABEL } from './labels.js';

type Stage = { label: string; at?: string };

export function timeline(order: UnifiedOrder, now: Date, tz: string): string {
  if (order.status === 'awaiting_payment') return `订单状态：${STATUS_LABEL.awaiting_payment}（下单 ${when(new Date(order.createdAt), now, tz)}，还没收到付款）`;
  if (order.status === 'expired' || order.status === 'canceled') {
    return `订单状态：${STATUS_LABEL[order.status]}（下单 ${when(new Date(order.createdAt), now, tz)}）`;
  }
  const ev = (type: string) => order.timeline.find((e) => e.type === type)?.at;
  const d = order.delivery;
  const deliveredAt = (d && 'deliveredAt' in d ? d.deliveredAt : undefined) ?? (d?.kind === 'topup_receipt' ? d.finishedAt : undefined) ?? ev('delivered');
  const stages: Stage[] = [
    { label: '已支付', at: order.paidAt ?? ev('paid') },
    { label: '单号生成', at: ev('fulfillment_started') ?? (d?.kind === 'topup_receipt' ? d.submittedAt : undefined) },
    { label: '发货中', at: ev('shipped') ?? (d?.kind === 'tracking_number' ? d.shippedAt : undefined) },
    { label: '已完成', at: deliveredAt },
  ];
  // Index of the stage the order is in now.
  let current: number;
  switch (order.status) {
    case 'paid': current = 1; break;
    case 'processing': current = 1; break;
    case 'on_hold': current = 1; break;
    case 'shipped': current = 2; break;
    case 'partially_delivered': current = 2; break;
    case 'failed': current = 1; break;
    default: current = 4;
  }
  if (current === 1 && stages[1]!.at) current = 2;
  const lines = stages.map((s, i) => {
    const time = s.at ? ` ${when(new Date(s.at), now, tz)}` : '';
    if (i < current) return `✔ ${s.label}${time || (i === 1 || i === 2 ? '' : '')}`;
    if (i === current) {
      const note = order.status === 'on_hold' || order.status === 'failed'
        ? `（卡在这一步：${order.holdReasons.map((r) => HOLD_LABEL[r]).join('、') || STATUS_LABEL[order.status]}）`
        : '（进行中）';
      return `➤ ${s.label}${note}`;
    }
    return `○ ${s.label}`;
  });
  if (order.status === 'refunded' || order.status === 'partially_refunded') lines.push(`➤ ${STATUS_LABEL[order.status]}`);
  return `订单进度：\n${lines.join('\n')}`;
}
