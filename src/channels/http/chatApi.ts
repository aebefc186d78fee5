/**
 * A small JSON chat endpoint for local use and integration: POST /api/chat {conversationId?, text}
 * → {conversationId, replies:[{text, suggestedActions}]}. Buyers here are anonymous; identity for
 * logged-in shop users comes with the Direct Line channel. Traces never leave the server.
 *
 * The conversation id is the client's only credential, so it is a capability the server issues
 * (random, with an HMAC): a client cannot pick one, guess one or reuse another channel's. Inside,
 * the conversation is named by a digest of it, so neither the database nor a log line holds it.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { InProcessAdapter } from '../inprocess.js';
import type { ChannelDeps } from '../deps.js';
import { jsonBody } from './request.js';

export const CHAT_API_CHANNEL = 'webjson';

const CAPABILITY = /^([A-Za-z0-9_-]{24})\.([A-Za-z0-9_-]{32})$/;
const ChatRequest = z.object({
  conversationId: z.string().regex(CAPABILITY, 'not a conversation id this server issues').optional(),
  text: z.string().max(10_000),
});

export async function chatRouter(app: Pick<ChannelDeps, 'store' | 'logic' | 'relay'>, adapter: InProcessAdapter): Promise<express.Router> {
  // Request and answer only: an agent could never write to these buyers (the bot files a ticket instead of queueing them).
  app.relay.declareOneWay(CHAT_API_CHANNEL);
  const key = Buffer.from(await app.store.setting('chatapi.key', () => randomBytes(32).toString('base64url')), 'base64url');
  const mac = (nonce: string) => createHmac('sha256', key).update(`chat.${nonce}`).digest('base64url').slice(0, 32);
  const issue = () => {
    const nonce = randomBytes(18).toString('base64url');
    return `${nonce}.${mac(nonce)}`;
  };
  /** The internal conversation id of a capability we issued; undefined for anything else. */
  const internalId = (capability: string): string | undefined => {
    const m = CAPABILITY.exec(capability);
    if (!m) return undefined;
    const expected = Buffer.from(mac(m[1]!));
    const given = Buffer.from(m[2]!);
    if (!timingSafeEqual(expected, given)) return undefined;
    return `j${createHash('sha256').update(capability).digest('base64url').slice(0, 32)}`;
  };

  const router = express.Router();
  router.use('/api/chat', jsonBody({ limit: '32kb' }));

  router.post('/api/chat/start', async (_req, res) => {
    const conversationId = issue();
    const id = internalId(conversationId)!;
    const activities = await adapter.conversationStart(id, `web-${id}`, app.logic, CHAT_API_CHANNEL);
    res.json({ conversationId, replies: toReplies(activities) });
  });

  router.post('/api/chat', async (req, res) => {
    const parsed = ChatRequest.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'bad_request', message: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
      return;
    }
    const conversationId = parsed.data.conversationId ?? issue();
    const id = internalId(conversationId);
    if (!id) {
      res.status(403).json({ error: 'unknown_conversation', message: 'conversationId must be one this server issued (POST /api/chat/start, or omit it to start one)' });
      return;
    }
    const activities = await adapter.message(
      { conversationId: id, userId: `web-${id}`, text: parsed.data.text, channelId: CHAT_API_CHANNEL, channelData: { clientKey: `ip:${req.ip ?? 'unknown'}` } },
      app.logic,
    );
    res.json({ conversationId, replies: toReplies(activities) });
  });

  // Body-parser errors (malformed JSON, too large, too deep) become clear 4xx answers.
  router.use('/api/chat', (err: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (err.type === 'entity.parse.failed') res.status(400).json({ error: 'malformed_json', message: 'request body is not valid JSON' });
    else if (err.type === 'entity.too.deep') res.status(400).json({ error: 'too_deep', message: err.message });
    else if (err.type === 'entity.too.large') res.status(413).json({ error: 'too_large', message: 'request body exceeds 32kb' });
    else next(err);
  });
  return router;
}

function toReplies(activities: Array<{ type?: string; text?: string; suggestedActions?: { actions?: Array<{ title?: string }> } }>) {
  return activities.filter((a) => a.type === 'message').map((a) => ({ text: a.text ?? '', suggestedActions: (a.suggestedActions?.actions ?? []).map((x) => x.title ?? '') }));
}
