/**
 * The acg-faka adapter on a real MariaDB loaded with acg-faka's own table definitions (prefix
 * replaced) and a row for every line of the §4.4 mapping, read through a SELECT-only account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ShopUnavailableError } from '../../src/orders/errors.js';
import type { OrderService } from '../../src/orders/port.js';
import { createShopDatabase, mariadbForTests, type ShopDatabase, shopFixture } from '../support/mariadb.js';
import { makeApp, say } from '../helpers.js';

const maria = mariadbForTests();
const TYPES = 'group:1=game_card,group:2=phone_topup,group:3=physical_card';
// The README's grant: orders and products, and of the cards only which order each went to (unsold codes stay unreadable).
const tables = (p: string) => [`${p}order`, `${p}commodity`, `${p}card(order_id)`];

describe.skipIf(maria.skip)('acg-faka adapter (MariaDB)', () => {
  let db: ShopDatabase;
  let app: App;
  let orders: OrderService;

  beforeAll(async () => {
    db = await createShopDatabase(maria.url(), shopFixture('acgfaka.sql', 'acg_') + shopFixture('acgfaka-orders.sql', 'acg_'), tables('acg_'));
    app = await makeApp({ env: { ORDER_ADAPTER: 'acgfaka', SHOP_DATABASE_URL: db.url, SHOP_PRODUCT_TYPES: TYPES } });
    orders = app.orders;
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it.each([
    ['512261123145000347', 'awaiting_payment', [], 'not_paid'],
    ['118261123080000905', 'expired', [], 'expired_or_canceled'],
    ['733261123100500266', 'on_hold', ['out_of_stock'], 'out_of_stock'],
    ['290261123103000481', 'delivered', [], 'delivered'],
    ['604261123144000152', 'paid', [], 'sync_delay'],
    ['845261123113000733', 'on_hold', ['manual_review'], 'manual_review'],
    ['377261122150000619', 'delivered', [], 'delivered'],
    ['456261123144500777', 'processing', ['upstream_pending'], 'upstream_pending'],
    ['612261123120000118', 'delivered', [], 'delivered'],
    ['713261123121500229', 'on_hold', ['out_of_stock'], 'out_of_stock'],
  ])('maps %s to %s %j, and a buyer asking gets %s', async (no, status, holds, cause) => {
    const o = await orders.findByOrderNo(no);
    expect(o?.status).toBe(status);
    expect(o?.holdReasons).toEqual(holds);
    const r = await say(app, `订单号 ${no}`, `af-${no}`);
    expect(r.outcome?.cause).toBe(cause);
    expect(r.text).not.toMatch(/TXV-[A-Z]{4}-\d{4}|13800138000|nf@example\.net|Nf-9988/);
  });

  it('a parcel: the courier number the operator wrote, with the phone tail for privacy waybills', async () => {
    const o = (await orders.findByOrderNo('915261122100000441'))!;
    expect(o.productType).toBe('physical_card');
    expect(o.status).toBe('shipped');
    expect(o.delivery).toMatchObject({ kind: 'tracking_number', trackingNo: 'SF1234567890123', carrierCode: 'shunfeng', phoneTail: '5678' });
    expect(JSON.stringify(o)).not.toContain('13712345678');
  });

  it('derives expiry honestly: the event says it is ours, not the shop’s', async () => {
    const o = (await orders.findByOrderNo('118261123080000905'))!;
    expect(o.timeline.find((e) => e.type === 'expired')).toMatchObject({ source: 'adapter', synthetic: true });
    expect(Date.parse(o.timeline.find((e) => e.type === 'expired')!.at)).toBe(Date.parse('2026-11-23T08:30:00+08:00'));
    expect(o.createdAt).toBe('2026-11-23T08:00:00+08:00');
  });

  it('pay_time is the exact payment time; the request number is the alternative number', async () => {
    const o = (await orders.findByOrderNo('290261123103000481'))!;
    expect(o.paidAt).toBe('2026-11-23T10:30:35+08:00');
    expect(o.paidAtPrecision).toBeUndefined();
    expect((await orders.findByAltNo('API20261123000001'))?.orderNo).toBe('290261123103000481');
    expect(await orders.findByOrderNo('29026112310300048')).toBeNull();
  });

  it('a manual top-up shows its account masked and the shop’s waiting text as the notice', async () => {
    const o = (await orders.findByOrderNo('604261123144000152'))!;
    expect(o.productType).toBe('phone_topup');
    expect(o.fulfillmentMode).toBe('manual');
    expect(o.delivery).toMatchObject({ kind: 'topup_receipt' });
    expect(JSON.stringify(o)).not.toContain('123456789');
  });

  it('guests prove by contact (and password); members only by the shop login', async () => {
    expect(await orders.revealDelivery('290261123103000481', { contact: '10004' })).toBeNull();
    expect(await orders.revealDelivery('290261123103000481', { contact: '123456789' })).toMatchObject({
      kind: 'card_codes',
      items: [{ plaintext: 'TXV-AAAA-1111-ZZZZ' }, { plaintext: 'TXV-BBBB-2222-YYYY' }],
    });
    // The order with a query password needs it.
    expect(await orders.verifyOwnership('733261123100500266', { contact: '10003' })).toBe(false);
    expect(await orders.verifyOwnership('733261123100500266', { contact: '10003', queryPassword: '6666' })).toBe(true);
    // A member's stored contact is the shop's random filler: it proves nothing.
    expect(await orders.verifyOwnership('921261123090000408', { contact: 'Xk3P9aQ2vL7mN0bR', queryPassword: 'abc&def' })).toBe(false);
    expect(await orders.verifyOwnership('921261123090000408', { userId: '41', queryPassword: 'abc&def' })).toBe(false);
    expect(await orders.verifyOwnership('921261123090000408', { userId: '42', queryPassword: 'abc&def' })).toBe(true);
    // An order from before 3.5.9 keeps its password HTML-escaped; the typed one still matches.
    expect(await orders.verifyOwnership('814261123123000330', { contact: '10012', queryPassword: 'p&q' })).toBe(true);
    // A multi-line card stays one item.
    expect(await orders.revealDelivery('612261123120000118', { email: 'nf@example.net' })).toMatchObject({ items: [{ plaintext: '账号: nf@example.net\n密码: Nf-9988-x' }] });
  });

  it('the README grant reads no unsold card and writes nothing', async () => {
    const mysql = (await import('mysql2/promise')).default;
    const c = await mysql.createConnection(db.url);
    await expect(c.query('SELECT secret FROM acg_card')).rejects.toThrow(/denied/i);
    await expect(c.query('UPDATE acg_order SET status = 1 WHERE id = 1')).rejects.toThrow(/denied/i);
    await c.end();
  });

  it('in a conversation: the code only for the contact and query password; guesses lock', async () => {
    const conv = 'af-guess';
    await say(app, '290261123103000481 卡密在哪看', conv);
    const said: string[] = [];
    for (let i = 0; i < 6; i++) said.push((await say(app, `1380013800${i}`, conv)).text);
    expect(said.join('\n')).toMatch(/锁定/);
    expect(said.join('\n')).not.toContain('TXV-AAAA-1111-ZZZZ');
    // Locked: the right contact now is refused too.
    await say(app, '查看卡密', conv);
    expect((await say(app, '123456789', conv)).text).not.toContain('TXV-AAAA-1111-ZZZZ');
    await say(app, '290261123103000481 查看卡密', 'af-owner');
    const owner = await say(app, '123456789', 'af-owner');
    expect(owner.text).toContain('TXV-AAAA-1111-ZZZZ');
  });

  it('close matches and candidates come only from the buyer’s own orders', async () => {
    expect((await orders.findCandidates({ userId: '42' })).map((o) => o.orderNo)).toEqual(['921261123090000408']);
    expect((await orders.findCandidates({ contact: '13800138000' })).map((o) => o.orderNo)).toEqual(['604261123144000152']);
    // The member's filler contact finds nothing.
    expect(await orders.findCandidates({ contact: 'Xk3P9aQ2vL7mN0bR' })).toEqual([]);
    const window = await orders.findCandidates({ contact: '123456789', paidFrom: new Date('2026-11-23T10:00:00+08:00'), paidTo: new Date('2026-11-23T11:00:00+08:00') });
    expect(window.map((o) => o.orderNo)).toEqual(['290261123103000481']);
  });
});

describe.skipIf(maria.skip)('acg-faka table prefix', () => {
  it('reads a shop installed with another prefix; refuses a prefix that is not an identifier', async () => {
    const db = await createShopDatabase(maria.url(), shopFixture('acgfaka.sql', 'fk_') + shopFixture('acgfaka-orders.sql', 'fk_'), tables('fk_'));
    const app = await makeApp({ env: { ORDER_ADAPTER: 'acgfaka', SHOP_DATABASE_URL: db.url, SHOP_TABLE_PREFIX: 'fk_' } });
    try {
      expect((await app.orders.findByOrderNo('290261123103000481'))?.status).toBe('delivered');
      // The default prefix does not exist there: unavailable (and logged for the owner), not "not found".
      const wrong = await makeApp({ env: { ORDER_ADAPTER: 'acgfaka', SHOP_DATABASE_URL: db.url } });
      await expect(wrong.orders.findByOrderNo('290261123103000481')).rejects.toBeInstanceOf(ShopUnavailableError);
      await wrong.close();
    } finally {
      await app.close();
      await db.drop();
    }
    expect(() => loadConfig({ ORDER_ADAPTER: 'acgfaka', SHOP_DATABASE_URL: 'mysql://u:p@h/db', SHOP_TABLE_PREFIX: 'acg`; DROP' })).toThrow(/SHOP_TABLE_PREFIX/);
    expect(() => loadConfig({ ORDER_ADAPTER: 'acgfaka' })).toThrow(/SHOP_DATABASE_URL is required with ORDER_ADAPTER=acgfaka/);
  });
});
