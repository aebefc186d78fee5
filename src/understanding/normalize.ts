/**
 * Text normalisation before any rule runs: full-width → half-width (NFKC), zero-width and control
 * characters removed, whitespace collapsed. Length is capped so that a 10,000-character paste costs
 * no more than a normal message.
 */
// biome-ignore lint/suspicious/noMisleadingCharacterClass: variation selectors and joiners are removed one by one, on purpose
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufe00-\ufe0f]/g;

export const MAX_UNDERSTOOD_CHARS = 500;

export function normalizeText(raw: unknown, maxChars = MAX_UNDERSTOOD_CHARS): string {
  if (typeof raw !== 'string') return '';
  const clipped = raw.length > maxChars * 2 ? raw.slice(0, maxChars * 2) : raw;
  return (
    clipped
      .normalize('NFKC')
      .replace(INVISIBLE, '')
      // Emoji carry nothing the rules use, and one typed inside a number would split it.
      .replace(/\p{Extended_Pictographic}|[\u{1F3FB}-\u{1F3FF}]/gu, '')
      .replace(/[\u3000\s]+/g, ' ')
      .replace(/[—–―‐‑‒−]/g, '-')
      .trim()
      .slice(0, maxChars)
  );
}

const CN_DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** "十五" → 15, "二十" → 20, "两" → 2, "12" → 12; NaN when not a number. */
export function parseNumber(s: string): number {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  let total = 0;
  let current = 0;
  for (const ch of s) {
    if (ch in CN_DIGITS) current = CN_DIGITS[ch]!;
    else if (ch === '十') {
      total += (current || 1) * 10;
      current = 0;
    } else if (ch === '百') {
      total += (current || 1) * 100;
      current = 0;
    } else return Number.NaN;
  }
  return total + current;
}
