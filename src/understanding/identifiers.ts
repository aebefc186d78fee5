/**
 * Finds and classifies the numbers a buyer pastes: shop order numbers (dujiaoka, acg-faka,
 * Dujiao-Next, card-system, ZFAKA, generic), payment transaction numbers (WeChat Pay, Alipay),
 * courier numbers of the big carriers, and contacts (phone, e-mail, QQ).
 * Input must already be normalised (normalizeText).
 */

export type IdentifierKind = 'order_no' | 'wechat_pay_txn' | 'alipay_txn' | 'courier_no';

export interface Identifier {
  value: string;
  /** As typed (case, spaces and dashes kept), when it came from text. */
  raw?: string;
  kind: IdentifierKind;
  /** Which system's format it matched, e.g. 'dujiaoka', 'acg-faka', 'shunfeng'. */
  format: string;
}

export interface Contact {
  value: string;
  kind: 'phone' | 'email' | 'qq' | 'wechat';
}

const COURIERS: Array<[RegExp, string]> = [
  [/^SF\d{12,13}$/, 'shunfeng'],
  [/^YT\d{13,15}$/, 'yuantong'],
  [/^JT\d{13}$/, 'jtexpress'],
  [/^JD[A-Z]{0,2}\d{11,13}$/, 'jd'],
  [/^E[A-Z]\d{9}CN$/, 'ems'],
  [/^(?:7[3568]|78)\d{10}$/, 'zhongtong'],
  [/^77\d{11}$/, 'shentong'],
  [/^(?:31|43|46)\d{11}$/, 'yunda'],
];

const plausibleDate = (y: number, m: number, d: number) => y >= 2015 && y <= 2099 && m >= 1 && m <= 12 && d >= 1 && d <= 31;

export function classifyToken(token: string, hint?: 'courier'): Identifier | null {
  const v = token.toUpperCase();
  if (v.length < 8 || v.length > 40 || !/^[A-Z0-9]+$/.test(v)) return null;
  const digits = v.replace(/\D/g, '').length;

  if (/^\d{28}$/.test(v) || /^\d{32}$/.test(v)) {
    if (/^4[0-2]000\d/.test(v)) return { value: v, kind: 'wechat_pay_txn', format: 'wechat_pay' };
    const y = Number(v.slice(0, 4)),
      m = Number(v.slice(4, 6)),
      d = Number(v.slice(6, 8));
    if (plausibleDate(y, m, d)) return { value: v, kind: 'alipay_txn', format: 'alipay' };
  }
  for (const [re, carrier] of COURIERS) {
    if (re.test(v) && ((carrier !== 'zhongtong' && carrier !== 'shentong' && carrier !== 'yunda') || hint === 'courier')) {
      return { value: v, kind: 'courier_no', format: carrier };
    }
  }
  if (/^DJ\d{14}[A-Z0-9]{4}(?:\d{1,3})?$/.test(v)) return { value: v, kind: 'order_no', format: 'dujiao-next' };
  if (/^\d{18}$/.test(v)) return { value: v, kind: 'order_no', format: 'acg-faka' };
  if (/^\d{14}[A-Z0-9]{5}$/.test(v)) return { value: v, kind: 'order_no', format: 'card-system' };
  if (/^[A-Z]{2,6}\d{19}$/.test(v)) return { value: v, kind: 'order_no', format: 'zfaka' };
  if (/^[A-Z0-9]{16}$/.test(v) && digits >= 2 && digits <= 14) return { value: v, kind: 'order_no', format: 'dujiaoka' };
  if (hint === 'courier' && digits >= 10) return { value: v, kind: 'courier_no', format: 'unknown' };
  // Hex error codes ("0xC004C003") are not orders.
  if (/^0X[0-9A-F]+$/.test(v)) return null;
  // A bare mainland mobile number is a contact, not an order.
  if (/^1[3-9]\d{9}$/.test(v)) return null;
  if (v.length >= 10 && v.length <= 32 && digits >= 6) return { value: v, kind: 'order_no', format: 'generic' };
  return null;
}

const RUN = /[A-Za-z0-9](?:[A-Za-z0-9]|[ _-](?=[A-Za-z0-9]))*/g;
const COURIER_CONTEXT = /(快递|运单|物流|邮寄|寄件)[^，。,.!?！？]{0,6}$/;

/** Every identifier in the text, in order of appearance, without duplicates. */
export function extractIdentifiers(text: string): Identifier[] {
  const out: Identifier[] = [];
  const seen = new Set<string>();
  const push = (id: Identifier | null) => {
    if (id && !seen.has(id.value)) {
      seen.add(id.value);
      out.push(id);
    }
  };
  for (const m of text.matchAll(RUN)) {
    const run = m[0];
    const before = text.slice(Math.max(0, (m.index ?? 0) - 12), m.index ?? 0);
    const hint = COURIER_CONTEXT.test(before) ? 'courier' : undefined;
    const joined = classifyToken(run.replace(/[ _-]/g, ''), hint);
    // "M3HZ8QV5KX2WT9RA 1000的Q币": a number of a known shape followed by an amount is that number,
    // not one generic number glued together.
    const pieces = run.split(' ');
    const known =
      joined?.format === 'generic' &&
      pieces.length > 1 &&
      pieces.some((p) => {
        const id = classifyToken(p.replace(/[_-]/g, ''), hint);
        return !!id && id.format !== 'generic';
      });
    if (joined && !known) {
      push({ ...joined, raw: run });
      continue;
    }
    for (const piece of pieces) {
      const id = classifyToken(piece.replace(/[_-]/g, ''), hint);
      push(id && { ...id, raw: piece });
    }
  }
  return out;
}

export function extractContact(text: string): Contact | undefined {
  const email = text.match(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/);
  if (email) return { value: email[0].toLowerCase(), kind: 'email' };
  const phone = text.replace(/(\d)[ -](?=\d)/g, '$1').match(/(?<!\d)(?:\+?86)?(1[3-9]\d{9})(?!\d)/);
  if (phone) return { value: phone[1]!, kind: 'phone' };
  const qq = text.match(/(?:qq|QQ|扣扣)\s*(?:号|号码)?\s*(?:是|:)?\s*(\d{5,11})(?!\d)/);
  if (qq) return { value: qq[1]!, kind: 'qq' };
  const wechat = text.match(/(?:微信号?|vx|wx|v信)\s*(?:号)?\s*(?:是|:)?\s*([A-Za-z][-_A-Za-z0-9]{5,19})(?![A-Za-z0-9])/i);
  if (wechat) return { value: wechat[1]!, kind: 'wechat' };
  return undefined;
}
