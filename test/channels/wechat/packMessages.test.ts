import { describe, expect, it } from 'vitest';
import { MESSAGE_MAX_BYTES, packMessages } from '../../../src/channels/wechat/adapter.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe("packing a turn's messages for WeChat (one passive reply, 2,048-byte texts)", () => {
  it('merges short messages into one, in order', () => {
    expect(packMessages(['订单已付款。', '请稍等 15 分钟。'])).toEqual(['订单已付款。\n\n请稍等 15 分钟。']);
  });

  it('starts a new message when the next would not fit, and splits a long one at line breaks', () => {
    const line = '卡密'.repeat(100); // 600 bytes
    const long = Array.from({ length: 8 }, () => line).join('\n');
    const out = packMessages(['开头', long, '结尾']);
    expect(out.length).toBeGreaterThan(2);
    for (const m of out) expect(bytes(m)).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
    expect(out.join('\n').replace(/\n+/g, '')).toBe(['开头', long, '结尾'].join('').replace(/\n+/g, ''));
  });

  it('cuts a single line longer than the limit between characters, never inside one', () => {
    const out = packMessages(['号'.repeat(1000)]); // 3,000 bytes, no line break
    expect(out.length).toBe(2);
    expect(out.join('')).toBe('号'.repeat(1000));
    for (const m of out) expect(bytes(m)).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
  });

  it('has nothing to send for nothing', () => {
    expect(packMessages([])).toEqual([]);
  });
});
