import { describe, expect, it } from 'vitest';
import { ALWAYS, addBusinessDays, addWorkingMinutes, formatHours, hoursInText, isOpen, nextOpen, parseHours, workingMinutesBetween } from '../src/calendar.js';
import { fromLocal, localFields, toShopIso } from '../src/time.js';

const TZ = 'Asia/Shanghai';
const at = (d: number, h: number, m = 0) => fromLocal(TZ, 2026, 12, d, h, m); // 12月2日 is a Wednesday
const iso = (x: Date) => toShopIso(x, TZ);
const DAY9_22 = parseHours('09:00-22:00')!;

describe('working hours', () => {
  it('reads the forms shops write', () => {
    expect(parseHours('09:00-22:00')).toEqual({ from: 540, to: 1320 });
    expect(parseHours('9:00–23:00')).toEqual({ from: 540, to: 1380 });
    expect(parseHours('9点-23点')).toEqual({ from: 540, to: 1380 });
    expect(parseHours('22:00-02:00')).toEqual({ from: 1320, to: 120 });
    expect(parseHours('00:00-24:00')).toEqual(ALWAYS);
    expect(parseHours('25:00-26:00')).toBeUndefined();
    expect(parseHours('明天')).toBeUndefined();
    expect(hoursInText('单笔满 500 元的订单需人工审核，审核时间 9:00–23:00，一般 30 分钟内完成。', /审核/)).toEqual({ from: 540, to: 1380 });
    expect(hoursInText('客服在线 9:00-21:00。审核很快', /审核/)).toBeUndefined();
    expect(formatHours(DAY9_22)).toBe('09:00–22:00');
  });

  it('a promise made at any hour of the day falls inside the hours, and takes exactly its working minutes', () => {
    for (let h = 0; h < 24; h++) {
      for (const m of [0, 30]) {
        const start = at(2, h, m);
        const due = addWorkingMinutes(start, 240, DAY9_22, TZ);
        const f = localFields(due, TZ);
        const minute = f.hour * 60 + f.minute;
        expect(minute, `${h}:${m} → ${iso(due)}`).toBeGreaterThan(9 * 60);
        expect(minute, `${h}:${m} → ${iso(due)}`).toBeLessThanOrEqual(22 * 60);
        expect(workingMinutesBetween(start, due, DAY9_22, TZ), `${h}:${m}`).toBe(240);
      }
    }
  });

  it('counts from the next opening at night, and carries into the next day late', () => {
    expect(iso(addWorkingMinutes(at(2, 3, 6), 240, DAY9_22, TZ))).toBe('2026-12-02T13:00:00+08:00');
    expect(iso(addWorkingMinutes(at(2, 21, 30), 240, DAY9_22, TZ))).toBe('2026-12-03T12:30:00+08:00');
    expect(iso(addWorkingMinutes(at(2, 10, 0), 240, DAY9_22, TZ))).toBe('2026-12-02T14:00:00+08:00');
    expect(iso(addWorkingMinutes(at(2, 22, 0), 60, DAY9_22, TZ))).toBe('2026-12-03T10:00:00+08:00');
    expect(iso(nextOpen(at(2, 3, 0), DAY9_22, TZ))).toBe('2026-12-02T09:00:00+08:00');
    expect(iso(nextOpen(at(2, 12, 0), DAY9_22, TZ))).toBe('2026-12-02T12:00:00+08:00');
    expect(iso(addWorkingMinutes(at(2, 3, 0), 240, ALWAYS, TZ))).toBe('2026-12-02T07:00:00+08:00');
  });

  it('handles hours across midnight', () => {
    const night = parseHours('20:00-02:00')!;
    expect(isOpen(at(2, 1, 0), night, TZ)).toBe(true);
    expect(isOpen(at(2, 3, 0), night, TZ)).toBe(false);
    expect(iso(addWorkingMinutes(at(2, 1, 0), 120, night, TZ))).toBe('2026-12-02T21:00:00+08:00');
    expect(workingMinutesBetween(at(2, 19, 0), at(3, 3, 0), night, TZ)).toBe(360);
  });

  it('is the same whatever the server zone (tests run in America/Los_Angeles)', () => {
    expect(process.env.TZ).toBe('America/Los_Angeles');
    expect(isOpen(at(2, 9, 0), DAY9_22, TZ)).toBe(true);
    expect(isOpen(at(2, 8, 59), DAY9_22, TZ)).toBe(false);
  });

  it('business days skip weekends', () => {
    // Friday 12月4日 + 3 business days = Wednesday 12月9日 (end of day).
    expect(iso(addBusinessDays(at(4, 10, 0), 3, TZ))).toBe('2026-12-09T23:59:59+08:00');
    expect(iso(addBusinessDays(at(2, 10, 0), 1, TZ))).toBe('2026-12-03T23:59:59+08:00');
  });
});
