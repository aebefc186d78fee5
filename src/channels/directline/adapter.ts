/**
 * The Direct Line channel as a botbuilder adapter: the bot's activities go to the conversation's
 * log (with a watermark) and to its live socket; traces never leave the server. Turns of one
 * conversation run one at a time, each as one unit of work: the buyer's message, the bot's replies
 * and the conversation state are committed together, and sockets hear of them only then. A
 * message re-posted with the same clientActivityID (a client retrying after a lost answer) is not
 * a second turn. Proactive messages (agent replies later) use continueConversation and wait in the
 * log for a buyer who is offline. Every append is announced on the bus once committed: whichever
 * instance holds the buyer's stream sends it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type Activity, ActivityTypes, type ConversationReference, type ResourceResponse, TurnContext } from 'botbuilder';
import { QueuedAdapter, type TurnStore } from '../queuedAdapter.js';
import { withoutRecord } from '../../bot/records.js';
import { BOT_NAME } from '../../replies/index.js';
import { UnitOfWork, inUnitOfWork } from '../../storage/unitOfWork.js';
import type { Bus } from '../../storage/cluster.js';
import type { Clock } from '../../time.js';
import type { DirectLineStore } from './store.js';

export const DIRECTLINE_CHANNEL = 'directline';
export const BOT = { id: 'order-assistant', name: BOT_NAME, role: 'bot' } as const;

/** Ids of the activities sent in this turn (not yet committed: updateActivity may still name them). */
const SENT = Symbol('dlSent');

/** Unique activity ids: this process's random prefix and a counter (no random bytes per activity). */
const BOOT = randomBytes(6).toString('base64url');
let issued = 0;
const newActivityId = (conversationId: string) => `${conversationId}|${BOOT}${(++issued).toString(36)}`;

/** The clientActivityID a client gave its activity (Web Chat always does), if it is a sane one. */
export function clientActivityIdOf(a: Partial<Activity>): string | undefined {
  const id = (a.channelData as { clientActivityID?: unknown } | undefined)?.clientActivityID;
  return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : undefined;
}

export class DirectLineAdapter extends QueuedAdapter {
  constructor(
    store: TurnStore,
    private readonly log: DirectLineStore,
    private readonly bus: Bus,
    private readonly clock: Clock,
  ) {
    super(store);
  }

  /** Watermarks committed but not yet announced, per conversation (a turn's appends make one announcement). */
  private readonly unannounced = new Map<string, number>();

  private announce(conversationId: string, watermark: number): void {
    const pending = this.unannounced.get(conversationId);
    if (pending !== undefined) {
      if (watermark > pending) this.unannounced.set(conversationId, watermark);
      return;
    }
    this.unannounced.set(conversationId, watermark);
    // A commit runs its `after`s one after another: the highest watermark goes out once, just after.
    queueMicrotask(() => {
      const w = this.unannounced.get(conversationId)!;
      this.unannounced.delete(conversationId);
      this.bus.publish('directline.append', { conversationId, watermark: w });
    });
  }

  /**
   * Stores an activity in the log: as part of the running turn (sockets are told after its commit),
   * or at once outside a turn.
   */
  private later(conversationId: string, activity: Partial<Activity> & { id: string }, opts: { keep?: boolean; clientActivityId?: string } = {}): Promise<void> {
    let watermark = 0;
    return UnitOfWork.write(async () => void (watermark = await this.log.append(conversationId, activity, opts.clientActivityId)), {
      keep: opts.keep,
      after: () => this.announce(conversationId, watermark),
    });
  }

  /** Only the storing part (callers run it inside their own transaction); then notify(), once committed. */
  async append(conversationId: string, activity: Partial<Activity>): Promise<{ stored: Partial<Activity>; notify: () => void }> {
    const stored = { ...activity, id: newActivityId(conversationId) };
    const watermark = await this.log.append(conversationId, stored);
    return { stored, notify: () => this.announce(conversationId, watermark) };
  }

  /** An activity from the bot's side for a conversation, outside any turn (an agent's message). */
  botActivity(conversationId: string, userId: string, a: Partial<Activity>): Partial<Activity> {
    return {
      ...a,
      channelId: DIRECTLINE_CHANNEL,
      conversation: { id: conversationId } as Activity['conversation'],
      from: { ...BOT },
      recipient: { id: userId, name: userId, role: 'user' },
      timestamp: this.clock.now(),
    };
  }

  async sendActivities(context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const conversationId = context.activity.conversation.id;
    const sent = (context.turnState.get(SENT) as Set<string> | undefined) ?? new Set<string>();
    context.turnState.set(SENT, sent);
    const out: ResourceResponse[] = [];
    for (const a of activities) {
      // Traces, and handoff protocol events meant for an external agent hub, never reach the buyer's page.
      if (a.type === ActivityTypes.Trace || a.type === 'delay' || (a.type === ActivityTypes.Event && a.name?.startsWith('handoff.'))) {
        out.push({ id: randomUUID() });
        continue;
      }
      const stored = {
        ...withoutRecord(a),
        id: newActivityId(conversationId),
        channelId: DIRECTLINE_CHANNEL,
        conversation: { id: conversationId } as Activity['conversation'],
        from: { ...BOT },
        recipient: context.activity.from,
        timestamp: this.clock.now(),
        replyToId: a.replyToId ?? context.activity.id,
      };
      await this.later(conversationId, stored);
      sent.add(stored.id);
      out.push({ id: stored.id });
    }
    return out;
  }

  private async known(context: TurnContext, id: string | undefined): Promise<boolean> {
    return !!id && (!!(context.turnState.get(SENT) as Set<string> | undefined)?.has(id) || (await this.log.has(context.activity.conversation.id, id)));
  }

  async updateActivity(context: TurnContext, activity: Partial<Activity>): Promise<void> {
    const cid = context.activity.conversation.id;
    const id = activity.id;
    if (!id || !(await this.known(context, id))) throw new Error(`updateActivity: unknown activity ${id}`);
    await UnitOfWork.write(() => this.log.replace(cid, id, activity));
    await this.later(cid, { id: newActivityId(cid), type: 'messageUpdate', replyToId: id, from: { ...BOT }, text: activity.text, timestamp: this.clock.now() });
  }

  async deleteActivity(context: TurnContext, reference: Partial<ConversationReference>): Promise<void> {
    const cid = context.activity.conversation.id;
    const id = reference.activityId;
    if (!id || !(await this.known(context, id))) throw new Error(`deleteActivity: unknown activity ${id}`);
    await UnitOfWork.write(() => this.log.replace(cid, id, { type: 'messageDelete', from: { ...BOT } }));
    await this.later(cid, { id: newActivityId(cid), type: 'messageDelete', replyToId: id, from: { ...BOT }, timestamp: this.clock.now() });
  }

  /** Runs one turn for an activity that is not part of the log (a conversation update). */
  processActivity(activity: Activity, logic: (ctx: TurnContext) => Promise<void>): Promise<void> {
    return this.turn(activity.conversation.id, () => this.runMiddleware(new TurnContext(this, activity), logic));
  }

  /**
   * A buyer's activity: logged and answered in one unit of work, after the conversation's earlier
   * turns; returns its id. One posted again with the same clientActivityID is the same activity:
   * its id comes back and no turn runs.
   */
  receive(inbound: Partial<Activity>, logic: (ctx: TurnContext) => Promise<void>): Promise<string> {
    const conversationId = inbound.conversation!.id;
    const clientActivityId = clientActivityIdOf(inbound);
    return this.serialize(conversationId, async (): Promise<string> => {
      const prior = clientActivityId ? await this.log.byClientActivityId(conversationId, clientActivityId) : undefined;
      if (prior) return prior;
      const id = newActivityId(conversationId);
      const activity = { ...inbound, id } as Activity;
      // The log keeps what the client sent; what the server adds for the bot (buyer, client key) stays out of it.
      const logged = { ...activity, id, channelData: clientActivityId ? { clientActivityID: clientActivityId } : undefined };
      await inUnitOfWork(this.store.sql, async () => {
        await this.later(conversationId, logged, { keep: true, clientActivityId });
        await this.runMiddleware(new TurnContext(this, activity), logic);
      });
      return id;
    });
  }
}
