/**
 * A shop connected through the `http` contract (docs/shop-api.openapi.json), here the example shop
 * server a shop developer would start from: a conversation per status, the reveal behind the proof,
 * and notify-me woken by the shop's signed event.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExampleOrderRecord, type ExampleShop, MemoryOrders, notifyBot, startExampleShop } from '../../examples/shop-server/server.js';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createServer } from '../../src/server.js';
import { fixedClock } from '../../src/time.js';
import { say, serve, shutdown } from '../helpers.js';
import { type AttemptLog, DlClient } from '../load/loadKit.js';

const NOW = '2026-11-23T15:00:00+08:00';
const SECRET = 'shop-api-secret-0123456789abcdef0123';
const DL_SECRET = 'directline-secret-http-contract';

const base = (o: Partial<ExampleOrderRecord> & Pick<ExampleOrderRecord, 'orderNo' | 'status'>): ExampleOrderRecord => ({
  productType: 'game_card',
  title: '腾讯Q币100元',
  amount: '98.50',
  createdAt: '2026-11-23T14:50:00+08:00',
  buyer: { contact: '13800138000', contactType: 'phone', hasQueryPassword: false },
  verification: ['order_no', 'contact'],
  ...o,
});

const ORDERS: ExampleOrderRecord[] = [
  base({ orderNo: 'HX2026112300001', status: 'awaiting_payment', expiresAt: '2026-11-23T15:20:00+08:00' }),
  base({ orderNo: 'HX2026112300002', status: 'paid', paidAt: '2026-11-23T14:55:00+08:00' }),
  base({ orderNo: 'HX2026112300003', status: 'on_hold', holdReasons: ['manual_review'], paidAt: '2026-11-23T14:40:00+08:00' }),
  base({ orderNo: 'HX2026112300004', status: 'on_hold', holdReasons: ['out_of_stock'], paidAt: '2026-11-23T13:00:00+08:00' }),
  base({
    orderNo: 'HX2026112300005',
    status: 'delivered',
    paidAt: '2026-11-23T12:00:00+08:00',
    delivery: { kind: 'card_codes', items: [{ plaintext: 'QB-1111-2222-3333' }], deliveredAt: '2026-11-23T12:00:05+08:00' },
    buyer: { contact: '13800138000', contactType: 'phone', hasQueryPassword: true },
    queryPassword: '8888',
    verification: ['order_no', 'contact', 'query_password'],
  }),
  base({
    orderNo: 'HX2026112300007',
    status: 'delivered',
    productType: 'phone_topup',
    title: '移动话费 50元',
    paidAt: '2026-11-23T14:00:00+08:00',
    delivery: { kind: 'topup_receipt', account: '15600007777', faceValue: '50.00', finishedAt: '2026-11-23T14:05:00+08:00' },
  }),
  base({ orderNo: 'HX2026112300006', status: 'refunded', paidAt: '2026-11-22T12:00:00+08:00', updatedAt: '2026-11-22T13:00:00+08:00' }),
];

describe('a shop on the http contract (the example server)', () => {
  let shop: ExampleShop;
  let store: MemoryOrders;
  let app: App;
  let server: import('node:http').Server;
  let url = '';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-http-'));
  const log: AttemptLog = { retries: 0, serverErrors: 0, errors: [] };

  beforeAll(async () => {
    store = new MemoryOrders(ORDERS.map((o) => structuredClone(o)));
    // The shop checks signatures against real time: the bot signs with real time, whatever its shop clock.
    shop = await startExampleShop({ secret: SECRET, orders: store });
    const config = loadConfig({
      DATABASE_FILE: path.join(dir, 'bot.sqlite'),
      LOG_LEVEL: 'silent',
      ORDER_ADAPTER: 'http',
      SHOP_API_BASE: shop.url,
      SHOP_API_SECRET: SECRET,
      DIRECTLINE_SECRET: DL_SECRET,
    });
    app = await createApp({ config, clock: fixedClock(NOW) });
    server = await createServer(app);
    url = await serve(server);
  });
  afterAll(async () => {
    await shutdown(server);
    await app.close();
    await shop.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const texts = (c: DlClient) => [...c.seen.values()].filter((a) => a.from?.role !== 'user' && a.type === 'message').map((a) => a.text ?? '');

  it.each([
    ['HX2026112300001', 'not_paid'],
    ['HX2026112300002', 'sync_delay'],
    ['HX2026112300003', 'manual_review'],
    ['HX2026112300004', 'out_of_stock'],
    ['HX2026112300005', 'delivered'],
    ['HX2026112300006', 'refunded'],
  ])('%s → %s, and no secret in the answer', async (no, cause) => {
    const r = await say(app, `订单号 ${no}`, `b-${no}`);
    expect(r.outcome?.cause).toBe(cause);
    expect(r.outcome?.lookup).toMatchObject({ found: true });
    expect(r.text).toContain(no);
    expect(r.text).not.toMatch(/QB-1111|13800138000/);
  });

  it('a delivered top-up without an amount is not told as failed', async () => {
    const r = await say(app, 'HX2026112300007', 'b-topup');
    expect(r.outcome?.cause).toBe('delivered');
    expect(r.text).not.toContain('没有充上');
    expect(r.text).not.toContain('15600007777');
  });

  it('the code only after the contact and query password', async () => {
    const c = await DlClient.open(url, DL_SECRET, 'b-reveal', log);
    await c.post('HX2026112300005 卡密在哪看', 'r1');
    await c.pollUntil(() => texts(c).some((t) => /核对身份/.test(t)));
    await c.post('13800138000', 'r2');
    await c.pollUntil(() => texts(c).some((t) => /查询密码/.test(t)));
    expect(texts(c).join('\n')).not.toContain('QB-1111-2222-3333');
    await c.post('13800138000 密码8888', 'r3');
    await c.pollUntil(() => texts(c).some((t) => t.includes('QB-1111-2222-3333')));
  });

  it('notify-me: the shop’s signed event wakes the watch; the update arrives once', async () => {
    const c = await DlClient.open(url, DL_SECRET, 'b-notify', log);
    await c.post('HX2026112300003', 'n1');
    await c.pollUntil(() => texts(c).some((t) => t.includes('到了告诉我')));
    await c.post('到了告诉我', 'n2');
    await c.pollUntil(() => texts(c).some((t) => t.includes('一有变化我就在这里告诉你')));
    // The shop's review passes and it delivers; it tells the bot (signed with the shared secret).
    const o = (await store.byNumber('HX2026112300003'))!;
    Object.assign(o, {
      status: 'delivered',
      holdReasons: [],
      delivery: { kind: 'card_codes', items: [{ plaintext: 'QB-9999-8888-7777' }], deliveredAt: '2026-11-23T15:00:00+08:00' },
    });
    const forged = await fetch(`${url}/hooks/http/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderNos: ['HX2026112300003'] }),
    });
    expect(forged.status).toBe(401);
    const r = await notifyBot({ botUrl: url, secret: SECRET, orderNos: ['HX2026112300003'] });
    expect(r.status).toBe(200);
    await c.pollUntil(() => texts(c).some((t) => t.includes('你的订单有新进展')));
    const update = texts(c).find((t) => t.includes('你的订单有新进展'))!;
    expect(update).toContain('HX2026112300003');
    expect(update).not.toContain('QB-9999-8888-7777');
    await notifyBot({ botUrl: url, secret: SECRET, orderNos: ['HX2026112300003'] });
    await new Promise((res) => setTimeout(res, 300));
    expect(await app.notifier.tick()).toBe(0);
    expect((await c.fullLog()).filter((a) => (a.text ?? '').includes('你的订单有新进展'))).toHaveLength(1);
  });
});
