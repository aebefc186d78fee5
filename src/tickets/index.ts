/** Support tickets: the "contact" rung. A ticket holds everything an agent needs to answer once. */
import type { Policy } from '../config.js';
import type { Bus } from '../storage/cluster.js';
import { ticketDue } from '../diagnosis/index.js';
import { localFields, toShopIso } from '../time.js';

export interface NewTicket {
  conversationId: string;
  channelId: string;
  userId: string;
  orderNo?: string;
  paymentTime?: string;
  productType?: string;
  cause?: string;
  /** What the bot told the buyer about the order (the agent answers from the same picture). */
  told?: string;
  symptom: string;
  /** Where to reach the buyer with the answer. */
  conversationRef?: unknown;
}

export interface Ticket extends NewTicket {
  id: string;
  status: 'open' | 'answered' | 'closed';
  answer?: string;
  answeredAt?: string;
  /** The agent who took it (the console shows their name on it). */
  claimedBy?: string;
  claimedAt?: string;
  createdAt: string;
  dueAt: string;
}

/** Where tickets are kept (storage/sql/tickets.ts). */
export interface TicketRepo {
  /** Stores the ticket `make` builds from the day's next number (unique across instances). */
  insert(make: (n: number) => Ticket, day: string): Promise<Ticket>;
  get(id: string): Promise<Ticket | undefined>;
  openFor(c: { channelId: string; conversationId: string }, orderNo?: string): Promise<Ticket | undefined>;
  open(limit: number): Promise<Ticket[]>;
  openCount(): Promise<number>;
  answer(id: string, agentId: string, text: string, at: string): Promise<boolean>;
  /** Puts an agent's name on an open ticket; false when it is not open or another agent has it. */
  claim(id: string, agentId: string, at: string): Promise<boolean>;
}

/**
 * How urgent a ticket is, from the diagnosis cause it was filed with (the console lists high ones
 * first): 3 a buyer who cannot help themselves and waits too long already (risk hold, overdue),
 * 2 a case that needs an agent's hand (supplier failed, out of stock, courier problem, a payment
 * the shop did not see), 1 the rest.
 */
export function ticketPriority(cause: string | undefined): 1 | 2 | 3 {
  if (cause === 'risk_hold' || cause === 'overdue') return 3;
  if (cause === 'upstream_failed' || cause === 'out_of_stock' || cause === 'logistics_problem' || cause === 'payment_unconfirmed') return 2;
  return 1;
}

/**
 * Files, lists, claims and answers tickets. Each change is announced on the bus when one is given
 * (the app gives it): every instance's consoles hear of a ticket the bot filed at once.
 */
export class TicketService {
  constructor(
    private readonly repo: TicketRepo,
    private readonly policy: Policy,
    private readonly bus?: Bus,
  ) {}

  async create(t: NewTicket, now: Date): Promise<Ticket> {
    const f = localFields(now, this.policy.timeZone);
    const day = `${String(f.year).slice(2)}${String(f.month).padStart(2, '0')}${String(f.day).padStart(2, '0')}`;
    // Answered in agent time: a ticket filed at night is due hours after the agents start, not at dawn.
    const due = ticketDue(now, this.policy);
    const ticket = await this.repo.insert(
      (n) => ({
        ...t,
        id: `T${day}${String(n).padStart(4, '0')}`,
        status: 'open',
        createdAt: toShopIso(now, this.policy.timeZone),
        dueAt: toShopIso(due, this.policy.timeZone),
      }),
      day,
    );
    this.bus?.publish('ticket.changed', { ticketId: ticket.id, state: 'open' });
    return ticket;
  }

  get(id: string): Promise<Ticket | undefined> {
    return this.repo.get(id);
  }

  openFor(c: { channelId: string; conversationId: string }, orderNo?: string): Promise<Ticket | undefined> {
    return this.repo.openFor(c, orderNo);
  }

  /** Open tickets, the oldest due first. */
  open(limit = 200): Promise<Ticket[]> {
    return this.repo.open(limit);
  }

  /** Open tickets as the console lists them: the most urgent first, then the oldest due. */
  async queue(limit = 200): Promise<Array<Ticket & { priority: 1 | 2 | 3 }>> {
    return (await this.repo.open(limit))
      .map((t) => ({ ...t, priority: ticketPriority(t.cause) }))
      .sort((a, b) => b.priority - a.priority || (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : 0));
  }

  /** An agent takes the ticket; false when it is not open or somebody else has it. */
  async claim(id: string, agentId: string, now: Date): Promise<boolean> {
    const ok = await this.repo.claim(id, agentId, toShopIso(now, this.policy.timeZone));
    if (ok) this.bus?.publish('ticket.changed', { ticketId: id, state: 'claimed' });
    return ok;
  }

  openCount(): Promise<number> {
    return this.repo.openCount();
  }

  /** An agent's answer; false when the ticket is not open any more. */
  async answer(id: string, agentId: string, text: string, now: Date): Promise<boolean> {
    const ok = await this.repo.answer(id, agentId, text, toShopIso(now, this.policy.timeZone));
    if (ok) this.bus?.publish('ticket.changed', { ticketId: id, state: 'answered' });
    return ok;
  }
}
