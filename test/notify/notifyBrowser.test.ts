/**
 * "到了告诉我" in real headless Chromium: the shop's page with the chat widget (chat.js and the
 * official Web Chat from our server), a dujiaoka shop on MariaDB. The buyer asks about a waiting
 * order, taps 到了告诉我; the bot restarts; the order changes in MariaDB and is found by polling;
 * the open chat shows the update exactly once. A second order changes and the shop's hook (the
 * event path) brings its update at once.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createServerWithChannels, type Served } from '../../src/server.js';
import { createShopDatabase, mariadbForTests, type ShopDatabase, shopFixture } from '../support/mariadb.js';
import { freePort } from '../support/postgres.js';
import { launchChromium } from '../web/chromium.js';

const maria = mariadbForTests();
const HOOK = 'hook-token-browser-00001';
const PAGE = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>卡盟</title></head>
<body><h1>我的卡盟</h1><script src="/vendor/webchat.js"></script><script src="/chat.js"></script></body></html>`;

describe.skipIf(maria.skip)('notify-me in the web chat (Chromium, dujiaoka on MariaDB)', () => {
  let db: ShopDatabase;
  let browser: Browser;
  let app: App;
  let served: Served;
  let port = 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-nb-'));
  let t = Date.parse('2026-11-23T15:00:00+08:00');
  const clock = { now: () => new Date(t) };

  async function start(): Promise<void> {
    const config = loadConfig({
      DATABASE_FILE: path.join(dir, 'bot.sqlite'),
      LOG_LEVEL: 'silent',
      ORDER_ADAPTER: 'dujiaoka',
      SHOP_DATABASE_URL: db.url,
      SHOP_PRODUCT_TYPES: 'group:1=game_card,group:2=phone_topup,group:3=physical_card',
      SHOP_HOOK_TOKEN: HOOK,
    });
    app = await createApp({ config, clock });
    served = await createServerWithChannels(app);
    // The same port after a restart: the page keeps talking to "its" shop's bot.
    await new Promise<void>((r) => served.server.listen(port, '127.0.0.1', r));
  }
  async function stop(): Promise<void> {
    // As on a deploy: streams are told to reconnect, connections close, then the app stops.
    await new Promise<void>((r) => {
      served.drain(() => r());
      served.server.closeAllConnections();
    });
    await app.close();
  }
  /**
   * The shop's own site: its page, and everything else passed to the bot (as a shop's nginx would
   * proxy the bot under its domain; chat.js talks to location.origin), WebSockets included.
   */
  let site: http.Server;
  let sitePort = 0;
  function startSite(): Promise<void> {
    site = http.createServer((req, res) => {
      if (req.url === '/shop.html') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      const up = http.request({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      req.pipe(up);
    });
    site.on('upgrade', (req, socket, head) => {
      const up = net.connect(port, '127.0.0.1', () => {
        const lines: string[] = [];
        for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
        up.write(`${req.method} ${req.url} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
        up.write(head);
        up.pipe(socket);
        socket.pipe(up);
      });
      up.on('error', () => socket.destroy());
      socket.on('error', () => up.destroy());
    });
    return new Promise((r) => site.listen(0, '127.0.0.1', () => ((sitePort = (site.address() as net.AddressInfo).port), r())));
  }
  async function openShopPage(): Promise<Page> {
    const page = await browser.newPage({ locale: 'zh-CN' });
    await page.goto(`http://127.0.0.1:${sitePort}/shop.html`);
    // The chat opens on demand, from the launcher in the corner.
    await page.locator('#chat-toggle').click();
    return page;
  }
  /** Messages (bubbles) in the chat that contain `word` (the transcript's text repeats each for screen readers). */
  const bubbles = (page: Page, word: string) => page.locator('.webchat__bubble__content', { hasText: word }).count();

  beforeAll(async () => {
    db = await createShopDatabase(maria.url(), shopFixture('dujiaoka.sql') + shopFixture('dujiaoka-orders.sql'), ['orders', 'goods']);
    port = await freePort();
    await start();
    await startSite();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    site?.closeAllConnections();
    await new Promise((r) => site?.close(r));
    await stop().catch(() => undefined);
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('polling and an event each bring one update into the open chat, across a restart', async () => {
    const page = await openShopPage();
    let chat = page.locator('#webchat');
    let input = page.locator('[data-id="webchat-sendbox-input"]');
    await expect.poll(() => chat.innerText(), { timeout: 20_000 }).toContain('发我订单号最快');
    await input.fill('MANUAL2PENDING01 话费还没到');
    await input.press('Enter');
    await expect.poll(() => page.getByRole('button', { name: '到了告诉我' }).count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await page.getByRole('button', { name: '到了告诉我' }).first().click();
    await expect.poll(() => chat.innerText(), { timeout: 15_000 }).toContain('一有变化我就在这里告诉你');

    // The bot restarts; the watch is in the database. The buyer comes back to the page (the same
    // conversation resumes from the server), and the update arrives while the chat is open.
    await stop();
    await start();
    await page.reload();
    await expect.poll(() => page.locator('#webchat').innerText(), { timeout: 20_000 }).toContain('一有变化我就在这里告诉你');
    chat = page.locator('#webchat');
    input = page.locator('[data-id="webchat-sendbox-input"]');
    await db.admin.query("UPDATE orders SET status = 4, info = '充值手机号:13800138000\\n已充值', updated_at = '2026-11-23 15:10:00' WHERE order_sn = 'MANUAL2PENDING01'");
    t += 15 * 60_000;
    expect(await app.notifier.tick()).toBe(1);
    await expect.poll(() => bubbles(page, '你的订单有新进展'), { timeout: 30_000 }).toBe(1);
    expect(await chat.innerText()).not.toContain('13800138000');

    // A second order, woken by the shop's hook instead of the clock.
    await input.fill('ABN6ABN6ABN6ABN6');
    await input.press('Enter');
    await expect.poll(() => bubbles(page, '回复“到了告诉我”'), { timeout: 15_000 }).toBe(2);
    await input.fill('到了告诉我');
    await input.press('Enter');
    await expect.poll(() => bubbles(page, '一有变化我就在这里告诉你'), { timeout: 15_000 }).toBe(2);
    await db.admin.query("UPDATE orders SET status = 4, info = 'STM-ZZZZ-YYYY-0009', updated_at = '2026-11-23 15:16:00' WHERE order_sn = 'ABN6ABN6ABN6ABN6'");
    const hook = await fetch(`http://127.0.0.1:${port}/hooks/dujiaoka/${HOOK}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ order_sn: 'ABN6ABN6ABN6ABN6' }),
    });
    expect(hook.status).toBe(200);
    await expect.poll(() => bubbles(page, '你的订单有新进展'), { timeout: 30_000 }).toBe(2);
    // Checked again and again: nothing is repeated.
    t += 60 * 60_000;
    expect(await app.notifier.tick()).toBe(0);
    await page.waitForTimeout(500);
    const text = await chat.innerText();
    expect(await bubbles(page, '你的订单有新进展')).toBe(2);
    expect(text).not.toContain('STM-ZZZZ-YYYY-0009');
    await page.close();
  }, 120_000);
});
