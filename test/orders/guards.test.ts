import { describe, expect, it } from 'vitest';
import { RateLimiter, takeAll } from '../../src/orders/guards.js';

const at = (ms: number) => new Date(Date.parse('2026-11-23T15:00:00+08:00') + ms);

describe('RateLimiter (sliding window)', async () => {
  it('allows max hits per window, then again as old hits leave the window', async () => {
    const l = new RateLimiter(3, 10_000);
    expect(await Promise.all([0, 1000, 2000, 3000].map((t) => l.take('k', at(t))))).toEqual([true, true, true, false]);
    expect(await l.take('k', at(9_999))).toBe(false);
    expect(await l.take('k', at(10_001))).toBe(true); // the hit at 0 left the window
    expect(await l.retryAfterMinutes('k', at(10_001))).toBe(1);
    expect(await l.take('other', at(3000))).toBe(true);
  });

  it('stays exact over many hits (old ones are dropped as the window slides)', async () => {
    const l = new RateLimiter(100, 1000);
    let taken = 0;
    for (let t = 0; t < 20_000; t += 2) if (await l.take('k', at(t))) taken++;
    // 100 per second over 20 seconds (the first window from t = 0).
    expect(taken).toBeGreaterThanOrEqual(1990);
    expect(taken).toBeLessThanOrEqual(2100);
    expect(await l.allows('k', at(19_999))).toBe(false); // the hits at 19 000–19 198 are still in the window
    expect(await l.allows('k', at(30_000))).toBe(true);
  });

  it('takeAll takes from every limit, or from none when one is used up', async () => {
    const a = new RateLimiter(2, 60_000);
    const b = new RateLimiter(1, 60_000);
    expect(
      await takeAll(
        [
          { limiter: a, key: 'x' },
          { limiter: b, key: 'y' },
        ],
        at(0),
      ),
    ).toBeUndefined();
    const refused = await takeAll(
      [
        { limiter: a, key: 'x' },
        { limiter: b, key: 'y' },
      ],
      at(1),
    );
    expect(refused?.key).toBe('y');
    expect(await a.take('x', at(2))).toBe(true); // the refused call took nothing from a
    expect(await a.take('x', at(3))).toBe(false);
  });
});
