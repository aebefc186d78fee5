/** Handoff requests, their messages and the transcript, in SQL (both backends). */
import { randomUUID } from 'node:crypto';
import type {
  ConversationKey,
  Handoff,
  HandoffContext,
  HandoffSearch,
  HandoffMessage,
  HandoffRepo,
  HandoffRequest,
  HandoffState,
  MessageKind,
  NewHandoff,
  NewMessage,
  Outcome,
  TranscriptLine,
  TranscriptRepo,
} from '../../handoff/index.js';
import type { Sql } from '../sql.js';
import { UnitOfWork } from '../unitOfWork.js';

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
  rating_comment: string | null;
  order_no: string | null;
}
const COLS =
  'id, conversation_id, channel_id, user_id, state, priority, reason, conversation_ref, created_at, agent_id, assigned_at, resolved_at, outcome, rating, rating_comment, order_no';
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
  ratingComment: r.rating_comment ?? undefined,
  orderNo: r.order_no ?? undefined,
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
  seq: Number(r.seq),
  handoffId: r.handoff_id,
  conversationId: r.conversation_id,
  kind: r.kind,
  agentId: r.agent_id ?? undefined,
  text: r.text,
  at: r.at,
  deliveredAt: r.delivered_at ?? undefined,
});
const OPEN = "state IN ('queued', 'assigned')";
const ENDED = "state IN ('resolved', 'canceled')";

/** A LIKE pattern that finds `text` anywhere, its wildcards taken literally (with ESCAPE '\\'). */
const containing = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
/** Buyers whose id says nothing about who they are: never one person's history. */
const NOBODY = new Set(['', 'anonymous', 'buyer', 'user']);

export class SqlHandoffRepo implements HandoffRepo {
  constructor(private readonly sql: Sql) {}

  async active(c: ConversationKey): Promise<HandoffRequest | undefined> {
    const row = await this.sql.get<{ id: string; conversation_id: string; state: HandoffState; priority: number; created_at: string }>(
      `SELECT id, conversation_id, state, priority, created_at FROM handoff_requests WHERE channel_id = ? AND conversation_id = ? AND ${OPEN} ORDER BY created_at DESC LIMIT 1`,
      [c.channelId, c.conversationId],
    );
    return row ? { id: row.id, conversationId: row.conversation_id, state: row.state, priority: row.priority, createdAt: row.created_at } : undefined;
  }

  async request(args: NewHandoff, now: Date): Promise<HandoffRequest> {
    const id = randomUUID();
    const at = now.toISOString();
    await this.sql.run(
      `INSERT INTO handoff_requests (id, conversation_id, channel_id, user_id, state, priority, reason, context, conversation_ref, created_at, updated_at, order_no)
       VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)`,
      [
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
        args.context.orderNo ?? null,
      ],
    );
    return { id, conversationId: args.conversationId, state: 'queued', priority: args.priority, createdAt: at };
  }

  async annotate(id: string, assist: NonNullable<HandoffContext['assist']>): Promise<HandoffState | undefined> {
    return this.sql.tx(async () => {
      const row = await this.sql.get<{ state: HandoffState; context: string }>(`SELECT state, context FROM handoff_requests WHERE id = ? AND ${OPEN}${this.sql.forUpdate}`, [id]);
      if (!row) return undefined;
      const context = { ...(JSON.parse(row.context) as HandoffContext), assist };
      const ok = (await this.sql.run(`UPDATE handoff_requests SET context = ? WHERE id = ? AND ${OPEN}`, [JSON.stringify(context), id])) === 1;
      return ok ? row.state : undefined;
    });
  }

  async get(id: string): Promise<Handoff | undefined> {
    const r = await this.sql.get<Row>(`SELECT ${COLS} FROM handoff_requests WHERE id = ?`, [id]);
    return r ? toHandoff(r) : undefined;
  }

  async open(): Promise<Handoff[]> {
    return (await this.sql.all<Row>(`SELECT ${COLS} FROM handoff_requests WHERE ${OPEN} ORDER BY state = 'assigned', priority DESC, created_at, id`)).map(toHandoff);
  }

  async ended(limit: number): Promise<Handoff[]> {
    return (await this.sql.all<Row>(`SELECT ${COLS} FROM handoff_requests WHERE ${ENDED} ORDER BY COALESCE(resolved_at, updated_at) DESC, id LIMIT ?`, [limit])).map(toHandoff);
  }

  async search(q: HandoffSearch, limit: number): Promise<Array<{ handoff: Handoff; match?: string }>> {
    const text = q.text.trim();
    if (!text) return [];
    const like = containing(text);
    const contact = q.contact ? containing(q.contact) : undefined;
    // The order number; a line of the conversation (what the buyer typed, contacts as typed); the
    // contact in the context packet (the buyer's as the bot heard it).
    const rows = await this.sql.all<Row>(
      `SELECT ${COLS} FROM handoff_requests h
       WHERE LOWER(COALESCE(h.order_no, '')) LIKE ? ESCAPE '\\'
          OR EXISTS (SELECT 1 FROM transcript t WHERE t.channel_id = h.channel_id AND t.conversation_id = h.conversation_id AND (LOWER(t.text) LIKE ? ESCAPE '\\'${contact ? " OR t.text LIKE ? ESCAPE '\\'" : ''}))
          ${contact ? "OR LOWER(h.context) LIKE ? ESCAPE '\\'" : ''}
       ORDER BY h.created_at DESC, h.id LIMIT ?`,
      [like, like, ...(contact ? [contact, contact] : []), limit],
    );
    const out: Array<{ handoff: Handoff; match?: string }> = [];
    for (const r of rows) {
      const line = await this.sql.get<{ text: string }>(
        `SELECT text FROM transcript WHERE channel_id = ? AND conversation_id = ? AND (LOWER(text) LIKE ? ESCAPE '\\'${contact ? " OR text LIKE ? ESCAPE '\\'" : ''}) ORDER BY seq DESC LIMIT 1`,
        [r.channel_id, r.conversation_id, like, ...(contact ? [contact] : [])],
      );
      out.push({ handoff: toHandoff(r), match: line?.text });
    }
    return out;
  }

  async forBuyer(channelId: string, userId: string, limit: number): Promise<Handoff[]> {
    if (NOBODY.has(userId.trim().toLowerCase())) return [];
    return (
      await this.sql.all<Row>(`SELECT ${COLS} FROM handoff_requests WHERE channel_id = ? AND user_id = ? ORDER BY created_at DESC, id LIMIT ?`, [channelId, userId, limit])
    ).map(toHandoff);
  }

  async ahead(req: HandoffRequest): Promise<number> {
    const row = await this.sql.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM handoff_requests WHERE state = 'queued' AND id != ? AND (priority > ? OR (priority = ? AND created_at <= ?))",
      [req.id, req.priority, req.priority, req.createdAt],
    );
    return Number(row?.n ?? 0);
  }

  async recentHandling(limit: number): Promise<Array<{ assignedAt: string; resolvedAt: string }>> {
    const rows = await this.sql.all<{ assigned_at: string; resolved_at: string }>(
      "SELECT assigned_at, resolved_at FROM handoff_requests WHERE state = 'resolved' AND assigned_at IS NOT NULL AND resolved_at IS NOT NULL ORDER BY resolved_at DESC LIMIT ?",
      [limit],
    );
    return rows.map((r) => ({ assignedAt: r.assigned_at, resolvedAt: r.resolved_at }));
  }

  async context(id: string): Promise<HandoffContext | undefined> {
    const row = await this.sql.get<{ context: string }>('SELECT context FROM handoff_requests WHERE id = ?', [id]);
    return row ? (JSON.parse(row.context) as HandoffContext) : undefined;
  }

  async queuedBefore(before: Date): Promise<Handoff[]> {
    return (await this.sql.all<Row>(`SELECT ${COLS} FROM handoff_requests WHERE state = 'queued' AND created_at < ? ORDER BY created_at`, [before.toISOString()])).map(toHandoff);
  }

  async expire(id: string, now: Date): Promise<boolean> {
    const at = now.toISOString();
    return (
      (await this.sql.run("UPDATE handoff_requests SET state = 'canceled', outcome = 'timed_out', resolved_at = ?, updated_at = ? WHERE id = ? AND state = 'queued'", [
        at,
        at,
        id,
      ])) === 1
    );
  }

  async cancel(id: string, now: Date): Promise<boolean> {
    return (await this.sql.run("UPDATE handoff_requests SET state = 'canceled', updated_at = ? WHERE id = ? AND state = 'queued'", [now.toISOString(), id])) === 1;
  }

  async claim(id: string, agentId: string, now: Date): Promise<boolean> {
    const at = now.toISOString();
    return (
      (await this.sql.run("UPDATE handoff_requests SET state = 'assigned', agent_id = ?, assigned_at = ?, updated_at = ? WHERE id = ? AND state = 'queued'", [
        agentId,
        at,
        at,
        id,
      ])) === 1
    );
  }

  async transfer(id: string, fromAgentId: string, toAgentId: string, now: Date): Promise<boolean> {
    return (
      (await this.sql.run("UPDATE handoff_requests SET agent_id = ?, updated_at = ? WHERE id = ? AND state = 'assigned' AND agent_id = ?", [
        toAgentId,
        now.toISOString(),
        id,
        fromAgentId,
      ])) === 1
    );
  }

  async resolve(id: string, agentId: string, outcome: Outcome, now: Date): Promise<boolean> {
    const at = now.toISOString();
    return (
      (await this.sql.run("UPDATE handoff_requests SET state = 'resolved', outcome = ?, resolved_at = ?, updated_at = ? WHERE id = ? AND state = 'assigned' AND agent_id = ?", [
        outcome,
        at,
        at,
        id,
        agentId,
      ])) === 1
    );
  }

  async rate(id: string, rating: number, now: Date, comment?: string): Promise<boolean> {
    return (
      (await this.sql.run("UPDATE handoff_requests SET rating = ?, rating_comment = ?, rated_at = ? WHERE id = ? AND state = 'resolved' AND rating IS NULL", [
        rating,
        comment?.slice(0, 500) ?? null,
        now.toISOString(),
        id,
      ])) === 1
    );
  }

  async addMessage(m: NewMessage, now: Date): Promise<HandoffMessage> {
    const at = now.toISOString();
    const text = m.text.slice(0, 4000);
    const row = await this.sql.get<{ seq: number }>(
      'INSERT INTO handoff_messages (handoff_id, conversation_id, kind, agent_id, text, at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq',
      [m.handoffId, m.conversationId, m.kind, m.agentId ?? null, text, at, m.delivered ? at : null],
    );
    return {
      seq: Number(row!.seq),
      handoffId: m.handoffId,
      conversationId: m.conversationId,
      kind: m.kind,
      agentId: m.agentId,
      text,
      at,
      deliveredAt: m.delivered ? at : undefined,
    };
  }

  async messages(handoffId: string): Promise<HandoffMessage[]> {
    return (await this.sql.all<MsgRow>('SELECT * FROM handoff_messages WHERE handoff_id = ? ORDER BY seq', [handoffId])).map(toMessage);
  }

  async message(seq: number): Promise<HandoffMessage | undefined> {
    const r = await this.sql.get<MsgRow>('SELECT * FROM handoff_messages WHERE seq = ?', [seq]);
    return r ? toMessage(r) : undefined;
  }

  async undelivered(): Promise<HandoffMessage[]> {
    return (await this.sql.all<MsgRow>("SELECT * FROM handoff_messages WHERE kind = 'agent' AND delivered_at IS NULL ORDER BY seq")).map(toMessage);
  }

  async markDelivered(seq: number, now: Date): Promise<boolean> {
    return (await this.sql.run('UPDATE handoff_messages SET delivered_at = ? WHERE seq = ? AND delivered_at IS NULL', [now.toISOString(), seq])) === 1;
  }
}

export class SqlTranscriptRepo implements TranscriptRepo {
  constructor(private readonly sql: Sql) {}

  /**
   * Inside a turn, part of its unit of work and kept even when the turn fails (what the buyer said
   * happened); the lines are read at commit, so the caller may still add to them. Else at once.
   */
  appendAll(c: ConversationKey, lines: TranscriptLine[]): Promise<void> {
    return UnitOfWork.write(
      () =>
        lines.length > 0 &&
        this.sql.tx(async () => {
          for (const l of lines)
            await this.sql.run('INSERT INTO transcript (channel_id, conversation_id, direction, sender, text, at) VALUES (?, ?, ?, ?, ?, ?)', [
              c.channelId,
              c.conversationId,
              l.direction,
              l.sender,
              l.text.slice(0, 4000),
              l.at.toISOString(),
            ]);
        }),
      { keep: true },
    );
  }

  async recent(c: ConversationKey, limit = 50): Promise<HandoffContext['transcript']> {
    const rows = await this.sql.all<HandoffContext['transcript'][number]>(
      'SELECT direction, sender, text, at FROM transcript WHERE channel_id = ? AND conversation_id = ? ORDER BY seq DESC LIMIT ?',
      [c.channelId, c.conversationId, limit],
    );
    return rows.reverse();
  }
}
