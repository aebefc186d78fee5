/**
 * What Dujiao-Next's buyer API sends (docs/en/api/frontend-api.md §1.3, §2.9–2.11 of
 * dujiao-next/document), checked leniently: fields the mapping needs are typed, everything else may
 * be missing or null. A body that does not fit is the shop answering garbage (`bad_response`), never
 * "not found".
 */
import { z } from 'zod';

/** Money is a decimal string ("99.00"); a number is accepted and kept as its decimal text. */
const Money = z.union([z.string(), z.number()]).transform((v) => String(v));

/** A localized text (`{"zh-CN": "…", "en-US": "…"}`) or, defensively, a plain string. */
const Localized = z.union([z.string(), z.record(z.string(), z.unknown())]);

export const DnFulfillment = z.object({
  /** auto | manual */
  type: z.string().nullish(),
  /** pending | delivered */
  status: z.string().nullish(),
  /** Text content, codes one per line; truncated to a preview in order details. */
  payload: z.string().nullish(),
  /** How many lines the full payload has (more than `payload` shows when truncated). */
  payload_line_count: z.number().int().nonnegative().nullish(),
  /** The shop's LogisticsJSON: free-form, undocumented keys (tracking number, carrier, …). */
  delivery_data: z.unknown().optional(),
  delivered_at: z.string().nullish(),
});
export type DnFulfillment = z.infer<typeof DnFulfillment>;

export const DnItem = z.object({
  title: Localized.nullish(),
  sku_snapshot: z.unknown().optional(),
  unit_price: Money.nullish(),
  quantity: z.number().int().nonnegative().nullish(),
  total_price: Money.nullish(),
  /** auto | manual | upstream */
  fulfillment_type: z.string().nullish(),
  manual_form_schema_snapshot: z.unknown().optional(),
  /** The buyer's form at checkout (top-up account, receiver name/phone/address). */
  manual_form_submission: z.unknown().optional(),
});
export type DnItem = z.infer<typeof DnItem>;

const orderFields = {
  order_no: z.string().min(1),
  status: z.string(),
  currency: z.string().nullish(),
  total_amount: Money.nullish(),
  refunded_amount: Money.nullish(),
  expires_at: z.string().nullish(),
  paid_at: z.string().nullish(),
  canceled_at: z.string().nullish(),
  created_at: z.string().nullish(),
  items: z.array(DnItem).nullish(),
  fulfillment: DnFulfillment.nullish(),
};

export const DnChildOrder = z.object(orderFields);
export type DnChildOrder = z.infer<typeof DnChildOrder>;

export const DnOrder = z.object({
  ...orderFields,
  guest_email: z.string().nullish(),
  guest_locale: z.string().nullish(),
  children: z.array(DnChildOrder).nullish(),
});
export type DnOrder = z.infer<typeof DnOrder>;

/** `{"status_code":0,"msg":"success","data":…,"pagination":{…}}`; errors carry a non-zero code and `data.request_id`. */
export const DnEnvelope = z.object({
  status_code: z.number().int(),
  msg: z.string().nullish(),
  data: z.unknown().optional(),
  pagination: z.unknown().optional(),
});
export type DnEnvelope = z.infer<typeof DnEnvelope>;
