/**
 * Handoff requests (the "escalate" rung) and their messages. The bot stores a request with the
 * full context packet; the console and the relay (./relay.ts, ./console.ts) work from here.
 */
import type { Bus } from '../storage/cluster.js';

export interface HandoffContext {
  reason: string;
  orderNo?: string;
  paymentTime?: string;
  productType?: string;
  cause?: string;
  step?: string;
  /** What the bot told the buyer about the order. */
  told?: string;
  order?: unknown;
  ladder: Array<{ step: string; at: string }>;
  ticketId?: string;
  buyer?: { id?: string; contact?: string };
  /** The model's summary and suggested replies for the agent (LLM_*; checked, never sent by itself). */
  assist?: { summary: string[]; suggestions: string[]; model: string; at: string };
  /** Files the buyer sent (payment screenshots...), by attachment id. */
  attachments?: Array<{ id: string; name: string; contentType: string; size: number; at: string }>;
  transcript: Array<{ direction: string; sender: string; text: string; at: string }>;
}

export type HandoffState = 'queued' | 'assigned' | 'resolved' | 'canceled';

export interface HandoffRequest {
  id: string;
  conversationId: string;
  state: HandoffState;
  priority: number;
  createdAt: string;
}

/** A handoff as the console sees it. */
export interface Handoff extends HandoffRequest {
  channelId: string;
  userId: string;
  reason: string;
  agentId?: string;
  assignedAt?: string;
  resolvedAt?: string;
  outcome?: string;
  rating?: number;
  /** What the buyer said with their rating. */
  ratingComment?: string;
  /** The order the conversation was about (from the context packet; the console searches it). */
  orderNo?: string;
  conversationRef: Record<string, unknown>;
}

/** What an agent types into the console's search box: as typed, and the contact in it when there is one. */
export interface HandoffSearch {
  text: string;
  /** A phone number, e-mail or QQ read out of `text` (normalized), matched as the buyer may have written it. */
  contact?: string;
}

export type MessageKind = 'buyer' | 'agent' | 'note' | 'system';
export interface HandoffMessage {
  seq: number;
  handoffId: string | null;
  conversationId: string;
  kind: MessageKind;
  agentId?: string;
  text: string;
  at: string;
  deliveredAt?: string;
}

/** Outcomes an agent picks when resolving. */
export const OUTCOMES = ['solved', 'refunded', 'reissued', 'buyer_error', 'escalated_to_shop', 'no_response', 'other'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface NewHandoff {
  conversationId: string;
  channelId: string;
  userId: string;
  priority: number;
  context: HandoffContext;
  conversationRef: unknown;
}
export interface NewMessage {
  handoffId: string | null;
  conversationId: string;
  kind: MessageKind;
  agentId?: string;
  text: string;
  delivered: boolean;
}

/** Where handoffs and their messages are kept (storage/sql/handoffs.ts). Changes return false when the state did not allow them. */
export interface HandoffRepo {
  active(c: ConversationKey): Promise<HandoffRequest | undefined>;
  request(args: NewHandoff, now: Date): Promise<HandoffRequest>;
  /** The handoff's state when the notes were added to its (open) context. */
  annotate(id: string, assist: NonNullable<HandoffContext['assist']>): Promise<HandoffState | undefined>;
  get(id: string): Promise<Handoff | undefined>;
  open(): Promise<Handoff[]>;
  /** Resolved and canceled, the latest first. */
  ended(limit: number): Promise<Handoff[]>;
  /** Any state, newest first: the order number, a line of the conversation, or the buyer's contact; with the latest matching line. */
  search(q: HandoffSearch, limit: number): Promise<Array<{ handoff: Handoff; match?: string }>>;
  /** One buyer's handoffs on one channel (their channel user id), newest first; none for an anonymous id. */
  forBuyer(channelId: string, userId: string, limit: number): Promise<Handoff[]>;
  ahead(req: HandoffRequest): Promise<number>;
  recentHandling(limit: number): Promise<Array<{ assignedAt: string; resolvedAt: string }>>;
  context(id: string): Promise<HandoffContext | undefined>;
  queuedBefore(before: Date): Promise<Handoff[]>;
  expire(id: string, now: Date): Promise<boolean>;
  cancel(id: string, now: Date): Promise<boolean>;
  claim(id: string, agentId: string, now: Date): Promise<boolean>;
  transfer(id: string, fromAgentId: string, toAgentId: string, now: Date): Promise<boolean>;
  resolve(id: string, agentId: string, outcome: Outcome, now: Date): Promise<boolean>;
  rate(id: string, rating: number, now: Date, comment?: string): Promise<boolean>;
  addMessage(m: NewMessage, now: Date): Promise<HandoffMessage>;
  messages(handoffId: string): Promise<HandoffMessage[]>;
  message(seq: number): Promise<HandoffMessage | undefined>;
  undelivered(): Promise<HandoffMessage[]>;
  markDelivered(seq: number, now: Date): Promise<boolean>;
}

/**
 * The handoff lifecycle: bot → queued → assigned (with an agent) → resolved (back to the bot), or
 * canceled by the buyer. Every message of a handoff (buyer, agent, internal note) is kept, an
 * agent's before it is delivered. Each change is announced on the bus (every instance's consoles).
 */
export class HandoffService {
  constructor(
    private readonly repo: HandoffRepo,
    private readonly bus: Bus,
  ) {}

  active(c: ConversationKey): Promise<HandoffRequest | undefined> {
    return this.repo.active(c);
  }

  async request(args: NewHandoff, now: Date): Promise<HandoffRequest> {
    const req = await this.repo.request(args, now);
    this.bus.publish('handoff.changed', { handoffId: req.id, state: 'queued' });
    return req;
  }

  /** Adds the model's notes for the agent to an open handoff's context (consoles refresh). */
  async annotate(id: string, assist: NonNullable<HandoffContext['assist']>): Promise<boolean> {
    const state = await this.repo.annotate(id, assist);
    return this.changed(id, state ?? 'queued', !!state);
  }

  get(id: string): Promise<Handoff | undefined> {
    return this.repo.get(id);
  }

  /** Waiting (most urgent first, then oldest) and being handled; the console's queue. */
  open(): Promise<Handoff[]> {
    return this.repo.open();
  }

  /** Resolved and canceled handoffs, the latest first (the console's 已结束 view). */
  ended(limit = 50): Promise<Handoff[]> {
    return this.repo.ended(limit);
  }

  /** Handoffs in any state found by order number, contact or a line of the conversation. */
  search(q: HandoffSearch, limit = 50): Promise<Array<{ handoff: Handoff; match?: string }>> {
    return this.repo.search(q, limit);
  }

  /** The buyer's other handoffs on the same channel (same channel user id), newest first. */
  async earlier(h: Handoff, limit = 10): Promise<Handoff[]> {
    return (await this.repo.forBuyer(h.channelId, h.userId, limit + 1)).filter((x) => x.id !== h.id).slice(0, limit);
  }

  /** How many queued requests an agent will take before this one. */
  ahead(req: HandoffRequest): Promise<number> {
    return this.repo.ahead(req);
  }

  /** Minutes an agent spends on a handoff, over the last 50 resolved (undefined without history). */
  async averageHandlingMinutes(): Promise<number | undefined> {
    const spans = (await this.repo.recentHandling(50)).map((r) => (Date.parse(r.resolvedAt) - Date.parse(r.assignedAt)) / 60_000).filter((m) => m > 0 && m < 24 * 60);
    return spans.length >= 3 ? spans.reduce((a, b) => a + b, 0) / spans.length : undefined;
  }

  context(id: string): Promise<HandoffContext | undefined> {
    return this.repo.context(id);
  }

  /** Queued since before `before` (nobody took them). */
  queuedBefore(before: Date): Promise<Handoff[]> {
    return this.repo.queuedBefore(before);
  }

  /** Gives up on a queued handoff (it became a ticket); false when somebody claimed it meanwhile. */
  async expire(id: string, now: Date): Promise<boolean> {
    return this.changed(id, 'canceled', await this.repo.expire(id, now));
  }

  async cancel(id: string, now: Date): Promise<boolean> {
    return this.changed(id, 'canceled', await this.repo.cancel(id, now));
  }

  private changed(id: string, state: HandoffState, ok: boolean): boolean {
    if (ok) this.bus.publish('handoff.changed', { handoffId: id, state });
    return ok;
  }

  /** The agent takes a queued handoff; false when somebody else was quicker (or it was canceled). */
  async claim(id: string, agentId: string, now: Date): Promise<boolean> {
    return this.changed(id, 'assigned', await this.repo.claim(id, agentId, now));
  }

  async transfer(id: string, fromAgentId: string, toAgentId: string, now: Date): Promise<boolean> {
    return this.changed(id, 'assigned', await this.repo.transfer(id, fromAgentId, toAgentId, now));
  }

  async resolve(id: string, agentId: string, outcome: Outcome, now: Date): Promise<boolean> {
    return this.changed(id, 'resolved', await this.repo.resolve(id, agentId, outcome, now));
  }

  /** The buyer's 1–5 after a resolved handoff (only once), with what they said with it. */
  rate(id: string, rating: number, now: Date, comment?: string): Promise<boolean> {
    return this.repo.rate(id, rating, now, comment);
  }

  addMessage(m: NewMessage, now: Date): Promise<HandoffMessage> {
    return this.repo.addMessage(m, now);
  }

  messages(handoffId: string): Promise<HandoffMessage[]> {
    return this.repo.messages(handoffId);
  }

  message(seq: number): Promise<HandoffMessage | undefined> {
    return this.repo.message(seq);
  }

  /** Agent messages persisted but not yet handed to the buyer's channel (a crash in between). */
  undelivered(): Promise<HandoffMessage[]> {
    return this.repo.undelivered();
  }

  /** Marks delivered; false when it already was (so a second delivery attempt backs off). */
  markDelivered(seq: number, now: Date): Promise<boolean> {
    return this.repo.markDelivered(seq, now);
  }
}

/** A conversation as our stores name it: its channel (see bot/channelKey.ts) and its id. */
export interface ConversationKey {
  channelId: string;
  conversationId: string;
}

export interface TranscriptLine {
  direction: 'in' | 'out';
  sender: string;
  text: string;
  at: Date;
}

/** Every message in and out, per conversation (for the agent's context packet): storage/sql/handoffs.ts. */
export interface TranscriptRepo {
  /** Inside a turn, part of its unit of work and kept even when the turn fails; else at once. */
  appendAll(c: ConversationKey, lines: TranscriptLine[]): Promise<void>;
  recent(c: ConversationKey, limit?: number): Promise<HandoffContext['transcript']>;
}
