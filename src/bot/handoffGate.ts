/**
 * Middleware: while an agent has the conversation, the bot stays silent. The buyer's messages still
 * pass the transcript middleware (registered before this one) and reach the agent's console; a
 * buyer who is only waiting in the queue keeps talking to the bot, and the console sees it too.
 */
import { ActivityTypes, type Middleware, type TurnContext } from 'botbuilder';
import type { HandoffService } from '../handoff/index.js';
import { consoleText } from '../replies/index.js';
import { conversationOf } from './channelKey.js';

export class HandoffGate implements Middleware {
  constructor(
    private readonly handoffs: HandoffService,
    private readonly relay: { buyerSaid(handoffId: string, conversationId: string, text: string): void },
  ) {}

  async onTurn(ctx: TurnContext, next: () => Promise<void>): Promise<void> {
    const a = ctx.activity;
    if (a.type === ActivityTypes.Message && a.conversation?.id) {
      const h = await this.handoffs.active(conversationOf(ctx));
      if (h) {
        const files = a.attachments?.length ?? 0;
        this.relay.buyerSaid(h.id, a.conversation.id, consoleText.buyerMessage(typeof a.text === 'string' ? a.text : '', files));
        if (h.state === 'assigned') return;
      }
    }
    await next();
  }
}
