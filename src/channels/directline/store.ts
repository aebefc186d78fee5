/** The Direct Line activity log: watermarks survive restarts and are shared by every instance. */
import type { Activity } from 'botbuilder';

export interface DlConversation {
  id: string;
  userId: string;
  buyer?: { id: string; contact?: string };
  createdAt: number;
}

/** Where conversations and their activity logs are kept (storage/sql/directline.ts). */
export interface DirectLineRepo {
  /** Creates the conversation; false when it already existed. */
  create(c: DlConversation): Promise<boolean>;
  get(id: string): Promise<DlConversation | undefined>;
  /** Appends an activity that already has its id; returns its watermark (its place in the log). */
  append(conversationId: string, activity: Partial<Activity> & { id: string }, clientActivityId?: string): Promise<number>;
  /** Activities after a watermark (at most `limit`), and the new watermark. */
  after(conversationId: string, watermark: number, limit: number): Promise<{ activities: Partial<Activity>[]; watermark: number }>;
  has(conversationId: string, activityId: string): Promise<boolean>;
  /** The id of the buyer's activity posted with this clientActivityID, if one was. */
  byClientActivityId(conversationId: string, clientActivityId: string): Promise<string | undefined>;
  replace(conversationId: string, activityId: string, activity: Partial<Activity>): Promise<boolean>;
}

export class DirectLineStore {
  /** Conversations never change once created, and every request of theirs asks: remember the recent ones. */
  private readonly recent = new Map<string, DlConversation>();

  constructor(private readonly repo: DirectLineRepo) {}

  create(c: DlConversation): Promise<boolean> {
    return this.repo.create(c);
  }

  async get(id: string): Promise<DlConversation | undefined> {
    const hit = this.recent.get(id);
    if (hit) return hit;
    const c = await this.repo.get(id);
    if (!c) return undefined;
    if (this.recent.size >= 10_000) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(id, c);
    return c;
  }

  append(conversationId: string, activity: Partial<Activity> & { id: string }, clientActivityId?: string): Promise<number> {
    return this.repo.append(conversationId, activity, clientActivityId);
  }

  after(conversationId: string, watermark: number, limit = 500): Promise<{ activities: Partial<Activity>[]; watermark: number }> {
    return this.repo.after(conversationId, watermark, limit);
  }

  has(conversationId: string, activityId: string): Promise<boolean> {
    return this.repo.has(conversationId, activityId);
  }

  byClientActivityId(conversationId: string, clientActivityId: string): Promise<string | undefined> {
    return this.repo.byClientActivityId(conversationId, clientActivityId);
  }

  replace(conversationId: string, activityId: string, activity: Partial<Activity>): Promise<boolean> {
    return this.repo.replace(conversationId, activityId, activity);
  }
}
