/**
 * What the WeChat channels keep (storage/sql/wechat.ts): inbound de-duplication (a retried push is
 * answered once, across restarts and instances), the outbox of replies sent through the API, the
 * customer-service windows (WeChat lets an account message a user only for a while after the user
 * spoke, a few times), and cached access tokens.
 */
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

export interface WeChatRepo {
  /**
   * A signed query (timestamp + nonce) is good for one push: 'fresh' the first time, 'same' when it
   * comes again with the very same body (WeChat retrying), 'reused' when it comes with another body
   * (somebody replaying a captured signature). Remembered until `expiresAt`.
   */
  useNonce(key: string, bodySha256: string, expiresAt: number, now: number): Promise<'fresh' | 'same' | 'reused'>;
  inbound(key: string): Promise<InboundRow | undefined>;
  /** True when this push is new (now marked running by `boot`). */
  claim(key: string, channel: string, userId: string, boot: string, now: number): Promise<boolean>;
  /** A running turn owned by an instance that is gone: `boot` takes it over (true once). */
  takeOver(key: string, fromBoot: string, boot: string, now: number): Promise<boolean>;
  settle(key: string, state: Exclude<InboundState, 'running'>, reply: string | null, now: number): Promise<void>;
  prune(before: number): Promise<void>;
  /** `twin`: the texts' masked record when it differs from them, else null. */
  enqueue(channel: string, userId: string, conversationId: string, texts: string[], now: number, twin: string | null): Promise<void>;
  /** Claims for `owner`, for `leaseMs`, the due messages nobody else holds: each user's oldest pending one. */
  claimDue(channel: string, now: number, leaseMs: number, owner: string): Promise<OutboxRow[]>;
  /** Who holds claims now. */
  claimHolders(channel: string, now: number): Promise<string[]>;
  /** Frees the claims of an owner that is gone (its sends never finished: they go again). */
  release(channel: string, owner: string): Promise<number>;
  sent(id: number, now: number): Promise<void>;
  retryLater(id: number, at: number, error: string): Promise<void>;
  failed(id: number, error: string, ticketId: string | null): Promise<void>;
  cancelPending(channel: string, userId: string, reason: string): Promise<void>;
  /** Opens (or renews) the window in which the account may message this user `quota` times. */
  openWindow(channel: string, userId: string, closesAt: number, quota: number): Promise<void>;
  /** Takes one send from the window; the reason when there is none left. */
  useWindow(channel: string, userId: string, now: number): Promise<'ok' | 'closed' | 'quota'>;
  closeWindow(channel: string, userId: string): Promise<void>;
  token(channel: string): Promise<{ token: string; expiresAt: number } | undefined>;
  saveToken(channel: string, token: string, expiresAt: number): Promise<void>;
  dropToken(channel: string, token: string): Promise<void>;
}

/** The outbox's record column holds the masked twin only where it differs from what is sent. */
export function twinOf(texts: string[], record?: string): string | null {
  return record !== undefined && record !== texts.join('\n\n') ? record : null;
}
