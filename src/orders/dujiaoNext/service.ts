/**
 * Dujiao-Next as an OrderService through its documented buyer API only (brief §4.1 mode A).
 *
 * The shop shows an order to nobody without the checkout e-mail AND the order password, so:
 * - `verifyOwnership` asks the shop's guest detail with them; a match caches the order (mapped and
 *   masked, about ten minutes, bounded) so that the conversation's next `findByOrderNo` answers;
 * - `findByOrderNo` answers only from that cache; otherwise it throws ProofRequiredError for a
 *   number this shop could have issued (null for one it could not);
 * - `revealDelivery` asks the shop again with the proof each time (plaintext is never cached),
 *   and fetches the full fulfilment text when the detail's preview was truncated;
 * - `findCandidates` is always empty: the guest list route needs the order password too, which a
 *   candidate query does not carry (a buyer's orders cannot be listed by e-mail alone);
 * - staff proofs cannot be honoured: the guest API knows no agents, and the admin API is not
 *   used (mode B). Verify says false and reveal null unless the e-mail and password are given too.
 *
 * Nothing of the proof is kept: the cache is keyed by order number (one order has one pair of
 * credentials, so a second proof could only find the same order), and proofs are never logged.
 * Notify-me polls with `refresh` and a proof the caller keeps (the shop pushes nothing for
 * buyers' orders).
 */
import type pino from 'pino';
import { ProofRequiredError, ShopUnavailableError } from '../errors.js';
import { maskOrder } from '../masking.js';
import type { Delivery, UnifiedOrder } from '../model.js';
import type { CandidateQuery, OrderService, OwnershipProof } from '../port.js';
import type { DujiaoNextClient, GuestCredentials } from './client.js';
import { type MapOptions, mapOrder, truncatedPayloads } from './mapping.js';
import type { DnOrder } from './wire.js';

export interface ServiceOptions {
  client: DujiaoNextClient;
  clock: { now(): Date };
  logger: pino.Logger;
  /** Mapping settings except the time (taken from the clock at each read). */
  mapping: Omit<MapOptions, 'now' | 'fullPayloads'>;
  /** SHOP_ORDER_NO_PATTERN. */
  orderNoPattern: RegExp;
  cacheTtlMs?: number;
  cacheMax?: number;
}

export const CACHE_TTL_MS = 10 * 60_000;
const CACHE_MAX = 2000;

interface Entry {
  order: UnifiedOrder;
  expiresAt: number;
}

/** Masked orders by number (and their children's numbers), expiring, oldest evicted first. */
class OrderCache {
  private readonly orders = new Map<string, Entry>();
  /** Child order number → parent order number. */
  private readonly children = new Map<string, string>();
  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}

  get(orderNo: string, now: number): UnifiedOrder | undefined {
    const e = this.orders.get(orderNo);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.delete(orderNo);
      return undefined;
    }
    return e.order;
  }

  parentOf(childNo: string, now: number): UnifiedOrder | undefined {
    const parent = this.children.get(childNo);
    if (!parent) return undefined;
    const order = this.get(parent, now);
    if (!order) this.children.delete(childNo);
    return order;
  }

  set(order: UnifiedOrder, now: number, alsoAs?: string): void {
    this.orders.delete(order.orderNo); // re-inserted last: the freshest survives eviction
    this.orders.set(order.orderNo, { order, expiresAt: now + this.ttlMs });
    for (const child of order.altNos) this.children.set(child, order.orderNo);
    if (alsoAs && alsoAs !== order.orderNo) this.children.set(alsoAs, order.orderNo);
    while (this.orders.size > this.max) this.delete(this.orders.keys().next().value!);
    while (this.children.size > this.max * 8) this.children.delete(this.children.keys().next().value!);
  }

  delete(orderNo: string): void {
    const e = this.orders.get(orderNo);
    this.orders.delete(orderNo);
    for (const child of e?.order.altNos ?? []) if (this.children.get(child) === orderNo) this.children.delete(child);
  }

  get size(): number {
    return this.orders.size;
  }
}

/** The e-mail and password of a proof, or undefined when either is missing. */
function credentialsOf(proof: OwnershipProof): GuestCredentials | undefined {
  const email = proof.email?.trim();
  const password = proof.queryPassword;
  if (!email || !password?.trim()) return undefined;
  return { email, password };
}

export class DujiaoNextOrderService implements OrderService {
  /** This shop answers nothing about an order before the buyer gave e-mail and order password. */
  readonly lookupNeedsProof = true;
  private readonly cache: OrderCache;

  constructor(private readonly opts: ServiceOptions) {
    this.cache = new OrderCache(opts.cacheTtlMs ?? CACHE_TTL_MS, opts.cacheMax ?? CACHE_MAX);
  }

  /** A number as this shop writes it (trimmed; upper case if that is what matches), or undefined if it cannot be one. */
  private canonical(orderNo: string): string | undefined {
    const no = orderNo.trim();
    if (!no || no.length > 64) return undefined;
    if (this.opts.orderNoPattern.test(no)) return no;
    const upper = no.toUpperCase();
    return this.opts.orderNoPattern.test(upper) ? upper : undefined;
  }

  /** The parent's number of a child number (`<parent>-NN`), if it is one. */
  private parentNo(no: string): string | undefined {
    const m = /^(.+)-\d{2}$/.exec(no);
    return m && this.opts.orderNoPattern.test(m[1]!) ? m[1] : undefined;
  }

  private now(): number {
    return this.opts.clock.now().getTime();
  }

  async findByOrderNo(orderNo: string): Promise<UnifiedOrder | null> {
    const no = this.canonical(orderNo);
    if (!no) return null;
    const cached = this.cache.get(no, this.now());
    if (cached) return cached;
    // A child of a verified parent: findByAltNo answers it with the parent.
    if (this.cache.parentOf(no, this.now())) return null;
    throw new ProofRequiredError(no, ['email', 'queryPassword']);
  }

  /** A child order number (…-NN) → its parent, once the parent was verified. The payment transaction number is in no buyer DTO. */
  async findByAltNo(altNo: string): Promise<UnifiedOrder | null> {
    const no = this.canonical(altNo);
    if (!no) return null;
    // The verified parent lists its children, so a number it does not list is none of them.
    return this.cache.parentOf(no, this.now()) ?? null;
  }

  /** Always empty: the shop lists a guest's orders only with the order password, which a candidate query does not carry. */
  async findCandidates(_query: CandidateQuery): Promise<UnifiedOrder[]> {
    return [];
  }

  async verifyOwnership(orderNo: string, proof: OwnershipProof): Promise<boolean> {
    return (await this.refresh(orderNo, proof)) !== null;
  }

  /**
   * Reads the order again with a proof the caller holds (notify-me's polling; a conversation that
   * wants a fresh status after the cache): the masked order, or null when the shop does not show
   * it for this proof (wrong number, wrong proof, or a proof without e-mail and password).
   * Throws ShopUnavailableError when the shop cannot answer.
   */
  async refresh(orderNo: string, proof: OwnershipProof): Promise<UnifiedOrder | null> {
    const no = this.canonical(orderNo);
    const creds = credentialsOf(proof);
    if (!no || !creds) return null;
    const raw = await this.guestOrder(no, creds);
    if (!raw) return null;
    return this.remember(no, raw).masked;
  }

  async revealDelivery(orderNo: string, proof: OwnershipProof): Promise<Delivery | null> {
    const no = this.canonical(orderNo);
    const creds = credentialsOf(proof);
    if (!no || !creds) return null;
    const raw = await this.guestOrder(no, creds);
    if (!raw) return null;
    const fullPayloads = new Map<string, string>();
    for (const partNo of truncatedPayloads(raw, this.opts.mapping.rules)) {
      const text = await this.opts.client.guestDownload(partNo, creds);
      // The detail just answered for these credentials: a download that says "not found" is the shop contradicting itself.
      if (text === null) throw new ShopUnavailableError('dujiao-next', 'bad_response', 'guest_download: no content for an order the detail showed');
      fullPayloads.set(partNo, text);
    }
    const { full } = this.remember(no, raw, fullPayloads);
    const d = full.delivery;
    if (!d) return null;
    if ((d.kind === 'card_codes' || d.kind === 'license_key') && !d.items.some((it) => it.plaintext)) return null;
    return d;
  }

  /**
   * The guest detail. Whether it resolves a child number is not known (brief §7), so a child
   * number the shop does not find is asked again as its parent (the proof is the parent's).
   */
  private async guestOrder(no: string, creds: GuestCredentials): Promise<DnOrder | null> {
    const raw = await this.opts.client.guestOrder(no, creds);
    if (raw) return raw;
    const parent = this.parentNo(no);
    return parent ? this.opts.client.guestOrder(parent, creds) : null;
  }

  /** Maps a fresh read, caches its masked form, returns both. */
  private remember(askedAs: string, raw: DnOrder, fullPayloads?: Map<string, string>): { full: UnifiedOrder; masked: UnifiedOrder } {
    // The shop may answer a child number with its parent; any other order is not the one asked for.
    const answers = raw.order_no === askedAs || this.parentNo(askedAs) === raw.order_no || (raw.children ?? []).some((c) => c.order_no === askedAs);
    if (!answers) throw new ShopUnavailableError('dujiao-next', 'bad_response', 'guest_order: the shop answered with another order');
    let full: UnifiedOrder;
    try {
      full = mapOrder(raw, { ...this.opts.mapping, now: this.opts.clock.now(), fullPayloads });
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error)?.message?.slice(0, 300) }, 'dujiao-next: order that does not map');
      throw new ShopUnavailableError('dujiao-next', 'bad_response', 'guest_order: an order the model cannot hold');
    }
    const masked = maskOrder(full);
    this.cache.set(masked, this.now(), askedAs);
    return { full, masked };
  }
}
