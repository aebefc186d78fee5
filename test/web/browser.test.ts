/**
 * The demo shop page in real headless Chromium (Debian's chromium, driven by playwright-core):
 * the official Web Chat bundle from our server, talking Direct Line 3.0 to our bot.
 */
import { describe, expect, it } from 'vitest';
import { order } from '../helpers.js';
import { browserBed, openChat } from './chromium.js';

const { base, browser } = await browserBed('web', { orders: [order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' })] });

describe('demo shop page with the official Web Chat', () => {
  it('answers a buyer, then resumes the conversation after a reload', async () => {
    const page = await browser.newPage({ locale: 'zh-CN' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
    // The chat opens on demand, from the launcher in the corner.
    const { chat, says } = await openChat(page);
    await says('付款了怎么查不到单号', '请发一下订单号');
    // The bot's suggested actions are rendered as buttons.
    await expect.poll(() => page.getByRole('button', { name: '没有订单号' }).count(), { timeout: 5_000 }).toBeGreaterThan(0);

    await says('K7QX9ZP2M4RT8WNA', '➤ 出卡');
    expect(await chat.innerText()).toContain('付款已经收到');
    const count = (t: string, word: string) => t.split(word).length - 1;
    const before = count(await chat.innerText(), '请发一下订单号');

    await page.reload();
    // The same conversation comes back (history replayed from the server) and goes on.
    await expect.poll(() => page.locator('#webchat').innerText(), { timeout: 20_000 }).toContain('付款已经收到');
    const after = page.locator('[data-id="webchat-sendbox-input"]');
    await after.fill('谢谢');
    await after.press('Enter');
    await expect.poll(() => page.locator('#webchat').innerText(), { timeout: 15_000 }).toContain('不客气');
    const text = await page.locator('#webchat').innerText();
    // Nothing lost, nothing repeated.
    expect(count(text, '请发一下订单号')).toBe(before);
    expect(text).not.toContain('turnOutcome');
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('sends a payment screenshot with the upload button; after a reload it links to the copy our server keeps', async () => {
    const page = await browser.newPage({ locale: 'zh-CN' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
    const { chat } = await openChat(page);
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
    await page.locator('#webchat input[type="file"]').setInputFiles({ name: '付款截图.png', mimeType: 'image/png', buffer: png });
    await expect.poll(() => chat.innerText(), { timeout: 15_000 }).toContain('图片收到了');

    await page.reload();
    await expect.poll(() => page.locator('#webchat').innerText(), { timeout: 20_000 }).toContain('图片收到了');
    // After the reload the file comes from the activity log: Web Chat's file card links to our signed
    // URL (not the browser's local copy), and the page can fetch the very bytes it sent.
    const link = page.locator(`#webchat a[href^="${base}/v3/directline/attachments/"]`);
    await expect.poll(() => link.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await link.first().getAttribute('download')).toBe('付款截图.png');
    const fetched = await link.first().evaluate(async (a) => {
      const r = await fetch((a as unknown as { href: string }).href); // runs in the page (no DOM types here)
      return { type: r.headers.get('content-type'), bytes: Array.from(new Uint8Array(await r.arrayBuffer())) };
    });
    expect(fetched.type).toBe('image/png');
    expect(Buffer.from(fetched.bytes).equals(png)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
