/**
 * Working time, in the shop's zone: when people work (agents, reviewers), and how long a promise
 * made in working time really takes. "Four hours" said at 03:06 with agents working 09:00–22:00
 * is 13:00, not 07:06; a review that takes two hours, asked for at 22:30 with reviewers working
 * until 23:00, is done at 10:30 the next morning (reviews start at 09:00).
 *
 * Also business days (Monday to Friday) for what banks and payment channels promise ("1–3 个工作
 * 日"); public holidays are not known here, so such dates are "about" (the replies say so).
 *
 * Pure: no clock of its own; every function takes the instant it reasons about.
 */
import { MINUTE, fromLocal, localFields } from './time.js';

/** Daily hours as minutes of the shop-local day; `to` ≤ `from` means the window crosses midnight. */
export interface DailyHours {
  from: number;
  to: number;
}

/** Every day, round the clock. */
export const ALWAYS: DailyHours = { from: 0, to: 24 * 60 };

const clock = (h: string, m: string | undefined) => Number(h) * 60 + Number(m ?? 0);

/** "09:00-22:00" (also "9:00–23:00", "9点-23点", "9:00~23:00"); undefined when it is not one. */
export function parseHours(spec: string): DailyHours | undefined {
  const m = /^\s*(\d{1,2})(?:[:：](\d{2}))?\s*点?\s*[-–—~～至到]\s*(\d{1,2})(?:[:：](\d{2}))?\s*点?\s*$/.exec(spec);
  if (!m) return undefined;
  const from = clock(m[1]!, m[2]);
  const to = clock(m[3]!, m[4]);
  if (from > 24 * 60 || to > 24 * 60 || Number(m[2] ?? 0) > 59 || Number(m[4] ?? 0) > 59) return undefined;
  if (from === to || (from === 0 && to === 24 * 60)) return ALWAYS;
  return { from, to };
}

/**
 * Hours stated in a shop's own words ("审核时间 9:00–23:00", "客服在线时间：9点-22点"), when the
 * sentence is about `topic` (a pattern such as /审核/). The shop's statement wins over config.
 */
export function hoursInText(text: string | undefined, topic: RegExp): DailyHours | undefined {
  if (!text) return undefined;
  for (const sentence of text.split(/[。；;！!\n]/)) {
    if (!topic.test(sentence)) continue;
    const m = /(\d{1,2}(?:[:：]\d{2})?\s*点?\s*[-–—~～至到]\s*\d{1,2}(?:[:：]\d{2})?\s*点?)/.exec(sentence);
    const hours = m ? parseHours(m[1]!) : undefined;
    if (hours) return hours;
  }
  return undefined;
}

const isAlways = (h: DailyHours) => h.from === 0 && h.to >= 24 * 60;

/** Whether the shop's wall clock at `at` falls inside the hours. */
export function isOpen(at: Date, hours: DailyHours, tz: string): boolean {
  if (isAlways(hours)) return true;
  const f = localFields(at, tz);
  const now = f.hour * 60 + f.minute;
  return hours.from < hours.to ? now >= hours.from && now < hours.to : now >= hours.from || now < hours.to;
}

/** The working spans (instants) of the shop-local day that starts at `dayStart`, in order. */
function spansOfDay(dayStart: { y: number; m: number; d: number }, hours: DailyHours, tz: string): Array<[Date, Date]> {
  const at = (minutes: number) => fromLocal(tz, dayStart.y, dayStart.m, dayStart.d, Math.floor(minutes / 60), minutes % 60);
  if (hours.from < hours.to) return [[at(hours.from), at(hours.to)]];
  // Crossing midnight: the early part belongs to yesterday's shift, the late part starts today's.
  return [
    [at(0), at(hours.to)],
    [at(hours.from), at(24 * 60)],
  ];
}

/** The instant `minutes` of working time after `start` (now, if it is working time, counts). */
export function addWorkingMinutes(start: Date, minutes: number, hours: DailyHours, tz: string): Date {
  if (isAlways(hours)) return new Date(start.getTime() + minutes * MINUTE);
  let left = minutes * MINUTE;
  const f = localFields(start, tz);
  // A span is at least an hour a day in any sane configuration; a year of days is a hard stop.
  for (let day = 0; day < 366; day++) {
    const date = localFields(fromLocal(tz, f.year, f.month, f.day + day, 12), tz);
    for (const [a, b] of spansOfDay({ y: date.year, m: date.month, d: date.day }, hours, tz)) {
      const from = Math.max(a.getTime(), start.getTime());
      if (from >= b.getTime()) continue;
      if (b.getTime() - from >= left) return new Date(from + left);
      left -= b.getTime() - from;
    }
  }
  return new Date(start.getTime() + minutes * MINUTE);
}

/** Working minutes between two instants (0 when `to` is not after `from`). */
export function workingMinutesBetween(from: Date, to: Date, hours: DailyHours, tz: string): number {
  if (to.getTime() <= from.getTime()) return 0;
  if (isAlways(hours)) return Math.round((to.getTime() - from.getTime()) / MINUTE);
  let total = 0;
  const f = localFields(from, tz);
  for (let day = 0; day < 366; day++) {
    const date = localFields(fromLocal(tz, f.year, f.month, f.day + day, 12), tz);
    for (const [a, b] of spansOfDay({ y: date.year, m: date.month, d: date.day }, hours, tz)) {
      const s = Math.max(a.getTime(), from.getTime());
      const e = Math.min(b.getTime(), to.getTime());
      if (e > s) total += e - s;
    }
    if (fromLocal(tz, date.year, date.month, date.day + 1).getTime() >= to.getTime()) break;
  }
  return Math.round(total / MINUTE);
}

/** The next moment the hours are open: `at` itself when they are. */
export function nextOpen(at: Date, hours: DailyHours, tz: string): Date {
  return addWorkingMinutes(at, 0, hours, tz);
}

/** The end of the `n`th business day (Monday–Friday) after the shop-local day of `at`. */
export function addBusinessDays(at: Date, n: number, tz: string): Date {
  const f = localFields(at, tz);
  let day = 0;
  let counted = 0;
  while (counted < n && day < 60) {
    day++;
    const wd = localFields(fromLocal(tz, f.year, f.month, f.day + day, 12), tz).weekday;
    if (wd !== 0 && wd !== 6) counted++;
  }
  return new Date(fromLocal(tz, f.year, f.month, f.day + day + 1).getTime() - 1000);
}

/** "09:00–22:00" for replies. */
export function formatHours(h: DailyHours): string {
  if (isAlways(h)) return '00:00–24:00';
  const hm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `${hm(h.from)}–${hm(h.to)}`;
}
