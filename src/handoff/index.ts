/**
 * Handoff requests: the "escalate" rung. The bot stores a request with the full context packet;
 * the live-agent side (queue console, relay) reads it.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../storage/db.js';

export interface HandoffContext {
  reason: string;
  orderNo?: string;
  paymentTime?: string;
  productType?: string;
  cause?: string;
  step?: string;
  order?: unknown;
  ladder: Array<{ step: string; at: string }>;
  ticketId?: string;
  buyer?: { id?: string; contact?: string };
  /** Files the buyer sent (payment screenshots...), by attachment id. */
  attachments?: Array<{ id: string; name: string; contentType: string; size: number; at: string }>;
  transcript: Array<{ direction: string; sender: string; text: string; at: string }>;
}

export interface HandoffRequest {
  id: string;
  conversationId: string;
  state: 'queued' | 'assigned' | 'resolved' | 'canceled';
  priority: number;
  createdAt: string;
}

export class HandoffService {
  private readonly selectActive;

  constructor(private readonly db: Db) {
    // Asked on every turn: prepared once.
    this.selectActive = db.prepare(
      "SELECT id, conversation_id, state, priority, created_at FROM handoff_requests WHERE conversation_id = ? AND state IN ('queued', 'assigned') ORDER BY created_at DESC LIMIT 1",
    );
  }

  active(conversationId: string): HandoffRequest | undefined {
    const row = this.selectActive.get(conversationId) as { id: string; conversation_id: string; state: HandoffRequest['state']; priority: number; created_at: string } | undefined;
    return row ? { id: row.id, conversationId: row.conversation_id, state: row.state, priority: row.priority, createdAt: row.created_at } : undefined;
  }

  request(args: { conversationId: string; channelId: string; userId: string; priority: number; context: HandoffContext; conversationRef: unknown }, now: Date): HandoffRequest {
    const id = randomUUID();
    const at = now.toISOString();
    this.db
      .prepare(`INSERT INTO handoff_requests (id, conversation_id, channel_id, user_id, state, priority, reason, context, conversation_ref, created_at, updated_at)
                VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)`)
      .run(id, args.conversationId, args.channelId, args.userId, args.priority, args.context.reason, JSON.stringify(args.context), JSON.stringify(args.conversationRef), at, at);
    return { id, conversationId: args.conversationId, state: 'queued', priority: args.priority, createdAt: at };
  }

  /** How many queued requests an agent will take before this one. */
  ahead(req: HandoffRequest): number {
    return this.db
      .prepare("SELECT COUNT(*) FROM handoff_requests WHERE state = 'queued' AND id != ? AND (priority > ? OR (priority = ? AND created_at <= ?))")
      .pluck()
      .get(req.id, req.priority, req.priority, req.createdAt) as number;
  }

  context(id: string): HandoffContext | undefined {
    const raw = this.db.prepare('SELECT context FROM handoff_requests WHERE id = ?').pluck().get(id) as string | undefined;
    return raw ? (JSON.parse(raw) as HandoffContext) : undefined;
  }

  cancel(id: string, now: Date): void {
    this.db.prepare("UPDATE handoff_requests SET state = 'canceled', updated_at = ? WHERE id = ? AND state = 'queued'").run(now.toISOString(), id);
  }
}

export interface TranscriptLine {
  direction: 'in' | 'out';
  sender: string;
  text: string;
  at: Date;
}

/** Every message in and out, per conversation (for the agent's context packet). */
export class TranscriptStore {
  private readonly insertAll: (conversationId: string, lines: TranscriptLine[]) => void;

  constructor(private readonly db: Db) {
    const insert = db.prepare('INSERT INTO transcript (conversation_id, direction, sender, text, at) VALUES (?, ?, ?, ?, ?)');
    // Compiled once: better-sqlite3 builds a wrapper for every db.transaction() call.
    this.insertAll = db.transaction((conversationId: string, lines: TranscriptLine[]) => {
      for (const l of lines) insert.run(conversationId, l.direction, l.sender, l.text.slice(0, 4000), l.at.toISOString());
    });
  }

  appendAll(conversationId: string, lines: TranscriptLine[]): void {
    if (lines.length > 0) this.insertAll(conversationId, lines);
  }



  recent(conversationId: string, limit = 50): HandoffContext['transcript'] {
    const rows = this.db
      .prepare('SELECT direction, sender, text, at FROM transcript WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?')
      .all(conversationId, limit) as HandoffContext['transcript'];
    return rows.reverse();
  }
}
