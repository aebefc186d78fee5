/**
 * Use cases the dialogs ask for (DESIGN §2): each does the work against the services and returns
 * a result; none sends anything or holds a sentence. Dialogs decide what to do with the result and
 * the desk (src/bot/desk.ts) says it.
 */
import { type Diagnosis, type Lookup, diagnose } from '../diagnosis/index.js';
import type { ConversationKey, HandoffContext, HandoffRequest } from '../handoff/index.js';
import type { Hit } from '../knowledge/index.js';
import { agentAssist } from '../llm/assist.js';
import { lookupIdentifier } from '../orders/lookup.js';
import type { UnifiedOrder, Delivery } from '../orders/model.js';
import type { OwnershipProof } from '../orders/port.js';
import type { NewTicket, Ticket } from '../tickets/index.js';
import { inDailyWindow } from '../time.js';
import type { Identifier } from '../understanding/index.js';
import type { BotServices, Session } from '../bot/types.js';

export type OwnershipCheck = { ok: true } | { ok: false; left: number; needsPassword: boolean };

export interface OrderSearch {
  userId?: string;
  contact?: string;
  email?: string;
  from: Date;
  to: Date;
  productType?: UnifiedOrder['productType'];
  /** Only orders of that product type, even when none are found. */
  strictType?: boolean;
}

/** Whether a person can take a handoff now: inside agent hours with someone online. */
export type Availability = 'available' | 'closed' | 'offline';

export class Cases {
  constructor(private readonly s: BotServices) {}

  /** Looks the identifier up (the buyer's own orders for near misses) and diagnoses what it finds. */
  async answerOrder(id: Identifier, who: { userId?: string; contact?: string }, claims: Session['claims'], now: Date): Promise<{ lookup: Lookup; diagnosis: Diagnosis }> {
    const lookup = await lookupIdentifier(this.s.orders, id, who);
    return { lookup, diagnosis: diagnose({ lookup, claims, now, policy: this.s.config.policy }) };
  }

  /**
   * Files a ticket with the conversation's files not yet on one: `make` gets how many there are
   * (the ticket says so) and returns the ticket to store.
   */
  async fileTicket(conversation: ConversationKey, make: (files: number) => NewTicket, now: Date): Promise<Ticket> {
    const files = (await this.s.attachments.forConversation(conversation)).filter((f) => !f.ticketId).length;
    const ticket = await this.s.tickets.create(make(files), now);
    if (files) await this.s.attachments.attachToTicket(conversation, ticket.id);
    return ticket;
  }

  /**
   * The conversation's open ticket for this order (`undefined`: the ticket filed without an order
   * number). A ticket is per order: another order's ticket is never this one's, however recent.
   */
  async openTicket(conversation: ConversationKey, orderNo: string | undefined): Promise<Ticket | undefined> {
    const ticket = await this.s.tickets.openFor(conversation, orderNo);
    return ticket?.status === 'open' ? ticket : undefined;
  }

  /** Whether an agent can take a handoff now. */
  async availability(now: Date): Promise<Availability> {
    if (!inDailyWindow(now, this.s.config.agents.hours, this.s.config.timeZone)) return 'closed';
    return (await this.s.presence.online()) === 0 ? 'offline' : 'available';
  }

  /** An honest wait for a queued request: those ahead, shared by the agents online, at their usual pace. */
  async queueWait(req: HandoffRequest): Promise<{ ahead: number; waitMin: number }> {
    const ahead = await this.s.handoffs.ahead(req);
    const pace = (await this.s.handoffs.averageHandlingMinutes()) ?? this.s.config.agents.handleMin;
    return { ahead, waitMin: Math.ceil((ahead * pace) / Math.max(1, await this.s.presence.online())) };
  }

  /**
   * Queues a handoff with its context packet (the order as it is now, files, the transcript); with
   * a model, the agent's summary is written off the turn. Returns the request and the honest wait.
   */
  async requestHandoff(
    args: {
      conversation: ConversationKey;
      userId: string;
      priority: number;
      conversationRef: unknown;
      /** The order being talked about (looked up as it is now for the agent). */
      current?: string;
      context: Omit<HandoffContext, 'order' | 'attachments' | 'transcript'>;
    },
    now: Date,
  ): Promise<{ req: HandoffRequest; ahead: number; waitMin: number; context?: HandoffContext }> {
    const order = args.current ? await this.s.orders.findByOrderNo(args.current).catch(() => null) : null;
    const { conversation } = args;
    const req = await this.s.handoffs.request(
      {
        ...conversation,
        userId: args.userId,
        priority: args.priority,
        conversationRef: args.conversationRef,
        context: {
          ...args.context,
          order,
          attachments: (await this.s.attachments.forConversation(conversation)).map((f) => ({ id: f.id, name: f.name, contentType: f.contentType, size: f.size, at: f.createdAt })),
          transcript: await this.s.transcript.recent(conversation),
        },
      },
      now,
    );
    const context = await this.s.handoffs.context(req.id);
    const llm = this.s.llm;
    if (llm && context) {
      void agentAssist(llm, context, this.s.config.timeZone, now)
        .then((a) => a && this.s.handoffs.annotate(req.id, a))
        .catch(() => undefined);
    }
    return { req, ...(await this.queueWait(req)), context };
  }

  /** The order (masked) when it holds delivered secrets (codes, keys) a proof would reveal. */
  async withSecrets(orderNo: string): Promise<UnifiedOrder | undefined> {
    const order = await this.s.orders.findByOrderNo(orderNo);
    const d = order?.delivery;
    if (!order || !d || (d.kind !== 'card_codes' && d.kind !== 'license_key') || d.items.length === 0) return undefined;
    return order;
  }

  /** Whether the shop's own login proves this buyer owns the order (no lock applies to them). */
  ownerByLogin(orderNo: string, buyerId: string): Promise<boolean> {
    return this.s.orders.verifyOwnership(orderNo, { userId: buyerId });
  }

  /** Until when these claimants (or every anonymous one) may not try this order again. */
  lockedUntil(orderNo: string, claimants: string[], now: Date): Promise<Date | undefined> {
    return this.s.verifyGuard.lockedUntil(orderNo, claimants, now);
  }

  /** Checks a proof of ownership; a failure counts against every claimant key and the order. */
  async verifyOwner(orderNo: string, proof: OwnershipProof, claimants: string[], now: Date): Promise<OwnershipCheck> {
    if (await this.s.orders.verifyOwnership(orderNo, proof)) {
      await this.s.verifyGuard.reset(orderNo, claimants);
      return { ok: true };
    }
    const left = await this.s.verifyGuard.fail(orderNo, claimants, now);
    // Only to say whether a password was missing: a shop that shows nothing before the proof says nothing here.
    const order = left > 0 ? await this.s.orders.findByOrderNo(orderNo).catch(() => null) : null;
    return { ok: false, left, needsPassword: !!order?.buyer.hasQueryPassword && !proof.queryPassword };
  }

  /** The delivery in full, for a proof the order service accepts. */
  reveal(orderNo: string, proof: OwnershipProof): Promise<Delivery | null> {
    return this.s.orders.revealDelivery(orderNo, proof);
  }

  /** Orders of one buyer in a payment window, the product type first; without it when that finds none (unless strict). */
  async findOrders(q: OrderSearch): Promise<UnifiedOrder[]> {
    const who = { userId: q.userId, contact: q.contact, email: q.email };
    const found = await this.s.orders.findCandidates({ ...who, paidFrom: q.from, paidTo: q.to, productType: q.productType, limit: 5 });
    if (found.length > 0 || !q.productType || q.strictType) return found;
    return this.s.orders.findCandidates({ ...who, paidFrom: q.from, paidTo: q.to, limit: 5 });
  }

  /** Orders by number (those the service knows), in the order given. */
  async ordersByNumber(orderNos: string[]): Promise<UnifiedOrder[]> {
    return (await Promise.all(orderNos.map((no) => this.s.orders.findByOrderNo(no)))).filter((o): o is UnifiedOrder => !!o);
  }

  /** Articles for a general question, best first. */
  searchKnowledge(text: string, limit = 3): Hit[] {
    return text ? this.s.knowledge.search(text, limit) : [];
  }
}
