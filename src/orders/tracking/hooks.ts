/**
 * Kuaidi100's subscription pushes: POST /kuaidi100?o=<orderNo> (mounted under /hooks), form fields
 * `param` (JSON) and `sign` = UPPER(MD5(param + salt)). The sign is checked over `param` exactly as
 * received, before any JSON parsing; a bad or missing sign changes nothing. A valid push goes to the
 * tracker, and `events.changed` fires only when what is known about the parcel changed.
 *
 * Success is answered exactly as the SDK's handler does; anything else makes Kuaidi100 retry (3
 * times, 35 minutes apart). The log never gets the param (it carries the phone tail) or the number.
 */
import express, { type Request, type Response, type Router } from 'express';
import type pino from 'pino';
import { idDigest } from '../../logging.js';
import type { OrderEvents } from '../events.js';
import type { Tracker } from './index.js';
import { parsePush, verifyPushSign } from './kuaidi100.js';

/** The reply Kuaidi100 expects for a push it should not send again. */
export const PUSH_OK = '{"result":true,"returnCode":"200","message":"成功"}';

const refuse = (res: Response, status: number, message: string) => {
  res
    .status(status)
    .type('application/json')
    .send(JSON.stringify({ result: false, returnCode: String(status), message }));
};

/** The form fields, whether the body arrived raw (our parser) or already parsed by an app-wide one. */
function formFields(req: Request): { param?: string; sign?: string } {
  const body: unknown = req.body;
  if (typeof body === 'string') {
    const form = new URLSearchParams(body);
    return { param: form.get('param') ?? undefined, sign: form.get('sign') ?? undefined };
  }
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    return { param: typeof b.param === 'string' ? b.param : undefined, sign: typeof b.sign === 'string' ? b.sign : undefined };
  }
  return {};
}

export function kuaidi100Hooks(tracker: Tracker, events: OrderEvents, logger: Pick<pino.Logger, 'warn' | 'info'>): Router {
  const router = express.Router();
  const raw = express.text({ type: () => true, limit: '512kb' });

  router.post('/kuaidi100', raw, (req, res) => {
    const salt = tracker.salt;
    if (!salt) return refuse(res, 403, 'push not configured');
    const { param, sign } = formFields(req);
    if (param === undefined || !sign || !verifyPushSign(param, sign, salt)) {
      logger.warn({ hasSign: !!sign, hasParam: param !== undefined }, 'kuaidi100 push: bad or missing sign; ignored');
      return refuse(res, 400, 'bad sign');
    }
    const push = parsePush(param);
    if (!push) return refuse(res, 400, 'malformed param');
    const o = typeof req.query.o === 'string' && req.query.o.length > 0 && req.query.o.length <= 128 ? req.query.o : undefined;
    const { changed, orderNos } = tracker.applyPush(o, push);
    res.status(200).type('application/json').send(PUSH_OK);
    logger.info({ order: o ? idDigest(o) : undefined, status: push.status, state: push.lastResult?.state, changed }, 'kuaidi100 push');
    if (changed) for (const orderNo of orderNos) events.changed({ orderNo, source: 'kuaidi100_push' });
  });

  return router;
}
