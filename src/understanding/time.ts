/**
 * Payment time from Chinese text, in the shop's time zone, as an instant plus a tolerance window.
 *
 * Recognizers-Text resolves against the *local fields* of its reference date, so it gets a Date
 * whose server-local fields equal the shop-local wall clock, and its answers (shop wall-clock
 * strings) are converted back through the shop zone. Relative phrases ("半小时前") are handled by
 * our own rules first because the library gets some of them wrong, and its candidates are
 * filtered: a payment lies in the past.
 */
import { Culture, recognizeDateTime } from '@microsoft/recognizers-text-date-time';
import { DAY, HOUR, MINUTE, fromLocal, localFields, startOfLocalDay } from '../time.js';
import { parseNumber } from './normalize.js';

export interface PaymentTime {
  at: Date;
  from: Date;
  to: Date;
  /** The words it came from. */
  text: string;
  /** How precise the buyer was. */
  precision: 'minute' | 'hour' | 'part_of_day' | 'day';
}

/** Cheap gate: only text that can hold a time reaches the recognizer (it costs milliseconds). */
const MAY_HOLD_TIME =
  /(?:[\d零一二两三四五六七八九十]\s*(?:点|時|时|分|号|日|月)|[昨今前]天|昨[晚日夜]|今[早晚]|前[天晚]|刚[才刚付买]|[天周]前|分钟|小时|钟头|上午|下午|中午|晚上|早上|凌晨|傍晚|半夜|夜里|周[一二三四五六日天]|星期|礼拜|\d[:：]\d\d|\d{1,2}[-/.]\d{1,2})/;

export function mayHoldTime(text: string): boolean {
  return MAY_HOLD_TIME.test(text);
}

const NUM = '(\\d+(?:\\.\\d+)?|[零一二两三四五六七八九十百]+)';
const RELATIVE = new RegExp(`${NUM}?\\s*(?:个)?\\s*(半)?\\s*(分钟|分|小时|钟头|天)\\s*(?:之|以)?前`);
const VAGUE = /左右|大概|大约|差不多|估计|好像|应该是|上下/;

function relative(text: string, now: Date, tz: string): PaymentTime | undefined {
  const m = text.match(RELATIVE);
  if (m) {
    const [whole, numRaw, half, unit] = m;
    let n = numRaw ? parseNumber(numRaw) : half ? 0 : Number.NaN;
    if (numRaw === undefined && half) n = 0;
    if (Number.isNaN(n)) return undefined;
    if (half) n += 0.5;
    if (unit === '天') {
      const day = new Date(startOfLocalDay(now, tz).getTime() - Math.round(n) * DAY);
      return { at: day, from: day, to: new Date(day.getTime() + DAY - 1), text: whole, precision: 'day' };
    }
    const ms = n * (unit === '小时' || unit === '钟头' ? HOUR : MINUTE);
    const at = new Date(now.getTime() - ms);
    const slack = Math.max(2 * MINUTE, ms * (VAGUE.test(text) ? 0.3 : 0.2));
    return { at, from: new Date(at.getTime() - slack), to: new Date(Math.min(now.getTime(), at.getTime() + slack)), text: whole, precision: ms >= HOUR ? 'hour' : 'minute' };
  }
  const just = text.match(/刚才|刚刚|刚付|刚买|刚下单/);
  if (just) {
    return { at: new Date(now.getTime() - 5 * MINUTE), from: new Date(now.getTime() - 30 * MINUTE), to: now, text: just[0], precision: 'minute' };
  }
  return undefined;
}

/** Rewrites the recognizer misses: "11-20 21:30" → "11月20日 21:30"; "20号晚上" keeps working. */
function prepare(text: string): string {
  return text
    .replace(/(?<![\d])(\d{1,2})[-/.](\d{1,2})(?=\s*(?:\d{1,2}[:：]|[号日]|$|\s|[^\d]))/g, (all, m: string, d: string) =>
      Number(m) >= 1 && Number(m) <= 12 && Number(d) >= 1 && Number(d) <= 31 ? `${m}月${d}日` : all,
    )
    .replace(/：/g, ':');
}

interface Candidate {
  at: Date;
  from: Date;
  to: Date;
  precision: PaymentTime['precision'];
}

const PART_OF_DAY: Record<string, [number, number]> = { MO: [6, 12], MI: [11, 14], AF: [12, 18], EV: [18, 24], NI: [20, 24] };

function wall(tz: string, value: string): Date | undefined {
  const m = value.match(/^(\d{4})-(\d\d)-(\d\d)(?: (\d\d):(\d\d):(\d\d))?$/);
  if (!m) return undefined;
  return fromLocal(tz, Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
}

function candidatesOf(resolution: Record<string, string>, now: Date, tz: string, vague: boolean, fuzzyHour: boolean): Candidate[] {
  const { type, timex = '', value, start, end } = resolution;
  const today = localFields(now, tz);
  const hourSlack = vague ? 45 * MINUTE : 30 * MINUTE;
  if (type === 'datetime' && value) {
    if (/REF$/.test(timex) && timex !== 'PAST_REF') return [];
    const at = timex === 'PAST_REF' ? new Date(now.getTime() - 5 * MINUTE) : wall(tz, value);
    if (!at) return [];
    const minutePrecise = /T\d\d:\d\d/.test(timex);
    if (fuzzyHour && !minutePrecise) return [{ at, from: at, to: new Date(at.getTime() + HOUR), precision: 'hour' }];
    const slack = minutePrecise ? (vague ? 20 * MINUTE : 10 * MINUTE) : hourSlack;
    return [{ at, from: new Date(at.getTime() - slack), to: new Date(at.getTime() + slack), precision: minutePrecise ? 'minute' : 'hour' }];
  }
  if (type === 'date' && value) {
    const at = wall(tz, value);
    return at ? [{ at, from: at, to: new Date(at.getTime() + DAY - 1), precision: 'day' }] : [];
  }
  if (type === 'time' && value) {
    const m = value.match(/^(\d\d):(\d\d):(\d\d)$/);
    if (!m || Number(m[1]) > 23) return [];
    const minutePrecise = /T\d\d:\d\d/.test(timex);
    const out: Candidate[] = [];
    for (const back of [0, 1]) {
      const at = fromLocal(tz, today.year, today.month, today.day - back, Number(m[1]), Number(m[2]), Number(m[3]));
      if (fuzzyHour && !minutePrecise) out.push({ at, from: at, to: new Date(at.getTime() + HOUR), precision: 'hour' });
      else {
        const slack = minutePrecise ? (vague ? 20 * MINUTE : 10 * MINUTE) : hourSlack;
        out.push({ at, from: new Date(at.getTime() - slack), to: new Date(at.getTime() + slack), precision: minutePrecise ? 'minute' : 'hour' });
      }
    }
    return out;
  }
  if ((type === 'datetimerange' || type === 'daterange') && start) {
    const part = timex.match(/T(MO|MI|AF|EV|NI)$/);
    const from = wall(tz, start.length === 10 ? start : start);
    if (!from) return [];
    if (part) {
      const [h0, h1] = PART_OF_DAY[part[1]!]!;
      const f = localFields(from, tz);
      const a = fromLocal(tz, f.year, f.month, f.day, h0);
      const b = fromLocal(tz, f.year, f.month, f.day, h1);
      return [{ at: a, from: a, to: new Date(b.getTime() - 1), precision: 'part_of_day' }];
    }
    const to = end ? wall(tz, end) : undefined;
    return to ? [{ at: from, from, to, precision: type === 'daterange' ? 'day' : 'part_of_day' }] : [];
  }
  return [];
}

/** The payment time the buyer mentions, or undefined. `now` is the real instant. */
/**
 * A time the buyer asks about, not one they paid at: "今天发货么", "明天能到账吗", "几点给我处理"
 * ("昨天到现在" is still the payment side).
 */
const WHEN_SOMETHING_HAPPENS =
  /^\s*(?:(?:能不能|能|会|可以|可|就|才|再|要)\s*(?:发货|发出|发|到账|到|给|处理|充上|充|退|好|出|审核|回复|联系|安排)|发货|发出|到账|给我|处理|审核|回复|安排)/;

export function extractPaymentTime(text: string, now: Date, tz: string): PaymentTime | undefined {
  if (!mayHoldTime(text)) return undefined;
  const rel = relative(text, now, tz);
  if (rel) return rel;

  const f = localFields(now, tz);
  // A reference whose server-local fields are the shop's wall clock (see the module comment).
  const ref = new Date(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  const prepared = prepare(text);
  let results: ReturnType<typeof recognizeDateTime>;
  try {
    results = recognizeDateTime(prepared, Culture.Chinese, undefined, ref);
  } catch {
    return undefined;
  }
  const slackFuture = now.getTime() + 5 * MINUTE;
  for (const r of results) {
    if (!r.typeName.startsWith('datetimeV2.') || /duration|set/.test(r.typeName)) continue;
    const tail = prepared.slice(r.end + 1, r.end + 4);
    if (WHEN_SOMETHING_HAPPENS.test(prepared.slice(r.end + 1, r.end + 8))) continue;
    const vague = VAGUE.test(r.text) || VAGUE.test(tail);
    const fuzzyHour = /多/.test(tail.slice(0, 1));
    const values = (r.resolution?.values ?? []) as Array<Record<string, string>>;
    const cands = values.flatMap((v) => candidatesOf(v, now, tz, vague, fuzzyHour)).filter((c) => c.at.getTime() <= slackFuture);
    if (cands.length === 0) continue;
    cands.sort((a, b) => b.at.getTime() - a.at.getTime()); // the most recent past candidate
    const best = cands[0]!;
    return { ...best, to: new Date(Math.min(best.to.getTime(), now.getTime())), text: r.text };
  }
  // "20号" alone: the recognizer finds nothing; take the most recent such day of month.
  const dom = prepared.match(/(?<![月\d])(\d{1,2})\s*[号日](?![\d])/);
  if (dom && !WHEN_SOMETHING_HAPPENS.test(prepared.slice(dom.index! + dom[0].length, dom.index! + dom[0].length + 7))) {
    const d = Number(dom[1]);
    if (d >= 1 && d <= 31) {
      let at = fromLocal(tz, f.year, f.month, d);
      if (d > f.day) at = fromLocal(tz, f.year, f.month - 1, d);
      return { at, from: at, to: new Date(Math.min(at.getTime() + DAY - 1, now.getTime())), text: dom[0], precision: 'day' };
    }
  }
  return undefined;
}
