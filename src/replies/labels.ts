/** Chinese names of model values. */
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
