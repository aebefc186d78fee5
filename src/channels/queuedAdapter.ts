/**
 * The part our own channel adapters share (Direct Line, WeChat): turns of one conversation run
 * one after another (bot state is last-writer-wins), and proactive turns (agent replies, hand-back)
 * take the same queue, through either botbuilder entry point.
 */
import { ActivityTypes, BotAdapter, type ConversationReference, TurnContext } from 'botbuilder';

export abstract class QueuedAdapter extends BotAdapter {
  private readonly queues = new Map<string, Promise<unknown>>();

  async continueConversation(reference: Partial<ConversationReference>, logic: (ctx: TurnContext) => Promise<void>): Promise<void> {
    const activity = TurnContext.applyConversationReference({ type: ActivityTypes.Event, name: 'ContinueConversation' }, reference, true);
    await this.serialize(reference.conversation!.id, () => this.runMiddleware(new TurnContext(this, activity), logic));
  }

  /** CloudAdapter-style proactive calls (botAppId or claims first; an audience may precede the logic). */
  override async continueConversationAsync(
    _botAppIdOrClaims: unknown,
    reference: Partial<ConversationReference>,
    logicOrAudience: ((ctx: TurnContext) => Promise<void>) | string,
    maybeLogic?: (ctx: TurnContext) => Promise<void>,
  ): Promise<void> {
    const logic = typeof logicOrAudience === 'function' ? logicOrAudience : maybeLogic;
    if (!logic) throw new TypeError('continueConversationAsync: logic is required');
    await this.continueConversation(reference, logic);
  }

  /** Runs `work` after the conversation's earlier work has settled. */
  protected serialize<T>(conversationId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(conversationId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.queues.set(conversationId, next);
    void next
      .finally(() => {
        if (this.queues.get(conversationId) === next) this.queues.delete(conversationId);
      })
      .catch(() => undefined);
    return next;
  }
}
