/**
 * An in-process channel: hand it an activity, get back everything the bot sent in that turn
 * (messages and traces). The terminal REPL, the HTTP JSON endpoint, the evaluation runner and
 * tests all use it; wire-format channels (Direct Line, WeChat) have adapters of their own.
 */
import { randomUUID } from 'node:crypto';
import { type Activity, ActivityTypes, type ResourceResponse, TurnContext } from 'botbuilder';
import { UnitOfWork } from '../storage/unitOfWork.js';
import { QueuedAdapter, type TurnStore } from './queuedAdapter.js';

const COLLECTOR = Symbol('collector');

export interface InboundMessage {
  conversationId: string;
  userId: string;
  text: string;
  channelId?: string;
  channelData?: Record<string, unknown>;
}

/** Turns of one conversation run one at a time, each one unit of work (see QueuedAdapter). */
export class InProcessAdapter extends QueuedAdapter {
  constructor(
    store: TurnStore,
    private readonly channelId = 'inprocess',
  ) {
    super(store);
  }

  async sendActivities(context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const sink = context.turnState.get(COLLECTOR) as Partial<Activity>[] | undefined;
    return activities.map((a) => {
      const id = randomUUID();
      sink?.push({ ...a, id });
      return { id };
    });
  }

  async updateActivity(): Promise<void> {
    throw new Error('updateActivity is not supported by the in-process channel');
  }

  async deleteActivity(): Promise<void> {
    throw new Error('deleteActivity is not supported by the in-process channel');
  }

  /** Runs one turn and returns the bot's activities of that turn, in order. */
  async process(activity: Partial<Activity>, logic: (ctx: TurnContext) => Promise<void>): Promise<Partial<Activity>[]> {
    const ctx = new TurnContext(this, {
      id: randomUUID(),
      timestamp: new Date(),
      channelId: this.channelId,
      serviceUrl: 'inprocess://',
      recipient: { id: 'bot', name: 'bot' },
      locale: 'zh-CN',
      ...activity,
    } as Activity);
    const sink: Partial<Activity>[] = [];
    ctx.turnState.set(COLLECTOR, sink);
    return this.turn(ctx.activity.conversation?.id ?? '', async () => {
      UnitOfWork.onDiscard(() => void sink.splice(0)); // a failed turn's replies give way to its apology
      await this.runMiddleware(ctx, logic);
      return sink;
    });
  }

  message(m: InboundMessage, logic: (ctx: TurnContext) => Promise<void>): Promise<Partial<Activity>[]> {
    return this.process(
      {
        type: ActivityTypes.Message,
        text: m.text,
        channelId: m.channelId ?? this.channelId,
        conversation: { id: m.conversationId, isGroup: false, conversationType: 'personal', name: '' },
        from: { id: m.userId, name: m.userId },
        channelData: m.channelData,
      },
      logic,
    );
  }

  conversationStart(conversationId: string, userId: string, logic: (ctx: TurnContext) => Promise<void>, channelId?: string): Promise<Partial<Activity>[]> {
    return this.process(
      {
        type: ActivityTypes.ConversationUpdate,
        channelId: channelId ?? this.channelId,
        conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' },
        from: { id: userId, name: userId },
        membersAdded: [{ id: userId, name: userId }],
      },
      logic,
    );
  }
}
