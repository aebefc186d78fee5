/**
 * The Direct Line activity log in SQL (both backends). A conversation's sequence lives on its row:
 * taking the next number locks that row until the transaction commits, so appends to one
 * conversation commit in watermark order on every instance (a client that has read up to 7 can
 * never later find a 6 it missed).
 */
import type { Activity } from 'botbuilder';
import type { DirectLineRepo, DlConversation } from '../../channels/directline/store.js';
import type { Sql } from '../sql.js';

export class SqlDirectLineRepo implements DirectLineRepo {
  constructor(private readonly sql: Sql) {}

  async create(c: DlConversation): Promise<boolean> {
    return (
      (await this.sql.run('INSERT INTO dl_conversations (id, user_id, buyer, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING', [
        c.id,
        c.userId,
        c.buyer ? JSON.stringify(c.buyer) : null,
        c.createdAt,
      ])) === 1
    );
  }

  async get(id: string): Promise<DlConversation | undefined> {
    const row = await this.sql.get<{ id: string; user_id: string; buyer: string | null; created_at: number }>(
      'SELECT id, user_id, buyer, created_at FROM dl_conversations WHERE id = ?',
      [id],
    );
    return row ? { id: row.id, userId: row.user_id, buyer: row.buyer ? JSON.parse(row.buyer) : undefined, createdAt: Number(row.created_at) } : undefined;
  }

  append(conversationId: string, activity: Partial<Activity> & { id: string }, clientActivityId?: string): Promise<number> {
    return this.sql.tx(async () => {
      const row = await this.sql.get<{ last_seq: number }>('UPDATE dl_conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq', [conversationId]);
      if (!row) throw new Error('Direct Line: no such conversation');
      const seq = Number(row.last_seq);
      await this.sql.run('INSERT INTO dl_activities (conversation_id, seq, activity_id, client_activity_id, activity) VALUES (?, ?, ?, ?, ?)', [
        conversationId,
        seq,
        activity.id,
        clientActivityId ?? null,
        JSON.stringify(activity),
      ]);
      return seq;
    });
  }

  async after(conversationId: string, watermark: number, limit: number): Promise<{ activities: Partial<Activity>[]; watermark: number }> {
    const rows = await this.sql.all<{ seq: number; activity: string }>('SELECT seq, activity FROM dl_activities WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?', [
      conversationId,
      watermark,
      limit,
    ]);
    return { activities: rows.map((r) => JSON.parse(r.activity) as Partial<Activity>), watermark: rows.length ? Number(rows.at(-1)!.seq) : watermark };
  }

  async has(conversationId: string, activityId: string): Promise<boolean> {
    return !!(await this.sql.get('SELECT seq FROM dl_activities WHERE conversation_id = ? AND activity_id = ?', [conversationId, activityId]));
  }

  async byClientActivityId(conversationId: string, clientActivityId: string): Promise<string | undefined> {
    return (
      await this.sql.get<{ activity_id: string }>('SELECT activity_id FROM dl_activities WHERE conversation_id = ? AND client_activity_id = ? ORDER BY seq LIMIT 1', [
        conversationId,
        clientActivityId,
      ])
    )?.activity_id;
  }

  async replace(conversationId: string, activityId: string, activity: Partial<Activity>): Promise<boolean> {
    return (
      (await this.sql.run('UPDATE dl_activities SET activity = ? WHERE conversation_id = ? AND activity_id = ?', [
        JSON.stringify({ ...activity, id: activityId }),
        conversationId,
        activityId,
      ])) === 1
    );
  }
}
