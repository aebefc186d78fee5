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
  /** Conversations never change once created, and every request of theirs asks: remember the recent ones. */
  private readonly recent = new Map<string, DlConversation>();

  constructor(private readonly db: Db) {
    this.insertConversation = db.prepare('INSERT OR IGNORE INTO dl_conversations (id, user_id, buyer, created_at) VALUES (?, ?, ?, ?)');
    this.selectConversation = db.prepare<[string], { id: string; user_id: string; buyer: string | null; created_at: number }>(
      'SELECT id, user_id, buyer, created_at FROM dl_conversations WHERE id = ?',
    );
    this.updateActivity = db.prepare('UPDATE dl_activities SET activity = ? WHERE conversation_id = ? AND seq = ?');
    this.insertActivity = db.prepare('INSERT INTO dl_activities (conversation_id, seq, activity) VALUES (?, ?, ?)');
    this.lastSeq = db.prepare<[string], number>('SELECT COALESCE(MAX(seq), 0) FROM dl_activities WHERE conversation_id = ?').pluck();
    this.selectAfter = db.prepare<[string, number, number], string>('SELECT activity FROM dl_activities WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?').pluck();
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

  /** Appends an activity, giving it its id; returns the activity and its watermark. */
  append(conversationId: string, activity: Partial<Activity>): { activity: Partial<Activity>; watermark: number } {
    const seq = (this.lastSeq.get(conversationId) ?? 0) + 1;
    const stored = { ...activity, id: `${conversationId}|${String(seq).padStart(7, '0')}` };
    this.insertActivity.run(conversationId, seq, JSON.stringify(stored));
    return { activity: stored, watermark: seq };
  }

  /** Activities after a watermark (at most `limit`), and the new watermark. */
  after(conversationId: string, watermark: number, limit = 500): { activities: Partial<Activity>[]; watermark: number } {
    const rows = this.selectAfter.all(conversationId, watermark, limit);
    const activities = rows.map((r) => JSON.parse(r) as Partial<Activity>);
    const last = activities.at(-1)?.id;
    return { activities, watermark: last ? Number(last.slice(last.lastIndexOf('|') + 1)) : watermark };
  }

  replace(conversationId: string, activityId: string, activity: Partial<Activity>): boolean {
    const seq = Number(activityId.slice(activityId.lastIndexOf('|') + 1));
    return this.updateActivity.run(JSON.stringify({ ...activity, id: activityId }), conversationId, seq).changes === 1;
  }
}
