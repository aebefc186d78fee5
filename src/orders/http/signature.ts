/**
 * The request signature of the `http` shop contract (docs/shop-api.md "Signing"), both ways: the
 * bot signs its calls to the shop, the shop signs its events to the bot, with one shared secret.
 *
 *   X-Shop-Signature = hex(HMAC-SHA256(secret, METHOD + "\n" + path + "\n" + timestamp + "\n" + hex(SHA-256(body))))
 *
 * `path` is the URL's path without the query string, `timestamp` unix seconds as sent in
 * X-Shop-Timestamp, hex lowercase. A request more than 300 s away from the receiver's clock is stale.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const HEADER_KEY = 'x-shop-key';
export const HEADER_TIMESTAMP = 'x-shop-timestamp';
export const HEADER_SIGNATURE = 'x-shop-signature';
/** Seconds a signed request stays acceptable either side of the receiver's clock. */
export const TIMESTAMP_WINDOW_SEC = 300;

export function sha256Hex(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The string that is signed. */
export function canonicalString(method: string, path: string, timestamp: string, body: string | Uint8Array): string {
  return `${method.toUpperCase()}\n${path}\n${timestamp}\n${sha256Hex(body)}`;
}

export function sign(secret: string, method: string, path: string, timestamp: string, body: string | Uint8Array): string {
  return createHmac('sha256', secret)
    .update(canonicalString(method, path, timestamp, body))
    .digest('hex');
}

/** The three headers of a signed request at `now`. */
export function signedHeaders(opts: { secret: string; key: string; method: string; path: string; body: string | Uint8Array; now: Date }): Record<string, string> {
  const timestamp = String(Math.floor(opts.now.getTime() / 1000));
  return {
    'X-Shop-Key': opts.key,
    'X-Shop-Timestamp': timestamp,
    'X-Shop-Signature': sign(opts.secret, opts.method, opts.path, timestamp, opts.body),
  };
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: 'missing' | 'stale' | 'bad_signature' };

/**
 * Checks a received request. `paths` are the paths the request may have been signed for (the one
 * received, and the canonical one when a proxy strips a prefix); any of them matching is enough.
 */
export function verifySignature(opts: {
  secret: string;
  method: string;
  paths: readonly string[];
  timestamp: string | undefined;
  signature: string | undefined;
  body: string | Uint8Array;
  now: Date;
}): SignatureCheck {
  const { timestamp, signature } = opts;
  if (!timestamp || !signature) return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'stale' };
  const ts = Number(timestamp);
  if (Math.abs(opts.now.getTime() / 1000 - ts) > TIMESTAMP_WINDOW_SEC) return { ok: false, reason: 'stale' };
  if (!/^[0-9a-fA-F]{64}$/.test(signature)) return { ok: false, reason: 'bad_signature' };
  const given = Buffer.from(signature.toLowerCase(), 'hex');
  for (const path of new Set(opts.paths)) {
    const expected = Buffer.from(sign(opts.secret, opts.method, path, timestamp, opts.body), 'hex');
    if (timingSafeEqual(expected, given)) return { ok: true, timestamp: ts };
  }
  return { ok: false, reason: 'bad_signature' };
}
