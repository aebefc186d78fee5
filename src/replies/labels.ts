/** Chinese names of model values. */
import type { Cause, Step } from '../diagnosis/index.js';
import type { Outcome } from '../handoff/index.js';
import type { HoldReason, OrderStatus, ProductType } from '../orders/model.js';

export const PRODUCT_LABEL: Record<ProductType, string> = {
  game_card: '游戏点卡/卡密',
  phone_topup: '话费/流量充值',
  software_license: '软件激活码',
  physical_card: '实体卡（快递）',
  other: '其他商品',
};

export const STATUS_LABEL: Record<OrderStatus, string> = {
  awaiting_payment: '待支付',
  expired: '已过期',
  canceled: '已取消',
  paid: '已支付',
  processing: '处理中',
  shipped: '已发货',
  partially_delivered: '部分发货',
  delivered: '已发货',
  completed: '已完成',
  on_hold: '待处理',
  failed: '处理失败',
  partially_refunded: '部分退款',
  refunded: '已退款',
};

/** The status as a buyer of this product would say it (a delivered top-up has 到账, a parcel 签收). */
export function statusLabel(o: { status: OrderStatus; productType: ProductType }): string {
  if (o.status === 'delivered' || o.status === 'completed') {
    if (o.productType === 'phone_topup') return '已到账';
    if (o.productType === 'physical_card') return '已签收';
  }
  return STATUS_LABEL[o.status];
}

export const HOLD_LABEL: Record<HoldReason, string> = {
  manual_review: '人工审核中',
  risk_control: '风控核实中',
  upstream_pending: '供货方处理中',
  upstream_failed: '供货方处理失败',
  out_of_stock: '库存不足',
  logistics_api_error: '物流接口异常',
  logistics_exception: '快递异常',
  payment_mismatch: '支付金额不符',
};

/** Causes, steps and outcomes as the agent console shows them. */
export const CAUSE_LABEL: Record<Cause, string> = {
  not_paid: '未付款',
  payment_unconfirmed: '买家称已付款，系统未收到',
  expired_or_canceled: '订单已过期/取消',
  manual_review: '人工审核中',
  sync_delay: '同步延迟（正常等待内）',
  upstream_pending: '上游/供货处理中',
  upstream_failed: '上游/供货失败',
  out_of_stock: '缺货',
  logistics_pending: '待揽收/运输中',
  logistics_problem: '物流异常',
  risk_hold: '风控冻结',
  order_not_found: '查无此单',
  wrong_identifier: '单号类型弄错',
  code_not_tracking: '卡密当快递单号',
  delivered: '已发货/已完成',
  refunded: '已退款',
  overdue: '超时未发货',
};

export const STEP_LABEL: Record<Step, string> = {
  collecting: '收集信息',
  answered: '已答复',
  self_check: '自助排查',
  contact: '已提交工单',
  escalate: '转人工',
  rights: '维权指引',
};

export const OUTCOME_LABEL: Record<Outcome, string> = {
  solved: '已解决',
  refunded: '已退款',
  reissued: '已补发',
  buyer_error: '买家误会/操作问题',
  escalated_to_shop: '转店铺处理',
  no_response: '买家未回复',
  other: '其他',
};

export const REASON_LABEL: Record<string, string> = {
  buyer_request: '买家要求人工',
  complaint: '投诉',
};
