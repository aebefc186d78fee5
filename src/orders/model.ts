/**
 * The unified order model (DESIGN §3, reference/shop-systems.md §4.3) as zod schemas.
 * Adapters map their shop's records into this; everything downstream reads only this.
 */
import { z } from 'zod';

export const ORDER_STATUSES = [
  'awaiting_payment',
  'expired',
  'canceled',
  'paid',
  'processing',
  'shipped',
  'partially_delivered',
  'delivered',
  'completed',
  'on_hold',
  'failed',
  'partially_refunded',
  'refunded',
] as const;
export const OrderStatus = z.enum(ORDER_STATUSES);
export type OrderStatus = z.infer<typeof OrderStatus>;

export const HOLD_REASONS = [
  'manual_review',
  'risk_control',
  'upstream_pending',
  'upstream_failed',
  'out_of_stock',
  'logistics_api_error',
  'logistics_exception',
  'payment_mismatch',
] as const;
export const HoldReason = z.enum(HOLD_REASONS);
export type HoldReason = z.infer<typeof HoldReason>;

export const PRODUCT_TYPES = ['game_card', 'phone_topup', 'software_license', 'physical_card', 'other'] as const;
export const ProductType = z.enum(PRODUCT_TYPES);
export type ProductType = z.infer<typeof ProductType>;

export const DELIVERY_KINDS = ['card_codes', 'license_key', 'topup_receipt', 'tracking_number'] as const;
export type DeliveryKind = (typeof DELIVERY_KINDS)[number];

/** An ISO 8601 instant with an offset or Z. */
export const Instant = z.string().refine((s) => /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)), {
  message: 'expected an ISO 8601 time with an offset, e.g. 2026-11-23T15:00:00+08:00',
});

export const SecretItem = z.object({
  masked: z.string().optional(),
  /** What the shop holds. Never shown unless the buyer proved ownership. */
  plaintext: z.string().optional(),
});
export type SecretItem = z.infer<typeof SecretItem>;

const CodeDelivery = z.object({
  kind: z.enum(['card_codes', 'license_key']),
  items: z.array(SecretItem).default([]),
  expected: z.number().int().nonnegative().optional(),
  deliveredAt: Instant.optional(),
});
const TopupDelivery = z.object({
  kind: z.literal('topup_receipt'),
  /** The account topped up (phone number, game id); masked when shown. */
  account: z.string().optional(),
  faceValue: z.string().optional(),
  chargedAmount: z.string().optional(),
  upstream: z.object({ provider: z.string(), orderNo: z.string().optional(), state: z.string() }).optional(),
  voucherUrl: z.string().optional(),
  submittedAt: Instant.optional(),
  finishedAt: Instant.optional(),
});
const TrackingDelivery = z.object({
  kind: z.literal('tracking_number'),
  carrierCode: z.string().default('unknown'),
  carrierName: z.string().optional(),
  trackingNo: z.string(),
  /** Last four digits of the receiver's phone: privacy waybills (SF, ZTO…) are tracked only with them. */
  phoneTail: z
    .string()
    .regex(/^\d{4}$/)
    .optional(),
  carrierState: z.string().optional(),
  signed: z.boolean().default(false),
  shippedAt: Instant.optional(),
  lastEvent: z.object({ at: Instant, text: z.string() }).optional(),
  lastCheckedAt: Instant.optional(),
});
export const Delivery = z.discriminatedUnion('kind', [CodeDelivery, TopupDelivery, TrackingDelivery]);
export type Delivery = z.infer<typeof Delivery>;

export const TimelineEvent = z.object({
  at: Instant,
  type: z.enum([
    'created',
    'paid',
    'fulfillment_started',
    'delivered',
    'shipped',
    'carrier_update',
    'upstream_update',
    'hold',
    'failed',
    'refunded',
    'expired',
    'canceled',
    'note',
  ]),
  source: z.enum(['shop', 'payment', 'upstream', 'carrier', 'operator', 'adapter']).default('shop'),
  text: z.string().optional(),
  synthetic: z.boolean().optional(),
});
export type TimelineEvent = z.infer<typeof TimelineEvent>;

export const Buyer = z.object({
  /** The shop account id of a logged-in buyer, when the order was placed while logged in. */
  userId: z.string().optional(),
  email: z.string().optional(),
  contact: z.string().optional(),
  contactType: z.enum(['email', 'phone', 'qq', 'other']).optional(),
  hasQueryPassword: z.boolean().default(false),
});
export type Buyer = z.infer<typeof Buyer>;

export const UnifiedOrder = z.object({
  orderNo: z.string().min(1),
  altNos: z.array(z.string()).default([]),
  source: z.object({ system: z.string(), raw: z.record(z.string(), z.unknown()).default({}) }).default({ system: 'demo', raw: {} }),
  status: OrderStatus,
  holdReasons: z.array(HoldReason).default([]),
  productType: ProductType.default('other'),
  fulfillmentMode: z.enum(['auto', 'manual', 'upstream']).optional(),
  title: z.string().default(''),
  quantity: z.number().int().positive().default(1),
  /** Decimal string in yuan; never a float. */
  amount: z
    .string()
    .regex(/^\d+(\.\d{1,2})?$/)
    .default('0.00'),
  currency: z.string().default('CNY'),
  createdAt: Instant,
  paidAt: Instant.optional(),
  /**
   * How exact `paidAt` is. `upper_bound`: the shop records no payment time, and `paidAt` is the
   * latest it can have been (dujiaoka: the row's update time); replies say "不晚于".
   */
  paidAtPrecision: z.enum(['exact', 'upper_bound']).optional(),
  expiresAt: Instant.optional(),
  updatedAt: Instant.optional(),
  timeline: z.array(TimelineEvent).default([]),
  delivery: Delivery.optional(),
  shopNotice: z.string().optional(),
  /**
   * The product's own delivery promise, minutes from payment ("72小时内到账" = 4320), as the shop's
   * product settings state it. Without it, a window stated in the title or notice is read
   * (orders/promise.ts); policy windows are the defaults when a product states none.
   */
  promisedWithinMin: z.number().int().positive().optional(),
  buyer: Buyer.default({ hasQueryPassword: false }),
  verification: z.array(z.enum(['order_no', 'email', 'contact', 'query_password', 'account'])).default(['order_no', 'contact', 'email']),
});
export type UnifiedOrder = z.infer<typeof UnifiedOrder>;
/** What an adapter or a scenario file may hand in: defaults are filled by the schema. */
export type UnifiedOrderInput = z.input<typeof UnifiedOrder>;

/** Virtual goods are delivered as codes, keys or top-ups, never by courier. */
export function isVirtual(productType: ProductType): boolean {
  return productType !== 'physical_card';
}
