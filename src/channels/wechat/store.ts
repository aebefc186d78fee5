/**
 * What the WeChat channels keep in SQLite: inbound de-duplication (a retried push is answered once,
 * across restarts too), the outbox of replies sent through the API, the customer-service windows
 * (WeChat lets an account message a user only for a while after the user spoke, a few times), and
 * cached access tokens.
 */
import type { Db } from '../../storage/db.js';

export type InboundState = 'running' | 'passive' | 'api' | 'none';
export interface InboundRow {
  key: string;
  state: InboundState;
  boot: string;
  reply: string | null;
}
export interface OutboxRow {
  id: number;
  channel: string;
  user_id: string;
  conversation_id: string;
  text: string;
  /** The masked twin of a reply that shows secrets (what a ticket may quote), else null. */
  record_text: string | null;
  attempts: number;
}

export class WeChatStore {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      inboundGet: db.prepare<[string], InboundRow>('SELECT key, state, boot, reply FROM wechat_inbound WHERE key = ?'),
      inboundClaim: db.prepare(
        `INSERT INTO wechat_inbound (key, channel, user_id, state, boot, created_at, updated_at) VALUES (?, ?, ?, 'running', ?, ?, ?)
         ON CONFLICT (key) DO NOTHING`,
      ),
      inboundTakeOver: db.prepare("UPDATE wechat_inbound SET boot = ?, updated_at = ? WHERE key = ? AND state = 'running' AND boot = ?"),
      inboundSet: db.prepare('UPDATE wechat_inbound SET state = ?, reply = ?, updated_at = ? WHERE key = ?'),
      inboundPrune: db.prepare('DELETE FROM wechat_inbound WHERE created_at < ?'),
      outboxAdd: db.prepare('INSERT INTO wechat_outbox (channel, user_id, conversation_id, text, record_text, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      outboxDue: db.prepare<[string, number], OutboxRow>(
        "SELECT id, channel, user_id, conversation_id, text, record_text, attempts FROM wechat_outbox WHERE channel = ? AND state = 'pending' AND next_at <= ? ORDER BY id LIMIT 50",
      ),
      outboxSent: db.prepare("UPDATE wechat_outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?"),
      outboxRetry: db.prepare('UPDATE wechat_outbox SET attempts = attempts + 1, next_at = ?, error = ? WHERE id = ?'),
      outboxFailed: db.prepare("UPDATE wechat_outbox SET state = 'failed', attempts = attempts + 1, error = ?, ticket_id = ? WHERE id = ?"),
      outboxCancelUser: db.prepare("UPDATE wechat_outbox SET state = 'canceled', error = ? WHERE channel = ? AND user_id = ? AND state = 'pending'"),
      windowGet: db.prepare<[string, string], { closes_at: number; quota: number; sent: number }>(
        'SELECT closes_at, quota, sent FROM wechat_windows WHERE channel = ? AND user_id = ?',
      ),
      windowPut: db.prepare(
        `INSERT INTO wechat_windows (channel, user_id, closes_at, quota, sent) VALUES (?, ?, ?, ?, 0)
         ON CONFLICT (channel, user_id) DO UPDATE SET closes_at = excluded.closes_at, quota = excluded.quota, sent = 0`,
      ),
      windowUse: db.prepare('UPDATE wechat_windows SET sent = sent + 1 WHERE channel = ? AND user_id = ?'),
      windowClose: db.prepare('DELETE FROM wechat_windows WHERE channel = ? AND user_id = ?'),
      tokenGet: db.prepare<[string], { token: string; expires_at: number }>('SELECT token, expires_at FROM wechat_tokens WHERE channel = ?'),
      tokenPut: db.prepare(
        'INSERT INTO wechat_tokens (channel, token, expires_at) VALUES (?, ?, ?) ON CONFLICT (channel) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at',
      ),
      tokenDrop: db.prepare('DELETE FROM wechat_tokens WHERE channel = ? AND token = ?'),
      nonceClaim: db.prepare('INSERT INTO wechat_nonces (key, body_sha256, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING'),
      nonceGet: db.prepare<[string], string>('SELECT body_sha256 FROM wechat_nonces WHERE key = ?').pluck(),
      noncePrune: db.prepare('DELETE FROM wechat_nonces WHERE expires_at < ?'),
    };
  }

  // --- signatures seen (replay guard) ---
  /**
   * A signed query (timestamp + nonce) is good for one push: 'fresh' the first time, 'same' when it
   * comes again with the very same body (WeChat retrying), 'reused' when it comes with another body
   * (somebody replaying a captured signature). Remembered until `expiresAt`.
   */
  useNonce(key: string, bodySha256: string, expiresAt: number, now: number): 'fresh' | 'same' | 'reused' {
    if (Math.random() < 0.01) this.s.noncePrune.run(now);
    if (this.s.nonceClaim.run(key, bodySha256, expiresAt).changes === 1) return 'fresh';
    return this.s.nonceGet.get(key) === bodySha256 ? 'same' : 'reused';
  }

  // --- inbound de-duplication ---
  inbound(key: string): InboundRow | undefined {
    return this.s.inboundGet.get(key);
  }
  /** True when this push is new (now marked running by this process). */
  claim(key: string, channel: string, userId: string, boot: string, now: number): boolean {
    return this.s.inboundClaim.run(key, channel, userId, boot, now, now).changes === 1;
  }
  /** A running turn owned by a process that is gone: this process takes it over (true once). */
  takeOver(key: string, fromBoot: string, boot: string, now: number): boolean {
    return this.s.inboundTakeOver.run(boot, now, key, fromBoot).changes === 1;
  }
  settle(key: string, state: Exclude<InboundState, 'running'>, reply: string | null, now: number): void {
    this.s.inboundSet.run(state, reply, now, key);
  }
  prune(before: number): void {
    this.s.inboundPrune.run(before);
  }

  // --- outbox ---
  enqueue(channel: string, userId: string, conversationId: string, texts: string[], now: number, record?: string): void {
    // The record (masked twin) is kept only where it differs: what a ticket may quote.
    const twin = record !== undefined && record !== texts.join('\n\n') ? record : null;
    this.db
      .transaction(() => {
        for (const t of texts) this.s.outboxAdd.run(channel, userId, conversationId, t, twin, now, now);
      })
      .immediate();
  }
  due(channel: string, now: number): OutboxRow[] {
    return this.s.outboxDue.all(channel, now);
  }
  sent(id: number, now: number): void {
    this.s.outboxSent.run(now, id);
  }
  retryLater(id: number, at: number, error: string): void {
    this.s.outboxRetry.run(at, error, id);
  }
  failed(id: number, error: string, ticketId: string | null): void {
    this.s.outboxFailed.run(error, ticketId, id);
  }
  cancelPending(channel: string, userId: string, reason: string): void {
    this.s.outboxCancelUser.run(reason, channel, userId);
  }

  // --- customer-service windows ---
  /** Opens (or renews) the window in which the account may message this user `quota` times. */
  openWindow(channel: string, userId: string, closesAt: number, quota: number): void {
    const cur = this.s.windowGet.get(channel, userId);
    // A short window (menu click: 3 in a minute) never shortens a longer one already open.
    if (cur && cur.closes_at > closesAt && cur.quota - cur.sent >= quota) return;
    this.s.windowPut.run(channel, userId, closesAt, quota);
  }
  /** Takes one send from the window; the reason when there is none left. */
  useWindow(channel: string, userId: string, now: number): 'ok' | 'closed' | 'quota' {
    const w = this.s.windowGet.get(channel, userId);
    if (!w || w.closes_at <= now) return 'closed';
    if (w.sent >= w.quota) return 'quota';
    this.s.windowUse.run(channel, userId);
    return 'ok';
  }
  closeWindow(channel: string, userId: string): void {
    this.s.windowClose.run(channel, userId);
  }

  // --- access tokens ---
  token(channel: string): { token: string; expiresAt: number } | undefined {
    const r = this.s.tokenGet.get(channel);
    return r ? { token: r.token, expiresAt: r.expires_at } : undefined;
  }
  saveToken(channel: string, token: string, expiresAt: number): void {
    this.s.tokenPut.run(channel, token, expiresAt);
  }
  dropToken(channel: string, token: string): void {
    this.s.tokenDrop.run(channel, token);
  }
}
