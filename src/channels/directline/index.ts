/**
 * Direct Line 3.0, self-hosted (the subset the official Web Chat and DirectLineJS use): tokens
 * (generate, refresh), start / reconnect conversation, post and get activities with watermarks,
 * and the WebSocket stream of activity sets, with replay from a watermark on (re)connect.
 * Shops need no Azure: point Web Chat's `domain` at <this server>/v3/directline.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Activity } from 'botbuilder';
import busboy from 'busboy';
import express, { type NextFunction, type Request, type Response } from 'express';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import type { ChannelDeps } from '../deps.js';
import { isTransient } from '../../storage/sql.js';
import { MAX_JSON_DEPTH, jsonBody, requestUrl, safeDecode, withinDepth } from '../http/request.js';
import { BOT, DIRECTLINE_CHANNEL, DirectLineAdapter } from './adapter.js';
import { type DirectLineRepo, DirectLineStore } from './store.js';
import { type TokenClaims, TokenService } from './tokens.js';

export const BASE = '/v3/directline';

const GenerateBody = z
  .object({
    user: z
      .object({
        id: z
          .string()
          .regex(/^[A-Za-z0-9_\-.:]{1,64}$/)
          .optional(),
        name: z.string().max(64).optional(),
      })
      .optional(),
    buyer: z.object({ id: z.string().min(1).max(64), contact: z.string().max(64).optional() }).optional(),
  })
  .default({});

/**
 * What a client may post: messages, typing, and events of the page (never `handoff.*`, which is the
 * bot's protocol with agent hubs). Traces, invokes, conversation updates and the like come only
 * from the server itself.
 */
const CLIENT_TYPES = ['message', 'typing', 'event'] as const;
const InboundActivity = z
  .object({
    type: z.enum(CLIENT_TYPES, { message: `a client may post only ${CLIENT_TYPES.join(', ')} activities` }),
    text: z.string().max(10_000).optional(),
    locale: z.string().max(16).optional(),
    from: z
      .object({ id: z.string().max(128).optional(), name: z.string().max(64).optional() })
      .passthrough()
      .optional(),
    channelData: z.record(z.string(), z.unknown()).optional(),
    value: z.unknown().optional(),
    name: z
      .string()
      .max(64)
      .refine((n) => !n.startsWith('handoff.'), 'handoff events come only from the bot')
      .optional(),
    attachments: z.array(z.unknown()).max(10).optional(),
    entities: z.array(z.unknown()).max(20).optional(),
  })
  .passthrough();

const newId = (bytes = 12) => randomBytes(bytes).toString('base64url');

export interface DirectLine {
  adapter: DirectLineAdapter;
  store: DirectLineStore;
  tokens: TokenService;
  /** What POST /tokens/generate does for the shop backend: a token for a new conversation of this buyer. */
  mintForBuyer(buyer: { id: string; contact?: string }): { conversationId: string; token: string; expires_in: number };
  router: express.Router;
  /** Closes every stream with 1012 (service restart): clients reconnect, to another instance if this one drains. */
  closeStreams(): void;
  /** Takes a WebSocket upgrade for a Direct Line stream; false when the path is not ours. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

/** A buyer's open stream: what it has been sent, and whether a send is under way. */
interface Stream {
  ws: WebSocket;
  sent: number;
  pumping: boolean;
  again: boolean;
}

export async function createDirectLine(app: ChannelDeps, log: DirectLineRepo): Promise<DirectLine> {
  const { bus } = app.store;
  const store = new DirectLineStore(log);
  // One key for every instance: a token minted by one is good on all.
  const key = Buffer.from(await app.store.setting('directline.tokenKey', TokenService.randomKey), 'base64url');
  const tokens = new TokenService(key, app.config.directLine.tokenTtlSec);
  const adapter = app.wire(new DirectLineAdapter(app.store, store, bus, app.clock));
  const postLimiter = app.store.limiter('directline-post', app.config.directLine.ratePerMin, 60_000);
  const anonLimiter = app.store.limiter('directline-anonymous', 60, 600_000);
  const sockets = new Map<string, Stream>();
  const now = () => new Date(); // tokens are security: real time, not the shop's (possibly fixed) clock

  /** Sends a stream what the log holds beyond what it was sent, one read at a time, in order. */
  const pump = async (cid: string, s: Stream): Promise<void> => {
    if (s.pumping) return void (s.again = true);
    s.pumping = true;
    try {
      do {
        s.again = false;
        const page = await store.after(cid, s.sent);
        if (sockets.get(cid) !== s || s.ws.readyState !== WebSocket.OPEN) return;
        if (page.activities.length === 0) continue;
        s.sent = page.watermark;
        s.ws.send(JSON.stringify({ activities: page.activities, watermark: String(page.watermark) }));
      } while (s.again);
    } catch (err) {
      app.logger.warn({ err }, 'direct line: stream send failed');
    } finally {
      s.pumping = false;
    }
  };
  // Appends committed on any instance: the stream's instance sends them.
  bus.subscribe('directline.append', ({ conversationId, watermark }) => {
    const s = sockets.get(conversationId);
    if (s && watermark > s.sent) void pump(conversationId, s);
  });
  // One stream per conversation across instances: a newer one elsewhere replaces ours.
  bus.subscribe('directline.stream', ({ conversationId, instance }) => {
    if (instance !== app.store.instance) sockets.get(conversationId)?.ws.close(4000, 'collision');
  });

  const streamUrl = (req: Request, claims: TokenClaims, token: string, watermark?: string) => {
    const proto = req.protocol === 'https' ? 'wss' : 'ws';
    const w = watermark ? `&watermark=${encodeURIComponent(watermark)}` : '';
    return `${proto}://${req.get('host')}${BASE}/conversations/${encodeURIComponent(claims.cid)}/stream?t=${encodeURIComponent(token)}${w}`;
  };
  const bearer = (req: Request) =>
    req
      .get('authorization')
      ?.match(/^Bearer\s+(.+)$/i)?.[1]
      ?.trim();
  const isShopSecret = (value: string | undefined) => {
    const secret = app.config.directLine.secret;
    if (!secret || !value) return false;
    const a = Buffer.from(value);
    const b = Buffer.from(secret);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const fail = (res: Response, status: number, code: string, message: string) => res.status(status).json({ error: { code, message } });

  /** The token's claims when it grants this conversation (or any, without an id). */
  const authorize = async (req: Request, res: Response, conversationId?: string): Promise<{ claims: TokenClaims; token: string } | undefined> => {
    const token = bearer(req);
    // The shop secret is the master key (as with Azure): it may act in any existing conversation.
    if (isShopSecret(token) && conversationId !== undefined) {
      const c = await store.get(conversationId);
      if (!c) {
        fail(res, 404, 'NotFound', 'no such conversation');
        return undefined;
      }
      const claims = { cid: c.id, uid: c.userId, buyer: c.buyer };
      return { claims: { ...claims, exp: Math.floor(Date.now() / 1000) + tokens.ttl }, token: tokens.issue(claims, now()) };
    }
    const claims = tokens.verify(token, now());
    if (!claims || !token) {
      fail(res, 403, 'TokenExpired', 'token missing, invalid or expired');
      return undefined;
    }
    if (conversationId !== undefined && claims.cid !== conversationId) {
      fail(res, 403, 'BadArgument', 'token does not grant this conversation');
      return undefined;
    }
    return { claims, token };
  };

  /** What every token endpoint answers: the conversation, a token for it, and its lifetime. */
  const grant = (claims: Omit<TokenClaims, 'exp'>) => ({ conversationId: claims.cid, token: tokens.issue(claims, now()), expires_in: tokens.ttl });
  /** Claims for a new conversation; Direct Line user ids start with dl_. */
  const newConversation = (userId?: string, buyer?: TokenClaims['buyer']): Omit<TokenClaims, 'exp'> => ({
    cid: newId(),
    uid: !userId ? `dl_${newId(9)}` : userId.startsWith('dl_') ? userId : `dl_${userId}`,
    buyer,
  });

  const router = express.Router();
  // The shop's pages usually live on another origin than the bot: allow them (bearer tokens, no cookies).
  const origins = app.config.directLine.allowedOrigins;
  const cors = (req: Request, res: Response, next: NextFunction) => {
    const origin = req.get('origin');
    const allowed = !!origin && (origins === '*' || origins.includes(origin));
    if (allowed) {
      res.set('Access-Control-Allow-Origin', origins === '*' ? '*' : origin);
      res.set('Vary', 'Origin');
      res.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, x-ms-bot-agent, x-requested-with');
      res.set('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      res.set('Access-Control-Max-Age', '600');
    }
    if (req.method === 'OPTIONS') return void res.sendStatus(allowed ? 204 : 403);
    next();
  };
  router.use(BASE, cors);
  router.use('/api/directline', cors);
  router.use(BASE, jsonBody({ limit: '64kb' }));
  router.use('/api/directline', jsonBody({ limit: '4kb' }));

  // Anonymous visitors of the shop page: a token for one new conversation.
  router.post('/api/directline/token', async (req, res) => {
    if (!(await anonLimiter.take(req.ip ?? 'unknown', now()))) return void fail(res, 429, 'TooManyRequests', 'too many conversations from this address');
    res.json(grant(newConversation()));
  });

  // The shop's backend, with the shop secret: a token bound to a logged-in user.
  router.post(`${BASE}/tokens/generate`, (req, res) => {
    if (!isShopSecret(bearer(req))) return void fail(res, 403, 'Forbidden', app.config.directLine.secret ? 'wrong secret' : 'DIRECTLINE_SECRET is not configured');
    const body = GenerateBody.safeParse(req.body ?? {});
    if (!body.success) return void fail(res, 400, 'BadArgument', body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    res.json(grant(newConversation(body.data.user?.id, body.data.buyer)));
  });

  router.post(`${BASE}/tokens/refresh`, async (req, res) => {
    const auth = await authorize(req, res);
    if (auth) res.json(grant({ cid: auth.claims.cid, uid: auth.claims.uid, buyer: auth.claims.buyer }));
  });

  router.post(`${BASE}/conversations`, async (req, res, next) => {
    try {
      let auth: { claims: TokenClaims; token: string } | undefined;
      if (isShopSecret(bearer(req))) {
        const { token } = grant(newConversation());
        auth = { claims: tokens.verify(token, now())!, token };
      } else auth = await authorize(req, res);
      if (!auth) return;
      const { claims, token } = auth;
      const created = await store.create({ id: claims.cid, userId: claims.uid, buyer: claims.buyer, createdAt: Date.now() });
      if (created) {
        // Like Azure and the Emulator: the bot learns that the user joined (and may say hello).
        await adapter.processActivity(
          {
            type: 'conversationUpdate',
            id: newId(),
            channelId: DIRECTLINE_CHANNEL,
            serviceUrl: `${req.protocol}://${req.get('host')}`,
            conversation: { id: claims.cid },
            from: { id: claims.uid, role: 'user' },
            recipient: { ...BOT },
            membersAdded: [{ id: claims.uid, name: claims.uid }],
            timestamp: app.clock.now(),
            channelData: { buyer: claims.buyer, clientKey: `ip:${req.ip ?? 'unknown'}` },
          } as unknown as Activity,
          app.logic,
        );
      }
      res.status(created ? 201 : 200).json({ conversationId: claims.cid, token, expires_in: tokens.ttl, streamUrl: streamUrl(req, claims, token) });
    } catch (err) {
      next(err);
    }
  });

  router.get(`${BASE}/conversations/:id`, async (req, res) => {
    const auth = await authorize(req, res, req.params.id);
    if (!auth) return;
    if (!(await store.get(auth.claims.cid))) return void fail(res, 404, 'NotFound', 'no such conversation');
    const watermark = typeof req.query.watermark === 'string' ? req.query.watermark : undefined;
    res.json({ conversationId: auth.claims.cid, token: auth.token, expires_in: tokens.ttl, streamUrl: streamUrl(req, auth.claims, auth.token, watermark) });
  });

  router.get(`${BASE}/conversations/:id/activities`, async (req, res) => {
    const auth = await authorize(req, res, req.params.id);
    if (!auth) return;
    if (!(await store.get(auth.claims.cid))) return void fail(res, 404, 'NotFound', 'no such conversation');
    const w = Number(typeof req.query.watermark === 'string' && req.query.watermark ? req.query.watermark : 0);
    const page = await store.after(auth.claims.cid, Number.isFinite(w) && w >= 0 ? w : 0);
    res.json({ activities: page.activities, watermark: String(page.watermark) });
  });

  /** The claims of a request that may post to this existing conversation; answers the error otherwise. */
  const poster = async (req: Request, res: Response): Promise<TokenClaims | undefined> => {
    const auth = await authorize(req, res, String(req.params.id));
    if (!auth) return undefined;
    if (!(await store.get(auth.claims.cid))) return void fail(res, 404, 'NotFound', 'no such conversation');
    return auth.claims;
  };
  const withinRate = async (res: Response, claims: TokenClaims): Promise<boolean> => {
    if (await postLimiter.take(claims.cid, now())) return true;
    res.set('Retry-After', '60');
    fail(res, 429, 'TooManyRequests', 'too many activities in this conversation, slow down');
    return false;
  };
  const issuesOf = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || 'activity'}: ${i.message}`).join('; ');

  /** Logs the buyer's activity and runs its turn. Who speaks comes from the token, never the client; so does the buyer. */
  const receive = async (
    req: Request,
    res: Response,
    claims: TokenClaims,
    template: z.infer<typeof InboundActivity>,
    extra: Partial<Activity> = {},
    channelData: Record<string, unknown> = {},
  ) => {
    const inbound: Partial<Activity> = {
      ...(template as Partial<Activity>),
      ...extra,
      channelId: DIRECTLINE_CHANNEL,
      serviceUrl: `${req.protocol}://${req.get('host')}`,
      conversation: { id: claims.cid } as Activity['conversation'],
      from: { id: claims.uid, name: template.from?.name ?? '', role: 'user' },
      recipient: { ...BOT },
      timestamp: app.clock.now(),
      channelData: { clientActivityID: template.channelData?.clientActivityID, buyer: claims.buyer, clientKey: `ip:${req.ip ?? 'unknown'}`, ...channelData },
    };
    try {
      res.json({ id: await adapter.receive(inbound, app.logic) });
    } catch (err) {
      // The turn could not be committed (the database stayed busy): nothing of it was kept, so the
      // client may simply post again (with the same clientActivityID it is still one turn).
      if (!isTransient(err)) throw err;
      res.set('Retry-After', '1');
      fail(res, 503, 'ServiceUnavailable', 'busy, post the activity again');
    }
  };

  router.post(`${BASE}/conversations/:id/activities`, async (req, res) => {
    const claims = await poster(req, res);
    if (!claims) return;
    const body = InboundActivity.safeParse(req.body);
    if (!body.success) return void fail(res, 400, 'BadArgument', issuesOf(body.error));
    if (body.data.type === 'typing') return void res.json({ id: newId() });
    if (!(await withinRate(res, claims))) return;
    await receive(req, res, claims, body.data);
  });

  // Web Chat's upload button (DirectLineJS postMessageWithAttachments): multipart/form-data with an
  // "activity" part (application/vnd.microsoft.activity) and one "file" part per attachment.
  const uploads = app.config.uploads;
  router.post(`${BASE}/conversations/:id/upload`, async (req, res) => {
    const claims = await poster(req, res);
    if (!claims) return;
    if (!/^multipart\/form-data/i.test(req.get('content-type') ?? '')) return void fail(res, 415, 'BadArgument', 'expected multipart/form-data');
    if (!(await withinRate(res, claims))) return;
    const form = await readForm(req, uploads);
    if ('error' in form) return void fail(res, form.status, 'BadArgument', form.error);
    let template: z.infer<typeof InboundActivity> = { type: 'message' };
    if (form.activity !== undefined) {
      let json: unknown;
      try {
        json = JSON.parse(form.activity);
      } catch {
        return void fail(res, 400, 'BadArgument', 'the activity part is not valid JSON');
      }
      if (!withinDepth(json)) return void fail(res, 400, 'BadArgument', `the activity part is nested deeper than ${MAX_JSON_DEPTH} levels`);
      const parsed = InboundActivity.safeParse(json);
      if (!parsed.success) return void fail(res, 400, 'BadArgument', issuesOf(parsed.error));
      template = parsed.data;
    }
    const base = `${req.protocol}://${req.get('host')}`;
    let rejected = form.rejected;
    const attachments: NonNullable<Activity['attachments']> = [];
    for (const f of form.files) {
      // The type comes from the bytes (sniffed by the store), never from the client.
      const meta = await app.files.save({ conversationId: claims.cid, channelId: DIRECTLINE_CHANNEL, userId: claims.uid, name: f.name, data: f.data }, app.clock.now());
      if (!meta) rejected++;
      else attachments.push({ contentType: meta.contentType, name: meta.name, contentUrl: `${base}${BASE}/attachments/${meta.id}/${tokens.signAttachment(meta.id)}` });
    }
    await receive(req, res, claims, template, { type: 'message', attachments }, rejected ? { rejectedFiles: rejected } : {});
  });

  // An uploaded file, for the <img> in Web Chat: the signed link is the capability (no header can be sent).
  router.get(`${BASE}/attachments/:id/:sig`, async (req, res) => {
    const { id, sig } = req.params;
    const meta = tokens.checkAttachment(id, sig) ? await app.files.meta(id) : undefined;
    const data = meta && (await app.files.data(id));
    if (!meta || !data) return void fail(res, 404, 'NotFound', 'no such attachment');
    res.set({
      'Content-Type': meta.contentType,
      'Content-Length': String(data.length),
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
      'Content-Disposition': `${meta.contentType === 'application/pdf' ? 'attachment' : 'inline'}; filename*=UTF-8''${encodeURIComponent(meta.name)}`,
      'Cache-Control': 'private, max-age=86400',
    });
    res.end(data);
  });

  router.use((err: Error & { type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (err.type === 'entity.parse.failed') fail(res, 400, 'BadArgument', 'request body is not valid JSON');
    else if (err.type === 'entity.too.deep') fail(res, 400, 'BadArgument', err.message);
    else if (err.type === 'entity.too.large') fail(res, 413, 'MessageSizeTooBig', 'request body is too large');
    else next(err);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const refuse = (socket: Duplex) => {
    socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
    socket.destroy();
  };
  const upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const url = requestUrl(req.url);
    const m = url?.pathname.match(/^\/v3\/directline\/conversations\/([^/]+)\/stream$/);
    if (!url || !m) return false;
    const cid = safeDecode(m[1]!) ?? '';
    const claims = tokens.verify(url.searchParams.get('t') ?? undefined, now());
    if (!claims || claims.cid !== cid) {
      refuse(socket);
      return true;
    }
    void store
      .get(cid)
      .then((conversation) => {
        if (!conversation) return refuse(socket);
        wss.handleUpgrade(req, socket, head, (ws) => {
          // One socket per conversation: a newer connection (a reload) replaces the old one, here or on another instance.
          sockets.get(cid)?.ws.close(4000, 'collision');
          const w = Number(url.searchParams.get('watermark') ?? 0);
          const stream: Stream = { ws, sent: Number.isFinite(w) && w >= 0 ? w : 0, pumping: false, again: false };
          sockets.set(cid, stream);
          bus.publish('directline.stream', { conversationId: cid, instance: app.store.instance });
          void pump(cid, stream);
          ws.on('message', () => undefined); // DirectLineJS pings with empty strings
          ws.on('error', () => ws.terminate()); // an oversized or invalid frame: drop this socket, nothing else
          // Empty frames keep proxies from closing an idle stream; DirectLineJS ignores them.
          const keepAlive = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(''), 25_000);
          keepAlive.unref();
          ws.on('close', () => {
            clearInterval(keepAlive);
            if (sockets.get(cid) === stream) sockets.delete(cid);
          });
        });
      })
      .catch((err) => {
        app.logger.warn({ err }, 'direct line: stream refused');
        socket.destroy();
      });
    return true;
  };

  // Agents reach web-chat buyers through the activity log: appended in the relay's transaction.
  app.relay.register(DIRECTLINE_CHANNEL, {
    continueConversation: (ref, logic) => adapter.continueConversation(ref, logic),
    deliverInTransaction: async (ref, activity) => {
      const { notify } = await adapter.append(ref.conversation!.id, adapter.botActivity(ref.conversation!.id, ref.user?.id ?? '', activity));
      return { after: notify };
    },
  });

  const mintForBuyer = (buyer: { id: string; contact?: string }) => grant(newConversation(buyer.id, buyer));

  const closeStreams = () => {
    for (const s of sockets.values()) s.ws.close(1012, 'restarting');
  };
  return { adapter, store, tokens, router, upgrade, mintForBuyer, closeStreams };
}

type Form = { activity?: string; files: Array<{ name?: string; data: Buffer }>; rejected: number } | { status: number; error: string };

/**
 * Reads a Direct Line upload. Files over the size limit or beyond the count are counted as rejected
 * (the bot tells the buyer) rather than failing the message; memory stays bounded either way.
 */
function readForm(req: Request, limits: { maxBytes: number; maxFiles: number }): Promise<Form> {
  const ACTIVITY_MAX = 64 * 1024;
  return new Promise((resolve) => {
    let bb: busboy.Busboy;
    try {
      // Browsers send file names as raw UTF-8 (付款截图.png), not latin1.
      bb = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: { fileSize: Math.max(limits.maxBytes, ACTIVITY_MAX), files: limits.maxFiles + 1, fields: 4, parts: limits.maxFiles + 5, fieldSize: ACTIVITY_MAX },
      });
    } catch {
      return resolve({ status: 400, error: 'malformed multipart/form-data' });
    }
    const files: Array<{ name?: string; data: Buffer }> = [];
    let activity: string | undefined;
    let rejected = 0;
    let tooBig = false;
    let settled = false;
    const finish = (form: Form) => {
      if (settled) return;
      settled = true;
      req.unpipe(bb);
      req.resume(); // drain whatever is left so the connection can answer
      resolve(form);
    };
    bb.on('field', (name, value, info) => {
      if (name !== 'activity') return;
      if (info.valueTruncated) tooBig = true;
      activity = value;
    });
    bb.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const max = name === 'activity' ? ACTIVITY_MAX : limits.maxBytes;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) {
          truncated = true;
          chunks.length = 0;
        } else chunks.push(chunk);
      });
      stream.on('limit', () => void (truncated = true));
      // A form cut short ("Unexpected end of form") errors the file stream too: the whole form then
      // fails through bb's own error below; without a listener here the error would kill the process.
      stream.on('error', () => void (truncated = true));
      stream.on('close', () => {
        if (name === 'activity') {
          if (truncated) tooBig = true;
          else activity = Buffer.concat(chunks).toString('utf8');
        } else if (truncated || size === 0) rejected++;
        else files.push({ name: info.filename, data: Buffer.concat(chunks) });
      });
    });
    bb.on('filesLimit', () => void rejected++);
    bb.on('error', () => finish({ status: 400, error: 'malformed multipart/form-data' }));
    req.on('error', () => finish({ status: 400, error: 'the upload was interrupted' }));
    bb.on('close', () => finish(tooBig ? { status: 413, error: 'the activity part is too large' } : { activity, files, rejected }));
    req.pipe(bb);
  });
}
