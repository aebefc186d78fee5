/**
 * Seed data for the demo shop (DESIGN §3–4, reference/shop-systems.md §1.1–1.3, §4.3–4.4).
 *
 * `demoOrders(now)` is a curated shop of 48 orders that covers every status, hold reason,
 * product type and delivery kind of the unified model, with the situations the diagnosis has to
 * tell apart (sync delay, overdue, 充值中 inside / past the SLA, no courier scan, 疑难件, …).
 * All times are computed from `now`, so the demo stays meaningful whenever it is started; they are
 * written as Asia/Shanghai local time with a +08:00 offset, independent of the process TZ.
 *
 * `syntheticOrders(n, now, seed)` produces bulk orders of the same shapes for benchmarks.
 *
 * Number formats follow the real systems:
 * - dujiaoka `order_sn`: 16 chars [A-Z0-9] (`strtoupper(Str::random(16))`);
 * - acg-faka `trade_no`: 18 digits = mt_rand(100,999) . date('ymdHis') . mt_rand(100,999);
 * - Dujiao-Next: 'DJ' + yyyyMMddHHmmss + 4 uppercase letters;
 * - WeChat Pay transaction_id: '42000' + 5 digits + yyyyMMdd + 10 digits (28 digits);
 * - Alipay trade_no: yyyyMMdd + '2200' + 16 digits (28 digits).
 * Upstream (top-up supplier) numbers are illustrative: the public sources do not show their format.
 *
 * Disjoint number spaces keep synthetic orders from ever colliding with the demo shop:
 * demo dujiaoka numbers never start with 'S' (synthetic ones always do), demo acg-faka numbers
 * start with 100–499 (synthetic 500–999), demo Dujiao-Next suffixes start with A–M (synthetic N–Z),
 * and the random block of every demo alternative number starts with 0–8 (synthetic: 9).
 *
 * Only types are imported, so this module has no runtime dependencies.
 */
import type { UnifiedOrderInput } from '../model.js';
import { mulberry32 } from '../../random.js';

// ---------------------------------------------------------------------------------------------
// Types derived from the model's input type
// ---------------------------------------------------------------------------------------------

type Delivery = NonNullable<UnifiedOrderInput['delivery']>;
type TimelineInput = NonNullable<UnifiedOrderInput['timeline']>[number];
type EventType = TimelineInput['type'];
type EventSource = NonNullable<TimelineInput['source']>;
type BuyerInput = NonNullable<UnifiedOrderInput['buyer']>;
type Status = UnifiedOrderInput['status'];
type Hold = NonNullable<UnifiedOrderInput['holdReasons']>[number];
type Product = NonNullable<UnifiedOrderInput['productType']>;
type Mode = NonNullable<UnifiedOrderInput['fulfillmentMode']>;
type Factor = NonNullable<UnifiedOrderInput['verification']>[number];
type ContactType = NonNullable<BuyerInput['contactType']>;

type ShopSystem = 'dujiaoka' | 'acg-faka' | 'dujiao-next';
type PayChannel = 'wechat' | 'alipay';
type TopupProvider = 'dayuanren' | 'juhe' | 'kayu';
type CarrierCode = 'shunfeng' | 'yuantong' | 'zhongtong' | 'jd' | 'ems';

// ---------------------------------------------------------------------------------------------
// Demo buyers
// ---------------------------------------------------------------------------------------------

export const DEMO_BUYERS: ReadonlyArray<{ id: string; contact: string; email?: string; name: string }> = Object.freeze([
  { id: 'u1001', name: '张伟', contact: '13812345678', email: 'zhangwei@example.com' },
  { id: 'u1002', name: '李娜', contact: '2839475610', email: '2839475610@qq.com' },
  { id: 'u1003', name: '王磊', contact: '15987654321' },
  { id: 'u1004', name: '陈静', contact: '18666028899', email: 'chenjing.shop@example.com' },
  { id: 'u1005', name: '刘洋', contact: '75318642' },
  { id: 'u1006', name: '赵敏', contact: '13925476180', email: 'zhaomin@example.net' },
]);

// ---------------------------------------------------------------------------------------------
// Time helpers (Asia/Shanghai is UTC+8 all year, no DST)
// ---------------------------------------------------------------------------------------------

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const SHANGHAI_OFFSET_MS = 8 * HOUR;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

interface LocalFields {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

/**
 * Calendar fields of an instant in Asia/Shanghai, whatever `process.env.TZ` says. Pure arithmetic
 * (H. Hinnant's civil_from_days) instead of Date objects: syntheticOrders formats ~10 instants per
 * order, and this keeps 10,000 orders fast.
 */
function shanghaiFields(ms: number): LocalFields {
  const local = ms + SHANGHAI_OFFSET_MS;
  const days = Math.floor(local / DAY);
  let sod = Math.floor((local - days * DAY) / SEC);
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const mo = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (mo <= 2 ? 1 : 0);
  const h = Math.floor(sod / 3600);
  sod -= h * 3600;
  const mi = Math.floor(sod / 60);
  return { y, mo, d, h, mi, s: sod - mi * 60 };
}

const CH_0 = 48;
/** Scratch buffer for the digit codes of yyyyMMddHHmmss; every formatter copies out of it at once. */
const STAMP = new Array<number>(14).fill(CH_0);

/** Writes `v` as two digits at `at` of STAMP. */
function put2(at: number, v: number): void {
  STAMP[at] = CH_0 + Math.floor(v / 10);
  STAMP[at + 1] = CH_0 + (v % 10);
}

/** Fills STAMP with yyyyMMddHHmmss of `ms` in Shanghai time (years 1000–9999). */
function fillStamp(ms: number): number[] {
  const f = shanghaiFields(ms);
  put2(0, Math.floor(f.y / 100));
  put2(2, f.y % 100);
  put2(4, f.mo);
  put2(6, f.d);
  put2(8, f.h);
  put2(10, f.mi);
  put2(12, f.s);
  return STAMP;
}

/** ISO 8601 in Shanghai local time, e.g. "2026-11-23T15:00:00+08:00" (whole seconds). */
function shanghaiIso(ms: number): string {
  const c = fillStamp(ms);
  // Built from char codes: a flat string, cheaper to keep than a chain of concatenations.
  return String.fromCharCode(
    c[0] ?? CH_0,
    c[1] ?? CH_0,
    c[2] ?? CH_0,
    c[3] ?? CH_0,
    45,
    c[4] ?? CH_0,
    c[5] ?? CH_0,
    45,
    c[6] ?? CH_0,
    c[7] ?? CH_0,
    84,
    c[8] ?? CH_0,
    c[9] ?? CH_0,
    58,
    c[10] ?? CH_0,
    c[11] ?? CH_0,
    58,
    c[12] ?? CH_0,
    c[13] ?? CH_0,
    43,
    48,
    56,
    58,
    48,
    48,
  );
}

/** yyyyMMddHHmmss in Shanghai time. */
function stamp14(ms: number): string {
  return String.fromCharCode(...fillStamp(ms));
}

/** yyyyMMdd in Shanghai time. */
function stampDate(ms: number): string {
  return String.fromCharCode(...fillStamp(ms).slice(0, 8));
}

/** yyMMddHHmmss in Shanghai time (PHP date('ymdHis')). */
function stamp12(ms: number): string {
  return String.fromCharCode(...fillStamp(ms).slice(2));
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness
// ---------------------------------------------------------------------------------------------

type Rng = () => number;

function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

function digits(rng: Rng, n: number): string {
  const codes = new Array<number>(n);
  for (let i = 0; i < n; i++) codes[i] = CH_0 + Math.floor(rng() * 10);
  return String.fromCharCode(...codes);
}

/** Code alphabet without look-alikes (no I, O, 0, 1). */
const CODE_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const BASE36 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function chars(rng: Rng, n: number, alphabet: string = CODE_CHARS): string {
  const codes = new Array<number>(n);
  for (let i = 0; i < n; i++) codes[i] = alphabet.charCodeAt(Math.floor(rng() * alphabet.length));
  return String.fromCharCode(...codes);
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

// ---------------------------------------------------------------------------------------------
// Money, masking and secret items
// ---------------------------------------------------------------------------------------------

/** Integer cents to a decimal yuan string, e.g. 9850 -> "98.50". */
function yuan(cents: number): string {
  return `${Math.floor(cents / 100)}.${pad(cents % 100, 2)}`;
}

type SecretItem = { masked: string; plaintext: string };

/** A single code: first 4 and last 4 significant characters, e.g. "QB10-8842-5519-7Z3K" -> "QB10****7Z3K". */
function codeItem(plaintext: string): SecretItem {
  const compact = plaintext.replace(/[^0-9A-Za-z]/g, '');
  return { masked: `${compact.slice(0, 4)}****${compact.slice(-4)}`, plaintext };
}

/** Card number + password (骏网/网易 style). */
function pairItem(cardNo: string, password: string): SecretItem {
  return {
    masked: `卡号：${cardNo.slice(0, 4)}****${cardNo.slice(-4)} 密码：******`,
    plaintext: `卡号：${cardNo} 密码：${password}`,
  };
}

/** A grouped licence key: first and last group kept, e.g. "7KQ2M-*****-*****-*****-3GVXK". */
function keyItem(key: string): SecretItem {
  const groups = key.split('-');
  const masked = groups.map((g, i) => (i === 0 || i === groups.length - 1 ? g : '*'.repeat(g.length))).join('-');
  return { masked, plaintext: key };
}

function genQb(rng: Rng): string {
  return `QB${chars(rng, 2)}-${digits(rng, 4)}-${digits(rng, 4)}-${chars(rng, 4)}`;
}
function genSteam(rng: Rng): string {
  return `${chars(rng, 5)}-${chars(rng, 5)}-${chars(rng, 5)}`;
}
function genKey(rng: Rng, groups: number, len: number): string {
  const parts: string[] = [];
  for (let i = 0; i < groups; i++) parts.push(chars(rng, len));
  return parts.join('-');
}
function genPair(rng: Rng, cardLen: number, pwdLen: number): SecretItem {
  return pairItem(String(randInt(rng, 1, 9)) + digits(rng, cardLen - 1), digits(rng, pwdLen));
}

const CARRIER_NAMES: Record<CarrierCode, string> = {
  shunfeng: '顺丰速运',
  yuantong: '圆通速递',
  zhongtong: '中通快递',
  jd: '京东快递',
  ems: 'EMS',
};

const PAY_NAMES: Record<PayChannel, string> = { wechat: '微信支付', alipay: '支付宝' };
const PROVIDER_NAMES: Record<TopupProvider, string> = { dayuanren: '大猿人', juhe: '聚合数据', kayu: '卡域' };

function classifyContact(contact: string): ContactType {
  if (/^1[3-9]\d{9}$/.test(contact)) return 'phone';
  if (/^[1-9]\d{4,10}$/.test(contact)) return 'qq';
  if (contact.includes('@')) return 'email';
  return 'other';
}

/** The factors a buyer can prove for an order (what the demo shop accepts). */
function factorsFor(buyer: BuyerInput, productType: Product): Factor[] {
  const factors: Factor[] = ['order_no'];
  if (buyer.email !== undefined) factors.push('email');
  if (buyer.contact !== undefined) factors.push('contact');
  if (buyer.hasQueryPassword === true) factors.push('query_password');
  if (productType === 'phone_topup') factors.push('account');
  return factors;
}

// ---------------------------------------------------------------------------------------------
// Timeline events
// ---------------------------------------------------------------------------------------------

interface Ev {
  at: number;
  type: EventType;
  source: EventSource;
  text?: string;
  synthetic?: boolean;
}

function ev(at: Date | number, type: EventType, source: EventSource, text?: string): Ev {
  const e: Ev = { at: typeof at === 'number' ? at : at.getTime(), type, source };
  if (text !== undefined) e.text = text;
  return e;
}

/**
 * Sorts events by time (stable) and converts them. dujiaoka and acg-faka store no event history,
 * so their shop/payment/operator events are what an adapter derives from timestamps: synthetic.
 */
function toTimeline(events: Ev[], system: ShopSystem): { timeline: TimelineInput[]; last: number } {
  const sorted = [...events].sort((a, b) => a.at - b.at);
  const derived = system !== 'dujiao-next';
  const timeline = sorted.map((e): TimelineInput => {
    const out: TimelineInput = { at: shanghaiIso(e.at), type: e.type, source: e.source };
    if (e.text !== undefined) out.text = e.text;
    if (e.synthetic === true || (derived && (e.source === 'shop' || e.source === 'payment' || e.source === 'operator'))) {
      out.synthetic = true;
    }
    return out;
  });
  const lastEvent = sorted[sorted.length - 1];
  return { timeline, last: lastEvent === undefined ? 0 : lastEvent.at };
}

// ---------------------------------------------------------------------------------------------
// Order numbers
// ---------------------------------------------------------------------------------------------

/**
 * The shop order number. `key` is the dujiaoka order_sn itself, the acg-faka random parts as
 * "123-456", or the 4-letter Dujiao-Next suffix.
 */
function orderNoFor(system: ShopSystem, key: string, createdMs: number): string {
  switch (system) {
    case 'dujiaoka':
      return key;
    case 'acg-faka': {
      const [head, tail] = key.split('-');
      return `${head ?? ''}${stamp12(createdMs)}${tail ?? ''}`;
    }
    case 'dujiao-next':
      return `DJ${stamp14(createdMs)}${key}`;
  }
}

// ---------------------------------------------------------------------------------------------
// The curated demo shop
// ---------------------------------------------------------------------------------------------

interface GuestBuyer {
  contact?: string;
  email?: string;
}

interface Spec {
  system: ShopSystem;
  /** See orderNoFor. */
  no: string;
  /** The raw status fields of the source system (what an agent console would show). */
  raw: Record<string, unknown>;
  /** A DEMO_BUYERS id, or a guest. */
  buyer: string | GuestBuyer;
  queryPassword?: boolean;
  status: Status;
  holds?: Hold[];
  type: Product;
  mode: Mode;
  title: string;
  qty?: number;
  amount: string;
  created: Date;
  paid?: Date;
  pay?: PayChannel;
  /** Payment seen by the gateway but not confirmed by the shop (amount mismatch). */
  payAt?: Date;
  expires?: Date;
  events?: Ev[];
  delivery?: Delivery;
  notice?: string;
  /** The product's delivery promise in minutes, as a shop's product settings state it. */
  promised?: number;
}

function demoBuyer(ref: string | GuestBuyer, queryPassword: boolean): BuyerInput {
  let contact: string | undefined;
  let email: string | undefined;
  let userId: string | undefined;
  if (typeof ref === 'string') {
    const known = DEMO_BUYERS.find((b) => b.id === ref);
    if (known === undefined) throw new Error(`unknown demo buyer ${ref}`);
    userId = known.id;
    contact = known.contact;
    email = known.email;
  } else {
    contact = ref.contact;
    email = ref.email;
  }
  const buyer: BuyerInput = { hasQueryPassword: queryPassword };
  if (userId !== undefined) buyer.userId = userId;
  if (contact !== undefined) buyer.contact = contact;
  if (email !== undefined) buyer.email = email;
  buyer.contactType = contact !== undefined ? classifyContact(contact) : 'email';
  return buyer;
}

/** The curated demo shop: 48 realistic orders, times relative to `now`. Deterministic. */
export function demoOrders(now: Date): UnifiedOrderInput[] {
  const nowMs = Math.floor(now.getTime() / SEC) * SEC;
  const today = shanghaiFields(nowMs);
  const rng = mulberry32(0x5eed_0d3e);
  let altSeq = 0;

  // --- relative times -------------------------------------------------------------------------
  /** `h` hours, `m` minutes, `s` seconds before now. */
  const ago = (h: number, m = 0, s = 0): Date => new Date(nowMs - h * HOUR - m * MIN - s * SEC);
  const mins = (m: number, s = 0): Date => ago(0, m, s);
  /** A Shanghai wall-clock time `daysBack` calendar days ago (daysBack >= 1, so always in the past). */
  const day = (daysBack: number, hh: number, mm: number, ss = 0): Date => new Date(Date.UTC(today.y, today.mo - 1, today.d - daysBack, hh, mm, ss) - SHANGHAI_OFFSET_MS);
  const add = (d: Date, m: number, s = 0): Date => new Date(d.getTime() + m * MIN + s * SEC);

  // --- alternative numbers (a running sequence in the tail keeps them unique) -----------------
  const seq3 = (): string => pad(++altSeq, 3);
  const payNo = (channel: PayChannel, at: Date): string => {
    const date = stampDate(at.getTime());
    return channel === 'wechat' ? `42000${randInt(rng, 0, 8)}${digits(rng, 4)}${date}${digits(rng, 7)}${seq3()}` : `${date}2200${randInt(rng, 0, 8)}${digits(rng, 12)}${seq3()}`;
  };
  const upstreamNo = (provider: TopupProvider, at: Date): string => {
    const ms = at.getTime();
    switch (provider) {
      case 'dayuanren':
        return `DY${stamp14(ms)}${randInt(rng, 0, 8)}${digits(rng, 2)}${seq3()}`;
      case 'juhe':
        return `J${stamp12(ms)}${randInt(rng, 0, 8)}${digits(rng, 4)}${seq3()}`;
      case 'kayu':
        return `KY${stampDate(ms)}${randInt(rng, 0, 8)}${digits(rng, 6)}${seq3()}`;
    }
  };

  // --- delivery builders ------------------------------------------------------------------------
  const cards = (items: SecretItem[], expected: number, at?: Date): Delivery => {
    const d: Delivery = { kind: 'card_codes', items, expected };
    if (at !== undefined) d.deliveredAt = shanghaiIso(at.getTime());
    return d;
  };
  const licence = (items: SecretItem[], expected: number, at: Date): Delivery => ({ kind: 'license_key', items, expected, deliveredAt: shanghaiIso(at.getTime()) });
  const topup = (o: { account: string; face: string; charged?: string; provider: TopupProvider; state: string; submitted: Date; finished?: Date }): Delivery => {
    const d: Delivery = {
      kind: 'topup_receipt',
      account: o.account,
      faceValue: o.face,
      upstream: { provider: o.provider, orderNo: upstreamNo(o.provider, o.submitted), state: o.state },
      submittedAt: shanghaiIso(o.submitted.getTime()),
    };
    if (o.charged !== undefined) d.chargedAmount = o.charged;
    if (o.finished !== undefined) d.finishedAt = shanghaiIso(o.finished.getTime());
    if (o.provider === 'dayuanren' && o.state === '1') {
      d.voucherUrl = `https://recharge.example.com/yrapi.php/open/voucher/id/${digits(rng, 6)}.html`;
    }
    return d;
  };
  const track = (o: { carrier: CarrierCode; no: string; shipped: Date; state?: string; signed?: boolean; last?: [Date, string]; checked?: Date }): Delivery => {
    const d: Delivery = {
      kind: 'tracking_number',
      carrierCode: o.carrier,
      carrierName: CARRIER_NAMES[o.carrier],
      trackingNo: o.no,
      signed: o.signed ?? false,
      shippedAt: shanghaiIso(o.shipped.getTime()),
    };
    if (o.state !== undefined) d.carrierState = o.state;
    if (o.last !== undefined) d.lastEvent = { at: shanghaiIso(o.last[0].getTime()), text: o.last[1] };
    if (o.checked !== undefined) d.lastCheckedAt = shanghaiIso(o.checked.getTime());
    return d;
  };

  // --- the order builder ------------------------------------------------------------------------
  const build = (s: Spec): UnifiedOrderInput => {
    const createdMs = s.created.getTime();
    const buyer = demoBuyer(s.buyer, s.queryPassword ?? false);
    const altNos: string[] = [];
    const events: Ev[] = [ev(createdMs, 'created', 'shop', '创建订单')];
    if (s.paid !== undefined) {
      const channel = s.pay ?? 'wechat';
      altNos.push(payNo(channel, s.paid));
      events.push(ev(s.paid, 'paid', 'payment', `支付成功（${PAY_NAMES[channel]}），实付 ¥${s.amount}`));
    } else if (s.payAt !== undefined) {
      altNos.push(payNo(s.pay ?? 'wechat', s.payAt));
    }
    if (s.delivery?.kind === 'topup_receipt' && s.delivery.upstream?.orderNo !== undefined) {
      altNos.push(s.delivery.upstream.orderNo);
    }
    events.push(...(s.events ?? []));
    const { timeline, last } = toTimeline(events, s.system);
    const order: UnifiedOrderInput = {
      orderNo: orderNoFor(s.system, s.no, createdMs),
      altNos,
      source: { system: s.system, raw: s.raw },
      status: s.status,
      holdReasons: s.holds ?? [],
      productType: s.type,
      fulfillmentMode: s.mode,
      title: s.title,
      quantity: s.qty ?? 1,
      amount: s.amount,
      currency: 'CNY',
      createdAt: shanghaiIso(createdMs),
      updatedAt: shanghaiIso(Math.max(last, createdMs)),
      timeline,
      buyer,
      verification: factorsFor(buyer, s.type),
    };
    if (s.paid !== undefined) order.paidAt = shanghaiIso(s.paid.getTime());
    if (s.expires !== undefined) order.expiresAt = shanghaiIso(s.expires.getTime());
    if (s.delivery !== undefined) order.delivery = s.delivery;
    if (s.notice !== undefined) order.shopNotice = s.notice;
    if (s.promised !== undefined) order.promisedWithinMin = s.promised;
    return order;
  };

  const specs: Spec[] = [];
  const push = (s: Spec): void => {
    specs.push(s);
  };

  // ===== paid, nothing delivered yet ===========================================================

  // 1. Paid 6 minutes ago, auto delivery not synced yet (sync delay).
  {
    const created = mins(7, 30);
    const paid = mins(6);
    push({
      system: 'dujiao-next',
      no: 'HKPA',
      buyer: 'u1001',
      raw: { status: 'paid', fulfillment_type: 'auto', fulfillment_status: 'pending', payment_status: 'success' },
      status: 'paid',
      type: 'game_card',
      mode: 'auto',
      title: '网易一卡通 50元 卡密',
      amount: '48.50',
      created,
      paid,
      pay: 'wechat',
    });
  }

  // 2. Paid 50 minutes ago, still only "paid" (sync delay past the normal wait).
  {
    const created = mins(51, 40);
    const paid = mins(50);
    push({
      system: 'dujiao-next',
      no: 'BRTN',
      buyer: 'u1003',
      raw: { status: 'paid', fulfillment_type: 'auto', fulfillment_status: 'pending', payment_status: 'success' },
      status: 'paid',
      type: 'game_card',
      mode: 'auto',
      title: 'Steam 钱包充值卡 100元',
      amount: '99.00',
      created,
      paid,
      pay: 'alipay',
    });
  }

  // 3. Manual product paid 5 hours ago, no hold, nothing happened (overdue).
  {
    const created = ago(5, 3);
    const paid = ago(5);
    push({
      system: 'dujiaoka',
      no: 'P3VN8XKQ2TJ7LM4C',
      buyer: 'u1002',
      raw: { status: 2, type: 2 },
      status: 'paid',
      type: 'software_license',
      mode: 'manual',
      title: 'Office 2021 专业增强版 激活码（人工发货）',
      amount: '39.90',
      created,
      paid,
      pay: 'alipay',
      notice: '人工发货商品，工作时间（9:00-23:00）内一般 30 分钟内发货，发货后可在订单页查看激活码。',
    });
  }

  // 4. Physical card paid 2 hours ago, waiting to be posted (normal).
  {
    const created = ago(2, 1, 20);
    const paid = ago(2);
    push({
      system: 'acg-faka',
      no: '263-518',
      buyer: 'u1005',
      raw: { status: 1, delivery_status: 0, delivery_way: 1, card_num: 1 },
      status: 'paid',
      type: 'physical_card',
      mode: 'manual',
      title: '京东E卡 实体卡 面值100元（顺丰包邮）',
      amount: '100.00',
      created,
      paid,
      pay: 'wechat',
      notice: '实体卡每日 16:00 前付款当天发出，之后次日发出；发货后会在订单中更新快递单号。',
    });
  }

  // ===== unpaid ==================================================================================

  // 5. Guest order created 3 minutes ago, payment window 5 minutes (dujiaoka default).
  {
    const created = mins(3);
    push({
      system: 'dujiaoka',
      no: 'E8RZ4WQ1NB6YH2KD',
      buyer: { email: 'wxq_2019@163.com' },
      raw: { status: 1, type: 1 },
      status: 'awaiting_payment',
      type: 'game_card',
      mode: 'auto',
      title: '腾讯Q币 30元 卡密',
      amount: '29.70',
      created,
      expires: add(created, 5),
    });
  }

  // 6. Created 8 minutes ago, unpaid (acg-faka has no expiry of its own).
  push({
    system: 'acg-faka',
    no: '431-245',
    buyer: 'u1003',
    raw: { status: 0, delivery_status: 0, delivery_way: 0, card_num: 1 },
    status: 'awaiting_payment',
    type: 'game_card',
    mode: 'auto',
    title: 'Steam 钱包充值卡 50元',
    amount: '49.50',
    created: mins(8),
  });

  // 7. u1001 yesterday 20:01: payment page timed out; he re-ordered (see 23) and paid that one.
  {
    const created = day(1, 20, 1, 12);
    const expires = add(created, 5);
    push({
      system: 'dujiaoka',
      no: 'W2M9QF7KX3TR5ZBN',
      buyer: 'u1001',
      raw: { status: -1, type: 1 },
      status: 'expired',
      type: 'game_card',
      mode: 'auto',
      title: '腾讯Q币 100元 卡密',
      amount: '98.50',
      created,
      expires,
      events: [ev(expires, 'expired', 'shop', '超时未支付，订单已过期')],
    });
  }

  // 8. acg-faka never expires orders; the adapter derives "expired" after 30 minutes.
  {
    const created = day(2, 11, 42, 8);
    const expiredEv = ev(add(created, 30), 'expired', 'adapter', '超过 30 分钟未支付，视为已过期');
    expiredEv.synthetic = true;
    push({
      system: 'acg-faka',
      no: '158-903',
      buyer: 'u1005',
      raw: { status: 0, delivery_status: 0, delivery_way: 0, card_num: 1 },
      status: 'expired',
      type: 'software_license',
      mode: 'auto',
      title: '迅雷白金会员 月卡 CDK',
      amount: '15.00',
      created,
      events: [expiredEv],
    });
  }

  // 9. Canceled by the buyer before paying.
  {
    const created = day(4, 9, 15, 40);
    push({
      system: 'dujiao-next',
      no: 'DFGA',
      buyer: 'u1002',
      raw: { status: 'canceled', payment_status: 'initiated', canceled_by: 'buyer' },
      status: 'canceled',
      type: 'software_license',
      mode: 'auto',
      title: 'Windows 10 专业版 激活码',
      amount: '29.90',
      created,
      expires: add(created, 15),
      events: [ev(add(created, 3, 12), 'canceled', 'shop', '买家主动取消订单')],
    });
  }

  // 10. Canceled by the shop on the buyer's request (wrong address), never paid.
  {
    const created = day(3, 22, 10, 5);
    push({
      system: 'dujiao-next',
      no: 'LMQT',
      buyer: 'u1006',
      raw: { status: 'canceled', payment_status: 'initiated', canceled_by: 'admin' },
      status: 'canceled',
      type: 'physical_card',
      mode: 'manual',
      title: '中国电信 实体充值卡 100元（圆通包邮）',
      amount: '99.00',
      created,
      events: [ev(day(2, 9, 20), 'canceled', 'operator', '应买家要求取消（需修改收货地址），请重新下单')],
    });
  }

  // ===== top-ups in progress =====================================================================

  // 11. 充值中 for 10 minutes (inside the SLA): processing + informational upstream_pending.
  {
    const created = mins(11, 20);
    const paid = mins(10, 30);
    const submitted = mins(10, 15);
    push({
      system: 'dujiao-next',
      no: 'GJVE',
      buyer: 'u1003',
      raw: { status: 'fulfilling', fulfillment_type: 'upstream', procurement_status: 'accepted' },
      status: 'processing',
      holds: ['upstream_pending'],
      type: 'phone_topup',
      mode: 'upstream',
      title: '中国联通 话费 50元（快充）',
      amount: '49.80',
      created,
      paid,
      pay: 'wechat',
      delivery: topup({ account: '156****3321', face: '50.00', provider: 'dayuanren', state: '0', submitted }),
      events: [
        ev(submitted, 'fulfillment_started', 'shop', `已提交至供货商（${PROVIDER_NAMES.dayuanren}）`),
        ev(add(submitted, 0, 2), 'upstream_update', 'upstream', '受理成功，充值中'),
      ],
    });
  }

  // 12. 慢充 top-up 充值中 for 8 hours (its SLA is 72 h): still processing.
  {
    const created = ago(8, 1);
    const paid = ago(8, 0, 20);
    const submitted = ago(8, 0, 5);
    push({
      system: 'acg-faka',
      no: '482-617',
      buyer: 'u1006',
      raw: { status: 1, delivery_status: 0, delivery_way: 1, card_num: 1 },
      status: 'processing',
      holds: ['upstream_pending'],
      type: 'phone_topup',
      mode: 'upstream',
      title: '中国移动 话费 200元（慢充，72小时内到账）',
      amount: '192.00',
      created,
      paid,
      pay: 'alipay',
      delivery: topup({ account: '139****6180', face: '200.00', provider: 'kayu', state: '0', submitted }),
      events: [
        ev(submitted, 'fulfillment_started', 'shop', `已提交至供货商（${PROVIDER_NAMES.kayu}）`),
        ev(add(submitted, 0, 3), 'upstream_update', 'upstream', '受理成功，慢充排队中'),
        ev(ago(2), 'upstream_update', 'upstream', '查询结果：充值中'),
      ],
      notice: '慢充商品 72 小时内到账，期间请勿重复充值，也不要办理携号转网或销号。',
      promised: 72 * 60, // the product's own setting (the title and notice say it too)
    });
  }

  // 13. Manual 代充 being handled by an operator (processing, no hold).
  {
    const created = ago(1, 26);
    const paid = ago(1, 25);
    push({
      system: 'dujiaoka',
      no: 'R6TB2NW8QH5KXJ3P',
      buyer: 'u1004',
      raw: { status: 3, type: 2 },
      status: 'processing',
      type: 'other',
      mode: 'manual',
      title: '原神 创世结晶×6480 UID代充（官服）',
      amount: '488.00',
      created,
      paid,
      pay: 'wechat',
      events: [ev(ago(1, 2), 'fulfillment_started', 'operator', '客服已接单，正在为您代充，请勿登录游戏账号')],
    });
  }

  // 14. Fast top-up 充值中 for 5 hours: past the SLA, escalated to on_hold / upstream_pending.
  {
    const created = ago(5, 3);
    const paid = ago(5, 2, 30);
    const submitted = ago(5, 2, 10);
    push({
      system: 'acg-faka',
      no: '305-334',
      buyer: { contact: '18912340417' },
      raw: { status: 1, delivery_status: 0, delivery_way: 1, card_num: 1 },
      status: 'on_hold',
      holds: ['upstream_pending'],
      type: 'phone_topup',
      mode: 'upstream',
      title: '中国电信 话费 100元（快充）',
      amount: '98.60',
      created,
      paid,
      pay: 'wechat',
      delivery: topup({ account: '189****0417', face: '100.00', provider: 'juhe', state: '0', submitted }),
      events: [
        ev(submitted, 'fulfillment_started', 'shop', `已提交至供货商（${PROVIDER_NAMES.juhe}）`),
        ev(add(submitted, 0, 2), 'upstream_update', 'upstream', '受理成功，充值中'),
        ev(add(submitted, 30), 'hold', 'adapter', '快充超过 30 分钟仍在充值中，已转人工跟进'),
        ev(mins(20), 'upstream_update', 'upstream', '查询结果：充值中（game_state=0）'),
      ],
    });
  }

  // ===== physical cards on the way ================================================================

  // 15. Shipped by SF 1 day ago, no scan yet (inside the first-scan window).
  {
    const created = ago(50, 12);
    const paid = ago(50, 11);
    const shipped = ago(26);
    push({
      system: 'dujiao-next',
      no: 'CSHW',
      buyer: 'u1001',
      raw: { status: 'delivered', fulfillment_type: 'manual', fulfillment_status: 'delivered' },
      status: 'shipped',
      type: 'physical_card',
      mode: 'manual',
      title: '京东E卡 实体卡 面值200元（顺丰包邮）',
      amount: '200.00',
      created,
      paid,
      pay: 'alipay',
      delivery: track({ carrier: 'shunfeng', no: 'SF1468023579134', shipped, checked: mins(20) }),
      events: [ev(shipped, 'shipped', 'operator', '已发货：顺丰速运 SF1468023579134')],
    });
  }

  // 16. In transit with ZTO, 2 cards.
  {
    const created = ago(74, 5);
    const paid = ago(74, 3);
    const shipped = ago(50);
    const lastAt = ago(6, 12);
    const lastText = '【杭州市】快件已从【杭州中转部】发出，下一站【上海浦东中转部】';
    push({
      system: 'acg-faka',
      no: '344-761',
      buyer: 'u1002',
      raw: { status: 1, delivery_status: 1, delivery_way: 1, card_num: 2 },
      status: 'shipped',
      type: 'physical_card',
      mode: 'manual',
      qty: 2,
      title: '中国移动 实体充值卡 100元（中通包邮）',
      amount: '196.00',
      created,
      paid,
      pay: 'wechat',
      delivery: track({ carrier: 'zhongtong', no: '75841203697512', shipped, state: '0', last: [lastAt, lastText], checked: mins(35) }),
      events: [
        ev(shipped, 'shipped', 'operator', '已发货：中通快递 75841203697512'),
        ev(ago(47, 30), 'carrier_update', 'carrier', '【广州市】【广州白云】快件已揽收'),
        ev(lastAt, 'carrier_update', 'carrier', lastText),
      ],
    });
  }

  // 17. JD courier out for delivery.
  {
    const created = ago(28, 4);
    const paid = ago(28, 3);
    const shipped = ago(22);
    const lastAt = mins(40);
    const lastText = '【北京市】您的快件正在派送中，配送员：王师傅，电话：137****2231';
    push({
      system: 'dujiaoka',
      no: 'A5JX8ND3KT2QW7FM',
      buyer: 'u1005',
      raw: { status: 4, type: 2, info: '京东快递 JDVA30518274960' },
      status: 'shipped',
      type: 'physical_card',
      mode: 'manual',
      title: '星巴克 实体礼品卡 100元（京东快递）',
      amount: '100.00',
      created,
      paid,
      pay: 'alipay',
      delivery: track({ carrier: 'jd', no: 'JDVA30518274960', shipped, state: '5', last: [lastAt, lastText], checked: mins(10) }),
      events: [
        ev(shipped, 'shipped', 'operator', '已发货：京东快递 JDVA30518274960'),
        ev(ago(20, 30), 'carrier_update', 'carrier', '【北京市】您的快件已由【北京亦庄营业部】揽收'),
        ev(lastAt, 'carrier_update', 'carrier', lastText),
      ],
    });
  }

  // 18. Shipped 5 days ago, still no scan: Kuaidi100 gave up ("3天查询无记录").
  {
    const created = ago(146, 20);
    const paid = ago(146, 18);
    const shipped = ago(120);
    push({
      system: 'dujiao-next',
      no: 'EVKC',
      buyer: 'u1006',
      raw: { status: 'delivered', fulfillment_type: 'manual', fulfillment_status: 'delivered' },
      status: 'on_hold',
      holds: ['logistics_api_error'],
      type: 'physical_card',
      mode: 'manual',
      title: '中石化 加油卡 实体充值卡 200元（圆通）',
      amount: '200.00',
      created,
      paid,
      pay: 'wechat',
      delivery: track({ carrier: 'yuantong', no: 'YT7518234690215', shipped, checked: ago(1) }),
      events: [ev(shipped, 'shipped', 'operator', '已发货：圆通速递 YT7518234690215'), ev(ago(48), 'hold', 'adapter', '快递100 推送中止：3天查询无记录')],
    });
  }

  // 19. EMS problem shipment (疑难件).
  {
    const created = ago(98, 10);
    const paid = ago(98, 8);
    const shipped = ago(75);
    const lastAt = ago(20);
    const lastText = '【广州市】投递未成功：收件人电话无人接听，地址不详，已滞留营业部待处理';
    push({
      system: 'acg-faka',
      no: '219-287',
      buyer: 'u1004',
      raw: { status: 1, delivery_status: 1, delivery_way: 1, card_num: 3 },
      status: 'on_hold',
      holds: ['logistics_exception'],
      type: 'physical_card',
      mode: 'manual',
      qty: 3,
      title: '中国联通 实体充值卡 100元（EMS）',
      amount: '294.00',
      created,
      paid,
      pay: 'alipay',
      delivery: track({ carrier: 'ems', no: '1178365240913', shipped, state: '2', last: [lastAt, lastText], checked: mins(50) }),
      events: [
        ev(shipped, 'shipped', 'operator', '已发货：EMS 1178365240913'),
        ev(ago(70), 'carrier_update', 'carrier', '【深圳市】EMS 已收寄'),
        ev(ago(44), 'carrier_update', 'carrier', '【广州市】到达广州邮区中心局'),
        ev(lastAt, 'carrier_update', 'carrier', lastText),
        ev(ago(19, 40), 'hold', 'adapter', '快递状态：疑难件'),
      ],
    });
  }

  // 20. Physical card signed for (delivered).
  {
    const created = day(5, 15, 2, 33);
    const paid = add(created, 1, 5);
    const shipped = day(5, 17, 40);
    const signedAt = day(4, 14, 6, 21);
    const signedText = '【深圳市】快件已签收，签收人：本人，感谢使用顺丰';
    push({
      system: 'dujiao-next',
      no: 'FTZB',
      buyer: 'u1003',
      raw: { status: 'delivered', fulfillment_type: 'manual', fulfillment_status: 'delivered' },
      status: 'delivered',
      type: 'physical_card',
      mode: 'manual',
      title: '京东E卡 实体卡 面值100元（顺丰包邮）',
      amount: '100.00',
      created,
      paid,
      pay: 'wechat',
      delivery: track({ carrier: 'shunfeng', no: 'SF1305927468310', shipped, state: '3', signed: true, last: [signedAt, signedText], checked: add(signedAt, 30) }),
      events: [
        ev(shipped, 'shipped', 'operator', '已发货：顺丰速运 SF1305927468310'),
        ev(day(5, 19, 5), 'carrier_update', 'carrier', '【深圳市】顺丰速运 已收取快件'),
        ev(day(4, 9, 12), 'carrier_update', 'carrier', '【深圳市】快件交给张师傅，正在派送途中'),
        ev(signedAt, 'delivered', 'carrier', signedText),
      ],
    });
  }

  // ===== partial deliveries ======================================================================

  // 21. Bought 3 codes, 2 delivered.
  {
    const created = ago(3, 12);
    const paid = ago(3, 11);
    const at = add(paid, 0, 4);
    push({
      system: 'dujiao-next',
      no: 'JMRD',
      buyer: 'u1002',
      raw: { status: 'partially_delivered', fulfillment_type: 'auto', fulfillment_status: 'pending' },
      status: 'partially_delivered',
      type: 'game_card',
      mode: 'auto',
      qty: 3,
      title: 'Steam 钱包充值卡 50元',
      amount: '148.50',
      created,
      paid,
      pay: 'alipay',
      delivery: cards([codeItem(genSteam(rng)), codeItem(genSteam(rng))], 3, at),
      events: [ev(at, 'delivered', 'shop', '自动发货 2 张卡密'), ev(at, 'note', 'shop', '库存不足，剩余 1 张待补货后自动补发')],
    });
  }

  // 22. Top-up partial success (到账 60 of 100).
  {
    const created = day(2, 9, 31, 5);
    const paid = add(created, 0, 40);
    const submitted = add(paid, 0, 15);
    const finished = day(2, 9, 58, 12);
    push({
      system: 'acg-faka',
      no: '327-394',
      buyer: 'u1006',
      raw: { status: 1, delivery_status: 1, delivery_way: 1, card_num: 1 },
      status: 'partially_delivered',
      type: 'phone_topup',
      mode: 'upstream',
      title: '中国移动 话费 100元（快充）',
      amount: '98.50',
      created,
      paid,
      pay: 'wechat',
      delivery: topup({ account: '139****6180', face: '100.00', charged: '60.00', provider: 'dayuanren', state: '3', submitted, finished }),
      events: [
        ev(submitted, 'fulfillment_started', 'shop', `已提交至供货商（${PROVIDER_NAMES.dayuanren}）`),
        ev(add(submitted, 0, 3), 'upstream_update', 'upstream', '受理成功，充值中'),
        ev(finished, 'upstream_update', 'upstream', '部分成功：实际到账 60.00 元'),
        ev(add(finished, 7), 'note', 'operator', '未到账的 40 元面值对应款项 ¥39.40 将在 24 小时内原路退回'),
      ],
    });
  }

  // ===== delivered ===============================================================================

  // 23. u1001 yesterday ~20:04: Q币 card delivered instantly.
  {
    const created = day(1, 20, 3, 18);
    const paid = day(1, 20, 4, 2);
    const at = add(paid, 0, 3);
    push({
      system: 'dujiaoka',
      no: 'K7QX9ZP2M4RT8WNA',
      buyer: 'u1001',
      raw: { status: 4, type: 1 },
      status: 'delivered',
      type: 'game_card',
      mode: 'auto',
      title: '腾讯Q币 100元 卡密',
      amount: '98.50',
      created,
      paid,
      pay: 'wechat',
      delivery: cards([codeItem(genQb(rng))], 1, at),
      events: [ev(at, 'delivered', 'shop', '自动发货：卡密已发送至下单邮箱')],
    });
  }

  // 24. u1001 yesterday ~20:12 (eight minutes after 23): phone top-up, different product type.
  {
    const created = day(1, 20, 11, 40);
    const paid = day(1, 20, 12, 25);
    const submitted = add(paid, 0, 6);
    const finished = day(1, 20, 14, 9);
    push({
      system: 'acg-faka',
      no: '415-776',
      buyer: 'u1001',
      raw: { status: 1, delivery_status: 1, delivery_way: 1, card_num: 1 },
      status: 'delivered',
      type: 'phone_topup',
      mode: 'upstream',
      title: '中国移动 话费 100元（快充）',
      amount: '98.80',
      created,
      paid,
      pay: 'alipay',
      delivery: topup({ account: '138****5678', face: '100.00', charged: '100.00', provider: 'dayuanren', state: '1', submitted, finished }),
      events: [
        ev(submitted, 'fulfillment_started', 'shop', `已提交至供货商（${PROVIDER_NAMES.dayuanren}）`),
        ev(add(submitted, 0, 3), 'upstream_update', 'upstream', '受理成功，充值中'),
        ev(finished, 'delivered', 'upstream', '充值成功，到账 100.00 元'),
      ],
    });
  }

  // 25. Three 骏网 cards delivered.
  {
    const created = day(2, 21, 47, 3);
    const paid = add(created, 1, 2);
    const at = add(paid, 0, 3);
    push({
      system: 'dujiaoka',
      no: 'H4NQ7VX2RB9KT6ZE',
      buyer: 'u1002',
      raw: { status: 4, type: 1 },
      status: 'delivered',
      type: 'game_card',
      mode: 'auto',
      qty: 3,
      title: '骏网一卡通 30元',
      amount: '87.00',
      created,
      paid,
      pay: 'wechat',
      delivery: cards([genPair(rng, 16, 16), genPair(rng, 16, 16), genPair(rng, 16, 16)], 3, at),
      events: [ev(at, 'delivered', 'shop', '自动发货 3 张卡密')],
    });
  }

  // 26. Guest with a query password: two 网易 cards delivered.
  {
    const created = day(3, 13, 5, 51);
    const paid = add(created, 0, 55);
    const at = add(paid, 0, 2);
    push({
      system: 'acg-faka',
      no: '403-128',
      buyer: { contact: '2290417735' },
      queryPassword: true,
      raw: { status: 1, delivery_status: 1, delivery_way: 0, card_num: 2, password: true },
      status: 'delivered',
      type: 'game_card',
      mode: 'auto',
      qty: 2,
      title: '网易一卡通 15元 卡密',
      amount: '29.40',
      created,
      paid,
      pay: 'alipay',
      delivery: cards([genPair(rng, 13, 9), genPair(rng, 13, 9)], 2, at),
      events: [ev(at, 'delivered', 'shop', '自动发货 2 张卡密（查看需输入查询密码）')],
    });
  }

  // 27. Antivirus licence key.
  {
    const created = day(6, 10, 0, 2);
    const paid = add(created, 0, 48);
    const at = add(paid, 0, 3);
    push({
      system: 'dujiao-next',
      no: 'KBWX',
      buyer: 'u1003',
      raw: { status: 'delivered', fulfillment_type: 'auto', fulfillment_status: 'delivered' },
      status: 'delivered',
      type: 'software_license',
      mode: 'auto',
      title: '卡巴斯基安全软件 1年1设备 激活码',
      amount: '49.00',
      created,
      paid,
      pay: 'wechat',
      delivery: licence([keyItem(genKey(rng, 4, 5))], 1, at),
      events: [ev(at, 'delivered', 'shop', '自动发货：激活码已发放')],
    });
  }

  // 28. Data pack top-up succeeded (Kayu).
  {
    const created = day(2, 8, 45, 10);
    const paid = add(created, 0, 30);
    const submitted = add(paid, 0, 8);
    const finished = add(submitted, 1, 30);
    push({
      system: 'dujiao-next',
      no: 'ADQN',
      buyer: 'u1005',
      raw: { status: 'delivered', fulfillment_type: 'upstream', procurement_status: 'fulfilled' },
      status: 'delivered',
      type: 'phone_topup',
      mode: 'upstream',
      title: '中国联通 全国通用流量包 10GB（7天有效）',
      amount: '18.00',
      created,
      paid,
      pay: 'alipay',
      delivery: topup({ account: '186****2093', face: '20.00', charged: '20.00', provider: 'kayu', state: '1', submitted, finished }),
      events: [ev(submitted, 'fulfillment_started', 'shop', `已提交至供货商（${PROVIDER_NAMES.kayu}）`), ev(finished, 'delivered', 'upstream', '充值成功，流量包已生效')],
    });
  }

  // 29. "other": a shared account sold as a loop card (循环卡密).
  {
    const created = day(3, 23, 18);
    const paid = add(created, 1);
    const at = add(paid, 0, 2);
    push({
      system: 'dujiaoka',
      no: 'T8KD3MZ6QW1XN4BR',
      buyer: 'u1004',
      raw: { status: 4, type: 1, is_loop: 1 },
      status: 'delivered',
      type: 'other',
      mode: 'auto',
      title: '腾讯视频 VIP 共享账号 月卡（循环卡密）',
      amount: '9.90',
      created,
      paid,
      pay: 'wechat',
      delivery: cards([{ masked: '账号：tvi****com 密码：******', plaintext: '账号：tvip_share_0371@example.com 密码：Xq8mP2vK' }], 1, at),
      events: [ev(at, 'delivered', 'shop', '自动发货：账号密码已发放')],
      notice: '共享账号请勿修改密码或绑定手机，违者封号不退款。',
    });
  }

  // 30. ESET licence key.
  {
    const created = day(8, 16, 5);
    const paid = add(created, 0, 45);
    const at = add(paid, 0, 3);
    push({
      system: 'dujiaoka',
      no: 'V4XB9KM2QT7ZR3NC',
      buyer: 'u1005',
      raw: { status: 4, type: 1 },
      status: 'delivered',
      type: 'software_license',
      mode: 'auto',
      title: 'ESET NOD32 安全套装 1年 序列号',
      amount: '59.00',
      created,
      paid,
      pay: 'alipay',
      delivery: licence([keyItem(genKey(rng, 5, 4))], 1, at),
      events: [ev(at, 'delivered', 'shop', '自动发货：序列号已发送至下单邮箱')],
    });
  }

  // 31. Membership CDK.
  {
    const created = day(9, 21, 33, 12);
    const paid = add(created, 0, 50);
    const at = add(paid, 0, 2);
    push({
      system: 'acg-faka',
      no: '372-859',
      buyer: 'u1003',
      raw: { status: 1, delivery_status: 1, delivery_way: 0, card_num: 1 },
      status: 'delivered',
      type: 'software_license',
      mode: 'auto',
      title: '爱奇艺黄金会员 年卡 CDK',
      amount: '148.00',
      created,
      paid,
      pay: 'wechat',
      delivery: licence([keyItem(`IQY-${genKey(rng, 3, 4)}`)], 1, at),
      events: [ev(at, 'delivered', 'shop', '自动发货：CDK 已发放')],
      notice: '兑换方式：爱奇艺 App → 我的 → 激活码兑换；CDK 请在购买后 90 天内兑换。',
    });
  }

  // 32. u1001 six days ago: two Q币 10元 cards.
  {
    const created = day(6, 12, 44, 30);
    const paid = add(created, 0, 40);
    const at = add(paid, 0, 3);
    push({
      system: 'acg-faka',
      no: '186-540',
      buyer: 'u1001',
      raw: { status: 1, delivery_status: 1, delivery_way: 0, card_num: 2 },
      status: 'delivered',
      type: 'game_card',
      mode: 'auto',
      qty: 2,
      title: '腾讯Q币 10元 卡密',
      amount: '19.60',
      created,
      paid,
      pay: 'wechat',
      delivery: cards([codeItem('QB10-8842-5519-7Z3K'), codeItem(genQb(rng))], 2, at),
      events: [ev(at, 'delivered', 'shop', '自动发货 2 张卡密')],
    });
  }

  // 33. "other": manual game-credit 代充 delivered by an operator.
  {
    const created = day(2, 18, 20);
    const paid = add(created, 1);
    const started = day(2, 18, 35);
    const done = day(2, 18, 52);
    push({
      system: 'dujiao-next',
      no: 'CJTU',
      buyer: 'u1004',
      raw: { status: 'delivered', fulfillment_type: 'manual', fulfillment_status: 'delivered' },
      status: 'delivered',
      type: 'other',
      mode: 'manual',
      title: '王者荣耀 点券代充 1000点（安卓QQ区）',
      amount: '98.00',
      created,
      paid,
      pay: 'alipay',
      delivery: { kind: 'topup_receipt', account: 'QQ 2306****17', faceValue: '100.00', chargedAmount: '100.00', finishedAt: shanghaiIso(done.getTime()) },
      events: [ev(started, 'fulfillment_started', 'operator', '客服已接单，正在代充'), ev(done, 'delivered', 'operator', '已充值到账，请登录游戏查收')],
    });
  }

  // 34. Guest (email only) Steam card.
  {
    const created = day(1, 9, 8, 15);
    const paid = add(created, 1);
    const at = add(paid, 0, 3);
    push({
      system: 'dujiaoka',
      no: 'B7TW3NQ9XK5MZ2HD',
      buyer: { email: 'steamfan_2077@163.com' },
      raw: { status: 4, type: 1 },
      status: 'delivered',
      type: 'game_card',
      mode: 'auto',
      title: 'Steam 钱包充值卡 50元',
      amount: '49.50',
      created,
      paid,
      pay: 'alipay',
      delivery: cards([codeItem(genSteam(rng))], 1, at),
      events: [ev(at, 'delivered', 'shop', '自动发货：卡密已发送至下单邮箱')],
    });
  }

  // ===== completed (Dujiao-Next closes delivered orders) =========================================

  // 35. u1001 three days ago: Windows licence, completed.
  {
    const created = day(3, 14, 28, 40);
    const paid = add(created, 0, 30);
    const at = add(paid, 0, 3);
    push({
      system: 'dujiao-next',
      no: 'CMVY',
      buyer: 'u1001',
      raw: { status: 'completed', fulfillment_type: 'auto', fulfillment_status: 'delivered' },
      status: 'completed',
      type: 'software_license',
      mode: 'auto',
      title: 'Windows 11 专业版 激活码（零售版）',
      amount: '39.90',
      created,
      paid,
      pay: 'alipay',
      delivery: licence([keyItem(genKey(rng, 5, 5))], 1, at),
      events: [ev(at, 'delivered', 'shop', '自动发货：激活码已发放'), ev(day(2, 14, 30), 'note', 'shop', '订单已完成（自动确认收货）')],
    });
  }

  // 36. WoW game time, completed.
  {
    const created = day(7, 19, 30, 12);
    const paid = add(created, 0, 40);
    const at = add(paid, 0, 3);
    push({
      system: 'dujiao-next',
      no: 'BHWK',
      buyer: 'u1005',
      raw: { status: 'completed', fulfillment_type: 'auto', fulfillment_status: 'delivered' },
      status: 'completed',
      type: 'game_card',
      mode: 'auto',
      title: '魔兽世界 时间卡 30天 点卡',
      amount: '75.00',
      created,
      paid,
      pay: 'wechat',
      delivery: cards([codeItem(`WOW${chars(rng, 1)}-${chars(rng, 4)}-${digits(rng, 4)}-${chars(rng, 4)}`)], 1, at),
      events: [ev(at, 'delivered', 'shop', '自动发货：点卡已发放'), ev(day(6, 19, 31), 'note', 'shop', '订单已完成（自动确认收货）')],
    });
  }

  // 37. Top-up completed.
  {
    const created = day(6, 12, 10, 4);
    const paid = add(created, 0, 35);
    const submitted = add(paid, 0, 6);
    const finished = add(submitted, 2, 50);
    push({
      system: 'dujiao-next',
      no: 'GTLB',
      buyer: 'u1002',
      raw: { status: 'completed', fulfillment_type: 'upstream', procurement_status: 'completed' },
      status: 'completed',
      type: 'phone_topup',
      mode: 'upstream',
      title: '中国电信 话费 50元（快充）',
      amount: '49.40',
      created,
      paid,
      pay: 'wechat',
      delivery: topup({ account: '133****7719', face: '50.00', charged: '50.00', provider: 'juhe', state: '1', submitted, finished }),
      events: [
        ev(submitted, 'fulfillment_started', 'shop', `已提交至供货商（${PROVIDER_NAMES.juhe}）`),
        ev(finished, 'delivered', 'upstream', '充值成功，到账 50.00 元'),
        ev(day(5, 12, 15), 'note', 'shop', '订单已完成（自动确认收货）'),
      ],
    });
  }

  // ===== on hold =================================================================================

  // 38. Large order (¥985) held for manual review.
  {
    const created = mins(42, 10);
    const paid = mins(41);
    push({
      system: 'dujiaoka',
      no: 'M3HZ8QV5KX2WT9RA',
      buyer: 'u1004',
      raw: { status: 6, type: 1, info: '大额订单，待人工审核' },
      status: 'on_hold',
      holds: ['manual_review'],
      type: 'game_card',
      mode: 'auto',
      title: '腾讯Q币 1000元 卡密',
      amount: '985.00',
      created,
      paid,
      pay: 'wechat',
      events: [ev(add(paid, 0, 2), 'hold', 'shop', '单笔金额超过 500 元，进入人工审核')],
      notice: '单笔满 500 元的订单需人工审核，审核时间 9:00–23:00，一般 30 分钟内完成。',
    });
  }

  // 39. Risk-control freeze (guest with an order password).
  {
    const created = ago(3, 5);
    const paid = ago(3, 4);
    push({
      system: 'dujiao-next',
      no: 'LQYS',
      buyer: { email: 'lucky_star88@outlook.com' },
      queryPassword: true,
      raw: { status: 'paid', fulfillment_type: 'auto', fulfillment_status: 'pending', risk_frozen: true },
      status: 'on_hold',
      holds: ['risk_control'],
      type: 'game_card',
      mode: 'auto',
      title: 'App Store 充值卡 500元（中国区）',
      amount: '495.00',
      created,
      paid,
      pay: 'alipay',
      events: [ev(add(paid, 0, 3), 'hold', 'shop', '风控：同一支付账号 1 小时内第 3 笔大额订单，订单已冻结待核实')],
    });
  }

  // 40. Supplier failed the top-up (waiting for refund or retry); later the buyer bought 11 instead.
  {
    const created = ago(2, 20);
    const paid = ago(2, 19);
    const submitted = add(paid, 0, 10);
    const failedAt = ago(1, 50);
    push({
      system: 'dujiao-next',
      no: 'FKNE',
      buyer: 'u1003',
      raw: { status: 'paid', fulfillment_type: 'upstream', procurement_status: 'failed' },
      status: 'on_hold',
      holds: ['upstream_failed'],
      type: 'phone_topup',
      mode: 'upstream',
      title: '中国联通 话费 100元（快充）',
      amount: '98.80',
      created,
      paid,
      pay: 'wechat',
      delivery: topup({ account: '156****3321', face: '100.00', charged: '0.00', provider: 'kayu', state: '2', submitted, finished: failedAt }),
      events: [
        ev(submitted, 'fulfillment_started', 'shop', `已提交至供货商（${PROVIDER_NAMES.kayu}）`),
        ev(add(submitted, 0, 2), 'upstream_update', 'upstream', '受理成功，充值中'),
        ev(failedAt, 'upstream_update', 'upstream', '充值失败：运营商系统维护'),
        ev(add(failedAt, 0, 5), 'hold', 'adapter', '供货商充值失败，待退款或重新提交'),
      ],
    });
  }

  // 41. dujiaoka out of stock after payment (status 6 + fixed info text).
  {
    const created = mins(27);
    const paid = mins(25, 30);
    push({
      system: 'dujiaoka',
      no: 'Q9WF4KT7ZM2XB6NH',
      buyer: 'u1002',
      raw: { status: 6, type: 1, info: '库存可使用卡密不足，请联系管理员核查' },
      status: 'on_hold',
      holds: ['out_of_stock'],
      type: 'game_card',
      mode: 'auto',
      title: 'Steam 钱包充值卡 100元',
      amount: '99.00',
      created,
      paid,
      pay: 'wechat',
      events: [ev(add(paid, 0, 2), 'hold', 'shop', '库存可使用卡密不足，请联系管理员核查')],
    });
  }

  // 42. acg-faka out of stock: delivery_status 1 but the secret is the apology text.
  {
    const created = ago(1, 15);
    const paid = ago(1, 14);
    push({
      system: 'acg-faka',
      no: '276-431',
      buyer: { contact: '1837465290' },
      queryPassword: true,
      raw: { status: 1, delivery_status: 1, delivery_way: 0, card_num: 1, password: true, secret: '很抱歉，有人在你付款之前抢走了商品，请联系客服。' },
      status: 'on_hold',
      holds: ['out_of_stock'],
      type: 'game_card',
      mode: 'auto',
      title: '腾讯Q币 50元 卡密',
      amount: '49.30',
      created,
      paid,
      pay: 'alipay',
      delivery: cards([], 1),
      events: [ev(add(paid, 0, 2), 'hold', 'shop', '很抱歉，有人在你付款之前抢走了商品，请联系客服。')],
    });
  }

  // 43. Paid amount does not match the order amount: the shop refused the callback.
  {
    const created = mins(35);
    const payAt = mins(33);
    push({
      system: 'dujiaoka',
      no: 'N6RC2XJ8PW4TK9QD',
      buyer: 'u1006',
      raw: { status: 1, type: 1, callback: 'amount_mismatch', paid_amount: '49.00' },
      status: 'on_hold',
      holds: ['payment_mismatch'],
      type: 'game_card',
      mode: 'auto',
      title: '网易一卡通 50元 卡密',
      amount: '50.00',
      created,
      payAt,
      pay: 'wechat',
      events: [ev(add(payAt, 0, 1), 'hold', 'payment', '支付回调金额 ¥49.00 与订单金额 ¥50.00 不一致，订单未确认支付')],
    });
  }

  // ===== failed ==================================================================================

  // 44. Manual service could not be provided.
  {
    const created = day(1, 10, 12, 30);
    const paid = add(created, 1);
    push({
      system: 'dujiaoka',
      no: 'G2VM7QX4TN8KR5WJ',
      buyer: 'u1004',
      raw: { status: 5, type: 2 },
      status: 'failed',
      type: 'software_license',
      mode: 'manual',
      title: 'Adobe Creative Cloud 全家桶 1年 代开通',
      amount: '268.00',
      created,
      paid,
      pay: 'alipay',
      events: [
        ev(day(1, 10, 40), 'fulfillment_started', 'operator', '客服已接单，正在开通'),
        ev(day(1, 11, 5), 'failed', 'operator', '账号所在地区不支持该订阅，无法开通，将为您办理退款'),
      ],
    });
  }

  // 45. Top-up failed upstream (Juhe game_state 9), refund not done yet.
  {
    const created = day(1, 16, 20, 3);
    const paid = add(created, 0, 40);
    const submitted = add(paid, 0, 10);
    const failedAt = day(1, 16, 27, 44);
    push({
      system: 'acg-faka',
      no: '148-205',
      buyer: 'u1005',
      raw: { status: 1, delivery_status: 0, delivery_way: 1, card_num: 1 },
      status: 'failed',
      type: 'phone_topup',
      mode: 'upstream',
      title: '中国电信 话费 30元（快充）',
      amount: '29.85',
      created,
      paid,
      pay: 'wechat',
      delivery: topup({ account: '177****0398', face: '30.00', charged: '0.00', provider: 'juhe', state: '9', submitted, finished: failedAt }),
      events: [
        ev(submitted, 'fulfillment_started', 'shop', `已提交至供货商（${PROVIDER_NAMES.juhe}）`),
        ev(add(submitted, 0, 3), 'upstream_update', 'upstream', '受理成功，充值中'),
        ev(failedAt, 'failed', 'upstream', '充值失败：号码已携号转网，运营商拒绝充值'),
        ev(add(failedAt, 10), 'note', 'operator', '退款处理中，1–3 个工作日原路退回'),
      ],
    });
  }

  // ===== refunds =================================================================================

  // 46. One of three codes was already used: partial refund.
  {
    const created = day(5, 20, 40, 16);
    const paid = add(created, 1);
    const at = add(paid, 0, 3);
    push({
      system: 'dujiao-next',
      no: 'HRQZ',
      buyer: 'u1002',
      raw: { status: 'partially_refunded', fulfillment_type: 'auto', fulfillment_status: 'delivered' },
      status: 'partially_refunded',
      type: 'game_card',
      mode: 'auto',
      qty: 3,
      title: '骏网一卡通 100元',
      amount: '291.00',
      created,
      paid,
      pay: 'wechat',
      delivery: cards([genPair(rng, 16, 16), genPair(rng, 16, 16), genPair(rng, 16, 16)], 3, at),
      events: [
        ev(at, 'delivered', 'shop', '自动发货 3 张卡密'),
        ev(day(4, 11, 0), 'note', 'operator', '买家反馈第 3 张卡密提示已被使用，核实属实'),
        ev(day(4, 11, 5), 'refunded', 'payment', '部分退款 ¥97.00 已原路退回'),
      ],
    });
  }

  // 47. u1001 ten days ago: supplier procurement failed, fully refunded.
  {
    const created = day(10, 22, 14, 9);
    const paid = add(created, 1);
    push({
      system: 'dujiao-next',
      no: 'AZEP',
      buyer: 'u1001',
      raw: { status: 'refunded', fulfillment_type: 'upstream', procurement_status: 'failed' },
      status: 'refunded',
      type: 'game_card',
      mode: 'upstream',
      title: 'Steam 钱包充值卡 200元',
      amount: '198.00',
      created,
      paid,
      pay: 'wechat',
      events: [
        ev(add(paid, 0, 5), 'fulfillment_started', 'shop', '已向货源站采购'),
        ev(day(10, 22, 20), 'failed', 'upstream', '货源站采购失败：上游库存不足'),
        ev(day(9, 10, 2), 'refunded', 'payment', '全额退款 ¥198.00 已原路退回'),
      ],
    });
  }

  // 48. Top-up failed (dayuanren state 2) and refunded.
  {
    const created = day(4, 18, 5);
    const paid = add(created, 0, 35);
    const submitted = add(paid, 0, 6);
    const failedAt = day(4, 18, 35);
    push({
      system: 'dujiao-next',
      no: 'KPLF',
      buyer: 'u1006',
      raw: { status: 'refunded', fulfillment_type: 'upstream', procurement_status: 'failed' },
      status: 'refunded',
      type: 'phone_topup',
      mode: 'upstream',
      title: '中国移动 话费 50元（快充）',
      amount: '49.50',
      created,
      paid,
      pay: 'wechat',
      delivery: topup({ account: '139****6180', face: '50.00', charged: '0.00', provider: 'dayuanren', state: '2', submitted, finished: failedAt }),
      events: [
        ev(submitted, 'fulfillment_started', 'shop', `已提交至供货商（${PROVIDER_NAMES.dayuanren}）`),
        ev(add(submitted, 0, 2), 'upstream_update', 'upstream', '受理成功，充值中'),
        ev(failedAt, 'failed', 'upstream', '充值失败：号码状态异常（停机/欠费）'),
        ev(day(4, 19, 2), 'refunded', 'payment', '全额退款 ¥49.50 已原路退回微信零钱'),
      ],
    });
  }

  return specs.map(build);
}

// ---------------------------------------------------------------------------------------------
// Synthetic orders for benchmarks
// ---------------------------------------------------------------------------------------------

interface Sku {
  title: string;
  cents: number;
  code: (rng: Rng) => SecretItem;
  faceCents?: number;
  carrier?: CarrierCode;
}

const SYN_SKUS: Record<Product, Sku[]> = {
  game_card: [
    { title: '腾讯Q币 10元 卡密', cents: 980, code: (r) => codeItem(genQb(r)) },
    { title: '腾讯Q币 100元 卡密', cents: 9850, code: (r) => codeItem(genQb(r)) },
    { title: '网易一卡通 50元 卡密', cents: 4850, code: (r) => genPair(r, 13, 9) },
    { title: '骏网一卡通 30元', cents: 2900, code: (r) => genPair(r, 16, 16) },
    { title: 'Steam 钱包充值卡 50元', cents: 4950, code: (r) => codeItem(genSteam(r)) },
    { title: '魔兽世界 时间卡 30天 点卡', cents: 7500, code: (r) => codeItem(`WOW${chars(r, 1)}-${chars(r, 4)}-${digits(r, 4)}-${chars(r, 4)}`) },
  ],
  phone_topup: [
    { title: '中国移动 话费 50元（快充）', cents: 4950, faceCents: 5000, code: (r) => codeItem(chars(r, 8)) },
    { title: '中国联通 话费 100元（快充）', cents: 9880, faceCents: 10000, code: (r) => codeItem(chars(r, 8)) },
    { title: '中国电信 话费 30元（快充）', cents: 2985, faceCents: 3000, code: (r) => codeItem(chars(r, 8)) },
    { title: '中国移动 话费 200元（慢充，72小时内到账）', cents: 19200, faceCents: 20000, code: (r) => codeItem(chars(r, 8)) },
    { title: '中国联通 全国通用流量包 10GB（7天有效）', cents: 1800, faceCents: 2000, code: (r) => codeItem(chars(r, 8)) },
  ],
  software_license: [
    { title: 'Windows 11 专业版 激活码（零售版）', cents: 3990, code: (r) => keyItem(genKey(r, 5, 5)) },
    { title: 'Office 2021 专业增强版 激活码', cents: 3990, code: (r) => keyItem(genKey(r, 5, 5)) },
    { title: '卡巴斯基安全软件 1年1设备 激活码', cents: 4900, code: (r) => keyItem(genKey(r, 4, 5)) },
    { title: '爱奇艺黄金会员 年卡 CDK', cents: 14800, code: (r) => keyItem(`IQY-${genKey(r, 3, 4)}`) },
  ],
  physical_card: [
    { title: '京东E卡 实体卡 面值100元（顺丰包邮）', cents: 10000, carrier: 'shunfeng', code: (r) => codeItem(chars(r, 8)) },
    { title: '中国移动 实体充值卡 100元（中通包邮）', cents: 9800, carrier: 'zhongtong', code: (r) => codeItem(chars(r, 8)) },
    { title: '星巴克 实体礼品卡 100元（京东快递）', cents: 10000, carrier: 'jd', code: (r) => codeItem(chars(r, 8)) },
    { title: '中石化 加油卡 实体充值卡 200元（圆通）', cents: 20000, carrier: 'yuantong', code: (r) => codeItem(chars(r, 8)) },
    { title: '中国联通 实体充值卡 100元（EMS）', cents: 9800, carrier: 'ems', code: (r) => codeItem(chars(r, 8)) },
  ],
  other: [
    {
      title: '腾讯视频 VIP 共享账号 月卡（循环卡密）',
      cents: 990,
      code: (r) => ({ masked: '账号：tvi****com 密码：******', plaintext: `账号：tvip_${digits(r, 6)}@example.com 密码：${chars(r, 8)}` }),
    },
    { title: '王者荣耀 点券代充 1000点（安卓QQ区）', cents: 9800, code: (r) => codeItem(chars(r, 8)) },
  ],
};

const SYN_STATUS_WEIGHTS: ReadonlyArray<readonly [Status, number]> = [
  ['delivered', 34],
  ['completed', 20],
  ['awaiting_payment', 4],
  ['expired', 5],
  ['canceled', 3],
  ['paid', 4],
  ['processing', 5],
  ['shipped', 4],
  ['partially_delivered', 2],
  ['on_hold', 9],
  ['failed', 2],
  ['partially_refunded', 2],
  ['refunded', 6],
];
const SYN_STATUS_TOTAL = SYN_STATUS_WEIGHTS.reduce((sum, [, w]) => sum + w, 0);

/** Age ranges (ms before now) per status, so every follow-up event fits before `now`. */
const SYN_AGE: Record<Status, readonly [number, number]> = {
  awaiting_payment: [10 * SEC, 14 * MIN],
  expired: [1 * HOUR, 30 * DAY],
  canceled: [1 * HOUR, 30 * DAY],
  paid: [1 * MIN, 90 * MIN],
  processing: [5 * MIN, 10 * HOUR],
  shipped: [6 * HOUR, 6 * DAY],
  partially_delivered: [10 * MIN, 20 * DAY],
  delivered: [5 * MIN, 30 * DAY],
  completed: [2 * DAY, 30 * DAY],
  on_hold: [10 * MIN, 10 * DAY],
  failed: [1 * HOUR, 20 * DAY],
  partially_refunded: [2 * DAY, 30 * DAY],
  refunded: [2 * DAY, 30 * DAY],
};

const SYN_HOLDS: readonly Hold[] = [
  'manual_review',
  'risk_control',
  'upstream_pending',
  'upstream_failed',
  'out_of_stock',
  'logistics_api_error',
  'logistics_exception',
  'payment_mismatch',
];
const PRODUCT_WEIGHTS: ReadonlyArray<readonly [Product, number]> = [
  ['game_card', 40],
  ['phone_topup', 25],
  ['software_license', 20],
  ['physical_card', 8],
  ['other', 7],
];
const PROVIDERS: readonly TopupProvider[] = ['dayuanren', 'juhe', 'kayu'];
const SYSTEMS: readonly ShopSystem[] = ['dujiaoka', 'acg-faka', 'dujiao-next'];

/** Per-system capacity of the counter encoded into synthetic order numbers. */
const ACG_CAPACITY = 500 * 900; // head 500–999 x tail 100–999
const DJN_CAPACITY = 13 * 26 * 26 * 26; // first letter N–Z, then 3 letters

function weighted<T>(rng: Rng, table: ReadonlyArray<readonly [T, number]>, total: number): T {
  let x = rng() * total;
  for (const [value, w] of table) {
    x -= w;
    if (x < 0) return value;
  }
  const lastRow = table[table.length - 1];
  if (lastRow === undefined) throw new Error('empty weight table');
  return lastRow[0];
}
const PRODUCT_TOTAL = PRODUCT_WEIGHTS.reduce((sum, [, w]) => sum + w, 0);

function base36(n: number, width: number): string {
  let out = '';
  let v = n;
  for (let i = 0; i < width; i++) {
    out = BASE36.charAt(v % 36) + out;
    v = Math.floor(v / 36);
  }
  return out;
}

function djnSuffix(c: number): string {
  const l3 = c % 26;
  const l2 = Math.floor(c / 26) % 26;
  const l1 = Math.floor(c / 676) % 26;
  const l0 = 13 + Math.floor(c / 17576); // N..Z
  return UPPER.charAt(l0) + UPPER.charAt(l1) + UPPER.charAt(l2) + UPPER.charAt(l3);
}

/**
 * n synthetic orders for benchmarks, deterministic from `seed`, times within 30 days before now;
 * order numbers unique and not colliding with demoOrders.
 */
export function syntheticOrders(n: number, now: Date, seed = 20240601): UnifiedOrderInput[] {
  const count = Math.max(0, Math.floor(n));
  const rng = mulberry32(seed);
  const nowMs = Math.floor(now.getTime() / SEC) * SEC;
  const buyerCount = Math.max(1, Math.min(3000, Math.ceil(count / 3)));
  let acgCounter = 0;
  let djnCounter = 0;
  let djkCounter = 0;
  const out: UnifiedOrderInput[] = new Array<UnifiedOrderInput>(count);

  for (let k = 0; k < count; k++) {
    const status = weighted(rng, SYN_STATUS_WEIGHTS, SYN_STATUS_TOTAL);

    // --- hold reason and product type, consistent with the status ---
    let hold: Hold | undefined;
    let type: Product;
    if (status === 'on_hold') {
      hold = pick(rng, SYN_HOLDS);
      if (hold === 'upstream_pending' || hold === 'upstream_failed') type = 'phone_topup';
      else if (hold === 'logistics_api_error' || hold === 'logistics_exception') type = 'physical_card';
      else if (hold === 'out_of_stock') type = rng() < 0.7 ? 'game_card' : 'software_license';
      else type = 'game_card';
    } else if (status === 'shipped') {
      type = 'physical_card';
    } else if (status === 'processing') {
      type = rng() < 0.8 ? 'phone_topup' : 'other';
    } else if (status === 'partially_delivered') {
      type = rng() < 0.6 ? 'game_card' : 'phone_topup';
    } else {
      type = weighted(rng, PRODUCT_WEIGHTS, PRODUCT_TOTAL);
    }
    const sku = pick(rng, SYN_SKUS[type]);
    const mode: Mode = type === 'phone_topup' ? 'upstream' : type === 'physical_card' || (type === 'other' && sku.title.includes('代充')) ? 'manual' : 'auto';
    const codeLike = type === 'game_card' || type === 'software_license' || (type === 'other' && mode === 'auto');
    const qty = codeLike && rng() < 0.25 ? randInt(rng, 2, 3) : status === 'partially_delivered' && type === 'game_card' ? 3 : 1;
    const amountCents = sku.cents * qty;
    const amount = yuan(amountCents);

    // --- times ---
    const [ageLo, ageHi] = SYN_AGE[status];
    const createdMs = nowMs - Math.floor(ageLo + rng() * (ageHi - ageLo));
    /** A later instant: `desired` after `prev`, but never past half-way to now. */
    const next = (prev: number, desired: number): number => Math.min(prev + desired, prev + Math.floor((nowMs - prev) / 2));
    const isPaid = status !== 'awaiting_payment' && status !== 'expired' && status !== 'canceled' && !(status === 'on_hold' && hold === 'payment_mismatch');
    const paidMs = next(createdMs, 20 * SEC + Math.floor(rng() * 150 * SEC));

    // --- system and order number (a per-system counter inside the number keeps it unique) ---
    let system: ShopSystem = pick(rng, SYSTEMS);
    if (system === 'acg-faka' && acgCounter >= ACG_CAPACITY) system = 'dujiaoka';
    if (system === 'dujiao-next' && djnCounter >= DJN_CAPACITY) system = 'dujiaoka';
    let orderNo: string;
    if (system === 'acg-faka') {
      const c = acgCounter++;
      orderNo = `${500 + Math.floor(c / 900)}${stamp12(createdMs)}${100 + (c % 900)}`;
    } else if (system === 'dujiao-next') {
      orderNo = `DJ${stamp14(createdMs)}${djnSuffix(djnCounter++)}`;
    } else {
      orderNo = `S${base36(djkCounter++, 7)}${chars(rng, 8, BASE36)}`;
    }

    // --- buyer ---
    const buyer: BuyerInput = { hasQueryPassword: rng() < 0.05 };
    if (rng() < 0.1) {
      buyer.contact = `172${pad(k % 100_000_000, 8)}`;
      buyer.contactType = 'phone';
    } else {
      const b = Math.floor(rng() * buyerCount);
      buyer.userId = `s${b}`;
      if (b % 3 === 0) {
        buyer.contact = String(3_000_000_000 + b);
        buyer.contactType = 'qq';
      } else {
        buyer.contact = `171${pad(b, 8)}`;
        buyer.contactType = 'phone';
      }
      if (b % 2 === 0) buyer.email = `s${b}@example.com`;
    }

    // --- alternative numbers: payment number; upstream number once a top-up was submitted ---
    // Unpaid orders carry an Alipay trade_no (Alipay assigns it when the buyer scans the code).
    const channel: PayChannel = isPaid && rng() < 0.55 ? 'wechat' : 'alipay';
    // Only dayuanren reports a partial success (state 3).
    const provider: TopupProvider = status === 'partially_delivered' && type === 'phone_topup' ? 'dayuanren' : pick(rng, PROVIDERS);
    const submittedMs = next(paidMs, 5 * SEC + Math.floor(rng() * 20 * SEC));
    const upNo =
      provider === 'dayuanren'
        ? `DY${stamp14(submittedMs)}9${pad(k, 9)}`
        : provider === 'juhe'
          ? `J${stamp12(submittedMs)}9${pad(k, 9)}`
          : `KY${stampDate(submittedMs)}9${pad(k, 11)}`;
    const payDate = stampDate(paidMs);
    const payNo = channel === 'wechat' ? `420009${digits(rng, 4)}${payDate}${pad(k, 10)}` : `${payDate}22009${pad(k, 15)}`;

    // --- timeline and delivery ---
    const events: Ev[] = [ev(createdMs, 'created', 'shop', '创建订单')];
    if (isPaid) events.push(ev(paidMs, 'paid', 'payment', `支付成功（${PAY_NAMES[channel]}），实付 ¥${amount}`));
    let delivery: Delivery | undefined;
    const faceCents = sku.faceCents ?? sku.cents;
    const topupDelivery = (state: string, chargedCents: number | undefined, finishedMs: number | undefined): Delivery => {
      const d: Delivery = {
        kind: 'topup_receipt',
        account: `1${randInt(rng, 30, 99)}****${digits(rng, 4)}`,
        faceValue: yuan(faceCents),
        upstream: { provider, orderNo: upNo, state },
        submittedAt: shanghaiIso(submittedMs),
      };
      if (chargedCents !== undefined) d.chargedAmount = yuan(chargedCents);
      if (finishedMs !== undefined) d.finishedAt = shanghaiIso(finishedMs);
      return d;
    };
    const failState = provider === 'juhe' ? '9' : '2';
    const trackingDelivery = (shippedMs: number, signed: boolean, lastText: string | undefined, lastMs: number, state: string | undefined): Delivery => {
      const carrier = sku.carrier ?? 'shunfeng';
      const trackingNo =
        carrier === 'shunfeng'
          ? `SF${digits(rng, 13)}`
          : carrier === 'yuantong'
            ? `YT${digits(rng, 13)}`
            : carrier === 'zhongtong'
              ? `75${digits(rng, 12)}`
              : carrier === 'jd'
                ? `JDVA${digits(rng, 11)}`
                : `11${digits(rng, 11)}`;
      const d: Delivery = {
        kind: 'tracking_number',
        carrierCode: carrier,
        carrierName: CARRIER_NAMES[carrier],
        trackingNo,
        signed,
        shippedAt: shanghaiIso(shippedMs),
      };
      if (state !== undefined) d.carrierState = state;
      if (lastText !== undefined) d.lastEvent = { at: shanghaiIso(lastMs), text: lastText };
      return d;
    };
    const codes = (delivered: number, atMs: number): Delivery => {
      const items: SecretItem[] = [];
      for (let i = 0; i < delivered; i++) items.push(sku.code(rng));
      return { kind: type === 'software_license' ? 'license_key' : 'card_codes', items, expected: qty, deliveredAt: shanghaiIso(atMs) };
    };

    let expiresMs: number | undefined;
    switch (status) {
      case 'awaiting_payment':
        expiresMs = createdMs + 15 * MIN;
        break;
      case 'expired': {
        expiresMs = createdMs + 15 * MIN;
        events.push(ev(expiresMs, 'expired', 'shop', '超时未支付，订单已过期'));
        break;
      }
      case 'canceled':
        events.push(ev(next(createdMs, 3 * MIN), 'canceled', 'shop', '买家主动取消订单'));
        break;
      case 'paid':
        break;
      case 'processing': {
        if (type === 'phone_topup') {
          hold = 'upstream_pending';
          events.push(ev(submittedMs, 'fulfillment_started', 'shop', '已提交至供货商'));
          delivery = topupDelivery('0', undefined, undefined);
        } else {
          events.push(ev(next(paidMs, 10 * MIN), 'fulfillment_started', 'operator', '客服已接单，正在处理'));
        }
        break;
      }
      case 'shipped': {
        const shippedMs = next(paidMs, 4 * HOUR);
        events.push(ev(shippedMs, 'shipped', 'operator', '已发货'));
        if (rng() < 0.3) {
          delivery = trackingDelivery(shippedMs, false, undefined, shippedMs, undefined);
        } else {
          const scanMs = next(shippedMs, 6 * HOUR);
          events.push(ev(scanMs, 'carrier_update', 'carrier', '快件已揽收'));
          delivery = trackingDelivery(shippedMs, false, '快件已揽收', scanMs, '1');
        }
        break;
      }
      case 'partially_delivered': {
        if (type === 'phone_topup') {
          const doneMs = next(submittedMs, 20 * MIN);
          events.push(ev(submittedMs, 'fulfillment_started', 'shop', '已提交至供货商'));
          events.push(ev(doneMs, 'upstream_update', 'upstream', '部分成功'));
          delivery = topupDelivery('3', Math.floor(faceCents * 0.6), doneMs);
        } else {
          const atMs = next(paidMs, 3 * SEC);
          events.push(ev(atMs, 'delivered', 'shop', `自动发货 ${qty - 1} 张卡密`));
          delivery = codes(qty - 1, atMs);
        }
        break;
      }
      case 'delivered':
      case 'completed':
      case 'partially_refunded':
      case 'refunded': {
        let doneMs: number;
        if (type === 'phone_topup') {
          events.push(ev(submittedMs, 'fulfillment_started', 'shop', '已提交至供货商'));
          if (status === 'refunded') {
            doneMs = next(submittedMs, 30 * MIN);
            events.push(ev(doneMs, 'failed', 'upstream', '充值失败'));
            delivery = topupDelivery(failState, 0, doneMs);
          } else {
            doneMs = next(submittedMs, 2 * MIN);
            events.push(ev(doneMs, 'delivered', 'upstream', '充值成功'));
            delivery = topupDelivery('1', faceCents, doneMs);
          }
        } else if (type === 'physical_card') {
          const shippedMs = next(paidMs, 4 * HOUR);
          doneMs = next(shippedMs, 2 * DAY);
          events.push(ev(shippedMs, 'shipped', 'operator', '已发货'));
          events.push(ev(doneMs, 'delivered', 'carrier', '快件已签收'));
          delivery = trackingDelivery(shippedMs, true, '快件已签收', doneMs, '3');
        } else if (mode === 'manual') {
          doneMs = next(paidMs, 30 * MIN);
          events.push(ev(doneMs, 'delivered', 'operator', '已处理完成'));
        } else {
          doneMs = next(paidMs, 3 * SEC);
          events.push(ev(doneMs, 'delivered', 'shop', '自动发货'));
          delivery = codes(qty, doneMs);
        }
        if (status === 'completed') events.push(ev(next(doneMs, DAY), 'note', 'shop', '订单已完成（自动确认收货）'));
        if (status === 'partially_refunded') events.push(ev(next(doneMs, DAY), 'refunded', 'payment', '部分退款已原路退回'));
        if (status === 'refunded') events.push(ev(next(doneMs, 12 * HOUR), 'refunded', 'payment', '全额退款已原路退回'));
        break;
      }
      case 'failed': {
        if (type === 'phone_topup') {
          const doneMs = next(submittedMs, 30 * MIN);
          events.push(ev(submittedMs, 'fulfillment_started', 'shop', '已提交至供货商'));
          events.push(ev(doneMs, 'failed', 'upstream', '充值失败'));
          delivery = topupDelivery(failState, 0, doneMs);
        } else {
          events.push(ev(next(paidMs, HOUR), 'failed', 'operator', '处理失败，将为您办理退款'));
        }
        break;
      }
      case 'on_hold': {
        const holdMs = next(isPaid ? paidMs : createdMs, 2 * SEC);
        if (hold === 'upstream_pending' || hold === 'upstream_failed') {
          events.push(ev(submittedMs, 'fulfillment_started', 'shop', '已提交至供货商'));
          const failed = hold === 'upstream_failed';
          const atMs = next(submittedMs, 30 * MIN);
          events.push(ev(atMs, 'hold', 'adapter', failed ? '供货商充值失败' : '超时仍在充值中'));
          delivery = topupDelivery(failed ? failState : '0', failed ? 0 : undefined, failed ? atMs : undefined);
        } else if (hold === 'logistics_api_error' || hold === 'logistics_exception') {
          const shippedMs = next(paidMs, 4 * HOUR);
          events.push(ev(shippedMs, 'shipped', 'operator', '已发货'));
          const atMs = next(shippedMs, 3 * DAY);
          if (hold === 'logistics_exception') {
            events.push(ev(atMs, 'carrier_update', 'carrier', '疑难件：收件人电话无人接听'));
            delivery = trackingDelivery(shippedMs, false, '疑难件：收件人电话无人接听', atMs, '2');
          } else {
            delivery = trackingDelivery(shippedMs, false, undefined, atMs, undefined);
          }
          events.push(ev(next(atMs, MIN), 'hold', 'adapter', hold === 'logistics_exception' ? '快递异常' : '快递查询无记录'));
        } else if (hold === 'payment_mismatch') {
          events.push(ev(holdMs, 'hold', 'payment', '支付金额与订单金额不一致'));
        } else {
          events.push(ev(holdMs, 'hold', 'shop', hold === 'out_of_stock' ? '库存不足' : hold === 'risk_control' ? '风控冻结' : '待人工审核'));
        }
        break;
      }
    }

    const altNos = [delivery?.kind === 'topup_receipt' && delivery.upstream !== undefined ? upNo : payNo];
    const { timeline, last } = toTimeline(events, system);
    const order: UnifiedOrderInput = {
      orderNo,
      altNos,
      source: { system, raw: {} },
      status,
      holdReasons: hold === undefined ? [] : [hold],
      productType: type,
      fulfillmentMode: mode,
      title: sku.title,
      quantity: qty,
      amount,
      currency: 'CNY',
      createdAt: shanghaiIso(createdMs),
      updatedAt: shanghaiIso(Math.max(last, createdMs)),
      timeline,
      buyer,
      verification: factorsFor(buyer, type),
    };
    if (isPaid) order.paidAt = shanghaiIso(paidMs);
    if (expiresMs !== undefined) order.expiresAt = shanghaiIso(expiresMs);
    if (delivery !== undefined) order.delivery = delivery;
    out[k] = order;
  }
  return out;
}
