/**
 * Reading the free text real shops keep: the buyer's checkout inputs ("充值手机号:13800138000"
 * lines), a courier number an operator pasted into an order, a phone number's last four digits.
 * These are heuristics over text nobody structured; what they find is marked as such by the caller.
 */

/** Carriers by the names operators write, with their Kuaidi100 codes. */
const CARRIERS: Array<[RegExp, string, string]> = [
  [/顺丰/, 'shunfeng', '顺丰速运'],
  [/圆通/, 'yuantong', '圆通速递'],
  [/中通/, 'zhongtong', '中通快递'],
  [/申通/, 'shentong', '申通快递'],
  [/韵达/, 'yunda', '韵达快递'],
  [/极兔/, 'jtexpress', '极兔速递'],
  [/京东/, 'jd', '京东物流'],
  [/德邦/, 'debangkuaidi', '德邦快递'],
  [/EMS/i, 'ems', 'EMS'],
  [/邮政|邮局/, 'youzhengguonei', '邮政快递包裹'],
];
/** Number prefixes that name their carrier. */
const PREFIXES: Array<[RegExp, string, string]> = [
  [/^SF\d/, 'shunfeng', '顺丰速运'],
  [/^YT\d/, 'yuantong', '圆通速递'],
  [/^JT\d/, 'jtexpress', '极兔速递'],
  [/^JD[A-Z]?\d/, 'jd', '京东物流'],
];

export interface FoundTracking {
  trackingNo: string;
  carrierCode: string;
  carrierName?: string;
}

/**
 * A courier number in an operator's note ("圆通 YT0000000001", "快递单号：SF1234567890123"): 10–20
 * characters of an optional letter prefix and digits, on a line that names a carrier or the word
 * 单号/快递/物流. A bare number on its own line is not taken (it may be a phone or an account).
 */
export function findTracking(text: string): FoundTracking | undefined {
  for (const line of text.split(/\r?\n/)) {
    const m = /(?:^|[^A-Za-z0-9])([A-Z]{0,3}\d{10,20}[A-Z]?)(?![A-Za-z0-9])/.exec(line.toUpperCase());
    if (!m) continue;
    const no = m[1]!;
    const named = CARRIERS.find(([re]) => re.test(line));
    const prefixed = PREFIXES.find(([re]) => re.test(no));
    if (!named && !prefixed && !/单号|快递|物流|运单/.test(line)) continue;
    if (/^1[3-9]\d{9}$/.test(no)) continue; // a mobile number
    const [, code, name] = prefixed ?? named ?? [undefined, 'unknown', undefined];
    return { trackingNo: no, carrierCode: code!, carrierName: name };
  }
  return undefined;
}

/** "label:value" (or "label：value") lines, as dujiaoka stores checkout inputs. */
export function inputLines(text: string | null | undefined): Array<{ label: string; value: string }> {
  const out: Array<{ label: string; value: string }> = [];
  for (const line of (text ?? '').split(/\r?\n/)) {
    const m = /^\s*([^:：\n]{1,20})[:：]\s*(.+?)\s*$/.exec(line);
    if (m) out.push({ label: m[1]!.trim(), value: m[2]! });
  }
  return out;
}

const PHONE_LABEL = /手机|电话|phone|mobile|tel/i;
const ACCOUNT_LABEL = /充值|账号|帐号|account|uid|id|手机号|qq/i;

/** The last four digits of a phone number given at checkout, for privacy waybills. */
export function phoneTailOf(inputs: Array<{ label: string; value: string }>): string | undefined {
  for (const { label, value } of inputs) {
    const digits = value.replace(/[\s-]/g, '');
    if (PHONE_LABEL.test(label) && /^\+?\d{7,15}$/.test(digits)) return digits.slice(-4);
  }
  return undefined;
}

/** The account a top-up goes to (phone number, game id), from the checkout inputs. */
export function topupAccountOf(inputs: Array<{ label: string; value: string }>): string | undefined {
  return inputs.find(({ label }) => ACCOUNT_LABEL.test(label))?.value;
}

/** Text without HTML tags and entities (product notices are rich text in the shop's admin). */
export function plainText(html: string | null | undefined): string | undefined {
  if (!html) return undefined;
  const text = html
    .replace(/<br\s*\/?>|<\/p>|<\/div>|<\/li>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n\s*\n+/g, '\n')
    .trim();
  return text ? text.slice(0, 500) : undefined;
}
