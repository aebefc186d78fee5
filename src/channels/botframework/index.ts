/**
 * /api/messages for Azure Bot Service, Teams and the Bot Framework Emulator, through botbuilder's
 * CloudAdapter. Off unless configured:
 * - with MICROSOFT_APP_ID (and its secret), every request must carry a Bot Connector JWT, which
 *   CloudAdapter validates (issuer, audience, signing keys, endorsements); the serviceUrl the bot
 *   answers to is trusted only because that signed token names it;
 * - with BOTFRAMEWORK_EMULATOR=true and no app id, unauthenticated requests are taken only from a
 *   loopback address and only with a loopback serviceUrl: the Emulator on the developer's machine.
 * Channel ids here are chosen by whoever posts, so every conversation of this endpoint lives in
 * its own namespace ("bf:…", see bot/channelKey.ts) and can never address one of our own channels.
 */
import net from 'node:net';
import { type Activity, CloudAdapter, ConfigurationBotFrameworkAuthentication, type Middleware, type TurnContext } from 'botbuilder';
import express, { type Request, type Response } from 'express';
import type { ChannelDeps } from '../deps.js';
import { channelNamespace } from '../../bot/channelKey.js';
import { withoutRecord } from '../../bot/records.js';
import { jsonBody } from '../http/request.js';
import { maskSecret } from '../../orders/masking.js';

export const BF_NAMESPACE = 'bf';

/** Loopback addresses as a socket reports them (IPv4, IPv6, IPv4-mapped IPv6). */
export const isLoopbackAddress = (address: string | undefined): boolean => !!address && (address === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address));

const isLoopbackUrl = (value: unknown): boolean => {
  if (typeof value !== 'string' || value.length > 512) return false;
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
};

/** Whether something accepts connections at the URL's host and port (within a second). */
const listening = (url: string): Promise<boolean> =>
  new Promise((resolve) => {
    const u = new URL(url);
    const socket = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)), timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });

/**
 * Traces are for developers: only the Emulator may see them, never a buyer's channel, and even
 * there an order number is shown as masked as the reply showed it (never fuller than the reply).
 */
export const dropTracesMiddleware: Middleware = {
  async onTurn(ctx: TurnContext, next: () => Promise<void>) {
    const emulator = ctx.activity.channelId === 'emulator';
    ctx.onSendActivities(async (_c, activities, nextSend) => {
      const kept = activities.filter((a) => a.type !== 'trace' || emulator).map(withoutRecord);
      for (const a of kept) {
        const slots = a.type === 'trace' ? (a.value as { slots?: { orderNo?: string } } | undefined)?.slots : undefined;
        if (slots?.orderNo) a.value = { ...(a.value as object), slots: { ...slots, orderNo: maskSecret(slots.orderNo) } };
      }
      activities.splice(0, activities.length, ...kept);
      return activities.length ? nextSend() : [];
    });
    await next();
  },
};

/** CloudAdapter with its token check and turn as a call: errors are ours to answer. */
class EndpointAdapter extends CloudAdapter {
  run(authHeader: string, activity: Activity, logic: (ctx: TurnContext) => Promise<void>) {
    return this.processActivity(authHeader, activity, logic);
  }
}

export function botFrameworkRouter(app: Pick<ChannelDeps, 'config' | 'wire' | 'relay' | 'logic' | 'logger'>): express.Router {
  const { botFramework: bf } = app.config;
  const router = express.Router();
  const mode = bf.appId ? 'azure' : bf.emulator ? 'emulator' : 'off';
  if (mode === 'off') {
    router.all('/api/messages', (_req, res) => {
      res.status(404).json({ error: 'not_found', message: '/api/messages is off: set MICROSOFT_APP_ID (Azure Bot Service) or BOTFRAMEWORK_EMULATOR=true (local Emulator)' });
    });
    return router;
  }
  const auth = new ConfigurationBotFrameworkAuthentication(
    mode === 'azure'
      ? {
          MicrosoftAppId: bf.appId,
          MicrosoftAppPassword: bf.appPassword,
          MicrosoftAppTenantId: bf.tenantId,
          MicrosoftAppType: bf.appType,
          ...(bf.openIdMetadataUrl ? { ToBotFromChannelOpenIdMetadataUrl: bf.openIdMetadataUrl } : {}),
        }
      : {},
  );
  const adapter = new EndpointAdapter(auth);
  adapter.use(channelNamespace(BF_NAMESPACE));
  app.wire(adapter);
  adapter.use(dropTracesMiddleware);
  // Agent replies and hand-backs reach Teams / Emulator / Azure channels as proactive messages.
  app.relay.register(`${BF_NAMESPACE}:*`, {
    continueConversation: (ref, logic) => adapter.continueConversationAsync(bf.appId ?? '', ref, logic),
  });

  const refuse = (res: Response, status: number, error: string, message: string) => void res.status(status).json({ error, message });
  router.post('/api/messages', jsonBody({ limit: '256kb' }), async (req: Request, res: Response) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body) || typeof body.type !== 'string') return refuse(res, 400, 'bad_request', 'expected a Bot Framework activity');
    if (mode === 'emulator') {
      // Not the client address Express derives from headers: the socket's own peer.
      if (!isLoopbackAddress(req.socket.remoteAddress)) return refuse(res, 403, 'forbidden', 'the unauthenticated Emulator endpoint only serves this machine');
      if (!isLoopbackUrl(body.serviceUrl)) return refuse(res, 400, 'bad_request', 'serviceUrl must be the local Emulator (http://localhost:…)');
      // The connector client retries a refused connection for ~11 s: ask once, before any turn runs.
      if (!(await listening(String(body.serviceUrl)))) return refuse(res, 400, 'bad_request', 'nothing listens at serviceUrl (is the Emulator running?)');
    }
    // A shop buyer identity only ever comes from our own token-minting channels: never from here.
    // Lookups are limited per user of the channel that authenticated them (per address for the Emulator).
    const data = body.channelData && typeof body.channelData === 'object' && !Array.isArray(body.channelData) ? (body.channelData as Record<string, unknown>) : {};
    delete data.buyer;
    delete data.clientKey;
    delete data.rejectedFiles;
    delete data.unrecognizedVoice;
    const from = (body.from as { id?: unknown } | undefined)?.id;
    data.clientKey = mode === 'emulator' ? `ip:${req.socket.remoteAddress}` : `${BF_NAMESPACE}:${String(body.channelId)}:${typeof from === 'string' ? from : ''}`;
    body.channelData = data;
    // CloudAdapter.processActivity validates the token (Azure) and runs the turn; its own process()
    // would answer errors with their raw message (connect errors, stack traces) as a 500.
    try {
      const invoke = await adapter.run(req.get('authorization') ?? '', body as unknown as Activity, (ctx) => app.logic(ctx));
      res.status(invoke?.status ?? 200);
      if (invoke?.body !== undefined) res.json(invoke.body);
      else res.end();
    } catch (err) {
      const status = (err as { statusCode?: unknown }).statusCode;
      if (status === 401 || status === 403) return refuse(res, 401, 'unauthorized', 'a valid Bot Connector token is required');
      app.logger.warn({ err: (err as Error).message }, '/api/messages: the connector could not be reached');
      if (!res.headersSent) refuse(res, 502, 'bad_gateway', 'the Bot Connector service could not be reached');
    }
  });
  return router;
}
