/**
 * The part our own channel adapters share (Direct Line, WeChat, in-process): turns of one
 * conversation run one after another, on whichever instance they arrive (the store's conversation
 * lock: bot state is last-writer-wins), each turn is one unit of work
 * (its replies, state and transcript are committed together, or not at all: storage/unitOfWork.ts),
 * and proactive turns (agent replies, hand-back) take the same queue, through either botbuilder
 * entry point.
 */
import { ActivityTypes, BotAdapter, type ConversationReference, TurnContext } from 'botbuilder';
import type { Store } from '../storage/index.js';
import { inUnitOfWork } from '../storage/unitOfWork.js';

/** What a channel adapter needs of the store: transactions and the conversation lock. */
export type TurnStore = Pick<Store, 'sql' | 'lock'>;

export abstract class QueuedAdapter extends BotAdapter {
  constructor(protected readonly store: TurnStore) {
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
    return this.serialize(conversationId, () => inUnitOfWork(this.store.sql, work));
  }

  /** Runs `work` after the conversation's earlier work has settled, on any instance. */
  protected serialize<T>(conversationId: string, work: () => Promise<T>): Promise<T> {
    return this.store.lock.run(conversationId, work);
  }
}
