/** Notify-me watches in SQL (both backends); see src/notify/watches.ts. */
import type { ConversationKey } from '../../handoff/index.js';
import type { NewWatch, Watch, WatchRepo, WatchState } from '../../notify/watches.js';
import type { Sql } from '../sql.js';

interface Row {
  id: string;
  channel_id: string;
  conversation_id: string;
  user_id: string;
  order_no: string;
  conversation_ref: string;
  masked: number;
  proof: string | null;
  fingerprint: string;
  state: WatchState;
  interval_min: number;
  next_check_at: number | string;
  expires_at: number | string;
  notified: number;
  failures: number;
  created_at: number | string;
}

const COLUMNS =
  'id, channel_id, conversation_id, user_id, order_no, conversation_ref, masked, proof, fingerprint, state, interval_min, next_check_at, expires_at, notified, failures, created_at';

function toWatch(r: Row): Watch {
  return {
    id: r.id,
    channelId: r.channel_id,
    conversationId: r.conversation_id,
    userId: r.user_id,
    orderNo: r.order_no,
    conversationRef: JSON.parse(r.conversation_ref),
    masked: Number(r.masked) === 1,
    proof: r.proof ? JSON.parse(r.proof) : undefined,
    fingerprint: r.fingerprint,
    state: r.state,
    intervalMin: Number(r.interval_min),
    nextCheckAt: Number(r.next_check_at),
    expiresAt: Number(r.expires_at),
    notified: Number(r.notified),
    failures: Number(r.failures),
    createdAt: Number(r.created_at),
  };
}

export class SqlWatchRepo implements WatchRepo {
  constructor(private readonly sql: Sql) {}

  async add(w: NewWatch): Promise<boolean> {
    const n = await this.sql.run(
      `INSERT INTO order_watches (id, channel_id, conversation_id, user_id, order_no, conversation_ref, masked, proof, fingerprint, state, interval_min, next_check_at, expires_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [
        w.id,
        w.channelId,
        w.conversationId,
        w.userId,
        w.orderNo,
        JSON.stringify(w.conversationRef ?? {}),
        w.masked ? 1 : 0,
        w.proof ? JSON.stringify(w.proof) : null,
        w.fingerprint,
        w.intervalMin,
        w.nextCheckAt,
        w.expiresAt,
        w.createdAt,
        w.createdAt,
      ],
    );
    return n === 1;
  }

  async active(c: ConversationKey, orderNo?: string): Promise<Watch[]> {
    const rows = await this.sql.all<Row>(
      `SELECT ${COLUMNS} FROM order_watches WHERE channel_id = ? AND conversation_id = ? AND state = 'active'${orderNo ? ' AND order_no = ?' : ''} ORDER BY created_at`,
      orderNo ? [c.channelId, c.conversationId, orderNo] : [c.channelId, c.conversationId],
    );
    return rows.map(toWatch);
  }

  stop(c: ConversationKey, now: number, orderNo?: string): Promise<number> {
    return this.sql.run(
      `UPDATE order_watches SET state = 'stopped', proof = NULL, updated_at = ? WHERE channel_id = ? AND conversation_id = ? AND state = 'active'${orderNo ? ' AND order_no = ?' : ''}`,
      orderNo ? [now, c.channelId, c.conversationId, orderNo] : [now, c.channelId, c.conversationId],
    );
  }

  claimDue(now: number, leaseMs: number, owner: string, limit: number): Promise<Watch[]> {
    return this.sql.tx(async () => {
      const rows = await this.sql.all<Row>(
        `SELECT ${COLUMNS} FROM order_watches WHERE state = 'active' AND next_check_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)
         ORDER BY next_check_at LIMIT ${Math.max(1, Math.floor(limit))}${this.sql.skipLocked}`,
        [now, now],
      );
      for (const r of rows) await this.sql.run('UPDATE order_watches SET claimed_by = ?, claimed_until = ? WHERE id = ?', [owner, now + leaseMs, r.id]);
      return rows.map(toWatch);
    });
  }

  wake(orderNo: string, now: number): Promise<number> {
    return this.sql.run("UPDATE order_watches SET next_check_at = ?, updated_at = ? WHERE order_no = ? AND state = 'active' AND next_check_at > ?", [now, now, orderNo, now]);
  }

  async reschedule(id: string, next: { nextCheckAt: number; intervalMin: number; failures: number; state?: WatchState }, now: number): Promise<void> {
    const state = next.state ?? 'active';
    await this.sql.run(
      `UPDATE order_watches SET next_check_at = ?, interval_min = ?, failures = ?, state = ?, claimed_by = NULL, claimed_until = NULL, updated_at = ?${state === 'active' ? '' : ', proof = NULL'} WHERE id = ? AND state = 'active'`,
      [next.nextCheckAt, next.intervalMin, next.failures, state, now, id],
    );
  }

  async markNotified(id: string, from: string, to: string, state: WatchState, now: number): Promise<boolean> {
    const n = await this.sql.run(
      `UPDATE order_watches SET fingerprint = ?, state = ?, notified = notified + 1, updated_at = ?${state === 'active' ? '' : ', proof = NULL'} WHERE id = ? AND fingerprint = ? AND state = 'active'`,
      [to, state, now, id, from],
    );
    return n === 1;
  }

  async count(state?: WatchState): Promise<number> {
    const row = await this.sql.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM order_watches${state ? ' WHERE state = ?' : ''}`, state ? [state] : []);
    return Number(row?.n ?? 0);
  }
}
