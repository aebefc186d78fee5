/**
 * The ActivityHandler: welcome, one understanding per message, the main dialog it is given (built
 * by the composition root, src/app.ts), and exactly one `turnOutcome` trace for every turn the bot
 * answers (DESIGN §5).
 */
import { ActivityHandler, ActivityTypes, type ConversationState, type TurnContext, type UserState } from 'botbuilder';
import { BUTTONS, say, ticketNote } from '../replies/index.js';
import { toShopIso } from '../time.js';
import { channelOf } from './channelKey.js';
import type { Desk } from './desk.js';
import { type BotServices, type KnownBuyer, type Profile, type Session, type TurnData, type TurnOutcome, PROFILE_KEY, SESSION_KEY, TURN_KEY, newSession } from './types.js';

export const TURN_OUTCOME = 'turnOutcome';

/** DESIGN §5: exactly one per answered turn; channels never show it to buyers. */
const traceOutcome = (ctx: TurnContext, value: TurnOutcome) =>
  ctx.sendActivity({ type: ActivityTypes.Trace, name: TURN_OUTCOME, label: 'Turn outcome', valueType: 'https://schemas.kamen.dev/turnOutcome', value });

/**
 * The buyer the *channel* vouches for. Channels must set channelData.buyer only from their own
 * authentication (a token minted for a logged-in user), never pass through what a client sent;
 * likewise channelData.clientKey (e.g. the client's IP), which keys the lookup rate limit.
 */
function knownBuyer(ctx: TurnContext): KnownBuyer | undefined {
  const b = (ctx.activity.channelData as { buyer?: { id?: unknown; contact?: unknown } } | undefined)?.buyer;
  if (!b || typeof b.id !== 'string' || !b.id) return undefined;
  return { id: b.id, contact: typeof b.contact === 'string' ? b.contact : undefined };
}

/** The main dialog as the bot runs it: one call per message (dialogs/mainDialog.ts). */
export interface RunnableDialog {
  run(ctx: TurnContext): Promise<void>;
}

export class OrderBot extends ActivityHandler {
  private readonly sessionAccessor;
  private readonly profileAccessor;

  constructor(
    private readonly s: BotServices,
    private readonly conversationState: ConversationState,
    private readonly userState: UserState,
    private readonly main: RunnableDialog,
    private readonly desk: Desk,
  ) {
    super();
    this.sessionAccessor = conversationState.createProperty<Session>('session');
    this.profileAccessor = userState.createProperty<Profile>('profile');

    this.onMembersAdded(async (ctx, next) => {
      for (const m of ctx.activity.membersAdded ?? []) {
        if (m.id !== ctx.activity.recipient?.id) await this.desk.send(ctx, say.welcome(s.config.shopName), BUTTONS.menu);
      }
      await next();
    });

    this.onMessage(async (ctx, next) => {
      await this.handleMessage(ctx);
      await next();
    });
  }

  override async run(ctx: TurnContext): Promise<void> {
    await super.run(ctx);
    await this.conversationState.saveChanges(ctx, false);
    await this.userState.saveChanges(ctx, false);
  }

  /**
   * An agent resolved the handoff: the bot takes the conversation back (a proactive turn) and asks
   * for a rating; the buyer's next message may be it.
   */
  async handBack(ctx: TurnContext, handoffId: string): Promise<void> {
    const sess = await this.sessionAccessor.get(ctx, newSession());
    sess.handoffId = undefined;
    sess.csat = { handoffId };
    await this.desk.send(ctx, say.askRating(), BUTTONS.rating);
    await this.conversationState.saveChanges(ctx, false);
  }

  private async handleMessage(ctx: TurnContext): Promise<void> {
    const { desk } = this;
    const startedMs = performance.now();
    const now = this.s.clock.now();
    const raw = typeof ctx.activity.text === 'string' ? ctx.activity.text : '';
    const max = this.s.config.maxMessageChars;
    const sess = await this.sessionAccessor.get(ctx, newSession());
    ctx.turnState.set(SESSION_KEY, sess);
    // What the bot asked for last turn shapes how this message is read; dialogs ask again if they must.
    // Rules first; with an LLM configured it reads free text too, and code checks what it says.
    const u = await this.s.understanding.read(raw.slice(0, max), { now, timeZone: this.s.config.timeZone, expect: sess.awaiting, lastBot: sess.lastBot, earlier: sess.recent });
    sess.awaiting = undefined;
    if (u.text) sess.recent = [...(sess.recent ?? []), u.text.slice(0, 200)].slice(-3);
    const buyer = knownBuyer(ctx);
    const clientKey = (ctx.activity.channelData as { clientKey?: unknown } | undefined)?.clientKey;
    // Who is asking, for limits: this conversation, the logged-in buyer, and the client as the channel knows it.
    const claimants = [
      `c:${channelOf(ctx)}:${ctx.activity.conversation?.id ?? ''}`,
      ...(buyer ? [`u:${buyer.id}`] : []),
      ...(typeof clientKey === 'string' && clientKey ? [clientKey] : []),
    ];
    const files = (ctx.activity.attachments ?? []).filter((a) => a.contentUrl || a.content).length;
    const turn: TurnData = { u, outcome: {}, buyer, claimants, now, startedMs, truncated: raw.length > max, files };
    ctx.turnState.set(TURN_KEY, turn);

    // Right after a hand-back, "1"–"5" is the rating of the agent, with whatever the buyer adds
    // ("2分 问题根本没解决"); anything else goes on as usual.
    if (sess.csat) {
      const handoffId = sess.csat.handoffId;
      sess.csat = undefined;
      const m = /^\s*([1-5])\s*(?:分|星|颗星)?(?:$|[\s,，。.!！:：、]+([\s\S]*)$)/.exec(u.text);
      const rating = m ? Number(m[1]) : undefined;
      const comment = m?.[2]?.trim() || undefined;
      if (rating && (await this.s.handoffs.rate(handoffId, rating, now, comment))) {
        // Not solved: said with the rating, it is the next case, not a rights lecture.
        if (comment && (u.signals.notResolved || rating <= 2)) {
          const ticket = await desk.fileTicket(ctx, ticketNote.lowRating(rating, comment));
          await desk.send(ctx, say.ratingNotSolved(rating, ticket.id, new Date(ticket.dueAt), desk.replyContext(turn)), BUTTONS.agent);
          await traceOutcome(ctx, { intent: u.intent, slots: {}, step: 'contact', ticketId: ticket.id });
          return;
        }
        await desk.send(ctx, say.ratingThanks(rating));
        await traceOutcome(ctx, { intent: u.intent, slots: {}, step: 'answered' });
        return;
      }
    }
    // The buyer's profile (user state) is read once per conversation, and again only when a dialog needs it.
    ctx.turnState.set(PROFILE_KEY, () => this.profileAccessor.get(ctx, {}));
    if (!sess.profileRead) {
      sess.profileRead = true;
      // A contact this buyer proved before helps find their orders again (candidates stay masked).
      sess.contact ??= (await this.profileAccessor.get(ctx, {})).verifiedContact;
    }
    // Slots accumulate across the conversation.
    if (u.orderNo) sess.slots.orderNo = u.orderNo;
    if (u.paymentTime) sess.slots.paymentTime = { at: u.paymentTime.at.toISOString(), from: u.paymentTime.from.toISOString(), to: u.paymentTime.to.toISOString() };
    if (u.productType) sess.slots.productType = u.productType;
    if (u.brands.length) sess.slots.brands = u.brands;
    if (u.contact) sess.contact ??= u.contact.value;
    if (u.signals.moneyTaken || u.intent === 'payment_issue') sess.claims.moneyTaken = true;
    if (u.signals.wantsTracking) sess.claims.wantsTracking = true;
    if (!sess.symptom && ['order_status', 'card_code', 'payment_issue', 'refund'].includes(u.intent)) sess.symptom = u.text.slice(0, 200);

    let sent = 0;
    ctx.onSendActivities(async (_c, activities, nextSend) => {
      sent += activities.filter((a) => a.type === ActivityTypes.Message).length;
      return nextSend();
    });
    if (turn.truncated) await desk.send(ctx, say.tooLong(max));
    // Files the channel could not accept (wrong type, too large): say so; nothing else to answer if that was all.
    const rejected = Number((ctx.activity.channelData as { rejectedFiles?: unknown } | undefined)?.rejectedFiles) || 0;
    if (rejected > 0) await desk.send(ctx, say.fileRejected(this.s.config.uploads.maxBytes, this.s.config.uploads.maxFiles));
    const unheard = (ctx.activity.channelData as { unrecognizedVoice?: unknown } | undefined)?.unrecognizedVoice === true;
    if (unheard && !u.text) await desk.send(ctx, say.voiceUnrecognized());
    else if (rejected === 0 || u.text || files > 0) await this.main.run(ctx);
    if (sent === 0) await desk.send(ctx, say.unknown(), BUTTONS.menu);

    const value: TurnOutcome = {
      intent: u.intent,
      slots: {
        orderNo: sess.slots.orderNo,
        paymentTime: sess.slots.paymentTime ? toShopIso(new Date(sess.slots.paymentTime.at), this.s.config.timeZone) : undefined,
        productType: sess.slots.productType,
      },
      ...turn.outcome,
    };
    await traceOutcome(ctx, value);
  }
}
