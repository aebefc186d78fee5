/** Middleware: every message in and out goes to the transcript store (agents read it on handoff). */
import { ActivityTypes, type Middleware, type TurnContext } from 'botbuilder';
import type { TranscriptLine, TranscriptRepo } from '../handoff/index.js';
import type { Clock } from '../time.js';
import { conversationOf } from './channelKey.js';
import { UnitOfWork } from '../storage/unitOfWork.js';
import { recordText } from './records.js';

export class TranscriptMiddleware implements Middleware {
  constructor(
    private readonly store: TranscriptRepo,
    private readonly clock: Clock,
  ) {}

  async onTurn(ctx: TurnContext, next: () => Promise<void>): Promise<void> {
    const a = ctx.activity;
    if (!a.conversation?.id) return next();
    const conversation = conversationOf(ctx);
    // Collected during the turn and written in one transaction at its end (one commit, not one per line).
    const lines: TranscriptLine[] = [];
    if (a.type === ActivityTypes.Message) lines.push({ direction: 'in', sender: a.from?.id ?? 'buyer', text: typeof a.text === 'string' ? a.text : '', at: this.clock.now() });
    // A failed turn's replies are discarded with it: they never reached the buyer, nor the record.
    const heard = lines.length;
    UnitOfWork.onDiscard(() => void lines.splice(heard));
    ctx.onSendActivities(async (_c, activities, nextSend) => {
      const res = await nextSend();
      // Records keep a reply's masked twin when it has one (codes shown to their verified owner).
      for (const out of activities) if (out.type === ActivityTypes.Message) lines.push({ direction: 'out', sender: 'bot', text: recordText(out), at: this.clock.now() });
      return res;
    });
    try {
      await next();
    } finally {
      await this.store.appendAll(conversation, lines);
    }
  }
}
