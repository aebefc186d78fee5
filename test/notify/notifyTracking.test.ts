/**
 * Kuaidi100 in a physical card's timeline, on a real shop: a dujiaoka parcel order on MariaDB
 * (the operator pasted "圆通 YT0000000001"), the fake Kuaidi100 answering the signed query with the
 * phone tail from the checkout inputs; the buyer opts in to "到了告诉我", and Kuaidi100's signed
 * push of the signature brings one update into the web chat.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createServer } from '../../src/server.js';
import { fixedClock } from '../../src/time.js';
import { type FakeKuaidi100, sendPush, startFakeKuaidi100, TEST_CUSTOMER, TEST_KEY, TEST_SALT } from '../fakes/kuaidi100.js';
import { createShopDatabase, mariadbForTests, type ShopDatabase, shopFixture } from '../support/mariadb.js';
import { freePort } from '../support/postgres.js';
import { say } from '../helpers.js';
import { type AttemptLog, DlClient } from '../load/loadKit.js';

const maria = mariadbForTests();
const DL = 'directline-secret-tracking-test';
const NOW = '2026-11-23T15:00:00+08:00';

const inTransit = {
  message: 'ok',
  nu: 'YT0000000001',
  ischeck: '0',
  condition: '00',
  com: 'yuantong',
  status: '200',
  state: '5',
  data: [
    { time: '2026-11-23 08:10:00', ftime: '2026-11-23 08:10:00', context: '【深圳市】快件正在派送中', status: '派件', statusCode: '5' },
    { time: '2026-11-22 21:35:28', ftime: '2026-11-22 21:35:28', context: '【东莞市】快件已发往【广东深圳转运中心】', status: '在途', statusCode: '1002' },
    { time: '2026-11-22 16:56:21', ftime: '2026-11-22 16:56:21', context: '【东莞市】已揽收', status: '揽收', statusCode: '103' },
  ],
};

describe.skipIf(maria.skip)('Kuaidi100 tracking and notify-me on a dujiaoka parcel', () => {
  let db: ShopDatabase;
  let k100: FakeKuaidi100;
  let app: App;
  let server: import('node:http').Server;
  let base = '';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-k100-'));
  const log: AttemptLog = { retries: 0, serverErrors: 0, errors: [] };

  beforeAll(async () => {
    db = await createShopDatabase(maria.url(), shopFixture('dujiaoka.sql') + shopFixture('dujiaoka-orders.sql'), ['orders', 'goods']);
    k100 = await startFakeKuaidi100();
    k100.requirePhone('YT0000000001', '5678');
    k100.script('YT0000000001', inTransit);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      DATABASE_FILE: path.join(dir, 'bot.sqlite'),
      LOG_LEVEL: 'silent',
      ORDER_ADAPTER: 'dujiaoka',
      SHOP_DATABASE_URL: db.url,
      SHOP_PRODUCT_TYPES: 'group:1=game_card,group:2=phone_topup,group:3=physical_card',
      KUAIDI100_CUSTOMER: TEST_CUSTOMER,
      KUAIDI100_KEY: TEST_KEY,
      KUAIDI100_SALT: TEST_SALT,
      KUAIDI100_API_BASE: k100.url,
      KUAIDI100_AUTONUM_BASE: k100.url,
      PUBLIC_BASE_URL: base,
      DIRECTLINE_SECRET: DL,
    });
    app = await createApp({ config, clock: fixedClock(NOW) });
    server = await createServer(app);
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await app?.close();
    await k100?.close();
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the carrier’s own scans are in the parcel’s answer, queried once with the phone tail', async () => {
    const r = await say(app, 'SHIP4DONE0000001 快递到哪了', 'k-1');
    expect(r.outcome?.cause).toBe('logistics_pending');
    expect(r.text).toContain('快件正在派送中');
    expect(r.text).not.toContain('13712345678');
    expect(k100.queryCount('YT0000000001')).toBe(1);
    // A busy buyer asking again does not spend the shop's quota.
    for (let i = 0; i < 5; i++) await say(app, 'SHIP4DONE0000001', `k-busy-${i}`);
    expect(k100.queryCount('YT0000000001')).toBe(1);
  });

  it('a signed push of the signature: the exact success reply, and one update for the watching buyer', async () => {
    const c = await DlClient.open(base, DL, 'parcel-buyer', log);
    const texts = () => [...c.seen.values()].filter((a) => a.from?.role !== 'user' && a.type === 'message').map((a) => a.text ?? '');
    await c.post('SHIP4DONE0000001', 't1');
    await c.pollUntil(() => texts().some((t) => t.includes('到了告诉我')));
    await c.post('到了告诉我', 't2');
    await c.pollUntil(() => texts().some((t) => t.includes('一有变化我就在这里告诉你')));
    const signed = JSON.stringify({
      status: 'shutdown',
      billstatus: '',
      message: '',
      autoCheck: '0',
      comOld: '',
      comNew: '',
      lastResult: {
        message: 'ok',
        state: '3',
        status: '200',
        condition: 'F00',
        ischeck: '1',
        com: 'yuantong',
        nu: 'YT0000000001',
        data: [{ time: '2026-11-23 14:20:53', ftime: '2026-11-23 14:20:53', context: '已签收，签收人凭取货码签收。', status: '签收', statusCode: '304' }, ...inTransit.data],
      },
    });
    const bad = await sendPush(`${base}/hooks/kuaidi100?o=SHIP4DONE0000001`, signed, { sign: 'F'.repeat(32) });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    const ok = await sendPush(`${base}/hooks/kuaidi100?o=SHIP4DONE0000001`, signed);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ result: true, returnCode: '200', message: '成功' });
    await c.pollUntil(() => texts().some((t) => t.includes('你的订单有新进展')));
    const update = texts().find((t) => t.includes('你的订单有新进展'))!;
    expect(update).toMatch(/签收/);
    // Kuaidi100 retries the same push: nothing new to tell.
    await sendPush(`${base}/hooks/kuaidi100?o=SHIP4DONE0000001`, signed);
    await new Promise((r) => setTimeout(r, 300));
    expect(await app.notifier.tick()).toBe(0);
    expect((await c.fullLog()).filter((a) => (a.text ?? '').includes('你的订单有新进展'))).toHaveLength(1);
  });
});
