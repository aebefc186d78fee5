/** Middleware: every message in and out goes to the transcript store (agents read it on handoff). */
import { ActivityTypes, type Middleware, type TurnContext } from 'botbuilder';
import type { TranscriptStore } from '../handoff/index.js';
import type { Clock } from '../time.js';

export class TranscriptMiddleware implements Middleware {
  constructor(private readonly store: TranscriptStore, private readonly clock: Clock) {}

  async onTurn(ctx: TurnContext, next: () => Promise<void>): Promise<void> {
    const a = ctx.activity;
    const conversationId = a.conversation?.id;
    if (conversationId && a.type === ActivityTypes.Message) {
      this.store.append(conversationId, 'in', a.from?.id ?? 'buyer', typeof a.text === 'string' ? a.text : '', this.clock.now());
    }
    ctx.onSendActivities(async (_c, activities, nextSend) => {
      const res = await nextSend();
      for (const out of activities) {
        if (out.type === ActivityTypes.Message && conversationId) this.store.append(conversationId, 'out', 'bot', out.text ?? '', this.clock.now());
      }
      return res;
    });
    await next();
  }
}
