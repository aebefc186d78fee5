/**
 * The relay between buyers and agents. An agent's message is stored first, then handed to the
 * buyer's own channel; channels that keep their outgoing messages in our database (Direct Line's
 * activity log, the WeChat outbox) take it in the same transaction that marks it delivered (a
 * transactional outbox), so a crash can neither lose nor repeat it; others get it at least once.
 * On start, whatever was stored but not delivered is delivered. Buyer messages and agent messages
 * reach every instance's consoles over the bus.
 */
import type { Activity, ConversationReference, TurnContext } from 'botbuilder';
import type pino from 'pino';
import { say } from '../replies/index.js';
import type { Store } from '../storage/index.js';
import type { Agent } from './agents.js';
import type { Handoff, HandoffMessage, HandoffService, TranscriptRepo } from './index.js';

export interface BuyerChannel {
  /** Runs a proactive turn in the buyer's conversation (hand-back, status events). */
  continueConversation(reference: Partial<ConversationReference>, logic: (ctx: TurnContext) => Promise<void>): Promise<void>;
  /**
   * Puts one message in the buyer's channel inside the caller's transaction (Direct Line log,
   * WeChat outbox): database work only; `after` runs once it is committed.
   */
  deliverInTransaction?(reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<{ after?: () => void }>;
}

export class Relay {
  private readonly channels = new Map<string, BuyerChannel>();
  private readonly oneWay = new Set<string>();

  constructor(
    private readonly store: Pick<Store, 'sql' | 'bus'>,
    private readonly handoffs: HandoffService,
    private readonly transcript: TranscriptRepo,
    private readonly agents: { get(id: string): Promise<Agent | undefined> },
    private readonly logger: pino.Logger,
  ) {}

  /** A channel by its key; "ns:*" serves every channel of a namespace ("bf:*": all Bot Framework channels). */
  register(channelId: string, channel: BuyerChannel): void {
    this.channels.set(channelId, channel);
  }

  /** A channel that only answers requests (a JSON API): nothing an agent writes later can reach its buyers. */
  declareOneWay(channelId: string): void {
    this.oneWay.add(channelId);
  }

  isOneWay(channelId: string): boolean {
    return this.oneWay.has(channelId) && !this.channel(channelId);
  }

  private channel(channelId: string): BuyerChannel | undefined {
    const ns = channelId.includes(':') ? channelId.slice(0, channelId.indexOf(':')) : undefined;
    return this.channels.get(channelId) ?? (ns ? this.channels.get(`${ns}:*`) : undefined);
  }

  canReach(channelId: string): boolean {
    return !!this.channel(channelId);
  }

  /** Stores the agent's message, tells the consoles, then delivers it. */
  async agentSays(h: Handoff, agent: Agent, text: string): Promise<HandoffMessage> {
    const m = await this.handoffs.addMessage({ handoffId: h.id, conversationId: h.conversationId, kind: 'agent', agentId: agent.id, text, delivered: false }, new Date());
    this.store.bus.publish('handoff.message', { handoffId: h.id, seq: m.seq });
    await this.deliver(m);
    return (await this.handoffs.message(m.seq)) ?? m;
  }

  /** Delivers a stored agent message that is not yet delivered; true when it went out now. */
  async deliver(m: HandoffMessage): Promise<boolean> {
    const h = m.handoffId ? await this.handoffs.get(m.handoffId) : undefined;
    const channel = h && this.channel(h.channelId);
    if (!h || !channel) {
      this.logger.warn({ handoff: m.handoffId, channel: h?.channelId }, 'agent message: no way to reach this buyer');
      return false;
    }
    const name = (m.agentId && (await this.agents.get(m.agentId))?.displayName) || '';
    const activity: Partial<Activity> = { type: 'message', text: say.agentMessage(name, m.text), locale: 'zh-CN', textFormat: 'plain', channelData: { fromAgent: name } };
    return this.put(channel, h.channelId, h.conversationRef as Partial<ConversationReference>, activity, `agent:${name}`, () => this.handoffs.markDelivered(m.seq, new Date()));
  }

  /**
   * Puts an activity in the buyer's channel and the transcript. `mark` (false: already done, send
   * nothing) runs in the channel's own transaction when it has one (exactly once), else after the
   * send (at least once: a crash in between sends it again after the restart).
   */
  private async put(
    channel: BuyerChannel,
    channelId: string,
    ref: Partial<ConversationReference>,
    activity: Partial<Activity>,
    sender: string,
    mark: () => Promise<boolean> = async () => true,
  ): Promise<boolean> {
    const line = { direction: 'out' as const, sender, text: activity.text ?? '', at: new Date() };
    const conversation = { channelId, conversationId: ref.conversation!.id };
    if (channel.deliverInTransaction) {
      const result = await this.store.sql.tx(async () => {
        if (!(await mark())) return undefined;
        await this.transcript.appendAll(conversation, [line]);
        return channel.deliverInTransaction!(ref, activity);
      });
      result?.after?.();
      return !!result;
    }
    await channel.continueConversation(ref, async (ctx) => void (await ctx.sendActivity(activity)));
    await this.transcript.appendAll(conversation, [line]);
    return mark();
  }

  /** After a restart: deliver what was stored but never delivered. */
  async recover(): Promise<number> {
    let n = 0;
    for (const m of await this.handoffs.undelivered()) {
      try {
        if (await this.deliver(m)) n++;
      } catch (err) {
        this.logger.error({ err, seq: m.seq }, 'could not deliver a stored agent message');
      }
    }
    return n;
  }

  /** A message to a buyer outside a handoff (a ticket's answer); at least once. False when unreachable. */
  async sendToBuyer(channelId: string, ref: Partial<ConversationReference> | undefined, text: string): Promise<boolean> {
    const channel = this.channel(channelId);
    if (!channel || !ref?.conversation) return false;
    return this.put(channel, channelId, ref, { type: 'message', text, locale: 'zh-CN', textFormat: 'plain' }, 'agent');
  }

  /**
   * A message from the bot outside a turn (notify-me). `mark` records it (false: already told, send
   * nothing): in the channel's own transaction where it has one, so a change is told exactly once.
   */
  async botSays(channelId: string, ref: Partial<ConversationReference> | undefined, text: string, mark: () => Promise<boolean>): Promise<boolean> {
    const channel = this.channel(channelId);
    if (!channel || !ref?.conversation) return false;
    return this.put(channel, channelId, ref, { type: 'message', text, locale: 'zh-CN', textFormat: 'plain' }, 'bot', mark);
  }

  /** A proactive turn in the handoff's conversation on its own channel. */
  async proactive(h: Handoff, logic: (ctx: TurnContext) => Promise<void>): Promise<boolean> {
    const channel = this.channel(h.channelId);
    if (!channel) return false;
    await channel.continueConversation(h.conversationRef as Partial<ConversationReference>, logic);
    return true;
  }

  /** What the buyer wrote while an agent has (or is about to have) the conversation. */
  buyerSaid(handoffId: string, conversationId: string, text: string): void {
    // The console shows the start; the transcript keeps it all (bus payloads stay small).
    this.store.bus.publish('handoff.buyer', { handoffId, conversationId, text: text.slice(0, 1500), at: new Date().toISOString() });
  }
}
