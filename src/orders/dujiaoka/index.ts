/**
 * The dujiaoka adapter (assimon/dujiaoka): its MySQL/MariaDB database, read-only. Tables: `orders`,
 * `goods` (the product's group is a column of goods; README: Connect your shop has the grant). Never `pays` (merchant keys) or
 * `carmis` (unsold codes; it has no order link anyway).
 *
 * Stricter than the shop: dujiaoka shows an order's codes to anyone holding its number; the bot shows
 * the status for the number, and the codes only for the checkout email (and the query password when
 * the order has one). Its `api_hook` POST (per product, after payment, unsigned, carrying the codes)
 * is taken only as "look at this order again": the body is never trusted, stored or logged.
 */
import express from 'express';
import type { AdapterContext, ShopAdapter } from '../registry.js';
import { normalizeContact, sameSecret } from '../masking.js';
import type { UnifiedOrder } from '../model.js';
import type { CandidateQuery, OwnershipProof } from '../port.js';
import { ShopRowService } from '../mysql/rowService.js';
import type { DujiaokaSettings } from '../settings.js';
import { ShopDb, shopWallClock } from '../mysql/shopDb.js';
import { DUJIAOKA_COLUMNS, type DujiaokaMapOptions, type DujiaokaRow, mapDujiaoka } from './map.js';

const ORDER_SN = /^[A-Za-z0-9]{6,64}$/;
const FROM = 'FROM `orders` o LEFT JOIN `goods` g ON g.id = o.goods_id';

export class DujiaokaOrderService extends ShopRowService<DujiaokaRow> {
  constructor(
    private readonly db: ShopDb,
    private readonly map: DujiaokaMapOptions,
  ) {
    super();
  }

  protected async row(orderNo: string): Promise<DujiaokaRow | undefined> {
    const no = orderNo.trim();
    if (!ORDER_SN.test(no)) return undefined;
    const rows = await this.db.rows<DujiaokaRow>(`SELECT ${DUJIAOKA_COLUMNS} ${FROM} WHERE o.order_sn = ? AND o.deleted_at IS NULL LIMIT 1`, [no]);
    return rows[0];
  }

  protected toOrder(row: DujiaokaRow): UnifiedOrder {
    return mapDujiaoka(row, this.map);
  }

  /** The payment gateway's number (trade_no). Unindexed in a stock dujiaoka: README suggests an index. */
  async findByAltNo(altNo: string): Promise<UnifiedOrder | null> {
    const no = altNo.trim();
    if (!/^[A-Za-z0-9_-]{6,64}$/.test(no)) return null;
    const rows = await this.db.rows<DujiaokaRow>(`SELECT ${DUJIAOKA_COLUMNS} ${FROM} WHERE o.trade_no = ? AND o.trade_no <> '' AND o.deleted_at IS NULL LIMIT 2`, [no]);
    // Two gateways may reuse a number: then it leads to no order rather than to someone else's.
    return rows.length === 1 ? this.shown(rows[0]!) : null;
  }

  /**
   * A buyer's orders by checkout email (dujiaoka has no buyer accounts). A payment window matches
   * orders whose payment can have fallen in it: created before its end, last updated after its start.
   */
  async findCandidates(q: CandidateQuery): Promise<UnifiedOrder[]> {
    const email = q.email ?? (q.contact?.includes('@') ? q.contact : undefined);
    if (!email) return [];
    const limit = Math.min(Math.max(q.limit ?? 5, 1), 50);
    const where = ['o.email = ?', 'o.deleted_at IS NULL'];
    const params: Array<string | number> = [email.trim()];
    if (q.paidFrom || q.paidTo) where.push('o.status IN (2,3,4,5,6)');
    if (q.paidTo) {
      where.push('o.created_at <= ?');
      params.push(shopWallClock(q.paidTo, this.map.dbZone));
    }
    if (q.paidFrom) {
      where.push('o.updated_at >= ?');
      params.push(shopWallClock(q.paidFrom, this.map.dbZone));
    }
    // The product type is ours, not the shop's: filter after mapping, from a few more rows.
    const fetch = q.productType ? limit * 4 : limit;
    const rows = await this.db.rows<DujiaokaRow>(`SELECT ${DUJIAOKA_COLUMNS} ${FROM} WHERE ${where.join(' AND ')} ORDER BY o.updated_at DESC, o.id DESC LIMIT ${fetch}`, params);
    return this.candidates(rows, q.productType, limit);
  }

  protected proves(row: DujiaokaRow, proof: OwnershipProof): boolean {
    if (proof.staff?.agentId && proof.staff.reason) return true;
    const typed = [proof.email, proof.contact].filter((x): x is string => !!x).map(normalizeContact);
    const email = normalizeContact(row.email ?? '');
    if (!email || !typed.some((t) => t.length >= 5 && t === email)) return false;
    if (row.search_pwd) return !!proof.queryPassword && sameSecret(proof.queryPassword.trim(), row.search_pwd);
    return true;
  }
}

/** POST /hooks/dujiaoka/<SHOP_HOOK_TOKEN>: dujiaoka's api_hook after a payment. Answers at once; re-reads the order. */
function hookRouter(ctx: AdapterContext, token: string, service: DujiaokaOrderService): express.Router {
  const router = express.Router();
  router.post('/dujiaoka/:token', express.json({ limit: '64kb' }), (req, res) => {
    if (!sameSecret(String(req.params.token), token)) {
      res.status(404).json({ error: 'not found' });
      return;
    }
    const orderSn = (req.body as { order_sn?: unknown } | undefined)?.order_sn;
    if (typeof orderSn !== 'string' || !ORDER_SN.test(orderSn)) {
      res.status(400).json({ error: 'order_sn missing' });
      return;
    }
    res.json({ ok: true });
    // Only an order that exists is announced (a forged hook costs one SELECT).
    service
      .findByOrderNo(orderSn)
      .then((o) => o && ctx.events.changed({ orderNo: o.orderNo, source: 'dujiaoka_hook' }))
      .catch((err) => ctx.logger.warn({ err }, 'dujiaoka hook: order could not be read'));
  });
  return router;
}

export async function openDujiaoka(ctx: AdapterContext, s: DujiaokaSettings & { SHOP_DATABASE_TIMEZONE: string }): Promise<ShopAdapter> {
  const db = new ShopDb('dujiaoka', s, ctx.logger);
  if (!['Asia/Shanghai', 'PRC', 'Asia/Chongqing', 'Asia/Harbin'].includes(s.SHOP_DATABASE_TIMEZONE))
    ctx.logger.warn({ zone: s.SHOP_DATABASE_TIMEZONE }, 'dujiaoka writes China time unless patched: check SHOP_DATABASE_TIMEZONE');
  const service = new DujiaokaOrderService(db, {
    dbZone: s.SHOP_DATABASE_TIMEZONE,
    shopZone: ctx.config.timeZone,
    productTypes: s.SHOP_PRODUCT_TYPES,
    paymentWindowMin: s.SHOP_PAYMENT_WINDOW_MIN,
  });
  void db.probe(['orders', 'goods']);
  return {
    name: 'dujiaoka',
    service,
    hooks: s.SHOP_HOOK_TOKEN ? hookRouter(ctx, s.SHOP_HOOK_TOKEN, service) : undefined,
    // The hook fires once after payment only (not for an operator's later changes): poll as well.
    pushesChanges: false,
    close: () => db.close(),
  };
}
