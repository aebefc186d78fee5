/**
 * POST /http/events (mounted under /hooks): the shop says an order may have moved,
 * `{orderNo}` or `{orderNos:[...]}`, signed like the bot's own calls (signature.ts). A valid event
 * is answered 200 {"ok":true} and reported to the order events; the order is then read again
 * through the contract, so whatever status the body might carry is never believed.
 *
 * The signature covers the raw bytes, so the body is read raw (size-limited) and parsed only after
 * the check. A signed request seen again within the timestamp window (a replay, or the shop's own
 * retry) is answered 200 again but not reported twice.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type pino from 'pino';
import type { Clock } from '../../time.js';
import type { OrderEvents } from '../events.js';
import { EventBody } from './contract.js';
import { HEADER_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP, TIMESTAMP_WINDOW_SEC, verifySignature } from './signature.js';

/** Where the router expects to be mounted; a shop behind a prefix-stripping proxy may sign this path. */
export const EVENTS_PATH = '/hooks/http/events';
export const MAX_EVENT_BYTES = 32 * 1024;
/** Signatures remembered at most (each for the timestamp window); beyond, events are refused 429 until some expire. */
const MAX_REMEMBERED = 50_000;
/** Expired signatures are swept once this many are remembered. */
const SWEEP_ABOVE = 1_000;

export interface EventsRouterOptions {
  secret: string;
  /** The bot's X-Shop-Key; an event naming another key is refused (it is for another bot). */
  key: string;
  clock: Clock;
  events: OrderEvents;
  logger: pino.Logger;
}

const fail = (res: Response, status: number, code: string, message: string) => void res.status(status).json({ error: { code, message } });

export function httpEventsRouter(opts: EventsRouterOptions): express.Router {
  const router = express.Router();
  /** signature → unix second after which its timestamp is stale anyway. */
  const seen = new Map<string, number>();
  const forget = (nowSec: number) => {
    for (const [sig, until] of seen) if (until < nowSec) seen.delete(sig);
  };

  router.post('/http/events', express.raw({ type: () => true, limit: MAX_EVENT_BYTES }), (req: Request, res: Response) => {
    const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const now = opts.clock.now();
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const key = header(HEADER_KEY);
    if (key !== undefined && key !== opts.key) return fail(res, 401, 'unknown_key', 'X-Shop-Key names another bot');
    const received = (req.originalUrl || req.url).split('?')[0]!;
    const check = verifySignature({
      secret: opts.secret,
      method: req.method,
      paths: [received, EVENTS_PATH],
      timestamp: header(HEADER_TIMESTAMP),
      signature: header(HEADER_SIGNATURE),
      body: raw,
      now,
    });
    if (!check.ok) {
      opts.logger.warn({ reason: check.reason }, 'shop event refused');
      return fail(res, 401, check.reason === 'stale' ? 'stale_timestamp' : check.reason === 'missing' ? 'unsigned' : 'bad_signature', 'signature or timestamp not accepted');
    }
    let body: EventBody;
    try {
      const parsed = EventBody.safeParse(JSON.parse(raw.toString('utf8')));
      if (!parsed.success) return fail(res, 400, 'bad_request', 'expected {"orderNo": "..."} or {"orderNos": ["..."]}');
      body = parsed.data;
    } catch {
      return fail(res, 400, 'bad_request', 'body is not JSON');
    }
    const nowSec = Math.floor(now.getTime() / 1000);
    const signature = header(HEADER_SIGNATURE)!.toLowerCase();
    if (seen.has(signature)) {
      res.json({ ok: true, duplicate: true });
      return;
    }
    if (seen.size >= SWEEP_ABOVE) forget(nowSec);
    if (seen.size >= MAX_REMEMBERED) return fail(res, 429, 'busy', 'too many events in the last minutes; retry later');
    seen.set(signature, check.timestamp + TIMESTAMP_WINDOW_SEC);
    const orderNos = 'orderNo' in body ? [body.orderNo] : [...new Set(body.orderNos)];
    for (const orderNo of orderNos) opts.events.changed({ orderNo, source: 'http_event' });
    opts.logger.info({ orders: orderNos.length }, 'shop event received');
    res.json({ ok: true });
  });

  // Body too large or unreadable: the contract's error shape, not the app's generic one.
  router.use('/http/events', (err: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (err.status === 413) return fail(res, 413, 'too_large', `body over ${MAX_EVENT_BYTES} bytes`);
    if (err.status && err.status >= 400 && err.status < 500) return fail(res, 400, 'bad_request', 'body could not be read');
    next(err);
  });
  return router;
}
