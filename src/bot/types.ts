/** What every part of a turn shares: services, the turn's understanding, its outcome, the session. */
import type { TurnContext } from 'botbuilder';
import type { Config } from '../config.js';
import type { Cause, Step } from '../diagnosis/index.js';
import type { HandoffService, TranscriptRepo } from '../handoff/index.js';
import type { KnowledgeBase } from '../knowledge/index.js';
import type { Limiter, VerifyGuard } from '../orders/guards.js';
import type { OrderStatus, HoldReason, ProductType } from '../orders/model.js';
import type { OrderService } from '../orders/port.js';
import type { AttachmentStore } from '../storage/attachments.js';
import type { TicketService } from '../tickets/index.js';
import type { Clock } from '../time.js';
import type { LlmClient } from '../llm/client.js';
import type { UnderstandingService } from '../understanding/service.js';
import type { Intent, Understanding } from '../understanding/index.js';

export interface BotServices {
  config: Config;
  clock: Clock;
  orders: OrderService;
  tickets: TicketService;
  handoffs: HandoffService;
  transcript: TranscriptRepo;
  knowledge: KnowledgeBase;
  verifyGuard: VerifyGuard;
  /** Lookups per buyer, conversation or channel user. */
  lookupLimiter: Limiter;
  /** Lookups per client address (many conversations may share one: a looser limit). */
  addressLimiter: Limiter;
  /** Agents with the console open, on any instance. */
  presence: { online(): Promise<number> };
  /** Files buyers sent (stored by the channel that received them). */
  attachments: AttachmentStore;
  /** How a buyer's message is read: rules, the learned model beside them, an LLM (src/understanding/service.ts). */
  understanding: UnderstandingService;
  /** An OpenAI-compatible model (LLM_*); undefined: none. */
  llm?: LlmClient;
  /** "到了告诉我" (set once the app is built). */
  notifier?: import('../notify/index.js').Notifier;
  /** Whether a channel only answers requests, so agents' replies can never reach it (set once the app is built). */
  oneWay?: (channelId: string) => boolean;
}

/** DESIGN §5: the value of the `turnOutcome` trace. */
export interface TurnOutcome {
  intent: Intent;
  slots: { orderNo?: string; paymentTime?: string; productType?: ProductType };
  lookup?: { found: boolean; status?: OrderStatus; holdReasons?: HoldReason[] /** The shop did not answer (nothing was said about the order). */; unavailable?: boolean };
  cause?: Cause;
  step?: Step;
  handoff?: boolean;
  ticketId?: string;
}

/** The buyer as the channel knows them (a logged-in shop user), from channelData.buyer. */
export interface KnownBuyer {
  id: string;
  contact?: string;
}

export interface TurnData {
  u: Understanding;
  outcome: Partial<TurnOutcome>;
  buyer?: KnownBuyer;
  /**
   * Who is asking, for rate limits and verification failures: the conversation ("c:…"), the
   * logged-in buyer ("u:…") and the client as the channel knows it (an address "ip:…", a WeChat
   * user). Every one of them must be within its limit.
   */
  claimants: string[];
  now: Date;
  /** When the turn began (performance.now()): model calls share one budget per turn. */
  startedMs: number;
  /** The raw text was cut to this many characters. */
  truncated: boolean;
  /** Files (images, PDFs) attached to this message. */
  files: number;
}

/** Conversation memory (ConversationState property). Plain JSON. */
export interface Session {
  slots: { orderNo?: string; paymentTime?: { at: string; from: string; to: string }; productType?: ProductType; brands?: string[] };
  claims: { moneyTaken: boolean; wantsTracking: boolean };
  /**
   * The order the conversation is about and where on the ladder it stands; `told` is the
   * explanation the buyer got (tickets and agents see the same), `paidAt` the order's own time.
   */
  /** The order we last offered "到了告诉我" for (offered once per order). */
  notifyOffered?: string;
  /** What a shop that shows orders only to their owner accepted from this buyer (Dujiao-Next), for notify-me's re-reads. */
  shopProof?: { orderNo: string; proof: import('../orders/port.js').OwnershipProof };
  current?: { orderNo: string; cause: Cause; step: Step; masked?: boolean; told?: string; pastWindow?: boolean; paidAt?: string };
  /** Orders the bot listed (or guessed) for the buyer to pick from: "不是这个" switches among them. */
  candidates?: Array<{ orderNo: string; title: string }>;
  /** The buyer reported a delivered code as not working: the masked codes the order held then. */
  disputed?: { orderNo: string; items: string[]; at: string };
  ladder: Array<{ step: Step; at: string; orderNo?: string }>;
  verified: string[];
  contact?: string;
  symptom?: string;
  // No ticket id is kept here: a ticket is per order, found by the order talked about (Desk.openTicket).
  handoffId?: string;
  /** The user-state profile has been read into this conversation once. */
  profileRead?: boolean;
  /** The bot just asked for this: the next message is read with it in mind (a bare 8-digit number is a QQ). */
  awaiting?: 'contact';
  /** What the bot said last (as records keep it) and the buyer's last messages: context for the LLM. */
  lastBot?: string;
  recent?: string[];
  /** An agent just handed the conversation back: the next message may be the 1–5 rating. */
  csat?: { handoffId: string };
}

/** What we remember about a buyer across conversations (UserState property; keyed by channel user id). */
export interface Profile {
  /** The checkout contact this buyer proved in an earlier ownership check. */
  verifiedContact?: string;
}

export const PROFILE_KEY = Symbol('profile');

export function newSession(): Session {
  return { slots: {}, claims: { moneyTaken: false, wantsTracking: false }, ladder: [], verified: [] };
}

export const TURN_KEY = Symbol('turnData');
export const SERVICES_KEY = Symbol('services');
export const SESSION_KEY = Symbol('session');

export function turnData(ctx: TurnContext): TurnData {
  const t = ctx.turnState.get(TURN_KEY) as TurnData | undefined;
  if (!t) throw new Error('turn data missing: the bot must set it before dialogs run');
  return t;
}
