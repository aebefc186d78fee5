import { describe, expect, it } from 'vitest';
import { DemoOrderService, DEMO_QUERY_PASSWORD } from '../../src/orders/demo/demoOrderService.js';
import { demoOrders, syntheticOrders } from '../../src/orders/demo/seedOrders.js';
import { maskContact, maskSecret } from '../../src/orders/masking.js';
import { DELIVERY_KINDS, HOLD_REASONS, ORDER_STATUSES, PRODUCT_TYPES, UnifiedOrder } from '../../src/orders/model.js';
import pino from 'pino';
import { openStore } from '../../src/storage/index.js';

const now = new Date('2026-11-23T15:00:00+08:00');
const seed = demoOrders(now);
const parsed = seed.map((o) => UnifiedOrder.parse(o));

async function service() {
  const store = await openStore({ databaseFile: ':memory:', logger: pino({ level: 'silent' }) });
  const s = new DemoOrderService(store.repos.demoOrders);
  await s.upsert(seed);
  return s;
}

describe('demo shop seed', () => {
  it('has at least 40 valid orders covering every status, hold reason, product type and delivery kind', () => {
    expect(parsed.length).toBeGreaterThanOrEqual(40);
    for (const st of ORDER_STATUSES)
      expect(
        parsed.some((o) => o.status === st),
        st,
      ).toBe(true);
    for (const r of HOLD_REASONS)
      expect(
        parsed.some((o) => o.holdReasons.includes(r)),
        r,
      ).toBe(true);
    for (const t of PRODUCT_TYPES)
      expect(
        parsed.some((o) => o.productType === t),
        t,
      ).toBe(true);
    for (const k of DELIVERY_KINDS)
      expect(
        parsed.some((o) => o.delivery?.kind === k),
        k,
      ).toBe(true);
  });

  it('uses the real number formats and unique numbers', () => {
    const nos = parsed.map((o) => o.orderNo);
    expect(new Set(nos).size).toBe(nos.length);
    expect(nos.some((n) => /^[A-Z0-9]{16}$/.test(n))).toBe(true);
    expect(nos.some((n) => /^\d{18}$/.test(n))).toBe(true);
    expect(nos.some((n) => /^DJ\d{14}[A-Z]{4}$/.test(n))).toBe(true);
    const alts = parsed.flatMap((o) => o.altNos);
    expect(new Set(alts).size).toBe(alts.length);
    expect(alts.some((a) => /^4200\d{24}$/.test(a))).toBe(true);
    expect(alts.some((a) => /^\d{8}2200\d{16}$/.test(a))).toBe(true);
  });

  it('generates synthetic orders for benchmarks without collisions', () => {
    const many = syntheticOrders(2000, now, 7);
    const nos = new Set([...many.map((o) => o.orderNo), ...parsed.map((o) => o.orderNo)]);
    expect(nos.size).toBe(2000 + parsed.length);
  });
});

describe('demo order adapter', () => {
  const withCodes = parsed.find((o) => o.delivery?.kind === 'card_codes' && o.delivery.items.some((i) => i.plaintext) && !o.buyer.hasQueryPassword && o.buyer.contact)!;

  it('never returns plaintext secrets from lookups', async () => {
    const s = await service();
    for (const o of parsed) {
      const found = await s.findByOrderNo(o.orderNo);
      expect(JSON.stringify(found)).not.toMatch(/plaintext/);
      for (const item of o.delivery && 'items' in o.delivery ? o.delivery.items : []) if (item.plaintext) expect(JSON.stringify(found)).not.toContain(item.plaintext);
    }
  });

  it('finds by alternative number, case-insensitively by order number', async () => {
    const s = await service();
    const o = parsed.find((x) => x.altNos.length > 0)!;
    expect((await s.findByAltNo(o.altNos[0]!))?.orderNo).toBe(o.orderNo);
    expect((await s.findByOrderNo(o.orderNo.toLowerCase()))?.orderNo).toBe(o.orderNo);
    expect(await s.findByOrderNo("' OR 1=1 --")).toBeNull();
  });

  it('reveals only with a second factor', async () => {
    const s = await service();
    expect(await s.revealDelivery(withCodes.orderNo, {})).toBeNull();
    expect(await s.revealDelivery(withCodes.orderNo, { contact: '13000000000' })).toBeNull();
    expect(await s.revealDelivery(withCodes.orderNo, { userId: 'someone-else' })).toBeNull();
    const d = await s.revealDelivery(withCodes.orderNo, { contact: withCodes.buyer.contact });
    expect(d && 'items' in d && d.items[0]?.plaintext).toBeTruthy();
  });

  it('requires the query password when the order has one', async () => {
    const s = await service();
    const o = parsed.find((x) => x.buyer.hasQueryPassword && (x.buyer.contact || x.buyer.email))!;
    const contact = o.buyer.contact ?? o.buyer.email!;
    expect(await s.verifyOwnership(o.orderNo, { contact })).toBe(false);
    expect(await s.verifyOwnership(o.orderNo, { contact, queryPassword: 'wrong' })).toBe(false);
    expect(await s.verifyOwnership(o.orderNo, { contact, queryPassword: DEMO_QUERY_PASSWORD })).toBe(true);
  });

  it('lists candidates only for a known buyer', async () => {
    const s = await service();
    expect(await s.findCandidates({})).toEqual([]);
    const o = parsed.find((x) => x.buyer.userId && x.paidAt)!;
    const mine = await s.findCandidates({ userId: o.buyer.userId, limit: 50 });
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((m) => m.buyer.userId === o.buyer.userId)).toBe(true);
  });

  it('masks secrets and contacts', () => {
    expect(maskSecret('QB10-8842-5519-7Z3K')).toBe('QB10****7Z3K');
    expect(maskContact('13812345678')).toBe('138****5678');
    expect(maskContact('buyer@example.com')).toBe('bu***@example.com');
  });
});
