/**
 * Shop-local time without depending on the server's TZ. Every conversion goes through Intl with
 * the shop's IANA zone; Date objects are always true instants.
 */

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };
export function fixedClock(at: Date | string): Clock {
  const t = typeof at === 'string' ? new Date(at) : at;
  return { now: () => new Date(t.getTime()) };
}

export interface LocalFields {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number; // 0 = Sunday
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function intlFields(at: Date, tz: string): LocalFields {
  const parts: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(at)) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS.indexOf(parts.weekday ?? 'Sun'),
  };
}

/**
 * Offset of the zone at an instant, in minutes east of UTC. Intl is slow, and offsets change only
 * at transitions (on quarter hours), so the answer is cached per zone and quarter hour.
 */
const offsetCache = new Map<string, number>();
const QUARTER = 15 * 60_000;
export function offsetMinutes(at: Date, tz: string): number {
  const key = `${tz}|${Math.floor(at.getTime() / QUARTER)}`;
  let off = offsetCache.get(key);
  if (off === undefined) {
    const f = intlFields(at, tz);
    const asUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
    off = Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60000);
    if (offsetCache.size > 20_000) offsetCache.clear();
    offsetCache.set(key, off);
  }
  return off;
}

/** The shop's wall-clock fields at an instant (UTC arithmetic on the cached offset). */
export function localFields(at: Date, tz: string): LocalFields {
  const shifted = new Date(at.getTime() + offsetMinutes(at, tz) * 60_000);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
    weekday: shifted.getUTCDay(),
  };
}

/** The instant at which the shop's wall clock shows these fields (month 1-12; overflow allowed). */
export function fromLocal(tz: string, year: number, month: number, day: number, hour = 0, minute = 0, second = 0): Date {
  const guess = Date.UTC(year, month - 1, day, hour, minute, second);
  let t = guess - offsetMinutes(new Date(guess), tz) * 60000;
  // One correction step handles DST edges in zones that have them.
  t = guess - offsetMinutes(new Date(t), tz) * 60000;
  return new Date(t);
}

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

/** ISO 8601 with the shop's offset, e.g. 2026-11-23T15:00:00+08:00. */
export function toShopIso(at: Date, tz: string): string {
  const f = localFields(at, tz);
  const off = offsetMinutes(at, tz);
  const sign = off >= 0 ? '+' : '-';
  return `${f.year}-${pad(f.month)}-${pad(f.day)}T${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

/** Start of the shop-local day containing `at`. */
export function startOfLocalDay(at: Date, tz: string): Date {
  const f = localFields(at, tz);
  return fromLocal(tz, f.year, f.month, f.day);
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Whether `at` falls in a daily window "HH:MM-HH:MM" of shop time (the window may cross midnight). */
export function inDailyWindow(at: Date, window: string, tz: string): boolean {
  const m = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(window);
  if (!m) return true;
  const from = Number(m[1]) * 60 + Number(m[2]);
  const to = Number(m[3]) * 60 + Number(m[4]);
  const f = localFields(at, tz);
  const now = f.hour * 60 + f.minute;
  if (from === to) return true;
  return from < to ? now >= from && now < to : now >= from || now < to;
}
