/**
 * Dujiao-Next order → UnifiedOrder (scratch/issue14-brief.md §4.4; reference/shop-systems.md §4.4).
 * Pure: no I/O, the time comes in. The result still holds plaintext (codes, e-mail, top-up
 * account); the service masks it before anything leaves the adapter.
 *
 * Multi-item carts are a parent with one child per item, and the shop derives the parent's status
 * (calcParentStatus); we map the parent by that status and build the rest from the children: the
 * delivery from their fulfilments, `altNos` from their numbers, one timeline event each.
 */
import type { PerProduct } from '../../config.js';
import { type Delivery, type HoldReason, type OrderStatus, type ProductType, type TimelineEvent, UnifiedOrder, type UnifiedOrderInput } from '../model.js';
import { type ProductTypeRules, productTypeOf } from '../settings.js';
import type { DnChildOrder, DnFulfillment, DnItem, DnOrder } from './wire.js';

export const SYSTEM = 'dujiao-next';

export interface MapOptions {
  now: Date;
  rules: ProductTypeRules;
  /** Minutes a supplier may take per product type (POLICY_SUPPLIER_SLA_MIN). */
  supplierSlaMin: PerProduct;
  /** delivery_data keys that may hold a courier number / the carrier (DUJIAO_NEXT_TRACKING_KEYS / _CARRIER_KEYS). */
  trackingKeys: readonly string[];
  carrierKeys: readonly string[];
  /** The full payload per (child) order number, from the download route, where the detail's preview was truncated. */
  fullPayloads?: ReadonlyMap<string, string>;
}

/** Raw statuses whose goods have been handed over (the callback sender treats these three alike). */
const DELIVERED_RAW = new Set(['delivered', 'fulfilled', 'completed']);
/** Raw statuses after which nothing more will be delivered. */
const SETTLED_RAW = new Set([...DELIVERED_RAW, 'canceled', 'refunded', 'partially_refunded']);

/** One unit of fulfilment: a child order, or the order itself when it has no children. */
export interface Part {
  orderNo: string;
  status: string;
  title: string;
  productType: ProductType;
  quantity: number;
  amount?: string;
  /** auto | manual | upstream, from the items. */
  fulfillmentType?: string;
  fulfillment?: DnFulfillment | null;
  paidAt?: string;
  /** The buyer's checkout form (merged over the part's items). */
  form: Record<string, unknown>;
  /** Field keys and labels declared by the product's form schema. */
  formFields: string[];
}

const rawStatus = (s: string) => s.trim().toLowerCase();

// ---------------------------------------------------------------- small readers

/** An instant the model accepts (ISO 8601 with an offset), or undefined for null, garbage or Go's zero time. */
export function instant(s: string | null | undefined): string | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  if (Number.isNaN(t) || t < Date.UTC(1971, 0, 1)) return undefined;
  if (UnifiedOrder.shape.createdAt.safeParse(s).success) return s;
  return new Date(t).toISOString();
}

const ms = (s: string | null | undefined): number | undefined => {
  const i = instant(s);
  return i ? Date.parse(i) : undefined;
};

/** A localized title: zh-CN, else the buyer's locale, else the first non-empty one. */
export function localizedTitle(title: DnItem['title'], locale?: string | null): string {
  if (!title) return '';
  if (typeof title === 'string') return title.trim();
  const pick = (k: string | null | undefined) => (k && typeof title[k] === 'string' ? (title[k] as string).trim() : '');
  return pick('zh-CN') || pick(locale) || (Object.values(title).find((v): v is string => typeof v === 'string' && v.trim() !== '') ?? '').trim();
}

function asRecord(v: unknown): Record<string, unknown> {
  if (typeof v === 'string') {
    try {
      return asRecord(JSON.parse(v));
    } catch {
      return {};
    }
  }
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Keys and labels of the fields the product's form declares (the snapshot's inner shape is undocumented). */
function formFieldNames(schema: unknown): string[] {
  const rec = asRecord(schema);
  const fields = Array.isArray(schema) ? schema : Array.isArray(rec.fields) ? rec.fields : [];
  const out: string[] = [];
  for (const f of fields) {
    const r = asRecord(f);
    for (const k of ['key', 'name', 'label']) if (typeof r[k] === 'string') out.push(r[k] as string);
  }
  return out;
}

const scalar = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);

const ADDRESS_FIELD = /address|地址|收货/i;
const PHONE_FIELD = /phone|mobile|tel|手机|电话/i;
const ACCOUNT_FIELD = /account|uid|user_?id|qq|game_?id|role|账号|帐号|号码|手机|phone|mobile/i;

/** A product type from the checkout form when the rules name none: an address → a parcel, a phone or account → a top-up. */
function typeFromForm(fieldNames: string[]): ProductType | undefined {
  if (fieldNames.some((k) => ADDRESS_FIELD.test(k))) return 'physical_card';
  if (fieldNames.some((k) => PHONE_FIELD.test(k) || ACCOUNT_FIELD.test(k))) return 'phone_topup';
  return undefined;
}

/**
 * A product's type: a configured title rule, else what its checkout form asks for, else the rest of
 * the rules (default, then a guess from the title). Dujiao-Next's buyer DTOs carry no product or
 * category id, so `goods:` and `group:` rules cannot apply.
 */
export function productTypeFor(rules: ProductTypeRules, title: string, formFields: string[]): ProductType {
  const byTitle = rules.title.find(([t]) => title.includes(t));
  if (byTitle) return byTitle[1];
  return typeFromForm(formFields) ?? productTypeOf(rules, { title });
}

/** The top-up account the buyer typed at checkout (phone number, game id), if the form has one. */
function topupAccount(part: Part): string | undefined {
  const entries = Object.entries(part.form).filter(([k]) => !/^receiver_|address/i.test(k));
  const hit = entries.find(([k]) => ACCOUNT_FIELD.test(k)) ?? (entries.length === 1 ? entries[0] : undefined);
  return hit ? scalar(hit[1]) : undefined;
}

function sumQuantity(items: DnItem[]): number {
  const n = items.reduce((s, it) => s + (it.quantity ?? 0), 0);
  return n > 0 ? n : 1;
}

function fulfillmentTypeOf(items: DnItem[]): string | undefined {
  const types = items.map((it) => it.fulfillment_type?.trim().toLowerCase()).filter((t): t is string => !!t);
  return types.includes('upstream') ? 'upstream' : types.includes('manual') ? 'manual' : types[0];
}

function partFrom(o: DnChildOrder, items: DnItem[], formItems: DnItem[], rules: ProductTypeRules, locale?: string | null): Part {
  const title = items.map((it) => localizedTitle(it.title, locale)).find(Boolean) ?? '';
  const form: Record<string, unknown> = {};
  const formFields: string[] = [];
  for (const it of formItems) {
    Object.assign(form, asRecord(it.manual_form_submission));
    formFields.push(...formFieldNames(it.manual_form_schema_snapshot));
  }
  formFields.push(...Object.keys(form));
  return {
    orderNo: o.order_no,
    status: rawStatus(o.status),
    title,
    productType: productTypeFor(rules, title, formFields),
    quantity: sumQuantity(items),
    amount: o.total_amount ?? undefined,
    fulfillmentType: fulfillmentTypeOf(items),
    fulfillment: o.fulfillment,
    paidAt: instant(o.paid_at),
    form,
    formFields,
  };
}

/**
 * The order's units of fulfilment. Children carry only a slim item (title, quantity, type); the
 * checkout form lives on the parent's items, one per child in order, matched by position (or by
 * title when the counts differ).
 */
export function partsOf(raw: DnOrder, rules: ProductTypeRules): Part[] {
  const items = raw.items ?? [];
  const children = raw.children ?? [];
  if (children.length === 0) return [partFrom(raw, items, items, rules, raw.guest_locale)];
  return children.map((child, i) => {
    const childItems = child.items?.length ? child.items : items[i] ? [items[i]] : [];
    const childTitle = localizedTitle(childItems[0]?.title, raw.guest_locale);
    const parentItem = children.length === items.length ? items[i] : items.find((it) => localizedTitle(it.title, raw.guest_locale) === childTitle);
    const formItems = [...(parentItem ? [parentItem] : []), ...childItems];
    // A child item without its own fulfilment type inherits the parent item's.
    const typed = childItems.map((it) => (it.fulfillment_type ? it : { ...it, fulfillment_type: parentItem?.fulfillment_type }));
    return partFrom({ ...child, paid_at: child.paid_at ?? raw.paid_at }, typed, formItems, rules, raw.guest_locale);
  });
}

/** Payload lines as the detail returns them (a preview when truncated) or in full from the download. */
function payloadLines(text: string | null | undefined): string[] {
  return (text ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Order numbers whose fulfilment payload the detail truncated: fetch these from the download route to reveal. */
export function truncatedPayloads(raw: DnOrder, rules: ProductTypeRules): string[] {
  return partsOf(raw, rules)
    .filter((p) => p.fulfillment && (p.fulfillment.payload_line_count ?? 0) > payloadLines(p.fulfillment.payload).length)
    .map((p) => p.orderNo);
}

// ---------------------------------------------------------------- delivery

interface Tracking {
  trackingNo: string;
  carrier?: string;
}

/** Kuaidi100 codes for the carriers a shop most often writes by name; anything else stays `unknown` (auto-detected later). */
const CARRIER_CODES: Array<[RegExp, string]> = [
  [/顺丰|^sf$/i, 'shunfeng'],
  [/圆通/, 'yuantong'],
  [/中通/, 'zhongtong'],
  [/申通/, 'shentong'],
  [/韵达/, 'yunda'],
  [/极兔/, 'jtexpress'],
  [/京东/, 'jd'],
  [/德邦/, 'debangwuliu'],
  [/^ems$|邮政.*EMS|EMS/i, 'ems'],
  [/邮政|中国邮政/, 'youzhengguonei'],
];

function carrierCode(carrier: string | undefined): string {
  if (!carrier) return 'unknown';
  if (/^[a-z][a-z0-9]{1,30}$/.test(carrier)) return carrier;
  return CARRIER_CODES.find(([re]) => re.test(carrier))?.[1] ?? 'unknown';
}

/** A courier number in the free-form delivery_data under one of the configured keys (top level or one level down). */
export function trackingIn(deliveryData: unknown, trackingKeys: readonly string[], carrierKeys: readonly string[]): Tracking | undefined {
  const top = asRecord(deliveryData);
  const levels = [top, ...Object.values(top).map(asRecord)];
  const find = (rec: Record<string, unknown>, keys: readonly string[]) => {
    const lower = new Map(Object.entries(rec).map(([k, v]) => [k.toLowerCase(), v]));
    for (const k of keys) {
      const v = scalar(lower.get(k.trim().toLowerCase()));
      if (v) return v;
    }
    return undefined;
  };
  for (const rec of levels) {
    const trackingNo = find(rec, trackingKeys);
    if (trackingNo) return { trackingNo, carrier: find(rec, carrierKeys) ?? find(top, carrierKeys) };
  }
  return undefined;
}

function phoneTail(form: Record<string, unknown>): string | undefined {
  for (const [k, v] of Object.entries(form)) {
    if (!PHONE_FIELD.test(k)) continue;
    const digits = (scalar(v) ?? '').replace(/\D/g, '');
    if (digits.length >= 7) return digits.slice(-4);
  }
  return undefined;
}

function latest(times: Array<string | undefined>): string | undefined {
  const known = times.filter((t): t is string => !!t);
  return known.sort((a, b) => Date.parse(b) - Date.parse(a))[0];
}

/**
 * The order's one delivery: a courier number if any part shipped with one; else the codes of the
 * code-delivered parts (one per payload line; `expected` = their quantities, so a pending top-up
 * beside delivered codes does not look like missing stock); else a top-up's receipt (the account
 * from the checkout form).
 */
function deliveryOf(parts: Part[], opts: MapOptions): Delivery | undefined {
  for (const p of parts) {
    const t = p.fulfillment ? trackingIn(p.fulfillment.delivery_data, opts.trackingKeys, opts.carrierKeys) : undefined;
    if (t)
      return {
        kind: 'tracking_number',
        trackingNo: t.trackingNo,
        carrierCode: carrierCode(t.carrier),
        carrierName: t.carrier,
        phoneTail: phoneTail(p.form),
        signed: false,
        shippedAt: instant(p.fulfillment?.delivered_at),
      };
  }
  const topups = parts.filter((p) => p.productType === 'phone_topup' && topupAccount(p));
  const codeParts = parts.filter((p) => !topups.includes(p));
  if (codeParts.some((p) => p.fulfillment)) {
    const items: Array<{ plaintext?: string }> = [];
    for (const p of codeParts) {
      if (!p.fulfillment) continue;
      const full = opts.fullPayloads?.get(p.orderNo);
      const lines = payloadLines(full ?? p.fulfillment.payload);
      items.push(...lines.map((plaintext) => ({ plaintext })));
      // A truncated preview: the lines not shown still count (masked as ****) until revealed in full.
      const declared = full === undefined ? (p.fulfillment.payload_line_count ?? 0) : 0;
      for (let i = lines.length; i < declared; i++) items.push({});
    }
    return {
      kind: codeParts.every((p) => p.productType === 'software_license') ? 'license_key' : 'card_codes',
      items,
      expected: codeParts.reduce((s, p) => s + p.quantity, 0),
      deliveredAt: latest(codeParts.map((p) => instant(p.fulfillment?.delivered_at))),
    };
  }
  const topup = topups[0];
  if (topup) return { kind: 'topup_receipt', account: topupAccount(topup) };
  return undefined;
}

// ---------------------------------------------------------------- status

/** Whether a part still waits on a supplier (an upstream item not yet delivered, refunded or canceled). */
const upstreamPending = (p: Part) => p.fulfillmentType === 'upstream' && !SETTLED_RAW.has(p.status);

/**
 * Status and holds by brief §4.4. Through the buyer API a failed procurement is invisible (the shop
 * rolls the order back to `paid`), so a `paid` order with an upstream item older than the
 * supplier SLA becomes on_hold/upstream_pending (overdue; diagnosis escalates it).
 */
export function mapStatus(
  raw: DnOrder,
  parts: Part[],
  delivery: Delivery | undefined,
  opts: Pick<MapOptions, 'now' | 'supplierSlaMin'>,
): { status: OrderStatus; holdReasons: HoldReason[] } {
  const s = rawStatus(raw.status);
  switch (s) {
    case 'pending_payment':
      return { status: 'awaiting_payment', holdReasons: [] };
    case 'canceled': {
      const expires = ms(raw.expires_at);
      const canceled = ms(raw.canceled_at);
      const expired = !instant(raw.paid_at) && expires !== undefined && canceled !== undefined && expires <= canceled;
      return { status: expired ? 'expired' : 'canceled', holdReasons: [] };
    }
    case 'paid': {
      const now = opts.now.getTime();
      const since = (p: Part) => ms(p.paidAt) ?? ms(raw.paid_at) ?? ms(raw.created_at) ?? now;
      const overdue = parts.some((p) => upstreamPending(p) && now - since(p) > opts.supplierSlaMin[p.productType] * 60_000);
      return overdue ? { status: 'on_hold', holdReasons: ['upstream_pending'] } : { status: 'paid', holdReasons: [] };
    }
    case 'fulfilling':
      return { status: 'processing', holdReasons: parts.some(upstreamPending) ? ['upstream_pending'] : [] };
    case 'partially_delivered':
      return { status: 'partially_delivered', holdReasons: [] };
    case 'delivered':
    case 'fulfilled':
      // Whether the parcel is signed is Kuaidi100's to say; until then a courier number means shipped.
      return { status: delivery?.kind === 'tracking_number' ? 'shipped' : 'delivered', holdReasons: [] };
    case 'completed':
    case 'partially_refunded':
    case 'refunded':
      return { status: s, holdReasons: [] };
    default:
      // A status this adapter does not know (a newer release, a plugin): a person has to look.
      return { status: 'on_hold', holdReasons: ['manual_review'] };
  }
}

// ---------------------------------------------------------------- timeline

const PART_STATE: Record<string, string> = {
  pending_payment: '待支付',
  paid: '已支付，等待处理',
  fulfilling: '处理中',
  partially_delivered: '部分发货',
  delivered: '已发货',
  fulfilled: '已发货',
  completed: '已完成',
  partially_refunded: '部分退款',
  refunded: '已退款',
  canceled: '已取消',
};

type TimelineInput = Omit<TimelineEvent, 'source'> & { source?: TimelineEvent['source'] };

function timelineOf(raw: DnOrder, parts: Part[], status: OrderStatus, opts: MapOptions): TimelineInput[] {
  const events: TimelineInput[] = [];
  const created = instant(raw.created_at);
  const paid = instant(raw.paid_at);
  const canceled = instant(raw.canceled_at);
  if (created) events.push({ at: created, type: 'created', source: 'shop' });
  if (paid) events.push({ at: paid, type: 'paid', source: 'payment' });
  if (canceled) events.push({ at: canceled, type: status === 'expired' ? 'expired' : 'canceled', source: 'shop' });
  const shippedWithNumber = (p: Part) => !!p.fulfillment && !!trackingIn(p.fulfillment.delivery_data, opts.trackingKeys, opts.carrierKeys);
  if (!raw.children?.length) {
    const p = parts[0];
    const at = instant(raw.fulfillment?.delivered_at);
    if (at && p) events.push({ at, type: shippedWithNumber(p) ? 'shipped' : 'delivered', source: 'shop' });
    return sortEvents(events);
  }
  for (const p of parts) {
    const label = `子订单 ${p.orderNo}（${p.title || '商品'}）`;
    const at = instant(p.fulfillment?.delivered_at);
    if (at) {
      const shipped = shippedWithNumber(p);
      events.push({ at, type: shipped ? 'shipped' : 'delivered', source: 'shop', text: `${label}${shipped ? '已发货' : '已交付'}` });
    }
    if (p.fulfillmentType === 'upstream') {
      const when = at ?? p.paidAt ?? paid ?? created;
      if (when) events.push({ at: when, type: 'upstream_update', source: 'upstream', text: `${label}：${PART_STATE[p.status] ?? p.status}`, synthetic: at ? undefined : true });
    }
  }
  return sortEvents(events);
}

function sortEvents(events: TimelineInput[]): TimelineInput[] {
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => Date.parse(a.e.at) - Date.parse(b.e.at) || a.i - b.i)
    .map(({ e }) => e);
}

// ---------------------------------------------------------------- the order

/** "99.00" as the model wants it (at most two decimals), whatever the shop's formatting. */
export function decimalAmount(v: string | null | undefined): string {
  const s = (v ?? '').trim();
  if (/^\d+(\.\d{1,2})?$/.test(s)) return s;
  const m = /^(\d+)\.(\d{2})0*$/.exec(s);
  if (m) return `${m[1]}.${m[2]}`;
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 ? n.toFixed(2) : '0.00';
}

/** Of a mixed cart, the type of the part still to come decides the windows (a pending top-up beside delivered codes). */
function orderProductType(parts: Part[]): ProductType {
  const types = new Set(parts.map((p) => p.productType));
  if (types.size <= 1) return parts[0]?.productType ?? 'other';
  return (parts.find((p) => !SETTLED_RAW.has(p.status)) ?? parts[0])!.productType;
}

/** The unified order, unmasked. Throws (zod) when the shop's record cannot make a valid order. */
export function mapOrder(raw: DnOrder, opts: MapOptions): UnifiedOrder {
  const parts = partsOf(raw, opts.rules);
  const delivery = deliveryOf(parts, opts);
  const { status, holdReasons } = mapStatus(raw, parts, delivery, opts);
  const items = raw.items ?? [];
  const titles = [...new Set((items.length ? items.map((it) => localizedTitle(it.title, raw.guest_locale)) : parts.map((p) => p.title)).filter(Boolean))];
  const fulfillment = fulfillmentTypeOf(items.length ? items : parts.map((p) => ({ fulfillment_type: p.fulfillmentType })));
  const created = instant(raw.created_at) ?? instant(raw.paid_at);
  const paidAt = instant(raw.paid_at);
  const input: UnifiedOrderInput = {
    orderNo: raw.order_no,
    altNos: (raw.children ?? []).map((c) => c.order_no).filter((n) => n && n !== raw.order_no),
    source: { system: SYSTEM, raw: { status: raw.status } },
    status,
    holdReasons,
    productType: orderProductType(parts),
    fulfillmentMode: fulfillment === 'auto' || fulfillment === 'manual' || fulfillment === 'upstream' ? fulfillment : undefined,
    title: titles.join(' + '),
    quantity: items.length ? sumQuantity(items) : parts.reduce((s, p) => s + p.quantity, 0) || 1,
    amount: decimalAmount(raw.total_amount),
    currency: raw.currency || 'CNY',
    createdAt: created as string,
    paidAt,
    paidAtPrecision: paidAt ? 'exact' : undefined,
    expiresAt: instant(raw.expires_at),
    timeline: timelineOf(raw, parts, status, opts),
    delivery,
    buyer: { email: raw.guest_email ?? undefined, contactType: 'email', hasQueryPassword: true },
    verification: ['order_no', 'email', 'query_password'],
  };
  return UnifiedOrder.parse(input);
}
