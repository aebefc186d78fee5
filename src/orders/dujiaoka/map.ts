/**
 * dujiaoka's `orders` row (+ its `goods` row) → the unified order, exactly per
 * reference/shop-systems.md §4.4 (brief §2.3). Pure: the adapter reads, this maps, the adapter masks.
 *
 * - Status: 1 待支付, -1 已过期, 2 待处理, 3 处理中, 4 已完成, 5 处理失败, 6 异常.
 * - Codes exist only in `orders.info` (one per line for automatic delivery); `carmis` has no order link.
 * - No payment time is stored: `completedOrder` sets the status and `trade_no` in one save, so the
 *   row's `updated_at` is the latest the payment can have been (exact until an operator touches it).
 *   That is `paidAt` with `paidAtPrecision: 'upper_bound'`, and replies say "不晚于".
 */
import type { ProductType, TimelineEvent, UnifiedOrder, UnifiedOrderInput } from '../model.js';
import { UnifiedOrder as UnifiedOrderSchema } from '../model.js';
import { type ProductTypeRules, productTypeOf } from '../settings.js';
import { findTracking, inputLines, phoneTailOf, plainText, topupAccountOf } from '../shopText.js';
import { shopInstant } from '../mysql/shopDb.js';

export interface DujiaokaRow {
  id: string | number;
  order_sn: string;
  goods_id: number;
  title: string;
  type: number;
  goods_price: string;
  buy_amount: number;
  total_price: string;
  actual_price: string;
  search_pwd: string | null;
  email: string;
  info: string | null;
  trade_no: string | null;
  status: number;
  created_at: string | null;
  updated_at: string | null;
  group_id: number | null;
  gd_name: string | null;
  gd_description: string | null;
  buy_prompt: string | null;
  other_ipu_cnf: string | null;
}

/** The columns the adapter selects (orders o, goods g). */
export const DUJIAOKA_COLUMNS =
  'o.id, o.order_sn, o.goods_id, o.title, o.type, o.goods_price, o.buy_amount, o.total_price, o.actual_price, o.search_pwd, o.email, o.info, o.trade_no, o.status, o.created_at, o.updated_at, g.group_id, g.gd_name, g.gd_description, g.buy_prompt, g.other_ipu_cnf';

/**
 * The text processAuto writes when stock runs short, in each of the shop's admin languages (zh_CN,
 * zh_TW, and the untranslated key a site in English stores).
 */
const OUT_OF_STOCK = [/库存可使用卡密不足/, /庫存可使用卡密不足/, /order_carmis_insufficient_quantity_available/];

export interface DujiaokaMapOptions {
  dbZone: string;
  shopZone: string;
  productTypes: ProductTypeRules;
  paymentWindowMin: number;
}

/** The labels of the buyer's checkout inputs (goods.other_ipu_cnf: "field=label=required" lines). */
function inputLabels(cnf: string | null): Set<string> {
  const labels = new Set<string>();
  for (const line of (cnf ?? '').split(/\r?\n/)) {
    const parts = line.split('=');
    if (parts.length >= 2 && parts[1]!.trim()) labels.add(parts[1]!.trim());
  }
  return labels;
}

export function mapDujiaoka(row: DujiaokaRow, o: DujiaokaMapOptions): UnifiedOrder {
  const at = (v: string | null) => shopInstant(v, o.dbZone, o.shopZone);
  const createdAt = at(row.created_at) ?? at(row.updated_at)!;
  const updatedAt = at(row.updated_at) ?? createdAt;
  const title = row.title || row.gd_name || '';
  const productType: ProductType = productTypeOf(o.productTypes, { goodsId: row.goods_id, groupId: row.group_id ?? undefined, title: row.gd_name ?? title });
  const manual = Number(row.type) === 2;
  const status = Number(row.status);
  const info = row.info ?? '';
  const labels = inputLabels(row.other_ipu_cnf);
  const allInputs = inputLines(info);
  // What the buyer typed at checkout (the product's input labels), and what an operator added after.
  const inputs = labels.size > 0 ? allInputs.filter((l) => labels.has(l.label)) : manual ? allInputs : [];
  const inputText = new Set(inputs.map((l) => `${l.label}`));
  const operatorLines = info
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !inputLines(l).some((x) => inputText.has(x.label)));
  const paidStates = new Set([2, 3, 4, 5, 6]);
  const paid = paidStates.has(status);
  const timeline: TimelineEvent[] = [{ at: createdAt, type: 'created', source: 'shop' }];
  if (paid) timeline.push({ at: updatedAt, type: 'paid', source: 'adapter', synthetic: true });

  const order: UnifiedOrderInput = {
    orderNo: row.order_sn,
    altNos: row.trade_no ? [row.trade_no] : [],
    source: { system: 'dujiaoka', raw: { status, type: row.type } },
    status: 'on_hold',
    holdReasons: [],
    productType,
    fulfillmentMode: manual ? 'manual' : 'auto',
    title,
    quantity: Math.max(1, Number(row.buy_amount) || 1),
    amount: paid ? row.actual_price : row.actual_price || row.total_price,
    currency: 'CNY',
    createdAt,
    updatedAt,
    paidAt: paid ? updatedAt : undefined,
    paidAtPrecision: paid ? 'upper_bound' : undefined,
    shopNotice: plainText(row.buy_prompt) ?? plainText(row.gd_description),
    buyer: { email: row.email || undefined, contactType: 'email', hasQueryPassword: !!row.search_pwd },
    verification: row.search_pwd ? ['order_no', 'email', 'query_password'] : ['order_no', 'email'],
    timeline,
  };

  switch (status) {
    case 1: {
      order.status = 'awaiting_payment';
      order.expiresAt = new Date(Date.parse(createdAt) + o.paymentWindowMin * 60_000).toISOString();
      break;
    }
    case -1:
      // Not strictly final: a gateway's late notify still completes an expired order.
      order.status = 'expired';
      timeline.push({ at: updatedAt, type: 'expired', source: 'shop' });
      break;
    case 2:
      order.status = 'paid';
      break;
    case 3:
      order.status = 'processing';
      timeline.push({ at: updatedAt, type: 'fulfillment_started', source: 'operator' });
      break;
    case 4:
      order.status = 'delivered';
      timeline.push({ at: updatedAt, type: 'delivered', source: manual ? 'operator' : 'shop' });
      break;
    case 5:
      order.status = 'failed';
      timeline.push({ at: updatedAt, type: 'failed', source: 'operator' });
      break;
    case 6: {
      const oos = OUT_OF_STOCK.some((re) => re.test(info));
      order.status = 'on_hold';
      order.holdReasons = [oos ? 'out_of_stock' : 'manual_review'];
      timeline.push({ at: updatedAt, type: 'hold', source: 'shop' });
      break;
    }
    default:
      // A status this version does not know: someone must look, and the bot says so.
      order.status = 'on_hold';
      order.holdReasons = ['manual_review'];
  }

  // What was delivered, or where it goes.
  const account = topupAccountOf(inputs);
  if (productType === 'phone_topup' && manual) {
    // The operator marks it done (the 'delivered' event); the shop records no amount charged, so none is claimed.
    order.delivery = { kind: 'topup_receipt', account };
  } else if (status === 4) {
    const text = manual ? operatorLines.join('\n') : info.trim();
    const tracking = productType === 'physical_card' || manual ? findTracking(text) : undefined;
    if (tracking) {
      order.status = 'shipped';
      order.delivery = { kind: 'tracking_number', ...tracking, phoneTail: phoneTailOf(inputs), shippedAt: updatedAt, signed: false };
      timeline.pop();
      timeline.push({ at: updatedAt, type: 'shipped', source: 'operator', synthetic: true });
    } else if (text) {
      const lines = text.split(/\r?\n/).filter((l) => l.trim());
      // One code per line only when the count matches: a single card may itself hold "account\npassword".
      const items = !manual && lines.length === order.quantity ? lines.map((plaintext) => ({ plaintext })) : [{ plaintext: text }];
      order.delivery = {
        kind: productType === 'software_license' ? 'license_key' : 'card_codes',
        items,
        expected: order.quantity,
        deliveredAt: updatedAt,
      };
    }
  }
  return UnifiedOrderSchema.parse(order);
}
