/**
 * npm run screenshots: the README's pictures of the phone chat and the agent console, made from
 * the real pages in headless Chromium (Debian's chromium, as the tests use it) against a bot with
 * demo orders in a temporary database. Writes docs/screenshots/*.png. Needs a CJK font for the
 * Chinese text (Debian: fonts-wqy-microhei; .ci/run installs it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createServer } from '../src/server.js';

const OUT = path.join(import.meta.dirname, '..', 'docs', 'screenshots');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-shots-'));

async function say(page: Page, text: string): Promise<void> {
  const before = await page.locator('.webchat__bubble__content').count();
  const input = page.locator('[data-id="webchat-sendbox-input"]');
  await input.fill(text);
  await input.press('Enter');
  await page.waitForFunction(`document.querySelectorAll('.webchat__bubble__content').length > ${before + 1}`, undefined, { timeout: 20_000 });
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  const config = loadConfig({ DATABASE_FILE: path.join(dir, 'bot.sqlite'), LOG_LEVEL: 'silent', PORT: '0' });
  const app = await createApp({ config });
  const server = await createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const examples = (await app.shop.examples?.(app.clock.now(), config.policy)) ?? {};
  await app.agents.create('xiaowang', '小王', 'screenshots-only-password');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    // The buyer on a phone: the chat full screen, a waiting top-up explained, 到了告诉我 offered.
    const phone = await browser.newPage({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await phone.goto(base);
    await phone.locator('#chat-toggle').click();
    await phone.waitForSelector('.webchat__bubble__content', { timeout: 20_000 });
    await say(phone, '付款了怎么还没到账');
    await say(phone, examples.upstream_pending ?? examples.sync_delay ?? Object.values(examples)[0] ?? '没有订单号');
    await phone.screenshot({ path: path.join(OUT, 'chat-phone.png') });

    // The agent's console: a buyer handed over, the context packet, quick replies.
    const agent = await browser.newPage({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1280, height: 800 } });
    await agent.goto(`${base}/agent`);
    await agent.getByLabel('账号').fill('xiaowang');
    await agent.getByLabel('密码').fill('screenshots-only-password');
    await agent.getByRole('button', { name: '登录' }).click();
    await agent.waitForSelector('#presence', { timeout: 10_000 });
    const buyer = await browser.newPage({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1280, height: 800 } });
    await buyer.goto(base);
    await buyer.locator('#chat-toggle').click();
    await buyer.waitForSelector('.webchat__bubble__content', { timeout: 20_000 });
    await say(buyer, `${examples.risk_hold ?? examples.out_of_stock ?? Object.values(examples)[0]} 一直没发货`);
    await say(buyer, '转人工');
    await agent.locator('[data-testid="queue"] li').first().click({ timeout: 10_000 });
    await agent.locator('[data-testid="claim"]').click();
    await agent.waitForSelector('[data-testid="reply"]', { state: 'visible', timeout: 10_000 });
    await agent.waitForTimeout(500);
    await agent.screenshot({ path: path.join(OUT, 'console.png') });
    console.log(`screenshots written to ${path.relative(process.cwd(), OUT)}: chat-phone.png, console.png`);
  } finally {
    await browser.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
