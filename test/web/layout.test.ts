/**
 * The pages fit every screen: the shop page, the logged-in orders page, the chat panel and the
 * agent console at a phone (390×844), a tablet (768×1024) and a laptop (1280×800) in real headless
 * Chromium, in the states that used to break them (chat open with a long conversation and suggested
 * actions, an agent with a claimed conversation and its quick replies, a ticket open). Nothing is
 * wider than the window, and the chat's input and close button are on screen. Screenshots of every
 * page and width go to test-results/screenshots/ (kept by CI as the run's record).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server.js';
import { makeApp, order, serve, shutdown } from '../helpers.js';
import { launchChromium } from './chromium.js';

const SHOTS = path.join(process.cwd(), 'test-results', 'screenshots');
const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'tablet', width: 768, height: 1024 },
  { name: 'laptop', width: 1280, height: 800 },
] as const;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-layout-'));
const app = await makeApp({
  file: path.join(dir, 'bot.sqlite'),
  orders: [
    order({
      orderNo: 'DJ20261123120055QWER',
      status: 'on_hold',
      holdReasons: ['risk_control'],
      paidAt: '2026-11-23T12:01:00+08:00',
      title: '网易一卡通300元（超长的商品名称用来撑宽表格的列）',
    }),
    order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' }),
  ],
});
const server = await createServer(app);
let base = '';
let browser: Browser;

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  await app.agents.create('layout', '小李', 'correct horse battery');
  base = await serve(server);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await shutdown(server);
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** How far the page is wider than the window (0 = it fits). */
const overflow = (page: Page) => page.evaluate('Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth') as Promise<number>;

async function onScreen(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).first().boundingBox();
  const vp = page.viewportSize()!;
  return !!box && box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width + 1 && box.y + box.height <= vp.height + 1;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

async function chatOpen(page: Page, messages: string[]): Promise<void> {
  await page.locator('#chat-toggle').click();
  const chat = page.locator('#webchat');
  const input = page.locator('[data-id="webchat-sendbox-input"]');
  await expect.poll(() => chat.innerText(), { timeout: 20_000 }).toContain('订单助手');
  for (const m of messages) {
    const before = await page.locator('.webchat__bubble__content').count();
    await input.fill(m);
    await input.press('Enter');
    await expect.poll(() => page.locator('.webchat__bubble__content').count(), { timeout: 15_000 }).toBeGreaterThan(before + 1);
  }
}

describe.each(VIEWPORTS)('layout at $name ($width×$height)', ({ name, width, height }) => {
  it('the shop page, closed and with a long conversation open', async () => {
    const page = await browser.newPage({ locale: 'zh-CN', viewport: { width, height } });
    await page.goto(base);
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    // Closed by default: the launcher is in view and covers nothing but its corner.
    expect(await page.locator('#chat-panel').isHidden()).toBe(true);
    expect(await onScreen(page, '#chat-toggle')).toBe(true);
    await shot(page, `shop-${name}`);
    await chatOpen(page, ['付款了怎么查不到单号', 'K7QX9ZP2M4RT8WNA', '还是没到', '卡密和订单号有什么区别']);
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    expect(await onScreen(page, '[data-id="webchat-sendbox-input"]')).toBe(true);
    expect(await onScreen(page, '#chat-close')).toBe(true);
    await shot(page, `chat-${name}`);
    // Closing works from inside the panel (on a phone it covers the whole screen).
    await page.locator('#chat-close').click();
    expect(await page.locator('#chat-panel').isHidden()).toBe(true);
    await page.close();
  }, 120_000);

  it('the logged-in orders page with the chat open', async () => {
    const page = await browser.newPage({ locale: 'zh-CN', viewport: { width, height } });
    await page.goto(`${base}/orders.html?buyer=u1001`);
    await expect.poll(() => page.locator('#rows').innerText(), { timeout: 10_000 }).not.toContain('加载中');
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await shot(page, `orders-${name}`);
    await chatOpen(page, ['没有订单号']);
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    expect(await onScreen(page, '[data-id="webchat-sendbox-input"]')).toBe(true);
    expect(await onScreen(page, '#chat-close')).toBe(true);
    await page.close();
  }, 120_000);

  it('the agent console with a claimed conversation and quick replies', async () => {
    const agent = await browser.newPage({ locale: 'zh-CN', viewport: { width, height } });
    await agent.goto(`${base}/agent`);
    await agent.getByLabel('账号').fill('layout');
    await agent.getByLabel('密码').fill('correct horse battery');
    await agent.getByRole('button', { name: '登录' }).click();
    await expect.poll(() => agent.locator('#presence').innerText(), { timeout: 10_000 }).toContain('在线客服');
    expect(await overflow(agent)).toBeLessThanOrEqual(0);
    const buyer = await browser.newPage({ locale: 'zh-CN' });
    await buyer.goto(base);
    await chatOpen(buyer, ['查下订单 DJ20261123120055QWER', '转人工']);
    const queued = agent.locator('[data-testid="queue"] li');
    await expect.poll(() => queued.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await queued.first().click();
    await agent.locator('[data-testid="claim"]').click();
    await expect.poll(() => agent.locator('[data-testid="reply"]').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await overflow(agent)).toBeLessThanOrEqual(0);
    await shot(agent, `console-${name}`);
    await agent.locator('#outcome').selectOption('solved');
    await agent.locator('[data-testid="resolve"]').click();
    await buyer.close();
    await agent.close();
  }, 120_000);
});
