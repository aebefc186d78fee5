/**
 * What instances of the bot share besides tables: a lock per conversation (its turns run one at a
 * time whichever instance receives them), a bus for live updates (a socket held by one instance
 * hears of a reply written by another), leadership (timers that must run once across the
 * cluster), and agent presence. SQLite runs one process, so here they are in-process; PostgreSQL's
 * versions are in ./postgres/cluster.ts.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';

/** Events on the bus, by topic. Payloads are small (PostgreSQL NOTIFY carries under 8 kB): ids, not documents. */
export interface BusEvents {
  /** A handoff changed state (consoles refresh). */
  'handoff.changed': { handoffId: string; state: string };
  /** A message was added to a handoff (agent, note, system); consoles load it by seq. */
  'handoff.message': { handoffId: string | null; seq: number };
  /** What a buyer wrote while a handoff is open. */
  'handoff.buyer': { handoffId: string; conversationId: string; text: string; at: string };
  /** The Direct Line log of a conversation grew to `watermark` (the socket's instance sends it). */
  'directline.append': { conversationId: string; watermark: number };
  /** A client opened a stream for a conversation on `instance` (an older stream elsewhere gives way). */
  'directline.stream': { conversationId: string; instance: string };
  /** A ticket was filed (by the bot, the queue sweep or an agent), claimed or answered (consoles refresh, and announce new ones). */
  'ticket.changed': { ticketId: string; state: 'open' | 'claimed' | 'answered' };
  /** Agents came or went (consoles show how many are online). */
  presence: Record<string, never>;
}
export type Topic = keyof BusEvents;

export interface Bus {
  /** Delivers to every subscriber on every instance (this one at once). */
  publish<T extends Topic>(topic: T, payload: BusEvents[T]): void;
  subscribe<T extends Topic>(topic: T, fn: (payload: BusEvents[T]) => void): () => void;
}

export interface ConversationLock {
  /** Runs `work` after every earlier holder of `key`, on any instance, has finished. */
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}

export interface Leadership {
  /** Whether this instance runs the cluster's timers now. */
  isLeader(): boolean;
  /** Called when this instance becomes (true) or stops being (false) the leader. */
  onChange(fn: (leader: boolean) => void): void;
}

export interface Presence {
  /** Marks an agent as having the console open on this instance (until `gone`). */
  here(agentId: string): Promise<void>;
  gone(agentId: string): Promise<void>;
  /** How many distinct agents have a console open, on any instance. */
  online(): Promise<number>;
  /** Which agents have a console open, on any instance. */
  agentIds(): Promise<string[]>;
}

/** This process's name among instances (log lines, presence rows, stream ownership). */
export const INSTANCE = `${process.pid}-${randomBytes(4).toString('hex')}`;

export class LocalBus implements Bus {
  private readonly emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  publish<T extends Topic>(topic: T, payload: BusEvents[T]): void {
    this.emitter.emit(topic, payload);
  }
  subscribe<T extends Topic>(topic: T, fn: (payload: BusEvents[T]) => void): () => void {
    this.emitter.on(topic, fn);
    return () => this.emitter.off(topic, fn);
  }
}

/** Turns of one key one after another, in this process. */
export class LocalLock implements ConversationLock {
  private readonly queues = new Map<string, Promise<unknown>>();
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.queues.set(key, next);
    void next
      .finally(() => {
        if (this.queues.get(key) === next) this.queues.delete(key);
      })
      .catch(() => undefined);
    return next;
  }
}

export const soleLeader: Leadership = { isLeader: () => true, onChange: (fn) => fn(true) };

export class LocalPresence implements Presence {
  private readonly counts = new Map<string, number>();
  async here(agentId: string): Promise<void> {
    this.counts.set(agentId, (this.counts.get(agentId) ?? 0) + 1);
  }
  async gone(agentId: string): Promise<void> {
    const n = (this.counts.get(agentId) ?? 0) - 1;
    if (n > 0) this.counts.set(agentId, n);
    else this.counts.delete(agentId);
  }
  async online(): Promise<number> {
    return this.counts.size;
  }
  async agentIds(): Promise<string[]> {
    return [...this.counts.keys()];
  }
}
