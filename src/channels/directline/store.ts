/** The Direct Line activity log in SQLite: watermarks survive restarts. */
import type { Activity } from 'botbuilder';
import type { Db } from '../../storage/db.js';
import { setting } from '../../storage/settings.js';

export interface DlConversation {
  id: string;
  userId: string;
  buyer?: { id: string; contact?: string };
  createdAt: number;
}

export class DirectLineStore {
  private readonly insertActivity;
  private readonly lastSeq;
  private readonly selectAfter;
  private readonly insertConversation;
  private readonly selectConversation;
  private readonly updateActivity;
  private readonly selectById;
  private readonly selectByClientId;
  /** Conversations never change once created, and every request of theirs asks: remember the recent ones. */
  private readonly recent = new Map<string, DlConversation>();

  constructor(readonly db: Db) {
    this.insertConversation = db.prepare('INSERT OR IGNORE INTO dl_conversations (id, user_id, buyer, created_at) VALUES (?, ?, ?, ?)');
    this.selectConversation = db.prepare<[string], { id: string; user_id: string; buyer: string | null; created_at: number }>(
      'SELECT id, user_id, buyer, created_at FROM dl_conversations WHERE id = ?',
    );
    this.updateActivity = db.prepare('UPDATE dl_activities SET activity = ? WHERE conversation_id = ? AND activity_id = ?');
    this.insertActivity = db.prepare('INSERT INTO dl_activities (conversation_id, seq, activity_id, client_activity_id, activity) VALUES (?, ?, ?, ?, ?)');
    this.lastSeq = db.prepare<[string], number>('SELECT COALESCE(MAX(seq), 0) FROM dl_activities WHERE conversation_id = ?').pluck();
    this.selectAfter = db.prepare<[string, number, number], { seq: number; activity: string }>(
      'SELECT seq, activity FROM dl_activities WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.selectById = db.prepare<[string, string], number>('SELECT seq FROM dl_activities WHERE conversation_id = ? AND activity_id = ?').pluck();
    this.selectByClientId = db
      .prepare<[string, string], string>('SELECT activity_id FROM dl_activities WHERE conversation_id = ? AND client_activity_id = ? ORDER BY seq LIMIT 1')
      .pluck();
  }

  setting(key: string, make: () => string): string {
    return setting(this.db, key, make);
  }

  /** Creates the conversation; false when it already existed. */
  create(c: DlConversation): boolean {
    return this.insertConversation.run(c.id, c.userId, c.buyer ? JSON.stringify(c.buyer) : null, c.createdAt).changes === 1;
  }

  get(id: string): DlConversation | undefined {
    const hit = this.recent.get(id);
    if (hit) return hit;
    const row = this.selectConversation.get(id);
    if (!row) return undefined;
    const c: DlConversation = { id: row.id, userId: row.user_id, buyer: row.buyer ? JSON.parse(row.buyer) : undefined, createdAt: row.created_at };
    if (this.recent.size >= 10_000) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(id, c);
    return c;
  }

  /** Appends an activity that already has its id; returns its watermark (its place in the log). */
  append(conversationId: string, activity: Partial<Activity> & { id: string }, clientActivityId?: string): number {
    const seq = (this.lastSeq.get(conversationId) ?? 0) + 1;
    this.insertActivity.run(conversationId, seq, activity.id, clientActivityId ?? null, JSON.stringify(activity));
    return seq;
  }

  /** Activities after a watermark (at most `limit`), and the new watermark. */
  after(conversationId: string, watermark: number, limit = 500): { activities: Partial<Activity>[]; watermark: number } {
    const rows = this.selectAfter.all(conversationId, watermark, limit);
    return { activities: rows.map((r) => JSON.parse(r.activity) as Partial<Activity>), watermark: rows.at(-1)?.seq ?? watermark };
  }

  has(conversationId: string, activityId: string): boolean {
    return this.selectById.get(conversationId, activityId) !== undefined;
  }

  /** The id of the buyer's activity posted with this clientActivityID, if one was. */
  byClientActivityId(conversationId: string, clientActivityId: string): string | undefined {
    return this.selectByClientId.get(conversationId, clientActivityId);
  }

  replace(conversationId: string, activityId: string, activity: Partial<Activity>): boolean {
    return this.updateActivity.run(JSON.stringify({ ...activity, id: activityId }), conversationId, activityId).changes === 1;
  }
}
