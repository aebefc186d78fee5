/**
 * Every scenario, read by a hostile or broken model: invented order numbers, times, contacts,
 * statuses and codes in every field (the intent too), garbage, timeouts. The bot must be exactly as
 * correct as with the rules alone, and no planted string may reach a reply.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/eval/runner.js';
import { Scenario } from '../../src/eval/scenario.js';
import { completion, fakeOpenAI, json } from './fakeOpenAI.js';

const PLANTED = ['FAKE1234567890XY', '13900000000', 'HACK-0000-1111-2222', '已退款到你的账户', '赔偿你100元', 'http://evil.example', 'evil@example.com'];
const hostile = {
  intent: '已发货 FAKE1234567890XY', // not one of the closed set
  signals: { resolved: '已退款到你的账户', wantsPerson: 'HACK-0000-1111-2222' },
  slots: {
    orderNo: { value: 'FAKE1234567890XY', quote: 'FAKE1234567890XY' },
    paymentTime: { quote: '2026-11-23 03:00 已发货' },
    contact: { quote: '13900000000 evil@example.com' },
    productType: '已退款到你的账户',
  },
  reply: '赔偿你100元 http://evil.example',
  code: 'HACK-0000-1111-2222',
};

type Fake = Awaited<ReturnType<typeof fakeOpenAI>>;
let fake: Fake;
beforeAll(async () => {
  fake = await fakeOpenAI();
});
afterAll(() => fake.close());

const dir = path.resolve('test/scenarios');
const scenarios = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => [f, Scenario.parse(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')))] as const);
const env = (budget = '800') => ({ LLM_BASE_URL: fake.base, LLM_MODEL: 'fake-model', LLM_API_KEY: 'sk-test', LLM_BUDGET_MS: budget, LLM_REPHRASE: 'true' });

describe('a hostile model', () => {
  it('leaves every scenario as correct as the rules alone, and puts nothing it planted in a reply', async () => {
    let calls = 0;
    // Rotates between invented facts in every field, garbage, a wrong shape and a rephrase that plants facts.
    fake.set((r) => {
      calls++;
      if (r.messages[0]!.content.includes('润色')) return json({ text: `${r.messages.at(-1)!.content} 已退款到你的账户，赔偿你100元 http://evil.example` });
      return [json(hostile), completion('{"intent": 42, FAKE1234567890XY'), json([hostile]), completion(PLANTED.join(' '))][calls % 4]!;
    });
    const failed: string[] = [];
    for (const [f, s] of scenarios) {
      const r = await runScenario(s, env());
      if (r.failures.length) failed.push(`${f}: ${r.failures.join('; ')}`);
      const said = r.turns.flatMap((t) => t.replies).join('\n');
      for (const p of PLANTED) if (said.includes(p) && !JSON.stringify(s).includes(p)) failed.push(`${f}: planted "${p}" reached a reply`);
    }
    expect(calls).toBeGreaterThan(scenarios.length);
    expect(failed).toEqual([]);
  }, 300_000);

  it('that never answers in time leaves the scenarios passing (the breaker takes it out)', async () => {
    fake.set(() => ({ delayMs: 1500, ...json({ intent: 'refund' }) }));
    const failed: string[] = [];
    for (const [f, s] of scenarios.slice(0, 12)) {
      const r = await runScenario(s, env('300'));
      if (r.failures.length) failed.push(`${f}: ${r.failures.join('; ')}`);
    }
    expect(failed).toEqual([]);
  }, 300_000);
});
