/** Shop-local formatting of times, durations and money for buyer-facing text. */
import { DAY, localFields, startOfLocalDay } from '../time.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** "今天14:54", "昨天20:00", "11月20日 21:30" in the shop's zone. */
export function when(at: Date, now: Date, tz: string): string {
  const f = localFields(at, tz);
  const hm = `${pad(f.hour)}:${pad(f.minute)}`;
  const dayDiff = Math.round((startOfLocalDay(now, tz).getTime() - startOfLocalDay(at, tz).getTime()) / DAY);
  if (dayDiff === 0) return `今天${hm}`;
  if (dayDiff === 1) return `昨天${hm}`;
  if (dayDiff === -1) return `明天${hm}`;
  const n = localFields(now, tz);
  return f.year === n.year ? `${f.month}月${f.day}日 ${hm}` : `${f.year}年${f.month}月${f.day}日 ${hm}`;
}

/** The day of an instant, as a buyer says it: "今天", "明天", "12月4日". */
export function day(at: Date, now: Date, tz: string): string {
  return when(at, now, tz).replace(/ ?\d\d:\d\d$/, '');
}

export function duration(minutes: number): string {
  if (minutes < 1) return '不到1分钟';
  if (minutes < 60) return `${minutes}分钟`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h < 48) return m >= 10 ? `${h}小时${m}分钟` : `${h}小时`;
  return `${Math.round(h / 24)}天`;
}

export function money(amount: string, currency: string): string {
  return currency === 'CNY' ? `¥${amount}` : `${amount} ${currency}`;
}
