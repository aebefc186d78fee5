import { describe, expect, it } from 'vitest';
import { demoOrders } from '../../src/orders/demo/seedOrders.js';
import { UnifiedOrder } from '../../src/orders/model.js';
import { NOW, makeApp, say } from '../helpers.js';
import { createDatabase, requirePostgres } from '../support/postgres.js';

const seed = demoOrders(new Date(NOW));
const secrets = seed
  .map((o) => UnifiedOrder.parse(o))
  .flatMap((o) => (o.delivery && 'items' in o.delivery ? o.delivery.items.map((i) => i.plaintext) : []))
  .filter((x): x is string => !!x);

describe('bad input gets a sensible reply and never an exception', () => {
  const inputs = [
    '',
    ' ',
    'a'.repeat(10_000),
    '单号'.repeat(5_000),
    '😀🙏🔥💯',
    '？？？！！！。。。',
    "' OR 1=1; DROP TABLE demo_orders; --",
    '"; DELETE FROM bot_state; --',
    '<script>alert(1)</script>',
    '\u200b\u200b\u200b',
    '\u0000\u0001\u0002',
    'K7QX9ZP2M4RT8WNA'.repeat(50),
    '%s%s%s%n',
    '{{constructor.constructor("return process")()}}',
    '订单号：' + '9'.repeat(40),
  ];
  const answersSensibly = async (app: Awaited<ReturnType<typeof makeApp>>, text: string) => {
    const r = await say(app, text);
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.text).not.toContain('出了点问题');
    expect(r.outcome).toBeDefined();
    // The shop is still intact afterwards, and what the buyer said is on record.
    expect(await app.shop.demo!.count()).toBe(seed.length);
    expect(await app.services.transcript.recent({ channelId: 'test', conversationId: 'conv-1' })).toHaveLength(1 + r.activities.filter((a) => a.type === 'message').length);
  };
  it.each(inputs.map((t) => [t.slice(0, 30), t]))('%s', async (_label, text) => {
    const app = await makeApp();
    try {
      await answersSensibly(app, text);
    } finally {
      await app.close();
    }
  });
  // PostgreSQL's text cannot hold every string SQLite's can (U+0000): the same inputs there.
  it('the same inputs on PostgreSQL', async () => {
    const app = await makeApp({ env: { DATABASE_URL: await createDatabase(requirePostgres(), 'badinput'), DATABASE_POOL_SIZE: '4', LOOKUP_RATE_LIMIT: '1000' } });
    try {
      for (const [i, text] of inputs.entries()) {
        await app.store.sql.run('DELETE FROM transcript');
        await app.store.sql.run('DELETE FROM bot_state');
        await answersSensibly(app, text).catch((err: Error) => {
          throw new Error(`input ${i} (${JSON.stringify(text.slice(0, 20))}): ${err.message}`);
        });
      }
    } finally {
      await app.close();
    }
  });
});

describe('privacy: nothing secret reaches an unverified buyer', () => {
  it('looking up every demo order, asking for its codes, never shows a plaintext secret', async () => {
    const app = await makeApp({ env: { LOOKUP_RATE_LIMIT: '10000' } });
    expect(secrets.length).toBeGreaterThan(3);
    let i = 0;
    for (const o of seed) {
      for (const text of [`查订单 ${o.orderNo}`, `卡密发我 ${o.orderNo}`, '查看完整卡密', '我要看激活码', '快递单号是多少', '13000000000']) {
        const r = await say(app, text, `privacy-${i}`);
        for (const s of secrets) expect(r.text, `${o.orderNo}: ${text}`).not.toContain(s);
      }
      i++;
    }
  });

  it("a logged-in buyer never sees another buyer's order numbers in candidate lists or close matches", async () => {
    const app = await makeApp();
    const parsed = seed.map((o) => UnifiedOrder.parse(o));
    const someone = parsed.find((o) => o.buyer.userId)!.buyer.userId!;
    const others = parsed.filter((o) => o.buyer.userId !== someone).map((o) => o.orderNo);
    const texts = ['没有订单号', '昨天买的', '今天买的', '三天前', '没有订单号 买的话费', '1', '2'];
    for (const t of texts) {
      const r = await say(app, t, 'cand', { buyer: { id: someone } });
      for (const no of others) expect(r.text).not.toContain(no);
    }
    // A near miss of someone else's number is not suggested.
    const near = others[0]!.slice(0, -1) + (others[0]!.endsWith('A') ? 'B' : 'A');
    const miss = await say(app, `查订单 ${near}`, 'near', { buyer: { id: someone } });
    for (const no of others) expect(miss.text).not.toContain(no);
  });

  it('rate-limits lookups per buyer', async () => {
    const app = await makeApp({ env: { LOOKUP_RATE_LIMIT: '3' } });
    for (let k = 0; k < 3; k++) await say(app, `查订单 K7QX9ZP2M4RT8WN${k}`, 'rl');
    const limited = await say(app, '查订单 K7QX9ZP2M4RT8WNZ', 'rl');
    expect(limited.text).toContain('频繁');
    expect(limited.outcome?.lookup).toBeUndefined();
  });
});
