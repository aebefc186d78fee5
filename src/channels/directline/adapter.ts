/**
 * The Direct Line channel as a botbuilder adapter: the bot's activities go to the conversation's
 * log (with a watermark) and to its live socket; traces never leave the server. Turns of one
 * conversation run one at a time. Proactive messages (agent replies later) use continueConversation
 * and wait in the log for a buyer who is offline.
 */
import { randomUUID } from 'node:crypto';
import { type Activity, ActivityTypes, type ConversationReference, type ResourceResponse, TurnContext } from 'botbuilder';
import { QueuedAdapter } from '../queuedAdapter.js';
import { withoutRecord } from '../../bot/records.js';
import { BOT_NAME } from '../../replies/index.js';
import type { Clock } from '../../time.js';
import type { DirectLineStore } from './store.js';

export const DIRECTLINE_CHANNEL = 'directline';
export const BOT = { id: 'order-assistant', name: BOT_NAME, role: 'bot' } as const;

export type Listener = (conversationId: string, activities: Partial<Activity>[], watermark: number) => void;

export class DirectLineAdapter extends QueuedAdapter {
  private readonly listeners = new Set<Listener>();

  constructor(private readonly store: DirectLineStore, private readonly clock: Clock) {
    super();
  }

  onAppend(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stores an activity in the conversation log and tells the sockets. */
  publish(conversationId: string, activity: Partial<Activity>): Partial<Activity> {
    const { stored, notify } = this.append(conversationId, activity);
    notify();
    return stored;
  }

  /** Only the SQLite part of publish (callers may run it inside their own transaction); then notify(). */
  append(conversationId: string, activity: Partial<Activity>): { stored: Partial<Activity>; notify: () => void } {
    const { activity: stored, watermark } = this.store.append(conversationId, activity);
    return { stored, notify: () => this.listeners.forEach((l) => l(conversationId, [stored], watermark)) };
  }

  /** An activity from the bot's side for a conversation, outside any turn (an agent's message). */
  botActivity(conversationId: string, userId: string, a: Partial<Activity>): Partial<Activity> {
    return { ...a, channelId: DIRECTLINE_CHANNEL, conversation: { id: conversationId } as Activity['conversation'], from: { ...BOT }, recipient: { id: userId, name: userId, role: 'user' }, timestamp: this.clock.now() };
  }

  async sendActivities(context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const conversationId = context.activity.conversation.id;
    const out: ResourceResponse[] = [];
    for (const a of activities) {
      // Traces, and handoff protocol events meant for an external agent hub, never reach the buyer's page.
      if (a.type === ActivityTypes.Trace || a.type === 'delay' || (a.type === ActivityTypes.Event && a.name?.startsWith('handoff.'))) {
        out.push({ id: randomUUID() });
        continue;
      }
      const stored = this.publish(conversationId, {
        ...withoutRecord(a),
        channelId: DIRECTLINE_CHANNEL,
        conversation: { id: conversationId } as Activity['conversation'],
        from: { ...BOT },
        recipient: context.activity.from,
        timestamp: this.clock.now(),
        replyToId: a.replyToId ?? context.activity.id,
      });
      out.push({ id: stored.id! });
    }
    return out;
  }

  async updateActivity(context: TurnContext, activity: Partial<Activity>): Promise<void> {
    if (!activity.id || !this.store.replace(context.activity.conversation.id, activity.id, activity)) throw new Error(`updateActivity: unknown activity ${activity.id}`);
    this.publish(context.activity.conversation.id, { type: 'messageUpdate', replyToId: activity.id, from: { ...BOT }, text: activity.text, timestamp: this.clock.now() });
  }

  async deleteActivity(context: TurnContext, reference: Partial<ConversationReference>): Promise<void> {
    const id = reference.activityId;
    if (!id || !this.store.replace(context.activity.conversation.id, id, { type: 'messageDelete', from: { ...BOT } })) throw new Error(`deleteActivity: unknown activity ${id}`);
    this.publish(context.activity.conversation.id, { type: 'messageDelete', replyToId: id, from: { ...BOT }, timestamp: this.clock.now() });
  }

  /** Runs one turn for an inbound activity (already in the log), after earlier turns of the conversation. */
  processActivity(activity: Activity, logic: (ctx: TurnContext) => Promise<void>): Promise<void> {
    return this.serialize(activity.conversation.id, () => this.runMiddleware(new TurnContext(this, activity), logic));
  }
}
