/**
 * An agent's day in the console, in real headless Chromium, with buyers in the shop's web chat:
 * the tab title's badge, a beep and a desktop notification for a new buyer (permission asked from
 * a click, never on load), the waiting time counting live, labels said once, resolving from the
 * keyboard, finding the resolved conversation by its order number (read-only), a canned response
 * via "/" with its {订单号} filled, re-issuing a code with the 补发 form, and the buyer then seeing
 * the new code from the bot, masked, and in full after the phone number and query password.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { order } from '../helpers.js';
import { browserBed, directLineBuyer, openChat, signInAgent } from './chromium.js';

const OLD_CODE = 'QB10-8842-5519-7Z3K';
const NEW_CODE = 'QB9Z-7Y6X-5W4V-3U2T';
const { app, base, browser } = await browserBed('daily', {
  orders: [
    order({ orderNo: 'DJ20261123120055QWER', status: 'on_hold', holdReasons: ['risk_control'], paidAt: '2026-11-23T12:01:00+08:00', title: '网易一卡通300元' }),
    order({
      orderNo: 'K8PL3MZ7Q2XV9TRB',
      status: 'delivered',
      paidAt: '2026-11-23T13:04:00+08:00',
      // A query password: the demo shop's is 8888.
      buyer: { contact: '13812345678', hasQueryPassword: true },
      delivery: { kind: 'card_codes', items: [{ plaintext: OLD_CODE }], expected: 1, deliveredAt: '2026-11-23T13:05:00+08:00' },
    }),
  ],
  agents: { xiaowang: '小王' },
});

/** A buyer on the demo shop's page with the chat open. */
async function buyer(page: Page) {
  await page.goto(base);
  return openChat(page);
}

describe('an agent’s day in the console', () => {
  it('notices, resolves, finds, answers with a canned response and re-issues a code the buyer then gets from the bot', async () => {
    const errors: string[] = [];
    const agent = await browser.newPage({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } });
    agent.on('pageerror', (e) => errors.push(e.message));
    // Count the beeps and desktop notifications; record when permission is asked.
    await agent.addInitScript(`
      window.__beeps = 0;
      window.__notes = [];
      window.__asked = 0;
      const Real = window.AudioContext;
      window.AudioContext = class extends Real {
        createOscillator() {
          window.__beeps++;
          return super.createOscillator();
        }
      };
      class FakeNotification {
        static permission = 'default';
        static async requestPermission() {
          window.__asked++;
          FakeNotification.permission = 'granted';
          return 'granted';
        }
        constructor(title, opts) {
          this.onclick = null;
          window.__notes.push({ title, body: opts && opts.body });
        }
        close() {}
      }
      window.Notification = FakeNotification;
    `);
    const js = <T>(expr: string) => agent.evaluate(expr) as Promise<T>;

    await signInAgent(agent, base, 'xiaowang', { online: '在线客服 1 人' });
    expect(await js<number>('window.__asked')).toBe(0); // never on load
    await agent.locator('[data-testid="alerts"]').click();
    await expect.poll(() => agent.locator('[data-testid="alerts"]').innerText()).toBe('提醒已开启');
    expect(await js<number>('window.__asked')).toBe(1);
    expect(await agent.title()).toBe('客服工作台 · 订单助手');

    // A buyer asks for a person about an order.
    const b1 = await buyer(await browser.newPage({ locale: 'zh-CN' }));
    await b1.says('查下订单 DJ20261123120055QWER', '风控');
    await b1.says('转人工', /已为你转接人工客服|已经在排队/);

    const queued = agent.locator('[data-testid="queue"] li');
    await expect.poll(() => queued.count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => agent.title(), { timeout: 10_000 }).toBe('(1) 客服工作台 · 订单助手');
    await expect.poll(() => js<number>('window.__beeps')).toBeGreaterThan(0);
    const notes = await js<Array<{ title: string; body: string }>>('window.__notes');
    expect(notes[0]!.body).toContain('DJ20261123120055QWER');
    const item = await queued.first().innerText();
    expect(item).toContain('风控冻结');
    expect(item).not.toContain('风控冻结 · 风控冻结');
    // The wait counts by itself.
    const waiting = agent.locator('[data-testid="queue"] li .waiting');
    const first = await waiting.innerText();
    await expect.poll(() => waiting.innerText(), { timeout: 5_000 }).not.toBe(first);
    expect(await waiting.innerText()).toMatch(/^等了 \d+ 秒$/);

    await queued.first().click();
    await expect.poll(() => agent.title()).toBe('客服工作台 · 订单助手'); // opened: no longer new
    await expect.poll(() => agent.locator('#ladder').innerText(), { timeout: 10_000 }).toContain('转人工');
    expect((await agent.locator('#ladder li').allInnerTexts()).filter((l) => l.startsWith('转人工'))).toHaveLength(1);
    await agent.locator('[data-testid="claim"]').click();
    const reply = agent.locator('[data-testid="reply"]');
    await expect.poll(() => reply.isVisible(), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => b1.chat.innerText(), { timeout: 15_000 }).toContain('客服 小王 已接入');
    // Nobody else is online to take it.
    expect(await agent.locator('#transfer-to').isDisabled()).toBe(true);
    expect(await agent.locator('#transfer-to').innerText()).toContain('没有其他在线客服');
    // Quick replies for this cause, in 你.
    expect(await agent.locator('[data-testid="quick"]').innerText()).toContain('风控');
    expect(await agent.locator('[data-testid="quick"]').innerText()).not.toContain('您');

    // The keyboard: help, then resolve (outcome first, then again).
    await agent.locator('body').press('?');
    await expect.poll(() => agent.locator('[data-testid="help-dialog"]').isVisible()).toBe(true);
    expect(await agent.locator('[data-testid="help-dialog"]').innerText()).toContain('Ctrl');
    await agent.keyboard.press('Escape');
    await expect.poll(() => agent.locator('[data-testid="help-dialog"]').isVisible()).toBe(false);
    await reply.focus();
    await agent.keyboard.press('Control+Shift+E');
    await expect.poll(() => js<string>('document.activeElement && document.activeElement.id')).toBe('outcome');
    await agent.locator('#outcome').selectOption('solved');
    await agent.keyboard.press('Control+Shift+E');
    await expect.poll(() => b1.chat.innerText(), { timeout: 15_000 }).toContain('回复 1–5');
    expect((await app.services.handoffs.ended(5))[0]).toMatchObject({ state: 'resolved', outcome: 'solved' });

    // Later: the resolved conversation, found by its order number, opens read-only.
    await agent.locator('[data-testid="search"]').fill('DJ20261123120055QWER');
    const results = agent.locator('[data-testid="search-results"] li');
    await expect.poll(() => results.count(), { timeout: 10_000 }).toBe(1);
    expect(await results.first().innerText()).toContain('已结束');
    await results.first().click();
    await expect.poll(() => agent.locator('[data-testid="conv-result"]').innerText(), { timeout: 10_000 }).toContain('处理结果：已解决');
    expect(await agent.locator('[data-testid="conv-result"]').innerText()).toContain('只读');
    expect(await reply.isVisible()).toBe(false);
    expect(await agent.locator('[data-testid="timeline"]').innerText()).toContain('查下订单 DJ20261123120055QWER');
    await agent.locator('[data-testid="search"]').fill('');
    await agent.locator('[data-testid="search"]').press('Enter');

    // A canned response, for every agent.
    await agent.locator('[data-testid="canned-open"]').click();
    const form = agent.locator('[data-testid="canned-form"]');
    await form.getByLabel(/标题/).fill('卡密位置');
    await form.getByLabel('内容').fill('你好，订单 {订单号} 的卡密在订单页面可以查看，核对身份后也能看到完整卡密。');
    await form.getByRole('button', { name: '保存' }).click();
    await expect.poll(() => agent.locator('[data-testid="canned-list"]').innerText(), { timeout: 10_000 }).toContain('卡密位置');
    await agent.locator('[data-testid="canned-dialog"]').getByRole('button', { name: '关闭' }).click();

    // A second buyer, about an order with a delivered code.
    const b2 = await buyer(await browser.newPage({ locale: 'zh-CN' }));
    await b2.says('K8PL3MZ7Q2XV9TRB 卡密在哪看', 'QB10****7Z3K');
    await b2.says('转人工', /已为你转接人工客服|已经在排队/);
    await agent.locator('.views button[data-view="queued"]').click();
    await expect.poll(() => queued.count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => agent.title(), { timeout: 10_000 }).toBe('(1) 客服工作台 · 订单助手');
    await queued.first().click();
    await agent.locator('[data-testid="claim"]').click();
    await expect.poll(() => reply.isVisible(), { timeout: 10_000 }).toBe(true);

    // "/" finds it; Enter puts it in with the order number filled; Enter sends.
    await reply.fill('/卡密');
    await expect.poll(() => agent.locator('[data-testid="canned-menu"]').innerText(), { timeout: 10_000 }).toContain('卡密位置');
    await reply.press('Enter');
    await expect.poll(() => reply.inputValue()).toBe('你好，订单 K8PL3MZ7Q2XV9TRB 的卡密在订单页面可以查看，核对身份后也能看到完整卡密。');
    expect(await agent.locator('[data-testid="reply-warn"]').isVisible()).toBe(false);
    await reply.press('Enter');
    await expect.poll(() => b2.chat.innerText(), { timeout: 15_000 }).toContain('客服 小王：你好，订单 K8PL3MZ7Q2XV9TRB 的卡密在订单页面可以查看');
    // The agent's own line says who once, live and when the conversation is read again from the server.
    const timeline = agent.locator('[data-testid="timeline"]');
    await expect.poll(() => timeline.innerText(), { timeout: 10_000 }).toMatch(/客服 小王 · [^\n]*\n你好，订单 K8PL3MZ7Q2XV9TRB 的卡密/);
    await agent.locator('.views button[data-view="mine"]').click();
    await agent.locator('[data-testid="mine"] li').first().click();
    await expect.poll(() => timeline.innerText(), { timeout: 10_000 }).toMatch(/客服 小王 · [^\n]*\n你好，订单 K8PL3MZ7Q2XV9TRB 的卡密/);
    expect(await timeline.innerText()).not.toContain('客服 小王：');

    // 补发卡密 from the order section; the order shown is the one after the action.
    await expect.poll(() => agent.locator('#lookup-no').inputValue()).toBe('K8PL3MZ7Q2XV9TRB');
    await agent.locator('#lookup-form button').click();
    const result = agent.locator('[data-testid="lookup-result"]');
    await expect.poll(() => result.innerText(), { timeout: 10_000 }).toContain('QB10****7Z3K');
    await result.locator('summary', { hasText: '补发卡密' }).click();
    const reissue = result.locator('[data-testid="reissue-form"]');
    await reissue.getByLabel('新卡密，一行一个').fill(NEW_CODE);
    await reissue.getByLabel('补发原因（必填）').fill('买家说原卡密已被使用');
    await reissue.getByRole('button', { name: '确认补发' }).click();
    await expect.poll(() => result.innerText(), { timeout: 10_000 }).toContain('已记录：补发 QB9Z****3U2T');
    expect(await result.innerText()).toContain('卡密：QB9Z****3U2T');
    expect(await agent.content()).not.toContain(NEW_CODE);
    await expect.poll(() => agent.locator('[data-testid="timeline"]').innerText(), { timeout: 10_000 }).toContain('对订单 K8PL3MZ7Q2XV9TRB 操作：补发 QB9Z****3U2T');

    await agent.locator('#outcome').selectOption('reissued');
    await agent.locator('[data-testid="resolve"]').click();
    await expect.poll(() => b2.chat.innerText(), { timeout: 15_000 }).toContain('回复 1–5');

    // The bot now answers from the re-issue: masked, and in full only after the buyer's proof.
    await b2.says('K8PL3MZ7Q2XV9TRB 卡密呢', 'QB9Z****3U2T');
    expect(await b2.chat.innerText()).not.toContain(NEW_CODE);
    await b2.says('13812345678 密码8888', NEW_CODE);
    expect(await agent.content()).not.toContain(NEW_CODE);
    expect(errors).toEqual([]);
  }, 180_000);

  it('asks the reason for showing a code in the page (no browser prompt), and the code leaves the screen with its conversation', async () => {
    const page = await browser.newPage({ locale: 'zh-CN' });
    const errors: string[] = [];
    const dialogs: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => {
      dialogs.push(d.type());
      void d.dismiss();
    });
    await signInAgent(page, base, 'xiaowang');
    // Two buyers ask for a person, one about the delivered order.
    await directLineBuyer(base, ['K8PL3MZ7Q2XV9TRB 卡密用不了', '转人工']);
    await directLineBuyer(base, ['DJ20261123120055QWER 怎么还没好', '转人工']);
    const queued = page.locator('[data-testid="queue"] li');
    await expect.poll(() => queued.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    await page.locator('[data-testid="queue"] li', { hasText: 'K8PL3MZ7Q2XV9TRB' }).click();
    await expect.poll(() => page.locator('#lookup-no').inputValue(), { timeout: 30_000 }).toBe('K8PL3MZ7Q2XV9TRB');
    // The transcript shows the order, never a plaintext code; only the audited reveal shows it.
    expect(await page.locator('[data-testid="timeline"]').innerText()).not.toContain(NEW_CODE);
    await page.locator('#lookup-form button').click();
    const result = page.locator('[data-testid="lookup-result"]');
    await page.getByRole('button', { name: /查看卡密/ }).click();
    const reason = page.locator('[data-testid="reveal-reason"]');
    await expect.poll(() => reason.isVisible()).toBe(true);
    // No reason: refused in the page, nothing asked of the server.
    await result.getByRole('button', { name: '确认' }).click();
    expect(await result.innerText()).toContain('写一下为什么要看');
    expect((await app.agents.auditLog(20)).filter((a) => a.action === 'reveal_delivery')).toHaveLength(0);
    await reason.fill('买家说卡密无效，核对一下');
    await result.getByRole('button', { name: '确认' }).click();
    await expect.poll(() => result.innerText(), { timeout: 30_000 }).toContain(NEW_CODE);
    expect((await app.agents.auditLog(5))[0]).toMatchObject({ action: 'reveal_delivery', subject: 'K8PL3MZ7Q2XV9TRB', detail: '买家说卡密无效，核对一下' });
    // Another conversation: the code is gone from the page.
    await page.locator('[data-testid="queue"] li', { hasText: 'DJ20261123120055QWER' }).click();
    await expect.poll(() => page.locator('#lookup-no').inputValue(), { timeout: 30_000 }).toBe('DJ20261123120055QWER');
    expect(await page.content()).not.toContain(NEW_CODE);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('tickets: the urgent first, opened with the conversation’s transcript, claimed, answered; Alt+↓ walks the list', async () => {
    const page = await browser.newPage({ locale: 'zh-CN' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Two tickets from a conversation the bot had: a routine one due first, an urgent one due later.
    const [h] = await app.services.handoffs.ended(1);
    const from = { conversationId: h!.conversationId, channelId: h!.channelId, userId: h!.userId, conversationRef: h!.conversationRef };
    const routine = await app.services.tickets.create({ ...from, cause: 'sync_delay', symptom: '买家说还没到账' }, new Date(Date.now() - 3_600_000));
    const urgent = await app.services.tickets.create({ ...from, cause: 'risk_hold', symptom: '风控冻结，买家着急' }, new Date());
    await signInAgent(page, base, 'xiaowang');
    // A resolved conversation first: its side panel must not stay on screen with a ticket.
    await page.locator('.views button[data-view="ended"]').click();
    await page.locator('[data-testid="ended"] li').first().click();
    await expect.poll(() => page.locator('[data-testid="context"]').innerText(), { timeout: 10_000 }).toContain('订单号');
    await page.locator('.views button[data-view="tickets"]').click();
    const items = page.locator('[data-testid="tickets"] li');
    await expect.poll(() => items.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const texts = await items.allInnerTexts();
    expect(texts.findIndex((t) => t.includes(urgent.id))).toBeLessThan(texts.findIndex((t) => t.includes(routine.id)));
    expect(texts.find((t) => t.includes(urgent.id))).toContain('紧急');
    await page.locator('[data-testid="tickets"] li', { hasText: urgent.id }).click();
    await expect.poll(() => page.locator('[data-testid="ticket-timeline"]').innerText(), { timeout: 10_000 }).toContain('K8PL3MZ7Q2XV9TRB 卡密在哪看');
    expect(await page.locator('[data-testid="ticket-priority"]').innerText()).toBe('紧急');
    expect(await page.locator('[data-testid="context"]').isVisible()).toBe(false);
    expect(await page.locator('[data-testid="context"]').innerText()).toBe('');
    await page.locator('[data-testid="ticket-claim"]').click();
    await expect.poll(() => page.locator('[data-testid="ticket-claim"]').innerText(), { timeout: 10_000 }).toBe('已认领');
    await expect.poll(() => page.locator('[data-testid="tickets"] li', { hasText: urgent.id }).innerText()).toContain('小王 处理中');
    expect((await app.services.tickets.get(urgent.id))?.claimedBy).toBeTruthy();
    // Alt+↓ goes to the next ticket in the list.
    await page.locator('body').press('Alt+ArrowDown');
    await expect.poll(() => page.locator('#ticket-title').innerText()).not.toContain(urgent.id);
    await page.locator('body').press('Alt+ArrowUp');
    await expect.poll(() => page.locator('#ticket-title').innerText()).toContain(urgent.id);
    await page.locator('[data-testid="ticket-answer"]').fill('你好，风控核实好了，订单已经放行。');
    await page.getByRole('button', { name: '答复并关闭工单' }).click();
    await expect.poll(async () => (await app.services.tickets.get(urgent.id))?.status, { timeout: 10_000 }).toBe('answered');
    await expect.poll(() => page.locator('[data-testid="tickets"]').innerText()).not.toContain(urgent.id);

    // A ticket filed while the console is open shows at once (the socket, not the 30-second refetch),
    // marked new and counted in the tab title until it is opened.
    const badge = async () => Number((/^\((\d+)\)/.exec(await page.title()) ?? [])[1] ?? 0);
    const before = await badge();
    const late = await app.services.tickets.create({ ...from, cause: 'upstream_failed', symptom: '充值失败了，钱还没退' }, new Date());
    const fresh = page.locator('[data-testid="tickets"] li.fresh', { hasText: late.id });
    await expect.poll(() => fresh.count(), { timeout: 5_000 }).toBe(1);
    expect(await badge()).toBe(before + 1);
    await fresh.click();
    await expect.poll(() => page.locator('#ticket-title').innerText()).toContain(late.id);
    expect(await badge()).toBe(before);
    expect(await page.locator('[data-testid="tickets"] li.fresh').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
