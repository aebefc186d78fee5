/**
 * Two real Chromium pages: a buyer in the shop's web chat and an agent in the console. The buyer
 * asks for a human; the agent signs in, claims, reads the context, replies; the buyer answers; the
 * agent resolves; the buyer is asked for a rating.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server.js';
import { makeApp, order, serve, shutdown } from '../helpers.js';
import { launchChromium } from './chromium.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-console-'));
const app = await makeApp({
  file: path.join(dir, 'bot.sqlite'),
  orders: [order({ orderNo: 'DJ20261123120055QWER', status: 'on_hold', holdReasons: ['risk_control'], paidAt: '2026-11-23T12:01:00+08:00', title: '网易一卡通300元' })],
});
const server = await createServer(app);
let base = '';
let browser: Browser;

beforeAll(async () => {
  await app.agents.create('xiaowang', '小王', 'correct horse battery');
  base = await serve(server);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await shutdown(server);
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('buyer in web chat, agent in the console', () => {
  it('hands a buyer to an agent and back, with a rating at the end', async () => {
    const errors: string[] = [];
    const agentPage = await browser.newPage({ locale: 'zh-CN' });
    const buyerPage = await browser.newPage({ locale: 'zh-CN' });
    for (const p of [agentPage, buyerPage]) p.on('pageerror', (e) => errors.push(e.message));

    // The agent signs in first, so somebody is online to take the chat.
    await agentPage.goto(`${base}/agent`);
    await agentPage.getByLabel('账号').fill('xiaowang');
    await agentPage.getByLabel('密码').fill('correct horse battery');
    await agentPage.getByRole('button', { name: '登录' }).click();
    await expect.poll(() => agentPage.locator('#presence').innerText(), { timeout: 10_000 }).toContain('在线客服 1 人');

    await buyerPage.goto(base);
    // The chat opens on demand, from the launcher in the corner.
    await buyerPage.locator('#chat-toggle').click();
    const chat = buyerPage.locator('#webchat');
    const input = buyerPage.locator('[data-id="webchat-sendbox-input"]');
    await expect.poll(() => chat.innerText(), { timeout: 20_000 }).toContain('订单助手');
    await input.fill('查下订单 DJ20261123120055QWER');
    await input.press('Enter');
    await expect.poll(() => chat.innerText(), { timeout: 15_000 }).toContain('风控');
    await input.fill('转人工');
    await input.press('Enter');
    await expect.poll(() => chat.innerText(), { timeout: 15_000 }).toContain('已为你转接人工客服');

    // The queue updates live; the agent opens the conversation and reads the context packet.
    const queued = agentPage.locator('[data-testid="queue"] li');
    await expect.poll(() => queued.count(), { timeout: 10_000 }).toBe(1);
    expect(await queued.first().innerText()).toContain('DJ20261123120055QWER');
    await queued.first().click();
    const context = agentPage.locator('[data-testid="context"]');
    await expect.poll(() => context.innerText(), { timeout: 10_000 }).toContain('风控冻结');
    expect(await context.innerText()).toContain('DJ20261123120055QWER');
    expect(await agentPage.locator('[data-testid="timeline"]').innerText()).toContain('转人工');

    await agentPage.locator('[data-testid="claim"]').click();
    await expect.poll(() => chat.innerText(), { timeout: 15_000 }).toContain('客服 小王 已接入');
    const reply = agentPage.locator('[data-testid="reply"]');
    await expect.poll(() => reply.isVisible(), { timeout: 10_000 }).toBe(true);
    await reply.fill('您好，订单被风控拦截了，我这边帮您人工核实，请问付款手机号是多少？');
    await reply.press('Enter');
    await expect.poll(() => chat.innerText(), { timeout: 15_000 }).toContain('客服 小王：您好，订单被风控拦截了');

    await input.fill('13812345678，麻烦快一点');
    await input.press('Enter');
    await expect.poll(() => agentPage.locator('[data-testid="timeline"]').innerText(), { timeout: 15_000 }).toContain('13812345678，麻烦快一点');

    await agentPage.locator('#outcome').selectOption('solved');
    await agentPage.locator('[data-testid="resolve"]').click();
    await expect.poll(() => chat.innerText(), { timeout: 15_000 }).toContain('回复 1–5');
    await buyerPage.getByRole('button', { name: '5', exact: true }).last().click();
    await expect.poll(() => chat.innerText(), { timeout: 15_000 }).toContain('收到 5 分');
    expect(await app.store.sql.get('SELECT state, outcome, rating FROM handoff_requests')).toEqual({ state: 'resolved', outcome: 'solved', rating: 5 });
    expect(errors).toEqual([]);
  }, 120_000);
});

describe('the console shows an agent only what belongs to the open conversation', () => {
  it('a code revealed for one conversation is gone from the screen once the agent opens another', async () => {
    const codes = order({
      orderNo: 'K8PL3MZ7Q2XV9TRB',
      status: 'delivered',
      paidAt: '2026-11-23T13:04:00+08:00',
      buyer: { contact: '13812345678', hasQueryPassword: false },
      delivery: { kind: 'card_codes', items: [{ plaintext: 'QB10-8842-5519-7Z3K' }], expected: 1, deliveredAt: '2026-11-23T13:05:00+08:00' },
    });
    await app.shop.demo!.upsert([codes]);
    const page = await browser.newPage({ locale: 'zh-CN' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/agent`);
    // The page asks /me first and only then shows the sign-in form or the desk: wait for one of them.
    await expect.poll(() => page.locator('#login:not([hidden]), #desk:not([hidden])').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    if (await page.getByLabel('账号').isVisible()) {
      await page.getByLabel('账号').fill('xiaowang');
      await page.getByLabel('密码').fill('correct horse battery');
      await page.getByRole('button', { name: '登录' }).click();
    }
    await expect.poll(() => page.locator('#presence').innerText(), { timeout: 30_000 }).toContain('在线客服');
    // Two buyers ask for a person, one about the delivered order.
    const buyer = async (text: string) => {
      const { token, conversationId } = (await (await fetch(`${base}/api/directline/token`, { method: 'POST' })).json()) as { token: string; conversationId: string };
      await fetch(`${base}/v3/directline/conversations`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      for (const t of [text, '转人工']) {
        await fetch(`${base}/v3/directline/conversations/${conversationId}/activities`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'message', from: { id: 'x' }, text: t }),
        });
      }
    };
    await buyer('K8PL3MZ7Q2XV9TRB 卡密用不了');
    await buyer('DJ20261123120055QWER 怎么还没好');
    const queued = page.locator('[data-testid="queue"] li');
    await expect.poll(() => queued.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    await page.locator('[data-testid="queue"] li', { hasText: 'K8PL3MZ7Q2XV9TRB' }).click();
    await expect.poll(() => page.locator('#lookup-no').inputValue(), { timeout: 30_000 }).toBe('K8PL3MZ7Q2XV9TRB');
    // The transcript shows the order, never a plaintext code; the audited reveal shows it.
    expect(await page.locator('[data-testid="timeline"]').innerText()).not.toContain('QB10-8842-5519-7Z3K');
    await page.locator('#lookup-form button[type="submit"], #lookup-form button').first().click();
    await page.getByRole('button', { name: /查看卡密/ }).click();
    await page.locator('[data-testid="reveal-reason"]').fill('买家说卡密无效，核对一下');
    await page.locator('[data-testid="lookup-result"]').getByRole('button', { name: '确认' }).click();
    await expect.poll(() => page.locator('#lookup-result').innerText(), { timeout: 30_000 }).toContain('QB10-8842-5519-7Z3K');
    // Another conversation: the code and the other order are gone from the panel.
    await page.locator('[data-testid="queue"] li', { hasText: 'DJ20261123120055QWER' }).click();
    await expect.poll(() => page.locator('#lookup-no').inputValue(), { timeout: 30_000 }).toBe('DJ20261123120055QWER');
    expect(await page.locator('#lookup-result').innerText()).not.toContain('QB10-8842-5519-7Z3K');
    expect(await page.content()).not.toContain('QB10-8842-5519-7Z3K');
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
