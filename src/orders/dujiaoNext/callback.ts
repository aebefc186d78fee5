/**
 * Dujiao-Next's HMAC-signed order-status callback (brief §4.6; docs integration-open-api §2, §5).
 *
 * Who sends it: a Dujiao-Next site POSTs it only to a downstream that created the order through
 * its site-to-site API (`POST /api/v1/upstream/orders` with a `callback_url`), i.e. procurement
 * orders. Ordinary buyers' orders produce no callback at all, which is why the adapter says
 * `pushesChanges: false` and notify-me polls.
 *
 * Signature: hex(HMAC-SHA256(api_secret, "POST\n/api/v1/upstream/callback\n{ts}\n{md5hex(raw body)}")).
 * The path is the literal one whatever URL the callback was sent to (here /hooks/dujiao-next/callback).
 * Verified over the raw body bytes, compared in constant time, |now - ts| <= 60 s.
 *
 * Replies: HTTP 200 with `{"ok":true}` or `{"ok":false,"message":<reason>}`, as the reference
 * receiver does (any non-ok answer makes the sender retry; a rejected request changes nothing).
 * Only a body that cannot be read at all (too large: 413; aborted: 400) gets another status.
 * A valid callback emits one `changed` event per (order_id, status, fulfillment.delivered_at); a
 * retry of the same callback (re-signed with a new timestamp) answers ok and emits nothing new.
 * The event carries no status we trust: the listener reads the order again.
 */
import crypto from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type pino from 'pino';
import { z } from 'zod';
import type { Clock } from '../../time.js';
import type { OrderEvents } from '../events.js';
import { maskSecret } from '../masking.js';

/** The path both sides sign, whatever the callback URL's own path. */
export const CALLBACK_SIGNED_PATH = '/api/v1/upstream/callback';
/** Dujiao-Next's MaxTimestampSkew. */
export const MAX_SKEW_SEC = 60;
/** Where the router answers (mounted under /hooks by the app). */
export const CALLBACK_ROUTE = '/dujiao-next/callback';

export function callbackSignature(secret: string, timestamp: string, rawBody: Buffer | string, method = 'POST', path = CALLBACK_SIGNED_PATH): string {
  const bodyMd5 = crypto.createHash('md5').update(rawBody).digest('hex');
  return crypto.createHmac('sha256', secret).update(`${method}\n${path}\n${timestamp}\n${bodyMd5}`).digest('hex');
}

export type CallbackRejection = 'missing_auth_headers' | 'invalid_api_key' | 'invalid_timestamp' | 'timestamp_expired' | 'invalid_signature';

function sameText(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}

/** Checks the three headers against the key pair and the raw body. */
export function verifyCallback(input: {
  apiKey: string;
  apiSecret: string;
  headers: { key?: string; timestamp?: string; signature?: string };
  rawBody: Buffer;
  now: Date;
}): { ok: true } | { ok: false; reason: CallbackRejection } {
  const { key, timestamp, signature } = input.headers;
  if (!key || !timestamp || !signature) return { ok: false, reason: 'missing_auth_headers' };
  if (!sameText(key, input.apiKey)) return { ok: false, reason: 'invalid_api_key' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'invalid_timestamp' };
  if (Math.abs(Math.floor(input.now.getTime() / 1000) - Number(timestamp)) > MAX_SKEW_SEC) return { ok: false, reason: 'timestamp_expired' };
  const expected = Buffer.from(callbackSignature(input.apiSecret, timestamp, input.rawBody), 'hex');
  const given = /^[0-9a-fA-F]{64}$/.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid_signature' };
  return { ok: true };
}

const CallbackBody = z.object({
  event: z.string().optional(),
  order_id: z.union([z.number(), z.string()]),
  order_no: z.string().min(1).max(64),
  downstream_order_no: z.string().nullish(),
  status: z.string().min(1),
  fulfillment: z.object({ delivered_at: z.string().nullish() }).nullish(),
  timestamp: z.number().optional(),
});

export interface CallbackOptions {
  apiKey: string;
  apiSecret: string;
  clock: Clock;
  logger: pino.Logger;
  events: OrderEvents;
  /** Largest body accepted (a delivered procurement order carries its codes). */
  limit?: string;
  /** How many (order, status, delivered_at) keys are remembered to drop retries. */
  dedupeMax?: number;
}

const header = (req: Request, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v.trim() : undefined;
};

/**
 * The receiver: POST /dujiao-next/callback. It parses its own body (raw bytes first): mount it
 * before any JSON body parser.
 */
export function callbackRouter(opts: CallbackOptions): Router {
  const router = express.Router();
  // Per process: a repeat seen by another instance, or after a restart, emits once more, which is
  // harmless (the event only makes the listener read the order again).
  const seen = new Map<string, true>();
  const dedupeMax = opts.dedupeMax ?? 10_000;
  const reply = (res: Response, ok: boolean, message?: string) => res.status(200).json(ok ? { ok: true } : { ok: false, message });

  router.post(CALLBACK_ROUTE, express.raw({ type: () => true, limit: opts.limit ?? '256kb' }), (req: Request, res: Response) => {
    const rawBody: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verdict = verifyCallback({
      apiKey: opts.apiKey,
      apiSecret: opts.apiSecret,
      headers: { key: header(req, 'dujiao-next-api-key'), timestamp: header(req, 'dujiao-next-timestamp'), signature: header(req, 'dujiao-next-signature') },
      rawBody,
      now: opts.clock.now(),
    });
    if (!verdict.ok) {
      opts.logger.warn({ reason: verdict.reason, bytes: rawBody.length }, 'dujiao-next callback rejected');
      return reply(res, false, verdict.reason);
    }
    let body: z.infer<typeof CallbackBody>;
    try {
      const parsed = CallbackBody.safeParse(JSON.parse(rawBody.toString('utf8')));
      if (!parsed.success) throw new Error('shape');
      body = parsed.data;
    } catch {
      opts.logger.warn({ bytes: rawBody.length }, 'dujiao-next callback: signed but unreadable body');
      return reply(res, false, 'bad_request');
    }
    const key = `${body.order_id}\u0000${body.status}\u0000${body.fulfillment?.delivered_at ?? ''}`;
    if (seen.has(key)) {
      opts.logger.debug({ orderNo: maskSecret(body.order_no), status: body.status }, 'dujiao-next callback: repeat, nothing new');
      return reply(res, true);
    }
    seen.set(key, true);
    while (seen.size > dedupeMax) seen.delete(seen.keys().next().value!);
    opts.logger.info({ orderNo: maskSecret(body.order_no), status: body.status, event: body.event }, 'dujiao-next callback');
    reply(res, true);
    // Answer first (the sender gives up after 15 s); listeners run asynchronously anyway.
    opts.events.changed({ orderNo: body.order_no, source: 'dujiao_next_callback' });
  });

  // Body-parser failures (too large, aborted) answer in the same envelope instead of an HTML page.
  router.use(CALLBACK_ROUTE, (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: number })?.status;
    opts.logger.warn({ status, type: (err as { type?: string })?.type }, 'dujiao-next callback: body not read');
    res.status(status === 413 ? 413 : 400).json({ ok: false, message: status === 413 ? 'payload_too_large' : 'bad_request' });
  });
  return router;
}
