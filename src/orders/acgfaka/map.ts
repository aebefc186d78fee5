/**
 * acg-faka's `{prefix}order` row (+ `commodity`, and how many `card` rows it took) → the unified
 * order, per reference/shop-systems.md §4.4 (brief §3.3).
 *
 * acg-faka keeps two flags, `status` (0 未支付, 1 已支付) and `delivery_status` (0 未发货, 1 已发货),
 * and says everything else in the delivered text itself: out of stock and "upstream has nothing yet"
 * are literal sentences written into `secret` with delivery_status 1. There is no expired state: an
 * unpaid order older than the payment window is shown as expired, and says it is derived.
 */
import type { ProductType, TimelineEvent, UnifiedOrder, UnifiedOrderInput } from '../model.js';
import { UnifiedOrder as UnifiedOrderSchema } from '../model.js';
import { shopInstant } from '../mysql/shopDb.js';
import { type ProductTypeRules, productTypeOf } from '../settings.js';
import { findTracking, plainText } from '../shopText.js';

export interface AcgfakaRow {
  id: number;
  owner: number;
  trade_no: string;
  request_no: string | null;
  amount: string;
  commodity_id: number;
  card_num: number;
  create_time: string;
  pay_time: string | null;
  status: number;
  secret: string | null;
  password: string | null;
  contact: string | null;
  delivery_status: number;
  widget: string | null;
  leave_message: string | null;
  name: string | null;
  category_id: number | null;
  delivery_way: number | null;
  delivery_message: string | null;
  contact_type: number | null;
  shared_id: number | null;
  commodity_leave_message: string | null;
  /** Cards of local stock linked to this order. */
  cards: number | string;
}

export const acgfakaColumns = (p: string) =>
  `o.id, o.owner, o.trade_no, o.request_no, o.amount, o.commodity_id, o.card_num, o.create_time, o.pay_time, o.status, o.secret, o.password, o.contact, o.delivery_status, o.widget, o.leave_message, c.name, c.category_id, c.delivery_way, c.delivery_message, c.contact_type, c.shared_id, c.leave_message AS commodity_leave_message, (SELECT COUNT(*) FROM \`${p}card\` k WHERE k.order_id = o.id) AS cards`;

/** What orderSuccess writes when stock ran out between checkout and payment (pullCardForLocal). */
const SNATCHED = '很抱歉，有人在你付款之前抢走了商品，请联系客服。';
/** A docked ("mcy") upstream that returned nothing yet (Shared::trade). */
const UPSTREAM_NOTHING = '此商品没有发货信息或正在发货中';
/** The default text of a manual product while it waits (its own delivery_message when set). */
const MANUAL_WAITING = '正在发货中，请耐心等待，如有疑问，请联系客服。';

export interface AcgfakaMapOptions {
  dbZone: string;
  shopZone: string;
  productTypes: ProductTypeRules;
  paymentWindowMin: number;
}

const CONTACT_TYPES = { 1: 'phone', 2: 'email', 3: 'qq' } as const;

function contactTypeOf(row: AcgfakaRow): 'email' | 'phone' | 'qq' | 'other' {
  const t = CONTACT_TYPES[(row.contact_type ?? 0) as 1 | 2 | 3];
  if (t) return t;
  const c = (row.contact ?? '').trim();
  if (c.includes('@')) return 'email';
  if (/^1[3-9]\d{9}$/.test(c)) return 'phone';
  if (/^[1-9]\d{4,11}$/.test(c)) return 'qq';
  return 'other';
}

/** The account a top-up goes to, from the checkout widget ({"account":{"value":"…","cn":"游戏账号"}}). */
function widgetAccount(widget: string | null): string | undefined {
  if (!widget) return undefined;
  try {
    const w = JSON.parse(widget) as Record<string, { value?: unknown; cn?: unknown }>;
    if (!w || typeof w !== 'object' || Array.isArray(w)) return undefined;
    const fields = Object.entries(w).filter(([, f]) => f && typeof f === 'object' && typeof f.value === 'string' && f.value);
    const account = fields.find(([k, f]) => /账号|帐号|充值|手机|qq|uid|id/i.test(`${k} ${String(f.cn ?? '')}`)) ?? fields[0];
    return account ? String(account[1].value) : undefined;
  } catch {
    return undefined;
  }
}

/** Every value the buyer filled in at checkout, one per line. */
function widgetValues(widget: string | null): string {
  try {
    const w = JSON.parse(widget ?? 'null') as Record<string, { value?: unknown }> | null;
    return w && typeof w === 'object'
      ? Object.values(w)
          .map((f) => String(f?.value ?? ''))
          .join('\n')
      : '';
  } catch {
    return '';
  }
}

export function mapAcgfaka(row: AcgfakaRow, o: AcgfakaMapOptions, now: Date): UnifiedOrder {
  const at = (v: string | null) => shopInstant(v, o.dbZone, o.shopZone);
  const createdAt = at(row.create_time)!;
  const paidAt = Number(row.status) === 1 ? at(row.pay_time) : undefined;
  const title = row.name ?? '';
  const productType: ProductType = productTypeOf(o.productTypes, { goodsId: row.commodity_id, groupId: row.category_id ?? undefined, title });
  const docked = row.shared_id !== null && row.shared_id !== undefined;
  const manual = Number(row.delivery_way) === 1;
  const secret = (row.secret ?? '').trim();
  const member = Number(row.owner) > 0;
  const contactType = contactTypeOf(row);
  const quantity = Math.max(1, Number(row.card_num) || 1);
  const timeline: TimelineEvent[] = [{ at: createdAt, type: 'created', source: 'shop' }];
  if (paidAt) timeline.push({ at: paidAt, type: 'paid', source: 'payment' });
  const notice = [plainText(row.leave_message) ?? plainText(row.commodity_leave_message), manual ? plainText(row.delivery_message) : undefined].filter(Boolean).join('\n');

  const order: UnifiedOrderInput = {
    orderNo: row.trade_no.trim(),
    altNos: row.request_no ? [row.request_no.trim()] : [],
    source: { system: 'acgfaka', raw: { status: row.status, delivery_status: row.delivery_status } },
    status: 'on_hold',
    productType,
    fulfillmentMode: docked ? 'upstream' : manual ? 'manual' : 'auto',
    title,
    quantity,
    amount: row.amount,
    currency: 'CNY',
    createdAt,
    paidAt,
    shopNotice: notice || undefined,
    buyer: {
      // A member's checkout contact is random filler the shop generates: only the login proves them.
      userId: member ? String(row.owner) : undefined,
      contact: !member && contactType !== 'email' ? (row.contact ?? undefined) : undefined,
      email: !member && contactType === 'email' ? (row.contact ?? undefined) : undefined,
      contactType: member ? undefined : contactType,
      hasQueryPassword: !!row.password,
    },
    verification: [...(member ? [] : (['order_no', 'contact'] as const)), ...(row.password ? (['query_password'] as const) : []), ...(member ? (['account'] as const) : [])],
    timeline,
  };

  const status = Number(row.status);
  const delivered = Number(row.delivery_status) === 1;
  if (status === 0) {
    const expiresAt = new Date(Date.parse(createdAt) + o.paymentWindowMin * 60_000);
    if (now.getTime() < expiresAt.getTime()) {
      order.status = 'awaiting_payment';
      order.expiresAt = expiresAt.toISOString();
    } else {
      // acg-faka never expires an order; past the window nobody pays it any more.
      order.status = 'expired';
      timeline.push({ at: expiresAt.toISOString(), type: 'expired', source: 'adapter', synthetic: true });
    }
  } else if (status === 1 && delivered) {
    // Local stock is taken all or nothing, so fewer lines than cards bought is either one card that
    // is itself several lines (its card rows are all there) or a real shortage (they are not).
    const lineCount = secret.split(/\r?\n/).filter((l) => l.trim()).length;
    const localShort = !docked && !manual && lineCount < quantity && Number(row.cards) < quantity;
    if (secret === SNATCHED || localShort) {
      order.status = 'on_hold';
      order.holdReasons = ['out_of_stock'];
      timeline.push({ at: paidAt ?? createdAt, type: 'hold', source: 'shop' });
    } else if (docked && (secret === UPSTREAM_NOTHING || secret === MANUAL_WAITING || !secret)) {
      order.status = 'processing';
      order.holdReasons = ['upstream_pending'];
      timeline.push({ at: paidAt ?? createdAt, type: 'fulfillment_started', source: 'upstream' });
    } else {
      order.status = 'delivered';
      // Automatic and docked delivery happen at payment; an operator's manual delivery records no time.
      if (!manual && paidAt) timeline.push({ at: paidAt, type: 'delivered', source: docked ? 'upstream' : 'shop' });
      const account = widgetAccount(row.widget);
      // A parcel: the courier number the operator wrote as the delivery ("顺丰 SF1234567890123").
      const tracking = productType === 'physical_card' ? findTracking(secret) : undefined;
      if (tracking) {
        order.status = 'shipped';
        if (timeline.at(-1)?.type === 'delivered') timeline.pop();
        const phone = [row.contact ?? '', widgetValues(row.widget)].join('\n').match(/1[3-9]\d{9}/)?.[0];
        order.delivery = { kind: 'tracking_number', ...tracking, phoneTail: phone?.slice(-4), signed: false };
      } else if (productType === 'phone_topup' && manual) {
        order.delivery = { kind: 'topup_receipt', account };
      } else if (secret) {
        const lines = secret.split(/\r?\n/).filter((l) => l.trim());
        const items = lines.length === quantity ? lines.map((plaintext) => ({ plaintext: plaintext.trim() })) : [{ plaintext: secret }];
        order.delivery = {
          kind: productType === 'software_license' ? 'license_key' : 'card_codes',
          items,
          expected: quantity,
          deliveredAt: !manual ? paidAt : undefined,
        };
      }
    }
  } else if (status === 1) {
    if (manual) {
      order.status = 'paid';
      const account = widgetAccount(row.widget);
      if (productType === 'phone_topup') order.delivery = { kind: 'topup_receipt', account };
    } else {
      // Automatic delivery happens within the payment callback: paid and not delivered means someone must look.
      order.status = 'on_hold';
      order.holdReasons = ['manual_review'];
    }
  } else {
    order.status = 'on_hold';
    order.holdReasons = ['manual_review'];
  }
  return UnifiedOrderSchema.parse(order);
}
