/**
 * Two real Chromium pages: a buyer in the shop's web chat and an agent in the console. The buyer
 * asks for a human; the agent signs in, claims, reads the context, replies; the buyer answers; the
 * agent resolves; the buyer is asked for a rating.
 */
import { describe, expect, it } from 'vitest';
import { order } from '../helpers.js';
import { browserBed, openChat, signInAgent } from './chromium.js';

const { app, base, browser } = await browserBed('console', {
  orders: [order({ orderNo: 'DJ20261123120055QWER', status: 'on_hold', holdReasons: ['risk_control'], paidAt: '2026-11-23T12:01:00+08:00', title: '网易一卡通300元' })],
  agents: { xiaowang: '小王' },
});

describe('buyer in web chat, agent in the console', () => {
  it('hands a buyer to an agent and back, with a rating at the end', async () => {
    const errors: string[] = [];
    const agentPage = await browser.newPage({ locale: 'zh-CN' });
    const buyerPage = await browser.newPage({ locale: 'zh-CN' });
    for (const p of [agentPage, buyerPage]) p.on('pageerror', (e) => errors.push(e.message));

    // The agent signs in first, so somebody is online to take the chat.
    await signInAgent(agentPage, base, 'xiaowang', { online: '在线客服 1 人' });

    await buyerPage.goto(base);
    // The chat opens on demand, from the launcher in the corner.
    const { chat, send, says } = await openChat(buyerPage);
    await says('查下订单 DJ20261123120055QWER', '风控');
    await says('转人工', '已为你转接人工客服');

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

    await send('13812345678，麻烦快一点');
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
