/**
 * With a model configured, the agent's console shows a three-line summary and suggested replies for
 * a handoff (real Chromium). Everything in them is checked against the packet; a suggestion only
 * fills the reply box, and nothing is sent by itself.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { assistMaterial, checkAssist } from '../../src/llm/assist.js';
import type { HandoffContext } from '../../src/handoff/index.js';
import { fakeOpenAI, json } from '../llm/fakeOpenAI.js';
import { order, say } from '../helpers.js';
import { browserBed, signInAgent } from './chromium.js';

const risky = order({
  orderNo: 'DJ20261123120055QWER',
  status: 'on_hold',
  holdReasons: ['risk_control'],
  paidAt: '2026-11-23T12:01:00+08:00',
  title: '网易一卡通300元',
  amount: '300.00',
});

describe('the check', () => {
  const packet: HandoffContext = {
    reason: 'buyer_request',
    orderNo: 'DJ20261123120055QWER',
    cause: 'risk_hold',
    ladder: [],
    transcript: [
      { direction: 'in', sender: 'buyer-1', text: '我手机13812345678 卡密 QB10-8842-5519-7Z3K 用不了', at: '2026-11-23T15:00:00+08:00' },
      { direction: 'out', sender: 'bot', text: '这笔订单被风控暂时冻结了', at: '2026-11-23T15:00:01+08:00' },
    ],
  };
  const material = assistMaterial(packet, 'Asia/Shanghai');

  it('gives the model the packet with contacts masked and no code', () => {
    expect(material).toContain('DJ20261123120055QWER');
    expect(material).toContain('138****5678');
    expect(material).not.toContain('13812345678');
    expect(material).not.toContain('QB10-8842-5519-7Z3K');
  });

  it('keeps what the packet supports and drops what it does not', () => {
    const a = checkAssist(material, {
      summary: ['买家订单 DJ20261123120055QWER 被风控冻结', '买家说卡密用不了', '需要核实身份后处理'],
      suggestions: ['你好，这笔订单在风控核验中，我帮你人工核实一下。', '已退款到你的账户了', '明天10点前一定给你处理好', '您好，请稍等'],
    });
    expect(a?.summary).toHaveLength(3);
    expect(a?.suggestions).toEqual(['你好，这笔订单在风控核验中，我帮你人工核实一下。']);
    expect(checkAssist(material, { summary: ['订单 FAKE1234567890XY 已发货'], suggestions: [] })).toBeUndefined();
    expect(checkAssist(material, 'garbage')).toBeUndefined();
  });
});

describe('in the console', async () => {
  const fake = await fakeOpenAI((r) =>
    r.messages[0]!.content.includes('接手一段买家会话')
      ? json({
          summary: ['订单 DJ20261123120055QWER（网易一卡通300元）被风控冻结', '机器人已说明风控核验', '买家要求人工处理'],
          suggestions: ['你好，我是人工客服，这笔订单在风控核验中，我帮你人工核实一下。', '订单已退款，请查收'],
        })
      : json({ intent: (JSON.parse(r.messages.at(-1)!.content) as { 买家这句话: string }).买家这句话.includes('转人工') ? 'human_agent' : 'order_status' }),
  );
  afterAll(() => fake.close());
  const { app, base, browser } = await browserBed('assist', {
    orders: [risky],
    agents: { xiaowang: '小王' },
    env: { LLM_BASE_URL: fake.base, LLM_MODEL: 'fake-model', LLM_API_KEY: 'sk-test' },
  });

  it('shows the summary and the checked suggestions; a click only fills the reply box', async () => {
    const page = await browser.newPage({ locale: 'zh-CN' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await signInAgent(page, base, 'xiaowang', { online: '在线客服 1 人' });

    await say(app, '查下订单 DJ20261123120055QWER', 'assist');
    await say(app, '转人工', 'assist');
    expect(await app.services.handoffs.open()).toHaveLength(1);
    const queued = page.locator('[data-testid="queue"] li');
    await expect.poll(() => queued.count(), { timeout: 10_000 }).toBe(1);
    await queued.first().click();
    const assist = page.locator('[data-testid="assist"]');
    await expect.poll(() => assist.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.locator('#assist-summary li').count()).toBe(3);
    expect(await assist.innerText()).toContain('被风控冻结');
    // The invented refund is not offered to the agent.
    expect(await page.locator('#assist-replies button').count()).toBe(1);
    expect(await assist.innerText()).not.toContain('已退款');

    await page.locator('[data-testid="claim"]').click();
    const reply = page.locator('[data-testid="reply"]');
    await expect.poll(() => reply.isVisible(), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => page.locator('#assist-replies button').first().isEnabled(), { timeout: 10_000 }).toBe(true);
    await page.locator('#assist-replies button').first().click();
    expect(await reply.inputValue()).toContain('我是人工客服');
    // Nothing went to the buyer: the transcript holds no agent message.
    const lines = await app.services.transcript.recent({ channelId: 'test', conversationId: 'assist' });
    expect(lines.some((l) => l.text.includes('我是人工客服'))).toBe(false);
    expect(errors).toEqual([]);
  }, 60_000);
});
