/**
 * What an order itself promises, in the shop's own words: how long delivery takes ("慢充，72小时内
 * 到账", "24小时内发货"), when and how fast reviews happen ("审核时间 9:00–23:00，一般 30 分钟内
 * 完成"), and where a refund stands ("退款处理中，1–3 个工作日原路退回", "全额退款 ¥49.50 已原路
 * 退回微信零钱"). Adapters may fill the explicit fields of the model; these readers are the
 * fallback for shops that only say it in titles, notices and timeline notes. Pure.
 */
import { type DailyHours, hoursInText } from '../calendar.js';
import type { UnifiedOrder } from './model.js';

const DIGITS: Record<string, number> = { 零: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9, 十: 10, 半: 0.5 };
/** "72", "两", "十二", "二十四", "半" → a number. */
function number(s: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  if (s === '半') return 0.5;
  if (s.length === 1) return DIGITS[s];
  const m = /^([一二两三四五六七八九])?十([一二三四五六七八九])?$/.exec(s);
  if (m) return (m[1] ? DIGITS[m[1]]! : 1) * 10 + (m[2] ? DIGITS[m[2]]! : 0);
  return undefined;
}

const NUM = '(\\d+(?:\\.\\d+)?|[一二两三四五六七八九十半]{1,3})';
const UNIT = '(分钟|分|小时|个小时|钟头|h|天|日|个工作日|工作日)';
/** "72小时内", "1–3 个工作日", "24h内", "半小时" (the upper bound of a range). */
const SPAN = new RegExp(`(?:${NUM}\\s*[-–—~～至到]\\s*)?${NUM}\\s*${UNIT}(?:之?内|以内)?`, 'i');

export interface Span {
  minutes: number;
  /** The span counts business days (banks and payment channels). */
  businessDays?: number;
  text: string;
}

function spanIn(sentence: string): Span | undefined {
  if (!sentence) return undefined;
  const m = SPAN.exec(sentence);
  if (!m) return undefined;
  const n = number(m[2]!);
  if (n === undefined || n <= 0) return undefined;
  const unit = m[3]!.toLowerCase();
  if (unit.includes('工作日')) return { minutes: n * 24 * 60, businessDays: n, text: m[0]! };
  const perUnit = unit.startsWith('分') ? 1 : unit === '天' || unit === '日' ? 24 * 60 : 60;
  return { minutes: Math.round(n * perUnit), text: m[0]! };
}

const sentences = (text: string | undefined) =>
  (text ?? '')
    .split(/[。；;！!\n，,]/)
    .map((s) => s.trim())
    .filter(Boolean);
const DELIVERY_WORDS = /到账|发货|发放|出卡|发卡|送达|完成|处理|充值|慢充|快充|自动发/;
const NOT_DELIVERY = /审核|退款|退回|退货|客服|回复|售后/;

/** How long the product promises to take from payment (explicit field first, then title and notice). */
export function deliveryPromise(order: UnifiedOrder): Span | undefined {
  const stated = statedPromise(order);
  // The product setting is the promise; the shop's own sentence is how it is said when they agree.
  if (order.promisedWithinMin) return { minutes: order.promisedWithinMin, text: stated?.minutes === order.promisedWithinMin ? stated.text : '' };
  return stated;
}

/** A delivery window stated in the title or the notice. */
function statedPromise(order: UnifiedOrder): Span | undefined {
  const title = /[（(]([^)）]*)[)）]/.exec(order.title)?.[1] ?? order.title;
  // A sentence about reviews or refunds ("审核时间 9:00–23:00，一般 30 分钟内完成") promises no delivery, in any clause.
  const clauses = [title, ...(order.shopNotice ?? '').split(/[。；;！!\n]/)].filter((x) => !NOT_DELIVERY.test(x)).flatMap(sentences);
  for (const s of clauses) {
    if (!DELIVERY_WORDS.test(s)) continue;
    const span = spanIn(s);
    // The shop's own short sentence reads best ("72小时内到账"); a long one only by its span.
    if (span && span.minutes >= 1 && span.minutes <= 30 * 24 * 60) return { ...span, text: s.length <= 16 ? s : span.text };
  }
  return undefined;
}

/** When and how fast the shop reviews orders, as its notice states it. */
export function reviewStatement(order: UnifiedOrder): { hours?: DailyHours; minutes?: number } {
  const hours = hoursInText(order.shopNotice, /审核/);
  // "审核时间 9:00–23:00，一般 30 分钟内完成": the duration follows the hours in the same notice.
  let minutes: number | undefined;
  if (/审核/.test(order.shopNotice ?? '')) {
    for (const s of sentences(order.shopNotice)) {
      if (/\d{1,2}[:：]\d{2}/.test(s)) continue; // the hours themselves
      const span = /内|完成|结果|通过/.test(s) ? spanIn(s) : undefined;
      if (span && !span.businessDays) {
        minutes = span.minutes;
        break;
      }
    }
  }
  return { hours, minutes };
}

export type RefundState = 'processing' | 'refunded';
export interface Refund {
  state: RefundState;
  /** When it was made (refunded) or started (processing). */
  at?: string;
  amount?: string;
  /** 微信零钱, 支付宝余额, 银行卡, 原路退回… as the shop wrote it. */
  channel?: string;
  /** The window the shop stated ("1–3 个工作日"). */
  window?: Span;
}

/** A refund under way, or promised: "退款处理中", "正在退款", "将为您办理退款". */
const PROCESSING = /退款(处理|申请|进行|审核)?中|正在(办理|处理)?退款|已申请退款|退款已提交|发起退款|(将|会)为?您?(办理|安排|处理)?退款|办理退款/;
/** Where refunds go, most specific first ("原路退回微信零钱" is 微信零钱). */
const CHANNEL = /(微信零钱|支付宝余额|余额宝|花呗|银行卡|信用卡|储蓄卡|零钱|微信|支付宝|原账户)/;

/** Where a refund stands, from the order's status, timeline and notice; undefined when none is known. */
export function refundOf(order: UnifiedOrder): Refund | undefined {
  const done = [...order.timeline].reverse().find((e) => e.type === 'refunded');
  const texts = [...order.timeline.map((e) => e.text ?? ''), order.shopNotice ?? ''];
  // A window stated for the refund ("1–3 个工作日原路退回"), in whichever note says it.
  const stated = texts
    .filter((t) => /退/.test(t))
    .map(spanIn)
    .find((span) => !!span);
  if (done || order.status === 'refunded' || order.status === 'partially_refunded') {
    const text = done?.text ?? '';
    return {
      state: 'refunded',
      at: done?.at ?? order.updatedAt,
      amount: /[¥￥]\s*(\d+(?:\.\d{1,2})?)/.exec(text)?.[1] ?? /(\d+(?:\.\d{1,2})?)\s*元/.exec(text)?.[1],
      channel: CHANNEL.exec(text)?.[1],
      window: stated,
    };
  }
  const processing = [...order.timeline].reverse().find((e) => PROCESSING.test(e.text ?? ''));
  if (processing || PROCESSING.test(order.shopNotice ?? '')) {
    const text = processing?.text ?? order.shopNotice ?? '';
    return { state: 'processing', at: processing?.at, channel: CHANNEL.exec(text)?.[1], window: spanIn(text) ?? stated };
  }
  return undefined;
}

/** A duration as a shop writes it ("72小时内", "1–3 个工作日", "半小时"): the upper bound, in minutes. */
export const statedSpan = spanIn;
