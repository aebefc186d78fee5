/**
 * What the WeChat channels keep, in SQL (both backends): signatures seen, inbound de-duplication,
 * the outbox, customer-service windows and cached access tokens. Every instance shares them: a
 * retried push lands on any instance and is still answered once; the outbox is claimed row by row
 * (PostgreSQL: FOR UPDATE SKIP LOCKED, and a lease), one message per user at a time, so two
 * instances never send the same reply and a user's replies keep their order.
 */
import type { InboundRow, InboundState, OutboxRow, WeChatRepo } from '../../channels/wechat/store.js';
import type { Sql } from '../sql.js';

export class SqlWeChatRepo implements WeChatRepo {
  constructor(private readonly sql: Sql) {}

  async useNonce(key: string, bodySha256: string, expiresAt: number, now: number): Promise<'fresh' | 'same' | 'reused'> {
    if (Math.random() < 0.01) await this.sql.run('DELETE FROM wechat_nonces WHERE expires_at < ?', [now]);
    if ((await this.sql.run('INSERT INTO wechat_nonces (key, body_sha256, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING', [key, bodySha256, expiresAt])) === 1)
      return 'fresh';
    const seen = await this.sql.get<{ body_sha256: string }>('SELECT body_sha256 FROM wechat_nonces WHERE key = ?', [key]);
    return seen?.body_sha256 === bodySha256 ? 'same' : 'reused';
  }

  inbound(key: string): Promise<InboundRow | undefined> {
    return this.sql.get<InboundRow>('SELECT key, state, boot, reply FROM wechat_inbound WHERE key = ?', [key]);
  }

  async claim(key: string, channel: string, userId: string, boot: string, now: number): Promise<boolean> {
    return (
      (await this.sql.run(
        "INSERT INTO wechat_inbound (key, channel, user_id, state, boot, created_at, updated_at) VALUES (?, ?, ?, 'running', ?, ?, ?) ON CONFLICT (key) DO NOTHING",
        [key, channel, userId, boot, now, now],
      )) === 1
    );
  }

  async takeOver(key: string, fromBoot: string, boot: string, now: number): Promise<boolean> {
    return (await this.sql.run("UPDATE wechat_inbound SET boot = ?, updated_at = ? WHERE key = ? AND state = 'running' AND boot = ?", [boot, now, key, fromBoot])) === 1;
  }

  async settle(key: string, state: Exclude<InboundState, 'running'>, reply: string | null, now: number): Promise<void> {
    await this.sql.run('UPDATE wechat_inbound SET state = ?, reply = ?, updated_at = ? WHERE key = ?', [state, reply, now, key]);
  }

  async prune(before: number): Promise<void> {
    await this.sql.run('DELETE FROM wechat_inbound WHERE created_at < ?', [before]);
  }

  async enqueue(channel: string, userId: string, conversationId: string, texts: string[], now: number, twin: string | null): Promise<void> {
    await this.sql.tx(async () => {
      for (const t of texts)
        await this.sql.run('INSERT INTO wechat_outbox (channel, user_id, conversation_id, text, record_text, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
          channel,
          userId,
          conversationId,
          t,
          twin,
          now,
          now,
        ]);
    });
  }

  claimDue(channel: string, now: number, leaseMs: number, owner: string): Promise<OutboxRow[]> {
    return this.sql.tx(async () => {
      // Each user's oldest pending message only, and only when it is due and nobody holds it.
      const rows = await this.sql.all<OutboxRow>(
        `SELECT id, channel, user_id, conversation_id, text, record_text, attempts FROM wechat_outbox o
         WHERE o.channel = ? AND o.state = 'pending' AND o.next_at <= ? AND (o.claimed_until IS NULL OR o.claimed_until < ?)
           AND NOT EXISTS (SELECT 1 FROM wechat_outbox p WHERE p.channel = o.channel AND p.user_id = o.user_id AND p.state = 'pending' AND p.id < o.id)
         ORDER BY o.id LIMIT 50${this.sql.skipLocked}`,
        [channel, now, now],
      );
      for (const r of rows) await this.sql.run('UPDATE wechat_outbox SET claimed_until = ?, claimed_by = ? WHERE id = ?', [now + leaseMs, owner, r.id]);
      return rows.map((r) => ({ ...r, id: Number(r.id), attempts: Number(r.attempts) }));
    });
  }

  async claimHolders(channel: string, now: number): Promise<string[]> {
    const rows = await this.sql.all<{ claimed_by: string }>(
      "SELECT DISTINCT claimed_by FROM wechat_outbox WHERE channel = ? AND state = 'pending' AND claimed_until >= ? AND claimed_by IS NOT NULL",
      [channel, now],
    );
    return rows.map((r) => r.claimed_by);
  }

  release(channel: string, owner: string): Promise<number> {
    return this.sql.run("UPDATE wechat_outbox SET claimed_until = NULL, claimed_by = NULL WHERE channel = ? AND state = 'pending' AND claimed_by = ?", [channel, owner]);
  }

  async sent(id: number, now: number): Promise<void> {
    await this.sql.run("UPDATE wechat_outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, claimed_until = NULL WHERE id = ?", [now, id]);
  }

  async retryLater(id: number, at: number, error: string): Promise<void> {
    await this.sql.run('UPDATE wechat_outbox SET attempts = attempts + 1, next_at = ?, error = ?, claimed_until = NULL WHERE id = ?', [at, error, id]);
  }

  async failed(id: number, error: string, ticketId: string | null): Promise<void> {
    await this.sql.run("UPDATE wechat_outbox SET state = 'failed', attempts = attempts + 1, error = ?, ticket_id = ?, claimed_until = NULL WHERE id = ?", [error, ticketId, id]);
  }

  async cancelPending(channel: string, userId: string, reason: string): Promise<void> {
    await this.sql.run("UPDATE wechat_outbox SET state = 'canceled', error = ? WHERE channel = ? AND user_id = ? AND state = 'pending'", [reason, channel, userId]);
  }

  async openWindow(channel: string, userId: string, closesAt: number, quota: number): Promise<void> {
    // A short window (menu click: 3 in a minute) never shortens a longer one already open.
    await this.sql.run(
      `INSERT INTO wechat_windows (channel, user_id, closes_at, quota, sent) VALUES (?, ?, ?, ?, 0)
       ON CONFLICT (channel, user_id) DO UPDATE SET closes_at = excluded.closes_at, quota = excluded.quota, sent = 0
       WHERE NOT (wechat_windows.closes_at > excluded.closes_at AND wechat_windows.quota - wechat_windows.sent >= excluded.quota)`,
      [channel, userId, closesAt, quota],
    );
  }

  async useWindow(channel: string, userId: string, now: number): Promise<'ok' | 'closed' | 'quota'> {
    if ((await this.sql.run('UPDATE wechat_windows SET sent = sent + 1 WHERE channel = ? AND user_id = ? AND closes_at > ? AND sent < quota', [channel, userId, now])) === 1)
      return 'ok';
    const w = await this.sql.get<{ closes_at: number }>('SELECT closes_at FROM wechat_windows WHERE channel = ? AND user_id = ?', [channel, userId]);
    return !w || Number(w.closes_at) <= now ? 'closed' : 'quota';
  }

  async closeWindow(channel: string, userId: string): Promise<void> {
    await this.sql.run('DELETE FROM wechat_windows WHERE channel = ? AND user_id = ?', [channel, userId]);
  }

  async token(channel: string): Promise<{ token: string; expiresAt: number } | undefined> {
    const r = await this.sql.get<{ token: string; expires_at: number }>('SELECT token, expires_at FROM wechat_tokens WHERE channel = ?', [channel]);
    return r ? { token: r.token, expiresAt: Number(r.expires_at) } : undefined;
  }

  async saveToken(channel: string, token: string, expiresAt: number): Promise<void> {
    await this.sql.run(
      'INSERT INTO wechat_tokens (channel, token, expires_at) VALUES (?, ?, ?) ON CONFLICT (channel) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at',
      [channel, token, expiresAt],
    );
  }

  async dropToken(channel: string, token: string): Promise<void> {
    await this.sql.run('DELETE FROM wechat_tokens WHERE channel = ? AND token = ?', [channel, token]);
  }
}
