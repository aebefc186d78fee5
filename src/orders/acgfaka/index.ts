/**
 * The acg-faka (异次元发卡) adapter: its MySQL/MariaDB database, read-only, tables `{prefix}order`,
 * `{prefix}commodity` and `{prefix}card` (README: Connect your shop). Never `pay_config` (payment
 * keys) or `user` (balances).
 *
 * acg-faka sends no webhooks, so notify-me polls it. It stores no payment-gateway number: the only
 * other number is `request_no` (an API caller's id), which serves as the alternative number.
 */
import type { AdapterContext, ShopAdapter } from '../registry.js';
import { normalizeContact, sameSecret } from '../masking.js';
import type { UnifiedOrder } from '../model.js';
import type { CandidateQuery, OwnershipProof } from '../port.js';
import { ShopRowService } from '../mysql/rowService.js';
import type { AcgfakaSettings } from '../settings.js';
import { ShopDb, shopWallClock } from '../mysql/shopDb.js';
import type { Clock } from '../../time.js';
import { type AcgfakaMapOptions, type AcgfakaRow, acgfakaColumns, mapAcgfaka } from './map.js';

const TRADE_NO = /^\d{18}$/;

/** acg-faka ≤3.5.8 stored contacts and passwords HTML-escaped; the shop compares both forms, so do we. */
function legacyForms(typed: string): string[] {
  const escaped = typed.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#039;');
  return escaped === typed ? [typed] : [typed, escaped];
}

export class AcgfakaOrderService extends ShopRowService<AcgfakaRow> {
  private readonly columns: string;
  private readonly from: string;

  constructor(
    private readonly db: ShopDb,
    private readonly map: AcgfakaMapOptions,
    private readonly clock: Clock,
    prefix: string,
  ) {
    super();
    this.columns = acgfakaColumns(prefix);
    this.from = `FROM \`${prefix}order\` o LEFT JOIN \`${prefix}commodity\` c ON c.id = o.commodity_id`;
  }

  protected async row(orderNo: string): Promise<AcgfakaRow | undefined> {
    const no = orderNo.trim();
    if (!TRADE_NO.test(no)) return undefined;
    return (await this.db.rows<AcgfakaRow>(`SELECT ${this.columns} ${this.from} WHERE o.trade_no = ? LIMIT 1`, [no]))[0];
  }

  protected toOrder(row: AcgfakaRow): UnifiedOrder {
    return mapAcgfaka(row, this.map, this.clock.now());
  }

  async findByAltNo(altNo: string): Promise<UnifiedOrder | null> {
    const no = altNo.trim();
    if (!/^[A-Za-z0-9_-]{6,19}$/.test(no)) return null;
    const rows = await this.db.rows<AcgfakaRow>(`SELECT ${this.columns} ${this.from} WHERE o.request_no = ? LIMIT 1`, [no]);
    return rows[0] ? this.shown(rows[0]) : null;
  }

  /** A logged-in member's orders (owner), or a guest's by the contact typed at checkout. */
  async findCandidates(q: CandidateQuery): Promise<UnifiedOrder[]> {
    const limit = Math.min(Math.max(q.limit ?? 5, 1), 50);
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (q.userId && /^\d{1,10}$/.test(q.userId)) {
      where.push('o.owner = ?');
      params.push(Number(q.userId));
    } else {
      const typed = [q.contact, q.email].filter((x): x is string => !!x?.trim());
      if (typed.length === 0) return [];
      const forms = [...new Set(typed.flatMap((t) => [t.trim(), normalizeContact(t)]).flatMap(legacyForms))];
      where.push(`o.owner = 0 AND o.contact IN (${forms.map(() => '?').join(', ')})`);
      params.push(...forms);
    }
    if (q.paidFrom) {
      where.push('o.pay_time >= ?');
      params.push(shopWallClock(q.paidFrom, this.map.dbZone));
    }
    if (q.paidTo) {
      where.push('o.pay_time <= ?');
      params.push(shopWallClock(q.paidTo, this.map.dbZone));
    }
    const fetch = q.productType ? limit * 4 : limit;
    const rows = await this.db.rows<AcgfakaRow>(
      `SELECT ${this.columns} ${this.from} WHERE ${where.join(' AND ')} ORDER BY o.pay_time DESC, o.create_time DESC LIMIT ${fetch}`,
      params,
    );
    return this.candidates(rows, q.productType, limit);
  }

  protected proves(row: AcgfakaRow, proof: OwnershipProof): boolean {
    if (proof.staff?.agentId && proof.staff.reason) return true;
    if (Number(row.owner) > 0) {
      // Members: the shop's login is the proof (their stored contact is random filler).
      if (proof.userId !== String(row.owner)) return false;
    } else {
      const stored = (row.contact ?? '').trim();
      const typed = [proof.contact, proof.email].filter((x): x is string => !!x?.trim());
      const ok = !!stored && typed.some((t) => t.trim().length >= 5 && (normalizeContact(t) === normalizeContact(stored) || legacyForms(t.trim()).includes(stored)));
      if (!ok) return false;
    }
    if (row.password) return !!proof.queryPassword && legacyForms(proof.queryPassword.trim()).some((p) => sameSecret(p, row.password!));
    return true;
  }
}

export async function openAcgfaka(ctx: AdapterContext, s: AcgfakaSettings & { SHOP_DATABASE_TIMEZONE: string }): Promise<ShopAdapter> {
  const db = new ShopDb('acgfaka', s, ctx.logger);
  const p = s.SHOP_TABLE_PREFIX;
  const service = new AcgfakaOrderService(
    db,
    { dbZone: s.SHOP_DATABASE_TIMEZONE, shopZone: ctx.config.timeZone, productTypes: s.SHOP_PRODUCT_TYPES, paymentWindowMin: s.SHOP_PAYMENT_WINDOW_MIN },
    ctx.clock,
    p,
  );
  void db.probe([`${p}order`, `${p}commodity`, `${p}card`]);
  return { name: 'acgfaka', service, pushesChanges: false, close: () => db.close() };
}
