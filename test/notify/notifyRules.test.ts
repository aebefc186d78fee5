/**
 * The rules around "到了告诉我": offered only for a wait; a final order needs no watch; a channel the
 * bot cannot write to first is told so; a watch that sees no change for NOTIFY_MAX_HOURS says so
 * once and stops; the same conversation cannot stack watches on one order.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createServer } from '../../src/server.js';
import { type AttemptLog, DlClient } from '../load/loadKit.js';
import { makeApp, order, say, serve, shutdown } from '../helpers.js';

const DL = 'directline-secret-notify-rules';
const ORDERS = [
  order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' }),
  order({ orderNo: 'D3LV8RQ2W6ZT4YNB', status: 'delivered', paidAt: '2026-11-23T14:00:00+08:00', delivery: { kind: 'card_codes', items: [{ plaintext: 'QB-1234-5678-9012' }] } }),
];

describe('notify-me rules', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-nr-'));
  let t = Date.parse('2026-11-23T15:00:00+08:00');
  let app: App;
  let server: import('node:http').Server;
  let base = '';
  const log: AttemptLog = { retries: 0, serverErrors: 0, errors: [] };

  beforeAll(async () => {
    const config = loadConfig({ DATABASE_FILE: path.join(dir, 'bot.sqlite'), LOG_LEVEL: 'silent', DIRECTLINE_SECRET: DL, NOTIFY_MAX_HOURS: '1', DEMO_SEED: 'false' });
    app = await createApp({ config, clock: { now: () => new Date(t) }, orders: ORDERS });
    server = await createServer(app);
    base = await serve(server);
  });
  afterAll(async () => {
    await shutdown(server);
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const texts = (c: DlClient) => [...c.seen.values()].filter((a) => a.from?.role !== 'user' && a.type === 'message').map((a) => a.text ?? '');

  it('a delivered order is not offered a watch, and asking for one says it is final', async () => {
    const c = await DlClient.open(base, DL, 'rules-final', log);
    await c.post('D3LV8RQ2W6ZT4YNB', 'f1');
    await c.pollUntil(() => texts(c).length >= 2);
    expect(texts(c).join('\n')).not.toContain('到了告诉我');
    await c.post('到了告诉我', 'f2');
    await c.pollUntil(() => texts(c).some((x) => x.includes('已经是最终状态')));
  });

  it('without an order yet, the bot asks which one', async () => {
    const c = await DlClient.open(base, DL, 'rules-none', log);
    await c.post('有结果了通知我', 'n1');
    await c.pollUntil(() => texts(c).some((x) => x.includes('要跟踪哪笔订单')));
  });

  it('no stacking, and no change for NOTIFY_MAX_HOURS: told once, then the watch ends', async () => {
    const c = await DlClient.open(base, DL, 'rules-expire', log);
    await c.post('K7QX9ZP2M4RT8WNA', 'e1');
    await c.pollUntil(() => texts(c).some((x) => x.includes('到了告诉我')));
    await c.post('到了告诉我', 'e2');
    await c.pollUntil(() => texts(c).some((x) => x.includes('一有变化我就在这里告诉你')));
    await c.post('到了告诉我', 'e3');
    await c.pollUntil(() => texts(c).some((x) => x.includes('我已经在跟踪了')));
    expect(await app.store.repos.watches.count('active')).toBe(1);
    t += 30 * 60_000;
    expect(await app.notifier.tick()).toBe(0);
    t += 40 * 60_000;
    expect(await app.notifier.tick()).toBe(1);
    await c.pollUntil(() => texts(c).some((x) => x.includes('先停止自动通知')));
    t += 60 * 60_000;
    expect(await app.notifier.tick()).toBe(0);
    expect(await app.store.repos.watches.count('expired')).toBe(1);
    expect(texts(c).filter((x) => x.includes('先停止自动通知'))).toHaveLength(1);
  });
});

describe('a channel the bot cannot write to first', () => {
  it('says so instead of promising a message', async () => {
    const app = await makeApp({ orders: ORDERS });
    try {
      const first = await say(app, 'K7QX9ZP2M4RT8WNA', 'inproc-1');
      expect(first.text).not.toContain('到了告诉我');
      const r = await say(app, '到了告诉我', 'inproc-1');
      expect(r.text).toContain('没法主动给你发消息');
    } finally {
      await app.close();
    }
  });
});
