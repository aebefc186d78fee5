/** Masking of secrets and personal data. Used by adapters before anything leaves them. */
import { timingSafeEqual } from 'node:crypto';
import type { Delivery, UnifiedOrder } from './model.js';

export function maskSecret(secret: string): string {
  const s = secret.replace(/[\s-]/g, '');
  if (s.length >= 10) return `${s.slice(0, 4)}****${s.slice(-4)}`;
  if (s.length >= 5) return `${s.slice(0, 2)}****${s.slice(-2)}`;
  return '****';
}

export function maskContact(contact: string): string {
  const c = contact.trim();
  const at = c.indexOf('@');
  if (at > 0) return `${c.slice(0, Math.min(2, at))}***${c.slice(at)}`;
  if (/^\d{11}$/.test(c)) return `${c.slice(0, 3)}****${c.slice(-4)}`;
  if (c.length >= 6) return `${c.slice(0, 2)}****${c.slice(-2)}`;
  return '****';
}

/** Drop every plaintext secret; make sure each item has a masked form. */
export function maskDelivery(delivery: Delivery): Delivery {
  switch (delivery.kind) {
    case 'card_codes':
    case 'license_key':
      return {
        ...delivery,
        items: delivery.items.map((it) => ({ masked: it.masked ?? (it.plaintext ? maskSecret(it.plaintext) : '****') })),
      };
    case 'topup_receipt':
      return { ...delivery, account: delivery.account ? maskAccount(delivery.account) : undefined };
    case 'tracking_number':
      return delivery;
  }
}

function maskAccount(account: string): string {
  return account.includes('*') ? account : maskContact(account);
}

export function maskOrder(order: UnifiedOrder): UnifiedOrder {
  return {
    ...order,
    delivery: order.delivery ? maskDelivery(order.delivery) : undefined,
    buyer: {
      userId: order.buyer.userId,
      contactType: order.buyer.contactType,
      hasQueryPassword: order.buyer.hasQueryPassword,
      contact: order.buyer.contact ? maskContact(order.buyer.contact) : undefined,
      email: order.buyer.email ? maskContact(order.buyer.email) : undefined,
    },
    source: { system: order.source.system, raw: {} },
  };
}

/**
 * The order as someone who has not proved ownership may see it: the numbers that unlock it (order
 * number, payment and upstream numbers, tracking number) masked as well as the secrets.
 */
export function maskNumbers(order: UnifiedOrder): UnifiedOrder {
  const d = order.delivery;
  return {
    ...order,
    orderNo: maskSecret(order.orderNo),
    altNos: order.altNos.map(maskSecret),
    delivery: d?.kind === 'tracking_number' ? { ...d, trackingNo: maskSecret(d.trackingNo) } : d,
  };
}

/** Normal forms used to compare a typed contact with the one stored at checkout. */
export function normalizeContact(raw: string): string {
  const s = raw
    .normalize('NFKC')
    .replace(/[\u200b-\u200f\u2060\ufeff]/g, '')
    .trim()
    .toLowerCase();
  if (s.includes('@')) return s.replace(/\s+/g, '');
  const digits = s.replace(/[\s\-()+]/g, '');
  return /^86\d{11}$/.test(digits) ? digits.slice(2) : digits;
}

/** Compares a typed secret (query password) with the stored one in constant time. */
export function sameSecret(typed: string, stored: string): boolean {
  const x = Buffer.from(typed);
  const y = Buffer.from(stored);
  return x.length === y.length && timingSafeEqual(x, y);
}
