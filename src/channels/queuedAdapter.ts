/**
 * The part our own channel adapters share (Direct Line, WeChat, in-process): turns of one
 * conversation run one after another (bot state is last-writer-wins), each turn is one unit of work
 * (its replies, state and transcript are committed together, or not at all: storage/unitOfWork.ts),
 * and proactive turns (agent replies, hand-back) take the same queue, through either botbuilder
 * entry point.
 */
import { ActivityTypes, BotAdapter, type ConversationReference, TurnContext } from 'botbuilder';
import type { Db } from '../storage/db.js';
import { inUnitOfWork } from '../storage/unitOfWork.js';

export abstract class QueuedAdapter extends BotAdapter {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(protected readonly db: Db) {
    super();
  }

  async continueConversation(reference: Partial<ConversationReference>, logic: (ctx: TurnContext) => Promise<void>): Promise<void> {
    const activity = TurnContext.applyConversationReference({ type: ActivityTypes.Event, name: 'ContinueConversation' }, reference, true);
    await this.turn(reference.conversation!.id, () => this.runMiddleware(new TurnContext(this, activity), logic));
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

  /** Runs one turn after the conversation's earlier work, as one unit of work. */
  protected turn<T>(conversationId: string, work: () => Promise<T>): Promise<T> {
    return this.serialize(conversationId, () => inUnitOfWork(this.db, work));
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
