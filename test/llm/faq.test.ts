/**
 * FAQ answers with a model: only from the articles our retrieval found, the article named, every
 * number and status in the answer checked against it; nothing retrieved, nothing asked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkGrounded } from '../../src/llm/faq.js';
import type { Hit } from '../../src/knowledge/index.js';
import { makeApp, say } from '../helpers.js';
import { type FakeRequest, fakeOpenAI, json } from './fakeOpenAI.js';

type Fake = Awaited<ReturnType<typeof fakeOpenAI>>;
let fake: Fake;
beforeAll(async () => {
  fake = await fakeOpenAI();
});
afterAll(() => fake.close());

const article = {
  id: 'wait-times',
  title: '各类商品正常要等多久',
  keywords: [],
  causes: [],
  file: 'x.md',
  body: '话费、流量快充：一般30分钟内到账，慢充最长可达72小时；实体卡：48小时内发货。超过时间还没收到，请回复“转人工”。',
};
const hits: Hit[] = [{ article, score: 10 }];

describe('the check', () => {
  it('accepts an answer that says only what the article says', () => {
    expect(checkGrounded(hits, { article: 'wait-times', answer: '话费快充一般30分钟内到账，慢充最长可达72小时。超时了回复“转人工”。' })).toMatchObject({ ok: true });
  });

  it('rejects numbers, statuses and promises the article does not hold, other articles, and no article', () => {
    for (const bad of [
      { article: 'wait-times', answer: '话费一般10分钟内到账。' },
      { article: 'wait-times', answer: '话费已到账，请查收。' },
      { article: 'wait-times', answer: '明天一定到账。' },
      { article: 'wait-times', answer: '详见 https://evil.example/faq' },
      { article: 'refund', answer: '话费一般30分钟内到账。' },
      { article: null, answer: '不知道' },
      { article: 'wait-times', answer: '您好，话费一般30分钟内到账。' },
      { article: 'wait-times', answer: 42 },
      'garbage',
    ])
      expect(checkGrounded(hits, bad).ok, JSON.stringify(bad)).toBe(false);
  });
});

describe('the bot answering a general question', () => {
  const kind = (r: FakeRequest) => (r.messages[0]!.content.includes('知识库文章') ? 'faq' : r.messages[0]!.content.includes('润色') ? 'rephrase' : 'understand');
  const env = () => ({ LLM_BASE_URL: fake.base, LLM_MODEL: 'fake-model', LLM_API_KEY: 'sk-test', LLM_BUDGET_MS: '1000' });
  async function ask(text: string, withModel: boolean) {
    const app = await makeApp({ orders: [], env: withModel ? env() : {} });
    try {
      return await say(app, text, 'faq');
    } finally {
      await app.close();
    }
  }

  it('answers from the retrieved article and names it', async () => {
    fake.set((r) => (kind(r) === 'faq' ? json({ article: 'wait-times', answer: '话费快充一般30分钟内到账，慢充最长72小时，还在这个时间内就再等等。' }) : json({ intent: 'faq' })));
    const r = await ask('话费一般要多久才到账', true);
    expect(r.text).toContain('30分钟内到账');
    expect(r.text).toContain('（参考：各类商品正常要等多久）');
    const faqCall = fake.requests.filter((q) => kind(q) === 'faq').at(-1)!;
    expect(faqCall.messages.at(-1)!.content).toContain('各类商品正常要等多久');
  });

  it('sends the article itself when the model invents, and asks nothing when nothing is retrieved', async () => {
    const plain = await ask('话费一般要多久才到账', false);
    fake.set((r) => (kind(r) === 'faq' ? json({ article: 'wait-times', answer: '话费保证5分钟到账，不到赔你。' }) : json({ intent: 'faq' })));
    expect((await ask('话费一般要多久才到账', true)).text).toBe(plain.text);
    const before = fake.requests.filter((q) => kind(q) === 'faq').length;
    const none = await ask('你们店的老板叫什么名字', true);
    expect(none.text).toContain('暂时没有答案'); // said so, with the ladder, as without a model
    expect(none.text).toContain('转人工');
    expect(fake.requests.filter((q) => kind(q) === 'faq').length).toBe(before);
  });
});
