/**
 * The pages fit every screen: the shop page, the logged-in orders page, the chat panel and the
 * agent console at a phone (390×844), a tablet (768×1024) and a laptop (1280×800) in real headless
 * Chromium, in the states that used to break them (chat open with a long conversation and suggested
 * actions, the buyer told of a ticket; an agent with a claimed conversation and its quick replies,
 * a ticket open in the console). Nothing is wider than the window, and the chat's input and close
 * button are on screen. Every width from 360 px to 1920 px is swept too. Screenshots of every page
 * and width go to test-results/screenshots/ (kept by CI as the run's record).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { order } from '../helpers.js';
import { browserBed, openChat, signInAgent } from './chromium.js';

const SHOTS = path.join(process.cwd(), 'test-results', 'screenshots');
const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'tablet', width: 768, height: 1024 },
  { name: 'laptop', width: 1280, height: 800 },
] as const;

fs.mkdirSync(SHOTS, { recursive: true });
const { app, base, browser } = await browserBed('layout', {
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
  agents: { layout: '小李' },
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

/** The page fits its window, and, with the chat open, its input and close button are on screen. */
async function fits(page: Page, what: string, chatOpen = true): Promise<void> {
  expect(await overflow(page), `${what}: wider than the window`).toBeLessThanOrEqual(0);
  if (!chatOpen) return;
  expect(await onScreen(page, '[data-id="webchat-sendbox-input"]'), `${what}: the chat input is off screen`).toBe(true);
  expect(await onScreen(page, '#chat-close'), `${what}: the close button is off screen`).toBe(true);
}

/** The console with a claimed conversation: a buyer on the shop page, same window size, asked for a person. */
async function claimedConsole(width: number, height: number) {
  const agent = await browser.newPage({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width, height } });
  await agent.goto(`${base}/agent`);
  await expect.poll(() => agent.locator('#login').isVisible(), { timeout: 10_000 }).toBe(true);
  await fits(agent, 'console sign-in', false);
  await signInAgent(agent, base, 'layout');
  await fits(agent, 'console, signed in', false);
  const buyer = await browser.newPage({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width, height } });
  await buyer.goto(base);
  const b = await openChat(buyer);
  await b.says('查下订单 DJ20261123120055QWER', '风控');
  await b.says('转人工', /已为你转接人工客服|已经在排队/);
  const queued = agent.locator('[data-testid="queue"] li');
  await expect.poll(() => queued.count(), { timeout: 10_000 }).toBeGreaterThan(0);
  await queued.first().click();
  await agent.locator('[data-testid="claim"]').click();
  await expect.poll(() => agent.locator('[data-testid="reply"]').isVisible(), { timeout: 10_000 }).toBe(true);
  await expect.poll(() => agent.locator('[data-testid="quick"] button').count(), { timeout: 10_000 }).toBeGreaterThan(0);
  // The buyer's side of it: an agent has joined.
  await expect.poll(() => b.chat.innerText(), { timeout: 15_000 }).toContain('已接入');
  await fits(buyer, 'chat, an agent claimed it');
  const done = async () => {
    // Back to the conversation (a ticket may be open instead), then resolve it.
    await agent.locator('.views button[data-view="mine"]').click();
    await agent.locator('[data-testid="mine"] li').first().click();
    await agent.locator('#outcome').selectOption('solved');
    await agent.locator('[data-testid="resolve"]').click();
    await buyer.close();
    await agent.close();
  };
  return { agent, buyer, done };
}

/** A ticket in the console's 工单 view, opened with its transcript. */
async function openTicketIn(agent: Page): Promise<string> {
  // From the conversation on screen: the ticket shows its transcript, and the answer can reach the buyer.
  const h = (await app.services.handoffs.open()).find((x) => x.state === 'assigned')!;
  const from = { conversationId: h.conversationId, channelId: h.channelId, userId: h.userId, conversationRef: h.conversationRef };
  const ticket = await app.services.tickets.create(
    { ...from, orderNo: 'DJ20261123120055QWER', cause: 'risk_hold', symptom: '买家说付款后一直显示风控审核中，已经等了很久，希望尽快处理（一段很长的说明用来撑宽工单的内容区域）' },
    app.clock.now(),
  );
  await agent.locator('.views button[data-view="tickets"]').click();
  await agent.locator('[data-testid="tickets"] li', { hasText: ticket.id }).click();
  await expect.poll(() => agent.locator('#ticket-title').innerText(), { timeout: 10_000 }).toContain(ticket.id);
  await expect.poll(() => agent.locator('[data-testid="ticket-timeline"]').innerText(), { timeout: 10_000 }).toContain('查下订单 DJ20261123120055QWER');
  expect(await agent.locator('[data-testid="ticket-answer"]').isVisible()).toBe(true);
  return ticket.id;
}

describe.each(VIEWPORTS)('layout at $name ($width×$height)', ({ name, width, height }) => {
  it('the shop page: closed, the welcome, a long conversation with suggested actions and a ticket', async () => {
    const page = await browser.newPage({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width, height } });
    await page.goto(base);
    await fits(page, 'shop page', false);
    // Closed by default: the launcher is in view and covers nothing but its corner.
    expect(await page.locator('#chat-panel').isHidden()).toBe(true);
    expect(await onScreen(page, '#chat-toggle')).toBe(true);
    await shot(page, `shop-${name}`);
    const chat = await openChat(page);
    await fits(page, 'welcome');
    await shot(page, `chat-welcome-${name}`);
    await chat.says('付款了怎么查不到单号', '请发一下订单号');
    // The bot's suggested actions, as buttons, inside the window.
    const suggested = page.getByRole('button', { name: '没有订单号' });
    await expect.poll(() => suggested.count(), { timeout: 5_000 }).toBeGreaterThan(0);
    await fits(page, 'suggested actions');
    await chat.says('K7QX9ZP2M4RT8WNA', '➤ 出卡');
    // Waited out: the contact rung files a ticket and says its number.
    await chat.says('还是没到', /工单号? ?T\d{10}/);
    await chat.says('卡密和订单号有什么区别');
    await fits(page, 'long conversation with a ticket');
    await shot(page, `chat-${name}`);
    // Closing works from inside the panel (on a phone it covers the whole screen).
    await page.locator('#chat-close').click();
    expect(await page.locator('#chat-panel').isHidden()).toBe(true);
    await page.close();
  }, 120_000);

  it('the logged-in orders page with the chat open', async () => {
    const page = await browser.newPage({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width, height } });
    await page.goto(`${base}/orders.html?buyer=u1001`);
    await expect.poll(() => page.locator('#rows').innerText(), { timeout: 10_000 }).not.toContain('加载中');
    await fits(page, 'orders page', false);
    await shot(page, `orders-${name}`);
    const chat = await openChat(page);
    await chat.says('没有订单号');
    await fits(page, 'orders page with the chat');
    await page.close();
  }, 120_000);

  it('the agent console: a claimed conversation with quick replies, then a ticket open', async () => {
    const { agent, buyer, done } = await claimedConsole(width, height);
    await fits(agent, 'console, claimed', false);
    await shot(agent, `console-${name}`);
    await shot(buyer, `chat-claimed-${name}`);
    await openTicketIn(agent);
    await fits(agent, 'console, ticket open', false);
    await shot(agent, `console-ticket-${name}`);
    await done();
  }, 120_000);
});

describe('on a phone with the keyboard up', () => {
  it('the chat follows the visible viewport: the send box just above the keyboard, the close button in view', async () => {
    const page = await browser.newPage({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 390, height: 844 } });
    // Headless Chromium has no on-screen keyboard: a stand-in visualViewport that the test shrinks
    // as a keyboard does (the layout viewport and 100dvh stay as they are).
    await page.addInitScript(`
      const vv = new EventTarget();
      Object.assign(vv, { width: innerWidth, height: innerHeight, offsetTop: 0, offsetLeft: 0, pageTop: 0, pageLeft: 0, scale: 1 });
      Object.defineProperty(window, 'visualViewport', { configurable: true, get: () => vv });
      window.__keyboard = (px, offsetTop = 0) => {
        vv.height = innerHeight - px;
        vv.offsetTop = offsetTop;
        vv.dispatchEvent(new Event('resize'));
      };
    `);
    await page.goto(base);
    const chat = await openChat(page);
    await chat.says('付款了怎么查不到单号', '请发一下订单号');
    const box = async (selector: string) => (await page.locator(selector).first().boundingBox())!;
    for (const [keyboard, offsetTop] of [
      [336, 0],
      [300, 120], // the browser also panned the page
    ] as const) {
      await page.locator('[data-id="webchat-sendbox-input"]').focus();
      await page.evaluate(`window.__keyboard(${keyboard}, ${offsetTop})`);
      const visibleBottom = offsetTop + 844 - keyboard;
      const panel = await box('#chat-panel');
      expect(Math.round(panel.y)).toBe(offsetTop);
      expect(Math.round(panel.y + panel.height)).toBe(visibleBottom);
      const input = await box('[data-id="webchat-sendbox-input"]');
      expect(input.y + input.height, 'the send box is hidden behind the keyboard').toBeLessThanOrEqual(visibleBottom);
      const close = await box('#chat-close');
      expect(close.y).toBeGreaterThanOrEqual(offsetTop);
      // What the buyer sees above a 336 px keyboard (the page's top, not panned).
      if (offsetTop === 0) await shot(page, 'chat-keyboard-phone');
    }
    // Keyboard down: full screen again.
    await page.evaluate('window.__keyboard(0, 0)');
    const panel = await box('#chat-panel');
    expect(Math.round(panel.height)).toBe(844);
    await page.close();
  }, 60_000);
});

describe('every width from 360 px to 1920 px', () => {
  const WIDTHS = [360, 375, 414, 480, 600, 720, 820, 960, 1024, 1152, 1366, 1536, 1680, 1920];

  it('the shop page and /orders.html with the chat open, the chat with an agent, and the console with a ticket open', async () => {
    const shop = await browser.newPage({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 360, height: 740 } });
    await shop.goto(base);
    const chat = await openChat(shop);
    await chat.says('K7QX9ZP2M4RT8WNA', '➤ 出卡');
    const orders = await browser.newPage({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 360, height: 740 } });
    await orders.goto(`${base}/orders.html?buyer=u1001`);
    await expect.poll(() => orders.locator('#rows').innerText(), { timeout: 10_000 }).not.toContain('加载中');
    await openChat(orders);
    const { agent, buyer, done } = await claimedConsole(360, 740);
    await openTicketIn(agent);
    for (const width of WIDTHS) {
      const height = width < 600 ? 740 : 900;
      for (const p of [shop, orders, agent, buyer]) await p.setViewportSize({ width, height });
      await fits(shop, `shop page at ${width}px`);
      await fits(buyer, `chat with an agent at ${width}px`);
      await fits(orders, `orders page at ${width}px`);
      await fits(agent, `console at ${width}px`, false);
    }
    await shop.close();
    await orders.close();
    await done();
  }, 180_000);
});
