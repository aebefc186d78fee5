import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Scenario } from '../src/eval/scenario.js';
import { runScenario } from '../src/eval/runner.js';

const dirs = [path.resolve('test/scenarios'), path.resolve('../shared/eval')].filter((d) => fs.existsSync(d));

for (const dir of dirs) {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  describe(`scenarios in ${path.relative(process.cwd(), dir)}`, () => {
    it('has scenarios', () => expect(files.length).toBeGreaterThan(0));
    it.each(files)('%s', async (f) => {
      const s = Scenario.parse(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
      const r = await runScenario(s);
      expect(r.failures).toEqual([]);
    });
  });
}

describe('the scenario runner itself', () => {
  it('reports a failed expectation', async () => {
    const r = await runScenario(
      Scenario.parse({ name: 'x', now: '2026-11-23T15:00:00+08:00', turns: [{ user: '你好', expect: { intent: 'refund', replyIncludes: ['绝不会出现的字'] } }] }),
    );
    expect(r.failures).toHaveLength(2);
  });

  it('covers every cause, intent and product type across the scenario files', () => {
    const all = fs.readdirSync('test/scenarios').map((f) => JSON.parse(fs.readFileSync(path.join('test/scenarios', f), 'utf8')));
    const expects = all.flatMap((s) => s.turns.map((t: { expect: Record<string, unknown> }) => t.expect));
    const causes = new Set(expects.map((e) => e.cause));
    const intents = new Set(expects.map((e) => e.intent));
    const types = new Set(all.flatMap((s) => s.orders.map((o: { productType?: string }) => o.productType)));
    for (const c of [
      'not_paid',
      'payment_unconfirmed',
      'expired_or_canceled',
      'manual_review',
      'sync_delay',
      'upstream_pending',
      'upstream_failed',
      'out_of_stock',
      'logistics_pending',
      'logistics_problem',
      'risk_hold',
      'order_not_found',
      'wrong_identifier',
      'code_not_tracking',
      'delivered',
      'refunded',
      'overdue',
    ])
      expect(causes, c).toContain(c);
    for (const i of ['order_status', 'card_code', 'payment_issue', 'refund', 'human_agent', 'complaint', 'provide_info', 'greeting', 'thanks', 'goodbye', 'faq', 'unknown'])
      expect(intents, i).toContain(i);
    for (const p of ['game_card', 'phone_topup', 'software_license', 'physical_card', 'other']) expect(types, p).toContain(p);
    expect(all.length).toBeGreaterThanOrEqual(60);
  });
});
