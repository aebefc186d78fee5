/**
 * The wire shapes of the `http` shop contract (docs/shop-api.openapi.json): what the bot sends and
 * what it accepts back. Orders and deliveries are the unified model's own schemas (model.ts), so
 * an answer the model would not accept is refused as a whole (ShopUnavailableError bad_response).
 */
import { z } from 'zod';
import { Delivery, UnifiedOrder } from '../model.js';

export const OPERATIONS = {
  byNumber: '/orders/by-number',
  byAltNumber: '/orders/by-alt-number',
  candidates: '/orders/candidates',
  verify: '/orders/verify',
  reveal: '/orders/reveal',
} as const;
export type Operation = keyof typeof OPERATIONS;

/** Most orders one candidates call asks for (the contract's `limit` maximum). */
export const MAX_CANDIDATES = 50;

/** An order as a shop sends it: without `source`, it is the `http` system's (not the schema's `demo` default). */
const ShopOrder = z.preprocess((v) => (v && typeof v === 'object' && !Array.isArray(v) && !('source' in v) ? { ...v, source: { system: 'http' } } : v), UnifiedOrder);

export const OrderAnswer = z.object({ order: ShopOrder.nullable() });
export const OrdersAnswer = z.object({ orders: z.array(ShopOrder) });
export const VerifyAnswer = z.object({ verified: z.boolean() });
export const RevealAnswer = z.object({ delivery: Delivery.nullable() });

export const ErrorAnswer = z.object({ error: z.object({ code: z.string(), message: z.string().optional() }) });

/** The proof as sent to the shop: the buyer's factors, or a signed-in agent's reveal. */
export interface WireProof {
  userId?: string;
  contact?: string;
  email?: string;
  queryPassword?: string;
  staff?: { agentId: string; reason: string };
}

export interface WireCandidateQuery {
  userId?: string;
  contact?: string;
  email?: string;
  paidFrom?: string;
  paidTo?: string;
  productType?: string;
  limit: number;
}

/** The body of an event the shop posts to /hooks/http/events. */
export const EventBody = z.union([z.object({ orderNo: z.string().trim().min(1).max(128) }), z.object({ orderNos: z.array(z.string().trim().min(1).max(128)).min(1).max(100) })]);
export type EventBody = z.infer<typeof EventBody>;
