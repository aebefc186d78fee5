/**
 * The work a dialog asks for in one call: look an order up, diagnose it, tell the buyer; file a
 * ticket; request a handoff. Dialogs decide when; the desk knows how (and owns no wording).
 */
import { record } from './outcome.js';
import { EventFactory, MessageFactory, TurnContext, type Activity } from 'botbuilder';
import type { Diagnosis } from '../diagnosis/index.js';
import { takeAll } from '../orders/guards.js';
import { maskNumbers, maskSecret } from '../orders/masking.js';
import { type ReplyContext, BUTTONS, deliveredHowTo, explain, maskedDelivery, say, selfCheckSteps, ticketNote, timeline } from '../replies/index.js';
import { toShopIso } from '../time.js';
import type { Identifier } from '../understanding/index.js';
import { conversationOf } from './channelKey.js';
import { RECORD_TEXT } from './records.js';
import { type BotServices, type Profile, type Session, type TurnData, PROFILE_KEY, SESSION_KEY, TURN_KEY, turnData } from './types.js';
import { groundedAnswer } from '../llm/faq.js';
import { rephrase } from '../llm/rephrase.js';
import type { Hit } from '../knowledge/index.js';
import type { Ticket } from '../tickets/index.js';
import { Cases } from '../cases/index.js';
import { WAIT_CAUSES } from '../notify/index.js';
import { isShopUnavailable, ProofRequiredError } from '../orders/errors.js';
import { operatorNote } from '../orders/actions.js';

/** All model calls in one turn together (WeChat wants an answer within 5 s; lookups need time too). */
const TURN_MODEL_MS = 3500;

/** `prove`: the shop shows this order only to its owner (Dujiao-Next): the buyer was asked for the proof. */
export type NextRung = 'self_check' | 'contact' | 'escalate' | 'rights' | 'verify' | 'answered' | 'prove';

/** The buyer's profile, loaded on first use in the turn (saved with the turn when changed). */
export function profile(ctx: TurnContext): Promise<Profile> {
  const load = ctx.turnState.get(PROFILE_KEY) as (() => Promise<Profile>) | undefined;
  if (!load) throw new Error('profile missing');
  return load();
}

export function session(ctx: TurnContext): Session {
  const s = ctx.turnState.get(SESSION_KEY) as Session | undefined;
  if (!s) throw new Error('session missing');
  return s;
}

export class Desk {
  /** The use cases dialogs ask for (src/cases/): results, no wording. */
  readonly cases: Cases;

  constructor(readonly s: BotServices) {
    this.cases = new Cases(s);
  }

  /** The order the case is about now (the one answered last, else the number the buyer gave): tickets are keyed by it. */
  caseOrderNo(sess: Session): string | undefined {
    return sess.current?.orderNo ?? sess.slots.orderNo;
  }

  /**
   * The conversation's open ticket for the order it is about now. Never a ticket remembered from
   * earlier in the conversation: that one may hold another order.
   */
  openTicket(ctx: TurnContext): Promise<Ticket | undefined> {
    return this.cases.openTicket(conversationOf(ctx), this.caseOrderNo(session(ctx)));
  }

  replyContext(t: TurnData): ReplyContext {
    return { now: t.now, tz: this.s.config.timeZone, shopName: this.s.config.shopName };
  }

  /**
   * Sends a reply. `record` is what every record of it keeps instead (transcript, agent console,
   * tickets) when the buyer's copy holds secrets: codes shown to a verified owner go to the owner's
   * channel only; agents see them masked and must use the audited reveal.
   */
  async send(ctx: TurnContext, reply: string, buttons?: string[], opts: { record?: string; worded?: boolean } = {}): Promise<void> {
    // LLM_REPHRASE: the model may reword, code keeps every fact (src/llm/rephrase.ts). Never a
    // reply that holds a revealed code (its record differs), and only inside the turn's budget.
    let text = reply;
    if (this.s.llm && this.s.config.llm?.rephrase && opts.record === undefined && !opts.worded) text = (await rephrase(this.s.llm, reply, this.modelBudget(ctx))).text;
    const activity = buttons?.length ? MessageFactory.suggestedActions(buttons, text) : MessageFactory.text(text);
    activity.locale = 'zh-CN';
    // Replies are plain text with line breaks, not Markdown (Web Chat would join the lines).
    activity.textFormat = 'plain';
    if (opts.record !== undefined && opts.record !== text) activity.channelData = { [RECORD_TEXT]: opts.record };
    // What the bot said last, as records keep it (never a revealed code): the next turn's context.
    const sess = ctx.turnState.get(SESSION_KEY) as Session | undefined;
    if (sess) sess.lastBot = (opts.record ?? text).slice(0, 300);
    await ctx.sendActivity(activity);
  }

  /** What is left of this turn's time for the model (all its calls together), milliseconds. */
  modelBudget(ctx: TurnContext): number {
    const t = ctx.turnState.get(TURN_KEY) as TurnData | undefined;
    const left = TURN_MODEL_MS - (t ? performance.now() - t.startedMs : 0);
    return Math.min(this.s.config.llm?.budgetMs ?? 0, left);
  }

  /**
   * A general question our retrieval found articles for. With a model: its answer from those
   * articles only, checked against the article it names (src/llm/faq.ts); otherwise, or on any
   * doubt, the best article itself.
   */
  async answerFaq(ctx: TurnContext, question: string, hits: Hit[]): Promise<void> {
    if (this.s.llm) {
      const g = await groundedAnswer(this.s.llm, question, hits, this.modelBudget(ctx));
      if (g.ok) {
        await this.send(ctx, say.faqGrounded(g.answer, g.article.title), undefined, { worded: true });
        return;
      }
    }
    await this.send(ctx, say.faqAnswer(hits[0]!.article.title, hits[0]!.article.body));
  }

  /** Lookup + diagnosis + the answer. Returns the rung the conversation should move to. */
  async answer(ctx: TurnContext, id: Identifier, opts: { maskOrderNo?: boolean } = {}): Promise<NextRung | 'rate_limited' | 'error'> {
    const t = turnData(ctx);
    const sess = session(ctx);
    const rc = this.replyContext(t);
    if (!(await this.allowLookup(ctx))) return 'rate_limited';
    let answered: Awaited<ReturnType<Cases['answerOrder']>>;
    try {
      answered = await this.cases.answerOrder(id, { userId: t.buyer?.id, contact: sess.contact ?? t.buyer?.contact }, sess.claims, t.now);
    } catch (err) {
      if (err instanceof ProofRequiredError) {
        sess.current = undefined;
        sess.slots.orderNo = id.value;
        sess.awaiting = 'contact';
        record(ctx, { step: 'collecting' });
        await this.send(ctx, say.askShopProof(), BUTTONS.cancel);
        return 'prove';
      }
      await this.shopDown(ctx, id.value, err);
      return 'error';
    }
    const { lookup, diagnosis: d } = answered;
    record(ctx, { lookup: lookup.found ? { found: true, status: lookup.order.status, holdReasons: lookup.order.holdReasons } : { found: false } });
    record(ctx, { cause: d.cause });
    record(ctx, { step: d.step });

    if (!lookup.found) {
      sess.current = undefined;
      await this.send(
        ctx,
        [explain(d, undefined, { given: lookup.given, givenAs: lookup.givenAs, closeMatches: lookup.closeMatches }, rc), selfCheckSteps(d.cause)].filter(Boolean).join('\n\n'),
      );
      return 'self_check';
    }
    const order = lookup.order;
    // A courier number is printed on the parcel: it may show the order's state, never the numbers
    // that unlock it (order number, tracking), unless the shop's own login proves the owner.
    const owner = !!t.buyer && order.buyer.userId === t.buyer.id;
    const masked = !!opts.maskOrderNo || (lookup.givenAs === 'courier_no' && !owner);
    const shown = masked ? maskNumbers(order) : order;
    sess.slots.orderNo = order.orderNo;
    sess.slots.productType = order.productType;
    // The slot keeps what the buyer said (DESIGN §5); tickets and agents get the order's own time (current.paidAt).
    if (order.paidAt && !sess.slots.paymentTime) sess.slots.paymentTime = { at: order.paidAt, from: order.paidAt, to: order.paidAt };
    if (d.step !== 'answered') sess.ladder.push({ step: d.step, at: t.now.toISOString(), orderNo: order.orderNo });

    const header = say.orderHeader(shown, rc);
    const told = explain(d, shown, { given: masked ? maskSecret(lookup.given) : lookup.given, givenAs: lookup.givenAs }, rc);
    sess.current = { orderNo: order.orderNo, cause: d.cause, step: d.step, masked, told, pastWindow: d.pastWindow, paidAt: order.paidAt };
    const parts = [header, told];
    // What an agent wrote for the buyer on this order, word for word.
    const note = operatorNote(order);
    if (note) parts.push(say.operatorNote(note));
    if (
      shown.delivery &&
      ['delivered', 'code_not_tracking', 'logistics_pending', 'logistics_problem', 'out_of_stock', 'upstream_failed', 'refunded', 'wrong_identifier'].includes(d.cause)
    ) {
      if (shown.delivery.kind !== 'topup_receipt' || order.status !== 'processing') parts.push(maskedDelivery(shown.delivery, rc, order.status));
    }
    parts.push(timeline(shown, t.now, rc.tz));
    const hasSecrets = order.delivery && (order.delivery.kind === 'card_codes' || order.delivery.kind === 'license_key') && order.delivery.items.length > 0;
    // A code that "does not work" is a dispute, not a request to see it.
    const toVerify =
      !!hasSecrets &&
      (t.u.signals.wantsReveal || (t.u.intent === 'card_code' && t.u.signals.wantsCode)) &&
      !t.u.signals.wantsTracking &&
      !t.u.signals.codeUsed &&
      !t.u.signals.newCode;
    if (d.step === 'self_check') {
      const steps = selfCheckSteps(d.cause);
      if (steps) parts.push(steps);
    }
    if (hasSecrets && !toVerify && (d.cause === 'delivered' || d.cause === 'code_not_tracking')) parts.push(deliveredHowTo(order));
    // A wait whose end the bot can tell the buyer about: offer to (once per order and conversation).
    const offerNotify = WAIT_CAUSES.has(d.cause) && !!this.s.notifier?.canReach(conversationOf(ctx).channelId) && sess.notifyOffered !== order.orderNo;
    if (offerNotify) {
      sess.notifyOffered = order.orderNo;
      parts.push(say.notifyOffer());
    }
    const buttons = d.step === 'self_check' ? BUTTONS.afterSelfCheck : undefined;
    await this.send(ctx, parts.join('\n\n'), offerNotify ? [BUTTONS.notify, ...(buttons ?? [])] : buttons);
    return toVerify ? 'verify' : d.step === 'collecting' ? 'answered' : d.step;
  }

  /**
   * The shop did not answer a lookup: say so (never "not found", never a guessed status) and keep
   * the case in a ticket, one per conversation and order.
   */
  async shopDown(ctx: TurnContext, given: string, err: unknown): Promise<void> {
    const t = turnData(ctx);
    const sess = session(ctx);
    record(ctx, { lookup: { found: false, unavailable: true } });
    // Only the shop's own system not answering is a case for a ticket; a hiccup of ours (a busy
    // database while an instance restarts) is a moment to try again.
    if (!isShopUnavailable(err)) {
      await this.send(ctx, say.lookupFailed());
      return;
    }
    // The number that could not be read is what the buyer asks about now: the order talked about
    // before (its state, its ticket) is not this one's.
    const before = this.caseOrderNo(sess);
    if (before && before !== given) {
      if (sess.current?.paidAt && sess.slots.paymentTime?.at === sess.current.paidAt) sess.slots.paymentTime = undefined;
      sess.current = undefined;
      sess.slots.orderNo = undefined;
      sess.slots.productType = undefined;
    }
    if (!sess.slots.orderNo && /^[A-Za-z0-9-]{6,40}$/.test(given)) sess.slots.orderNo = given;
    const ticket = (await this.openTicket(ctx)) ?? (await this.fileTicket(ctx, ticketNote.shopUnavailable(given)));
    record(ctx, { ticketId: ticket.id });
    await this.send(ctx, say.shopUnavailable(ticket.id, new Date(ticket.dueAt), this.replyContext(t)), BUTTONS.agent);
  }

  /** "到了告诉我": watch the order we are talking about (or the one named) and say what will happen. */
  async startNotify(ctx: TurnContext, id?: Identifier): Promise<void> {
    const t = turnData(ctx);
    const sess = session(ctx);
    const notifier = this.s.notifier;
    const conversation = conversationOf(ctx);
    if (!notifier?.canReach(conversation.channelId)) {
      await this.send(ctx, say.notifyUnreachable());
      return;
    }
    // A number given with the request: answer it first, then watch it.
    if (id && id.value !== sess.current?.orderNo) {
      const rung = await this.answer(ctx, id);
      if (rung === 'rate_limited' || rung === 'error') return;
    }
    const current = sess.current;
    if (!current) {
      await this.send(ctx, say.notifyNeedOrder(), BUTTONS.noOrderNo);
      return;
    }
    let order: Awaited<ReturnType<typeof this.s.orders.findByOrderNo>>;
    try {
      order = await this.s.orders.findByOrderNo(current.orderNo);
    } catch (err) {
      await this.shopDown(ctx, current.orderNo, err);
      return;
    }
    const shownNo = current.masked ? maskSecret(current.orderNo) : current.orderNo;
    if (!order) {
      await this.send(ctx, say.notifyNeedOrder());
      return;
    }
    const r = await notifier.watch({
      conversation,
      userId: ctx.activity.from?.id ?? 'anonymous',
      ref: TurnContext.getConversationReference(ctx.activity as Activity),
      order,
      masked: !!current.masked,
      proof: sess.shopProof?.orderNo === order.orderNo ? sess.shopProof.proof : undefined,
    });
    record(ctx, { step: 'answered' });
    if (r.ok) await this.send(ctx, say.notifyStarted(shownNo, r.until, this.replyContext(t)));
    else if (r.why === 'already') await this.send(ctx, say.notifyAlready(shownNo));
    else if (r.why === 'final') await this.send(ctx, say.notifyFinal(shownNo));
    else await this.send(ctx, say.notifyUnreachable());
  }

  /** "不用通知了": stop every watch of this conversation. */
  async stopNotify(ctx: TurnContext): Promise<void> {
    const n = (await this.s.notifier?.unwatch(conversationOf(ctx))) ?? 0;
    await this.send(ctx, say.notifyStopped(n));
  }

  /** Counts one lookup against every limit of whoever asks; tells the buyer when one is used up. */
  async allowLookup(ctx: TurnContext): Promise<boolean> {
    const t = turnData(ctx);
    const checks = t.claimants.map((key) => ({ limiter: key.startsWith('ip:') ? this.s.addressLimiter : this.s.lookupLimiter, key }));
    const refused = await takeAll(checks, t.now);
    if (!refused) return true;
    await this.send(ctx, say.rateLimited(await refused.limiter.retryAfterMinutes(refused.key, t.now)));
    return false;
  }

  async createTicket(ctx: TurnContext, extra?: string): Promise<string> {
    const t = turnData(ctx);
    const existing = await this.openTicket(ctx);
    if (existing && !extra) {
      record(ctx, { ticketId: existing.id });
      await this.send(ctx, say.ticketExists(existing.id), BUTTONS.agent);
      return existing.id;
    }
    const ticket = await this.fileTicket(ctx, extra);
    await this.send(ctx, say.ticketCreated(ticket.id, new Date(ticket.dueAt), this.replyContext(t)), BUTTONS.agent);
    return ticket.id;
  }

  /** Stores a ticket with everything known (files included) and notes it on the ladder; says nothing. */
  async fileTicket(ctx: TurnContext, extra?: string): Promise<{ id: string; dueAt: string }> {
    const t = turnData(ctx);
    const sess = session(ctx);
    const conversation = conversationOf(ctx);
    const ticket = await this.cases.fileTicket(
      conversation,
      (files) => ({
        ...conversation,
        userId: ctx.activity.from?.id ?? 'anonymous',
        orderNo: this.caseOrderNo(sess),
        // The order's own payment time when the order is known; the buyer's words otherwise.
        paymentTime: sess.current?.paidAt ?? sess.slots.paymentTime?.at,
        productType: sess.slots.productType,
        cause: sess.current?.cause,
        told: sess.current?.told,
        conversationRef: TurnContext.getConversationReference(ctx.activity as Activity),
        symptom: ticketNote.join([sess.symptom || t.u.text || ticketNote.none(), extra, files ? ticketNote.files(files) : undefined].filter((x): x is string => !!x)),
      }),
      t.now,
    );
    if (sess.current) sess.current.step = 'contact';
    sess.ladder.push({ step: 'contact', at: t.now.toISOString(), orderNo: ticket.orderNo });
    record(ctx, { ticketId: ticket.id });
    record(ctx, { step: 'contact' });
    return ticket;
  }

  /** A message that is only files (a screenshot): keep them with the case, say where they went. */
  async acknowledgeFiles(ctx: TurnContext): Promise<void> {
    const sess = session(ctx);
    const conversation = conversationOf(ctx);
    // The ticket of the order talked about now, never one that holds another order.
    const ticket = await this.openTicket(ctx);
    if (ticket) {
      await this.s.attachments.attachToTicket(conversation, ticket.id);
      record(ctx, { ticketId: ticket.id });
      await this.send(ctx, say.filesAddedToTicket(ticket.id));
      return;
    }
    if (await this.s.handoffs.active(conversation)) {
      await this.send(ctx, say.filesForAgent());
      return;
    }
    await this.send(ctx, say.filesKept(), sess.current ? BUTTONS.afterSelfCheck : BUTTONS.noOrderNo);
  }

  /** The buyer no longer wants to wait for an agent: true when a queued request was withdrawn. */
  async cancelHandoff(ctx: TurnContext): Promise<boolean> {
    const t = turnData(ctx);
    const active = await this.s.handoffs.active(conversationOf(ctx));
    if (active?.state !== 'queued') return false;
    await this.s.handoffs.cancel(active.id, t.now);
    session(ctx).handoffId = undefined;
    record(ctx, { handoff: false });
    await this.send(ctx, say.handoffCanceled());
    return true;
  }

  async requestHandoff(ctx: TurnContext, reason: string, diag?: Pick<Diagnosis, 'priority'>): Promise<void> {
    const t = turnData(ctx);
    const sess = session(ctx);
    record(ctx, { handoff: true });
    record(ctx, { step: 'escalate' });
    const conversation = conversationOf(ctx);
    const active = await this.s.handoffs.active(conversation);
    if (active) {
      await this.send(ctx, say.handoffAlready());
      return;
    }
    // A channel agents cannot write to: the case goes to people as a ticket, and the buyer is told so.
    if (this.s.oneWay?.(conversation.channelId)) {
      const ticket = (await this.openTicket(ctx)) ?? (await this.fileTicket(ctx, ticketNote.wantedAgent(reason)));
      record(ctx, { ticketId: ticket.id });
      if (sess.current) sess.current.step = 'escalate';
      await this.send(ctx, say.oneWayTicket(ticket.id, new Date(ticket.dueAt), this.replyContext(t)));
      return;
    }
    // Nobody to take it now (outside working hours, or no agent online): a ticket with a promised
    // time, not a queue that nobody serves.
    const { hours } = this.s.config.agents;
    const availability = await this.cases.availability(t.now);
    if (availability !== 'available') {
      // The open ticket of this order, or a new one: another order's ticket does not hold this case.
      const ticket = (await this.openTicket(ctx)) ?? (await this.fileTicket(ctx, ticketNote.wantedAgent(reason)));
      record(ctx, { ticketId: ticket.id });
      record(ctx, { step: 'escalate' });
      if (sess.current) sess.current.step = 'escalate';
      await this.send(ctx, say.noAgentTicket(availability, hours, ticket.id, new Date(ticket.dueAt), this.replyContext(t)));
      return;
    }
    sess.ladder.push({ step: 'escalate', at: t.now.toISOString(), orderNo: sess.current?.orderNo });
    if (sess.current) sess.current.step = 'escalate';
    const open = await this.openTicket(ctx);
    const priority = reason === 'complaint' ? 3 : (diag?.priority ?? (sess.current?.cause === 'risk_hold' || sess.current?.cause === 'overdue' ? 3 : 1));
    const { req, ahead, waitMin, context } = await this.cases.requestHandoff(
      {
        conversation,
        userId: ctx.activity.from?.id ?? 'anonymous',
        priority,
        conversationRef: TurnContext.getConversationReference(ctx.activity as Activity),
        current: sess.current?.orderNo,
        context: {
          reason,
          orderNo: this.caseOrderNo(sess),
          paymentTime:
            (sess.current?.paidAt ?? sess.slots.paymentTime?.at) ? toShopIso(new Date((sess.current?.paidAt ?? sess.slots.paymentTime?.at)!), this.s.config.timeZone) : undefined,
          productType: sess.slots.productType,
          cause: sess.current?.cause,
          told: sess.current?.told,
          step: sess.current?.step,
          ladder: sess.ladder.map((l) => ({ step: l.step, at: l.at })),
          // The ticket of this order, if any (the agent sees it), not one of another order.
          ticketId: open?.id,
          buyer: t.buyer ? { id: t.buyer.id } : undefined,
        },
      },
      t.now,
    );
    sess.handoffId = req.id;
    await this.send(ctx, say.handoffQueued(ahead, waitMin));
    // For shops that plug in an external agent hub (Bot Framework handoff protocol).
    await ctx.sendActivity(EventFactory.createHandoffInitiation(ctx, { handoffId: req.id, ...context }));
  }
}
