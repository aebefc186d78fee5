/**
 * The dujiaoka adapter on a real MariaDB loaded with dujiaoka's own table definitions and a row for
 * every line of the §4.4 mapping, read through a SELECT-only account (the README's grant).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { ShopUnavailableError } from '../../src/orders/errors.js';
import type { OrderService } from '../../src/orders/port.js';
import { createShopDatabase, mariadbForTests, type ShopDatabase, shopFixture } from '../support/mariadb.js';
import { makeApp, say } from '../helpers.js';

const maria = mariadbForTests();
const TYPES = 'group:1=game_card,group:2=phone_topup,group:3=physical_card';

describe.skipIf(maria.skip)('dujiaoka adapter (MariaDB)', () => {
  let db: ShopDatabase;
  let app: App;
  let orders: OrderService;
  const env = () => ({ ORDER_ADAPTER: 'dujiaoka', SHOP_DATABASE_URL: db.url, SHOP_PRODUCT_TYPES: TYPES, SHOP_HOOK_TOKEN: 'hook-token-0123456789' });

  beforeAll(async () => {
    db = await createShopDatabase(maria.url(), shopFixture('dujiaoka.sql') + shopFixture('dujiaoka-orders.sql'), ['orders', 'goods']);
    app = await makeApp({ env: env() });
    orders = app.orders;
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it.each([
    ['A1B2C3D4E5F6G7H8', 'awaiting_payment', []],
    ['EXP0EXP0EXP0EXP1', 'expired', []],
    ['MANUAL2PENDING01', 'paid', []],
    ['MANUAL3PROCESS01', 'processing', []],
    ['K7Q2M9X4TB8N1C5D', 'delivered', []],
    ['SHIP4DONE0000001', 'shipped', []],
    ['FAIL5FAIL5FAIL51', 'failed', []],
    ['OOS6OOS6OOS6OOS6', 'on_hold', ['out_of_stock']],
    ['ABN6ABN6ABN6ABN6', 'on_hold', ['manual_review']],
    ['ODDSTATUS0000007', 'on_hold', ['manual_review']],
    ['TOPUPDONE0000004', 'delivered', []],
  ])('maps %s to %s %j', async (no, status, holds) => {
    const o = await orders.findByOrderNo(no);
    expect(o?.status).toBe(status);
    expect(o?.holdReasons).toEqual(holds);
    expect(o?.source.system).toBe('dujiaoka');
  });

  it('reads wall-clock Shanghai times as Shanghai, whatever the process and server zones', async () => {
    expect(process.env.TZ).toBe('America/Los_Angeles');
    const o = (await orders.findByOrderNo('K7Q2M9X4TB8N1C5D'))!;
    expect(o.createdAt).toBe('2026-11-23T11:00:00+08:00');
    // No payment time is stored: the update time is the latest it can have been, and says so.
    expect(o.paidAt).toBe('2026-11-23T11:00:40+08:00');
    expect(o.paidAtPrecision).toBe('upper_bound');
    const unpaid = (await orders.findByOrderNo('A1B2C3D4E5F6G7H8'))!;
    expect(unpaid.paidAt).toBeUndefined();
    expect(Date.parse(unpaid.expiresAt!)).toBe(Date.parse('2026-11-23T15:03:00+08:00'));
  });

  it('shows codes masked, the trade number as an alternative number, and types products by the rules', async () => {
    const o = (await orders.findByOrderNo('k7q2m9x4tb8n1c5d'))!;
    expect(o.delivery).toMatchObject({ kind: 'card_codes', expected: 2 });
    const text = JSON.stringify(o);
    expect(text).not.toContain('STM-7QK2-9XAB-44LP');
    expect(text).not.toContain('buyer1@example.com');
    expect(text).not.toContain('8888');
    expect(o.buyer.hasQueryPassword).toBe(true);
    expect(o.altNos).toEqual(['2026112322001400003']);
    expect((await orders.findByAltNo('2026112322001400003'))?.orderNo).toBe('K7Q2M9X4TB8N1C5D');
    expect((await orders.findByOrderNo('MANUAL2PENDING01'))?.productType).toBe('phone_topup');
    expect((await orders.findByOrderNo('MANUAL2PENDING01'))?.delivery).toMatchObject({ kind: 'topup_receipt', account: '138****8000' });
    // The product's own promise comes through its notice.
    expect((await orders.findByOrderNo('MANUAL2PENDING01'))?.shopNotice).toContain('72小时内到账');
  });

  it('a courier number an operator pasted becomes the parcel, with the phone tail for privacy waybills', async () => {
    const o = (await orders.findByOrderNo('SHIP4DONE0000001'))!;
    expect(o.productType).toBe('physical_card');
    expect(o.delivery).toMatchObject({ kind: 'tracking_number', trackingNo: 'YT0000000001', carrierCode: 'yuantong', phoneTail: '5678', signed: false });
    expect(JSON.stringify(o)).not.toContain('13712345678');
  });

  it('reveals only for the checkout email and the query password; never deleted orders', async () => {
    expect(await orders.revealDelivery('K7Q2M9X4TB8N1C5D', { email: 'buyer1@example.com' })).toBeNull();
    expect(await orders.revealDelivery('K7Q2M9X4TB8N1C5D', { email: 'other@example.com', queryPassword: '8888' })).toBeNull();
    expect(await orders.verifyOwnership('K7Q2M9X4TB8N1C5D', { queryPassword: '8888' })).toBe(false);
    const d = await orders.revealDelivery('K7Q2M9X4TB8N1C5D', { email: ' Buyer1@Example.com ', queryPassword: '8888' });
    expect(d).toMatchObject({ kind: 'card_codes', items: [{ plaintext: 'STM-7QK2-9XAB-44LP' }, { plaintext: 'STM-1ZZQ-0C3M-8RRT' }] });
    expect(await orders.findByOrderNo('DELETED000000001')).toBeNull();
    expect(await orders.findByAltNo('2026112322001400008')).toBeNull();
    // A card that is itself two lines (account and password) stays one item.
    const nf = await orders.revealDelivery('NETFLIX000000001', { email: 'nf@example.com' });
    expect(nf).toMatchObject({ kind: 'card_codes', items: [{ plaintext: '账号: nf-user@example.com\n密码: Pa55-word-99' }] });
  });

  it('a gateway number two orders share leads to neither', async () => {
    expect(await orders.findByAltNo('SAMEGATEWAY00001')).toBeNull();
  });

  it('finds a buyer’s orders by email only, in a payment window', async () => {
    expect(await orders.findCandidates({ userId: 'u1' })).toEqual([]);
    const mine = await orders.findCandidates({ email: 'topup@example.com', paidFrom: new Date('2026-11-23T14:00:00+08:00'), paidTo: new Date('2026-11-23T15:00:00+08:00') });
    expect(mine.map((o) => o.orderNo)).toEqual(['MANUAL2PENDING01']);
    expect(await orders.findCandidates({ email: 'topup@example.com', paidFrom: new Date('2026-11-23T15:00:00+08:00'), paidTo: new Date('2026-11-23T16:00:00+08:00') })).toEqual([]);
  });

  it('the README grant is read-only: the bot’s account cannot write or read merchant keys', async () => {
    const mysql = (await import('mysql2/promise')).default;
    const c = await mysql.createConnection(db.url);
    await expect(c.query("UPDATE orders SET status = 4 WHERE order_sn = 'A1B2C3D4E5F6G7H8'")).rejects.toThrow(/denied/i);
    await expect(c.query('SELECT merchant_key FROM pays')).rejects.toThrow(/denied/i);
    await c.end();
  });

  it.each([
    ['A1B2C3D4E5F6G7H8', 'not_paid'],
    ['EXP0EXP0EXP0EXP1', 'expired_or_canceled'],
    ['MANUAL2PENDING01', 'sync_delay'],
    ['MANUAL3PROCESS01', 'sync_delay'],
    ['K7Q2M9X4TB8N1C5D', 'delivered'],
    ['SHIP4DONE0000001', 'logistics_pending'],
    ['FAIL5FAIL5FAIL51', 'upstream_failed'],
    ['OOS6OOS6OOS6OOS6', 'out_of_stock'],
    ['ABN6ABN6ABN6ABN6', 'manual_review'],
    ['TOPUPDONE0000004', 'delivered'],
  ])('a buyer asking about %s gets the cause %s', async (no, cause) => {
    const r = await say(app, `我的订单 ${no} 怎么样了`, `dk-${no}`);
    expect(r.outcome?.cause).toBe(cause);
    expect(r.text).toContain(no);
    expect(r.text).not.toMatch(/STM-7QK2|13800138000|@example\.com/);
  });

  it('an order with a query password: a contact alone is not checked (no attempt spent), the password is asked for', async () => {
    const conv = 'dk-pw';
    await say(app, 'K7Q2M9X4TB8N1C5D 查看卡密', conv);
    const r = await say(app, 'buyer1@example.com', conv);
    expect(r.text).toMatch(/查询密码/);
    expect(r.text).not.toMatch(/没对上|再试/);
    const wrong = await say(app, 'buyer1@example.com 密码1111', conv);
    expect(wrong.text).toMatch(/还可以再试 4 次.*查询密码/);
    const ok = await say(app, 'buyer1@example.com 密码8888', conv);
    expect(ok.text).toContain('STM-7QK2-9XAB-44LP');
  });

  it('a stranger guessing the email is locked out; the codes never appear', async () => {
    const conv = 'dk-guess';
    await say(app, 'K7Q2M9X4TB8N1C5D 卡密在哪看', conv);
    const said: string[] = [];
    for (let i = 0; i < 6; i++) said.push((await say(app, `guess${i}@example.com 密码8888`, conv)).text);
    expect(said.join('\n')).toMatch(/锁定/);
    expect(said.join('\n')).not.toContain('STM-7QK2-9XAB-44LP');
    await say(app, '查看卡密', conv);
    // Even the right answer now is refused until the lock ends.
    const right = await say(app, 'buyer1@example.com 密码8888', conv);
    expect(right.text).not.toContain('STM-7QK2-9XAB-44LP');
    // The owner in another conversation, with email and query password, sees them.
    await say(app, 'K7Q2M9X4TB8N1C5D 查看卡密', 'dk-owner');
    const owner = await say(app, 'buyer1@example.com 密码8888', 'dk-owner');
    expect(owner.text).toContain('STM-7QK2-9XAB-44LP');
  });

  it('says 不晚于 for a payment time the shop did not record exactly', async () => {
    const r = await say(app, 'MANUAL2PENDING01', 'dk-upper');
    expect(r.text).toMatch(/已支付（不晚于 今天14:31）/);
    expect(r.text).toMatch(/至少29分钟/);
  });

  it('the api_hook is taken as "read this order again", only on our secret path', async () => {
    const { createServer } = await import('../../src/server.js');
    const server = await createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const seen: string[] = [];
    const off = app.events.on((c) => void seen.push(`${c.source}:${c.orderNo}`));
    const post = (path: string, body: unknown) => fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // dujiaoka's payload (plaintext codes included): only the number is used.
    const hook = {
      title: 'Steam 充值卡 50元 x 2',
      order_sn: 'K7Q2M9X4TB8N1C5D',
      email: 'buyer1@example.com',
      actual_price: '100.00',
      order_info: 'STM-7QK2-9XAB-44LP',
      good_id: 1,
      gd_name: 'Steam 充值卡 50元',
    };
    expect((await post('/hooks/dujiaoka/wrong-token-000000000', hook)).status).toBe(404);
    expect((await post('/hooks/dujiaoka/hook-token-0123456789', { order_sn: 12 })).status).toBe(400);
    expect((await post('/hooks/dujiaoka/hook-token-0123456789', { order_sn: 'NOSUCHORDER00000' })).status).toBe(200);
    expect((await post('/hooks/dujiaoka/hook-token-0123456789', hook)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual(['dujiaoka_hook:K7Q2M9X4TB8N1C5D']);
    off();
    await new Promise((r) => server.close(r));
  });
});

describe.skipIf(maria.skip)('dujiaoka adapter faults', () => {
  it('a database that is down is "unavailable", never "not found", and the buyer is told honestly', async () => {
    const app = await makeApp({ env: { ORDER_ADAPTER: 'dujiaoka', SHOP_DATABASE_URL: 'mysql://bot:pw@127.0.0.1:9/shop', SHOP_QUERY_TIMEOUT_MS: '500' } });
    try {
      await expect(app.orders.findByOrderNo('K7Q2M9X4TB8N1C5D')).rejects.toBeInstanceOf(ShopUnavailableError);
      const r = await say(app, 'K7Q2M9X4TB8N1C5D', 'down-1');
      expect(r.text).toMatch(/系统查询暂时不可用/);
      expect(r.text).not.toMatch(/没有找到|查不到这个订单|不存在|未付款|已发货/);
      expect(r.outcome?.ticketId).toBeTruthy();
      const ticket = (await app.services.tickets.openFor({ channelId: 'test', conversationId: 'down-1' }, 'K7Q2M9X4TB8N1C5D'))!;
      expect(ticket?.orderNo).toBe('K7Q2M9X4TB8N1C5D');
      // Asking again in the same conversation keeps the one ticket.
      const again = await say(app, 'K7Q2M9X4TB8N1C5D', 'down-1');
      expect(again.outcome?.ticketId).toBe(r.outcome?.ticketId);
    } finally {
      await app.close();
    }
  });

  it('a query that takes too long is "unavailable" (a table locked by the shop)', async () => {
    const db = await createShopDatabase(maria.url(), shopFixture('dujiaoka.sql') + shopFixture('dujiaoka-orders.sql'), ['orders', 'goods']);
    const app = await makeApp({ env: { ORDER_ADAPTER: 'dujiaoka', SHOP_DATABASE_URL: db.url, SHOP_QUERY_TIMEOUT_MS: '300' } });
    try {
      await db.admin.query('LOCK TABLES orders WRITE');
      const err = await app.orders.findByOrderNo('K7Q2M9X4TB8N1C5D').catch((e) => e);
      expect(err).toBeInstanceOf(ShopUnavailableError);
      await db.admin.query('UNLOCK TABLES');
      expect((await app.orders.findByOrderNo('K7Q2M9X4TB8N1C5D'))?.status).toBe('delivered');
    } finally {
      await db.admin.query('UNLOCK TABLES').catch(() => undefined);
      await app.close();
      await db.drop();
    }
  });

  it('a grant missing a table is "unavailable" and logged for the owner', async () => {
    const db = await createShopDatabase(maria.url(), shopFixture('dujiaoka.sql') + shopFixture('dujiaoka-orders.sql'), ['orders']);
    const lines: string[] = [];
    const app = await makeApp({ env: { ORDER_ADAPTER: 'dujiaoka', SHOP_DATABASE_URL: db.url, LOG_LEVEL: 'warn' }, log: (l) => void lines.push(l) });
    try {
      await expect(app.orders.findByOrderNo('K7Q2M9X4TB8N1C5D')).rejects.toMatchObject({ reason: 'refused' });
      expect(lines.join('\n')).toMatch(/read-only grant/);
      expect(lines.join('\n')).not.toContain('K7Q2M9X4TB8N1C5D');
    } finally {
      await app.close();
      await db.drop();
    }
  });
});
