/**
 * A small JSON chat endpoint for local use and integration: POST /api/chat {conversationId?, text}
 * → {conversationId, replies:[{text, suggestedActions}]}. Buyers here are anonymous; identity for
 * logged-in shop users comes with the Direct Line channel. Traces never leave the server.
 */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { App } from '../../app.js';

const ChatRequest = z.object({
  conversationId: z.string().regex(/^[A-Za-z0-9_\-]{8,64}$/).optional(),
  text: z.string().max(10_000),
});

export function chatRouter(app: App): express.Router {
  const router = express.Router();
  router.use('/api/chat', express.json({ limit: '32kb' }));

  router.post('/api/chat/start', async (_req, res) => {
    const conversationId = randomUUID();
    const activities = await app.adapter.conversationStart(conversationId, `web-${conversationId}`, app.logic);
    res.json({ conversationId, replies: toReplies(activities) });
  });

  router.post('/api/chat', async (req, res) => {
    const parsed = ChatRequest.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'bad_request', message: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
      return;
    }
    const conversationId = parsed.data.conversationId ?? randomUUID();
    const activities = await app.adapter.message(
      { conversationId, userId: `web-${conversationId}`, text: parsed.data.text, channelId: 'webjson', channelData: { clientKey: req.ip ?? 'unknown' } },
      app.logic,
    );
    res.json({ conversationId, replies: toReplies(activities) });
  });

  // Body-parser errors (malformed JSON, too large) become clear 4xx answers.
  router.use('/api/chat', (err: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (err.type === 'entity.parse.failed') res.status(400).json({ error: 'malformed_json', message: 'request body is not valid JSON' });
    else if (err.type === 'entity.too.large') res.status(413).json({ error: 'too_large', message: 'request body exceeds 32kb' });
    else next(err);
  });
  return router;
}

function toReplies(activities: Array<{ type?: string; text?: string; suggestedActions?: { actions?: Array<{ title?: string }> } }>) {
  return activities
    .filter((a) => a.type === 'message')
    .map((a) => ({ text: a.text ?? '', suggestedActions: (a.suggestedActions?.actions ?? []).map((x) => x.title ?? '') }));
}
