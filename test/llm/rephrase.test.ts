/**
 * LLM_REPHRASE: the model rewords the bot's own replies with placeholders only; code puts every fact
 * back, and a deterministic check sends the template whenever the model plants one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAndFill, toTemplate } from '../../src/llm/rephrase.js';
import { makeApp, order, say } from '../helpers.js';
import { type FakeRequest, fakeOpenAI, json } from './fakeOpenAI.js';

type Fake = Awaited<ReturnType<typeof fakeOpenAI>>;
let fake: Fake;
beforeAll(async () => {
  fake = await fakeOpenAI();
});
afterAll(() => fake.close());

const REPLY = '订单 K7QX9ZP2M4RT8WNA 已支付，付款已经收到（6分钟前），卡密正在处理。一般今天 15:09 之前就会好，先别着急。不行就回复“转人工”。';

describe('the template and the check', () => {
  it('cuts out every fact, and gives the reply back unchanged when the model changes nothing', () => {
    const t = toTemplate(REPLY);
    for (const fact of ['K7QX9ZP2M4RT8WNA', '已支付', '6分钟', '今天', '15:09', '“转人工”']) expect(t.facts.join('|')).toContain(fact);
    expect(t.text.replace(/\{\d+\}/g, '')).not.toMatch(/[0-9A-Za-z]/);
    expect(t.text).not.toContain('已支付');
    expect(checkAndFill(t, t.text)).toEqual({ ok: true, text: REPLY });
  });

  it('keeps a timeline, a header or numbered steps as one piece the model never sees inside', () => {
    const reply = '付款已经收到，正在处理。\n\n订单进度：\n✔ 已支付 今天14:54\n➤ 出卡（进行中）\n\n自查：\n1. 刷新订单中心\n2. 看看垃圾箱';
    const t = toTemplate(reply);
    expect(t.text).toBe('付款已经收到，正在处理。\n\n{1}\n\n{2}');
    expect(checkAndFill(t, '钱收到啦，在处理了。\n\n{1}\n\n{2}')).toMatchObject({ ok: true });
  });

  it('accepts a natural rewrite that moves facts around, and fills them in', () => {
    const t = toTemplate(REPLY);
    const rewrite = t.text.replace('先别着急。', '别急哈。').replace('一般', '通常');
    const v = checkAndFill(t, rewrite);
    expect(v.ok).toBe(true);
    expect(v.ok && v.text).toContain('K7QX9ZP2M4RT8WNA');
    expect(v.ok && v.text).toContain('别急哈');
  });

  it('rejects every planted fact, a lost or doubled placeholder, a flipped negation and 您', () => {
    const t = toTemplate(REPLY);
    const planted = [
      t.text + '已退款。', // a status
      t.text.replace('先别着急', '我们会赔偿你'), // a remedy
      t.text.replace('先别着急', '明天一定到'), // a time and a promise
      t.text.replace('先别着急', '两小时内好'), // a duration in Chinese numerals
      t.text + '详见 http://evil.example', // a link
      t.text + '新单号 X1234', // an identifier
      t.text.replace('先别着急', '金额 ¥'), // money
      t.text.replace('{1}', ''), // a fact dropped
      t.text.replace('{1}', '{1}{1}'), // a fact doubled
      t.text + '{9}', // a placeholder that is not ours
      t.text.replace('先别着急', '别着急也没用'), // a negation more
      t.text + '您放心。',
      t.text.replace('{3}', '{3}个小时'), // a unit changed around a number
      t.text.replace('卡密正在处理', '卡密处理完成了'), // a claim the template does not make
      t.text.repeat(3), // too long
      '',
      null,
      42,
      { text: 'x' },
    ];
    for (const p of planted) expect(checkAndFill(t, p).ok, String(p)).toBe(false);
  });
});

describe('the bot with LLM_REPHRASE', () => {
  const paid = order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' });
  const delivered = order({
    orderNo: 'K8PL3MZ7Q2XV9TRB',
    status: 'delivered',
    paidAt: '2026-11-23T13:04:00+08:00',
    buyer: { contact: '13812345678', hasQueryPassword: false },
    delivery: { kind: 'card_codes', items: [{ masked: 'QB10****7Z3K', plaintext: 'QB10-8842-5519-7Z3K' }], expected: 1, deliveredAt: '2026-11-23T13:05:00+08:00' },
  });
  const env = { LLM_BASE_URL: '', LLM_MODEL: 'fake-model', LLM_API_KEY: 'sk-test', LLM_REPHRASE: 'true', LLM_BUDGET_MS: '1000' };
  const isRephrase = (r: FakeRequest) => r.messages[0]!.content.includes('润色');
  /** Understanding answers "rules are fine" (unknown is not taken over a rule), rephrasing as scripted. */
  const script = (rewrite: (template: string) => unknown) => (r: FakeRequest) =>
    isRephrase(r) ? json({ text: rewrite(r.messages.at(-1)!.content) }) : json({ intent: 'order_status' });
  const lines = ['我的卡密怎么还没到', 'K7QX9ZP2M4RT8WNA'];

  async function conversation(rephrasing: boolean, rewrite?: (t: string) => unknown) {
    if (rewrite) fake.set(script(rewrite));
    const app = await makeApp({ orders: [paid, delivered], env: rephrasing ? { ...env, LLM_BASE_URL: fake.base } : {} });
    try {
      const out: string[] = [];
      for (const l of lines) out.push((await say(app, l, 'r')).text);
      return out;
    } finally {
      await app.close();
    }
  }

  it("sends the model's wording with our facts", async () => {
    const plain = await conversation(false);
    const reworded = await conversation(true, (t) => t.replace('先别着急', '别急哈'));
    expect(reworded[1]).toContain('别急哈');
    expect(reworded[1]).toContain('K7QX9ZP2M4RT8WNA');
    expect(reworded[1]).toBe(plain[1]!.replace('先别着急', '别急哈'));
  });

  it('sends the template, unchanged, when the model plants a fact or answers badly', async () => {
    const plain = await conversation(false);
    for (const bad of [(t: string) => `${t} 已退款，明天到账`, (t: string) => t.replace(/\{1\}/, 'FAKE1234567890XY'), () => 'garbage {1}', () => null]) {
      expect(await conversation(true, bad)).toEqual(plain);
    }
  });

  it('never sends the model a revealed code, nor a reply that holds one', async () => {
    fake.set(script((t) => t));
    const app = await makeApp({ orders: [delivered], env: { ...env, LLM_BASE_URL: fake.base } });
    const before = fake.requests.length;
    try {
      await say(app, '卡密在哪看 K8PL3MZ7Q2XV9TRB', 'code');
      expect((await say(app, '13812345678', 'code')).text).toContain('QB10-8842-5519-7Z3K');
    } finally {
      await app.close();
    }
    const sent = fake.requests.slice(before);
    expect(sent.filter(isRephrase).length).toBeGreaterThan(0);
    expect(JSON.stringify(sent)).not.toContain('QB10-8842-5519-7Z3K');
    expect(JSON.stringify(sent)).not.toContain('13812345678');
    expect(JSON.stringify(sent.filter(isRephrase))).not.toContain('K8PL3MZ7Q2XV9TRB'); // facts never go to the rephraser
  });
});
