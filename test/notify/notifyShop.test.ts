/**
 * "到了告诉我" end to end on a real shop database: a web-chat buyer (Direct Line over HTTP) asks
 * about a waiting dujiaoka order, opts in, the bot restarts, the order changes in MariaDB (found by
 * polling) or through dujiaoka's api_hook (an event), and the buyer's conversation gets the update
 * exactly once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createServer } from '../../src/server.js';
import { createShopDatabase, mariadbForTests, type ShopDatabase, shopFixture } from '../support/mariadb.js';
import { serve, shutdown } from '../helpers.js';
import { type AttemptLog, DlClient } from '../load/loadKit.js';

const maria = mariadbForTests();
const SECRET = 'directline-secret-for-notify-tests';
const HOOK = 'hook-token-for-notify-0001';

/** A clock the test moves (the bot's time; MariaDB rows carry their own). */
function movableClock(start: string) {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (min: number) => void (t += min * 60_000) };
}

describe.skipIf(maria.skip)('notify-me on dujiaoka (MariaDB) through web chat', () => {
  let db: ShopDatabase;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-notify-'));
  const clock = movableClock('2026-11-23T15:00:00+08:00');
  let app: App;
  let server: import('node:http').Server;
  let base = '';
  const log: AttemptLog = { retries: 0, serverErrors: 0, errors: [] };

  async function start(): Promise<void> {
    const config = loadConfig({
      DATABASE_FILE: path.join(dir, 'bot.sqlite'),
      LOG_LEVEL: 'silent',
      ORDER_ADAPTER: 'dujiaoka',
      SHOP_DATABASE_URL: db.url,
      SHOP_PRODUCT_TYPES: 'group:1=game_card,group:2=phone_topup,group:3=physical_card',
      SHOP_HOOK_TOKEN: HOOK,
      DIRECTLINE_SECRET: SECRET,
    });
    app = await createApp({ config, clock });
    server = await createServer(app);
    base = await serve(server);
  }
  async function stop(): Promise<void> {
    await shutdown(server);
    await app.close();
  }
  const texts = (c: DlClient) => [...c.seen.values()].filter((a) => a.from?.role !== 'user' && a.type === 'message').map((a) => a.text ?? '');
  const count = (c: DlClient, word: string) => texts(c).filter((t) => t.includes(word)).length;

  beforeAll(async () => {
    db = await createShopDatabase(maria.url(), shopFixture('dujiaoka.sql') + shopFixture('dujiaoka-orders.sql'), ['orders', 'goods']);
    await start();
  });
  afterAll(async () => {
    await stop().catch(() => undefined);
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('polling: opt in, restart, the order completes in MariaDB, one update in the open chat', async () => {
    let c = await DlClient.open(base, SECRET, 'buyer-poll', log);
    await c.post('MANUAL2PENDING01 话费还没到', 'p1');
    await c.pollUntil(() => texts(c).some((t) => t.includes('到了告诉我')));
    await c.post('到了告诉我', 'p2');
    await c.pollUntil(() => texts(c).some((t) => t.includes('一有变化我就在这里告诉你')));
    // Nothing changed yet: a check tells nothing.
    clock.advance(3);
    expect(await app.notifier.tick()).toBe(0);

    // The bot restarts; the watch survives.
    await stop();
    await start();
    c = new DlClient(base, c.conversationId, c.token, c.userId, log);
    // The shop's operator completes the top-up (as dujiaoka's admin does: status and info by hand).
    await db.admin.query("UPDATE orders SET status = 4, info = '充值手机号:13800138000\\n已充值到账', updated_at = '2026-11-23 15:20:00' WHERE order_sn = 'MANUAL2PENDING01'");
    clock.advance(20);
    expect(await app.notifier.tick()).toBe(1);
    await c.pollUntil(() => count(c, '你的订单有新进展') === 1);
    const update = texts(c).find((t) => t.includes('你的订单有新进展'))!;
    expect(update).toContain('MANUAL2PENDING01');
    expect(update).toMatch(/✔ 已到账/);
    expect(update).not.toContain('13800138000');
    // Final: the watch is done, nothing more is sent however often it is checked.
    clock.advance(60);
    expect(await app.notifier.tick()).toBe(0);
    expect(await app.store.repos.watches.count('done')).toBe(1);
    const all = await c.fullLog();
    expect(all.filter((a) => (a.text ?? '').includes('你的订单有新进展'))).toHaveLength(1);
  });

  it('an event: dujiaoka’s api_hook wakes the watch at once; a stop request ends it', async () => {
    const c = await DlClient.open(base, SECRET, 'buyer-hook', log);
    await c.post('ABN6ABN6ABN6ABN6', 'h1');
    await c.pollUntil(() => texts(c).some((t) => t.includes('到了告诉我')));
    await c.post('好了通知我', 'h2');
    await c.pollUntil(() => texts(c).some((t) => t.includes('一有变化我就在这里告诉你')));
    await db.admin.query("UPDATE orders SET status = 4, info = 'STM-ABCD-EFGH-0001', updated_at = '2026-11-23 15:40:00' WHERE order_sn = 'ABN6ABN6ABN6ABN6'");
    // No clock change: only the hook can make this watch due now.
    const r = await fetch(`${base}/hooks/dujiaoka/${HOOK}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        title: 'Steam 充值卡 50元 x 1',
        order_sn: 'ABN6ABN6ABN6ABN6',
        email: 'abn@example.com',
        actual_price: '50.00',
        order_info: 'STM-ABCD-EFGH-0001',
        good_id: 1,
        gd_name: 'Steam 充值卡 50元',
      }),
    });
    expect(r.status).toBe(200);
    await c.pollUntil(() => count(c, '你的订单有新进展') === 1);
    const update = texts(c).find((t) => t.includes('你的订单有新进展'))!;
    expect(update).not.toContain('STM-ABCD-EFGH-0001');
    // The same hook again: nothing new to tell.
    await fetch(`${base}/hooks/dujiaoka/${HOOK}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ order_sn: 'ABN6ABN6ABN6ABN6' }) });
    await new Promise((res) => setTimeout(res, 300));
    expect(await app.notifier.tick()).toBe(0);
    expect((await c.fullLog()).filter((a) => (a.text ?? '').includes('你的订单有新进展'))).toHaveLength(1);
  });

  it('不用通知了 stops the watch: a later change is not sent', async () => {
    const c = await DlClient.open(base, SECRET, 'buyer-stop', log);
    await c.post('MANUAL3PROCESS01', 's1');
    await c.pollUntil(() => texts(c).some((t) => t.includes('到了告诉我')));
    await c.post('到了告诉我', 's2');
    await c.pollUntil(() => texts(c).some((t) => t.includes('一有变化我就在这里告诉你')));
    await c.post('不用通知了', 's3');
    await c.pollUntil(() => texts(c).some((t) => t.includes('不再通知你了')));
    await db.admin.query("UPDATE orders SET status = 4, updated_at = '2026-11-23 16:00:00' WHERE order_sn = 'MANUAL3PROCESS01'");
    clock.advance(30);
    expect(await app.notifier.tick()).toBe(0);
    expect(texts(c).some((t) => t.includes('你的订单有新进展'))).toBe(false);
  });
});
