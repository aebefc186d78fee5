/**
 * Handoff requests (the "escalate" rung) and their messages. The bot stores a request with the
 * full context packet; the console and the relay (./relay.ts, ./console.ts) work from here.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Db } from '../storage/db.js';
import { statementCache } from '../storage/statements.js';
import { UnitOfWork } from '../storage/unitOfWork.js';

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
  conversationRef: Record<string, unknown>;
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

interface Row {
  id: string;
  conversation_id: string;
  channel_id: string;
  user_id: string;
  state: HandoffState;
  priority: number;
  reason: string;
  conversation_ref: string;
  created_at: string;
  agent_id: string | null;
  assigned_at: string | null;
  resolved_at: string | null;
  outcome: string | null;
  rating: number | null;
}
const COLS = 'id, conversation_id, channel_id, user_id, state, priority, reason, conversation_ref, created_at, agent_id, assigned_at, resolved_at, outcome, rating';
const toHandoff = (r: Row): Handoff => ({
  id: r.id,
  conversationId: r.conversation_id,
  channelId: r.channel_id,
  userId: r.user_id,
  state: r.state,
  priority: r.priority,
  reason: r.reason,
  createdAt: r.created_at,
  agentId: r.agent_id ?? undefined,
  assignedAt: r.assigned_at ?? undefined,
  resolvedAt: r.resolved_at ?? undefined,
  outcome: r.outcome ?? undefined,
  rating: r.rating ?? undefined,
  conversationRef: JSON.parse(r.conversation_ref) as Record<string, unknown>,
});
interface MsgRow {
  seq: number;
  handoff_id: string | null;
  conversation_id: string;
  kind: MessageKind;
  agent_id: string | null;
  text: string;
  at: string;
  delivered_at: string | null;
}
const toMessage = (r: MsgRow): HandoffMessage => ({
  seq: r.seq,
  handoffId: r.handoff_id,
  conversationId: r.conversation_id,
  kind: r.kind,
  agentId: r.agent_id ?? undefined,
  text: r.text,
  at: r.at,
  deliveredAt: r.delivered_at ?? undefined,
});

/**
 * The handoff lifecycle: bot → queued → assigned (with an agent) → resolved (back to the bot), or
 * canceled by the buyer. Every message of a handoff (buyer, agent, internal note) is kept here,
 * an agent's before it is delivered.
 */
export class HandoffService extends EventEmitter<{ changed: [{ handoffId: string; state: HandoffState }] }> {
  private readonly selectActive;
  private readonly insertMessage;
  /** Prepared once per SQL text (the console and the relay ask the same questions all day). */
  private readonly sql: ReturnType<typeof statementCache>;

  constructor(db: Db) {
    super();
    this.setMaxListeners(100);
    this.sql = statementCache(db);
    // Asked on every turn: prepared once.
    this.selectActive = db.prepare(
      "SELECT id, conversation_id, state, priority, created_at FROM handoff_requests WHERE channel_id = ? AND conversation_id = ? AND state IN ('queued', 'assigned') ORDER BY created_at DESC LIMIT 1",
    );
    this.insertMessage = db.prepare('INSERT INTO handoff_messages (handoff_id, conversation_id, kind, agent_id, text, at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  active(c: ConversationKey): HandoffRequest | undefined {
    const row = this.selectActive.get(c.channelId, c.conversationId) as
      | { id: string; conversation_id: string; state: HandoffRequest['state']; priority: number; created_at: string }
      | undefined;
    return row ? { id: row.id, conversationId: row.conversation_id, state: row.state, priority: row.priority, createdAt: row.created_at } : undefined;
  }

  request(args: { conversationId: string; channelId: string; userId: string; priority: number; context: HandoffContext; conversationRef: unknown }, now: Date): HandoffRequest {
    const id = randomUUID();
    const at = now.toISOString();
    this.sql(`INSERT INTO handoff_requests (id, conversation_id, channel_id, user_id, state, priority, reason, context, conversation_ref, created_at, updated_at)
                VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)`).run(
      id,
      args.conversationId,
      args.channelId,
      args.userId,
      args.priority,
      args.context.reason,
      JSON.stringify(args.context),
      JSON.stringify(args.conversationRef),
      at,
      at,
    );
    this.emit('changed', { handoffId: id, state: 'queued' });
    return { id, conversationId: args.conversationId, state: 'queued', priority: args.priority, createdAt: at };
  }

  /** Adds the model's notes for the agent to an open handoff's context (consoles refresh). */
  annotate(id: string, assist: NonNullable<HandoffContext['assist']>): boolean {
    const row = this.sql("SELECT state, context FROM handoff_requests WHERE id = ? AND state IN ('queued', 'assigned')").get(id) as
      | { state: HandoffState; context: string }
      | undefined;
    if (!row) return false;
    const context = { ...(JSON.parse(row.context) as HandoffContext), assist };
    const ok = this.sql("UPDATE handoff_requests SET context = ? WHERE id = ? AND state IN ('queued', 'assigned')").run(JSON.stringify(context), id).changes === 1;
    return this.changed(id, row.state, ok);
  }

  get(id: string): Handoff | undefined {
    const r = this.sql(`SELECT ${COLS} FROM handoff_requests WHERE id = ?`).get(id) as Row | undefined;
    return r ? toHandoff(r) : undefined;
  }

  /** Waiting (most urgent first, then oldest) and being handled; the console's queue. */
  open(): Handoff[] {
    return (this.sql(`SELECT ${COLS} FROM handoff_requests WHERE state IN ('queued', 'assigned') ORDER BY state = 'assigned', priority DESC, created_at, id`).all() as Row[]).map(
      toHandoff,
    );
  }

  /** How many queued requests an agent will take before this one. */
  ahead(req: HandoffRequest): number {
    return this.sql("SELECT COUNT(*) FROM handoff_requests WHERE state = 'queued' AND id != ? AND (priority > ? OR (priority = ? AND created_at <= ?))")
      .pluck()
      .get(req.id, req.priority, req.priority, req.createdAt) as number;
  }

  /** Minutes an agent spends on a handoff, over the last 50 resolved (undefined without history). */
  averageHandlingMinutes(): number | undefined {
    const rows = this.sql(
      "SELECT assigned_at, resolved_at FROM handoff_requests WHERE state = 'resolved' AND assigned_at IS NOT NULL AND resolved_at IS NOT NULL ORDER BY resolved_at DESC LIMIT 50",
    ).all() as Array<{ assigned_at: string; resolved_at: string }>;
    const spans = rows.map((r) => (Date.parse(r.resolved_at) - Date.parse(r.assigned_at)) / 60_000).filter((m) => m > 0 && m < 24 * 60);
    return spans.length >= 3 ? spans.reduce((a, b) => a + b, 0) / spans.length : undefined;
  }

  context(id: string): HandoffContext | undefined {
    const raw = this.sql('SELECT context FROM handoff_requests WHERE id = ?').pluck().get(id) as string | undefined;
    return raw ? (JSON.parse(raw) as HandoffContext) : undefined;
  }

  /** Queued since before `before` (nobody took them). */
  queuedBefore(before: Date): Handoff[] {
    return (this.sql(`SELECT ${COLS} FROM handoff_requests WHERE state = 'queued' AND created_at < ? ORDER BY created_at`).all(before.toISOString()) as Row[]).map(toHandoff);
  }

  /** Gives up on a queued handoff (it became a ticket); false when somebody claimed it meanwhile. */
  expire(id: string, now: Date): boolean {
    const at = now.toISOString();
    return this.changed(
      id,
      'canceled',
      this.sql("UPDATE handoff_requests SET state = 'canceled', outcome = 'timed_out', resolved_at = ?, updated_at = ? WHERE id = ? AND state = 'queued'").run(at, at, id)
        .changes === 1,
    );
  }

  cancel(id: string, now: Date): boolean {
    return this.changed(
      id,
      'canceled',
      this.sql("UPDATE handoff_requests SET state = 'canceled', updated_at = ? WHERE id = ? AND state = 'queued'").run(now.toISOString(), id).changes === 1,
    );
  }

  private changed(id: string, state: HandoffState, ok: boolean): boolean {
    if (ok) this.emit('changed', { handoffId: id, state });
    return ok;
  }

  /** The agent takes a queued handoff; false when somebody else was quicker (or it was canceled). */
  claim(id: string, agentId: string, now: Date): boolean {
    const at = now.toISOString();
    return this.changed(
      id,
      'assigned',
      this.sql("UPDATE handoff_requests SET state = 'assigned', agent_id = ?, assigned_at = ?, updated_at = ? WHERE id = ? AND state = 'queued'").run(agentId, at, at, id)
        .changes === 1,
    );
  }

  transfer(id: string, fromAgentId: string, toAgentId: string, now: Date): boolean {
    const ok =
      this.sql("UPDATE handoff_requests SET agent_id = ?, updated_at = ? WHERE id = ? AND state = 'assigned' AND agent_id = ?").run(toAgentId, now.toISOString(), id, fromAgentId)
        .changes === 1;
    return this.changed(id, 'assigned', ok);
  }

  resolve(id: string, agentId: string, outcome: Outcome, now: Date): boolean {
    const at = now.toISOString();
    const ok =
      this.sql("UPDATE handoff_requests SET state = 'resolved', outcome = ?, resolved_at = ?, updated_at = ? WHERE id = ? AND state = 'assigned' AND agent_id = ?").run(
        outcome,
        at,
        at,
        id,
        agentId,
      ).changes === 1;
    return this.changed(id, 'resolved', ok);
  }

  /** The buyer's 1–5 after a resolved handoff (only once), with what they said with it. */
  rate(id: string, rating: number, now: Date, comment?: string): boolean {
    return (
      this.sql("UPDATE handoff_requests SET rating = ?, rating_comment = ?, rated_at = ? WHERE id = ? AND state = 'resolved' AND rating IS NULL").run(
        rating,
        comment?.slice(0, 500) ?? null,
        now.toISOString(),
        id,
      ).changes === 1
    );
  }

  addMessage(m: { handoffId: string | null; conversationId: string; kind: MessageKind; agentId?: string; text: string; delivered: boolean }, now: Date): HandoffMessage {
    const at = now.toISOString();
    const r = this.insertMessage.run(m.handoffId, m.conversationId, m.kind, m.agentId ?? null, m.text.slice(0, 4000), at, m.delivered ? at : null);
    return {
      seq: Number(r.lastInsertRowid),
      handoffId: m.handoffId,
      conversationId: m.conversationId,
      kind: m.kind,
      agentId: m.agentId,
      text: m.text.slice(0, 4000),
      at,
      deliveredAt: m.delivered ? at : undefined,
    };
  }

  messages(handoffId: string): HandoffMessage[] {
    return (this.sql('SELECT * FROM handoff_messages WHERE handoff_id = ? ORDER BY seq').all(handoffId) as MsgRow[]).map(toMessage);
  }

  message(seq: number): HandoffMessage | undefined {
    const r = this.sql('SELECT * FROM handoff_messages WHERE seq = ?').get(seq) as MsgRow | undefined;
    return r ? toMessage(r) : undefined;
  }

  /** Agent messages persisted but not yet handed to the buyer's channel (a crash in between). */
  undelivered(): HandoffMessage[] {
    return (this.sql("SELECT * FROM handoff_messages WHERE kind = 'agent' AND delivered_at IS NULL ORDER BY seq").all() as MsgRow[]).map(toMessage);
  }

  /** Marks delivered; false when it already was (so a second delivery attempt backs off). */
  markDelivered(seq: number, now: Date): boolean {
    return this.sql('UPDATE handoff_messages SET delivered_at = ? WHERE seq = ? AND delivered_at IS NULL').run(now.toISOString(), seq).changes === 1;
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

/** Every message in and out, per conversation (for the agent's context packet). */
export class TranscriptStore {
  private readonly insertAll: (c: ConversationKey, lines: TranscriptLine[]) => void;
  private readonly selectRecent;

  constructor(db: Db) {
    const insert = db.prepare('INSERT INTO transcript (channel_id, conversation_id, direction, sender, text, at) VALUES (?, ?, ?, ?, ?, ?)');
    // Compiled once: better-sqlite3 builds a wrapper for every db.transaction() call; every write transaction is IMMEDIATE (db.ts).
    this.insertAll = db.transaction((c: ConversationKey, lines: TranscriptLine[]) => {
      for (const l of lines) insert.run(c.channelId, c.conversationId, l.direction, l.sender, l.text.slice(0, 4000), l.at.toISOString());
    }).immediate;
    this.selectRecent = db.prepare('SELECT direction, sender, text, at FROM transcript WHERE channel_id = ? AND conversation_id = ? ORDER BY seq DESC LIMIT ?');
  }

  /**
   * Inside a turn, part of its unit of work and kept even when the turn fails (what the buyer said
   * happened); the lines are read at commit, so the caller may still add to them. Else at once.
   */
  appendAll(c: ConversationKey, lines: TranscriptLine[]): void {
    UnitOfWork.write(() => lines.length > 0 && this.insertAll(c, lines), { keep: true });
  }

  recent(c: ConversationKey, limit = 50): HandoffContext['transcript'] {
    const rows = this.selectRecent.all(c.channelId, c.conversationId, limit) as HandoffContext['transcript'];
    return rows.reverse();
  }
}
