/**
 * Replies that cannot go back passively (turns slower than the deadline, the rest of a long answer,
 * proactive messages) wait in SQLite and are sent through the API, in order per user. A reply that
 * cannot be delivered (the user's window closed, the quota used up, the user unfollowed, the
 * account lacks the permission, or retries ran out) is recorded and becomes a ticket, so a person
 * follows up; nothing is dropped silently. At least once: a crash between the API call and the
 * bookkeeping sends that message again after a restart.
 */
import { UnitOfWork } from '../../storage/unitOfWork.js';
import type pino from 'pino';
import { ticketNote } from '../../replies/index.js';
import type { TicketService } from '../../tickets/index.js';
import { type MessageApi, WeChatApiError } from './api.js';
import type { WeChatStore } from './store.js';

const MAX_ATTEMPTS = 5;

export interface OutboxOptions {
  channel: 'wechat' | 'wecom';
  /** Official Accounts may only message a user within a window after the user spoke. */
  windows: boolean;
  /** Poll for due retries this often. */
  intervalMs?: number;
}

export class Outbox {
  private draining?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;
  /** Messages handed to the API successfully (tests and the bench read it). */
  delivered = 0;

  constructor(
    private readonly store: WeChatStore,
    private readonly api: MessageApi | undefined,
    private readonly tickets: TicketService,
    private readonly opts: OutboxOptions,
    private readonly logger: pino.Logger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.kick(), this.opts.intervalMs ?? 2000);
    this.timer.unref();
    this.kick(); // whatever a previous run left pending
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** `record`: what a ticket quotes if these cannot be delivered (the texts' masked twin; default the texts). */
  enqueue(userId: string, conversationId: string, texts: string[], record?: string): void {
    if (texts.length === 0) return;
    // Inside a turn (a proactive message), queued with the turn's state; sent once committed.
    UnitOfWork.write(() => this.store.enqueue(this.opts.channel, userId, conversationId, texts, Date.now(), record), { after: () => void this.kick() });
  }

  /** Starts a drain (or asks the running one to go round again); resolves when the outbox is idle. */
  kick(): Promise<void> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = (async () => {
      try {
        do {
          this.again = false;
          await this.drainOnce();
        } while (this.again);
      } catch (err) {
        this.logger.error({ err }, 'wechat outbox failed');
      } finally {
        this.draining = undefined;
      }
    })();
    return this.draining;
  }

  private async drainOnce(): Promise<void> {
    const deferred = new Set<string>(); // keep each user's messages in order
    for (const row of this.store.due(this.opts.channel, Date.now())) {
      if (deferred.has(row.user_id)) continue;
      if (!this.api) {
        this.fail(row, 'not_configured', '没有配置 AppSecret，无法主动发消息');
        continue;
      }
      if (this.opts.windows) {
        const w = this.store.useWindow(this.opts.channel, row.user_id, Date.now());
        if (w !== 'ok') {
          this.fail(row, w === 'closed' ? 'window_closed' : 'quota', w === 'closed' ? '超出 48 小时回复窗口' : '回复条数已用完');
          continue;
        }
      }
      try {
        await this.api.sendText(row.user_id, row.text);
        this.store.sent(row.id, Date.now());
        this.delivered++;
      } catch (err) {
        const e = err instanceof WeChatApiError ? err : new WeChatApiError(-1, (err as Error).message);
        if (e.retryable && row.attempts + 1 < MAX_ATTEMPTS) {
          deferred.add(row.user_id);
          this.store.retryLater(row.id, Date.now() + 1000 * 2 ** row.attempts, `${e.errcode} ${e.errmsg}`);
          this.logger.warn({ channel: this.opts.channel, errcode: e.errcode, attempt: row.attempts + 1 }, 'wechat send failed, will retry');
        } else {
          this.fail(row, String(e.errcode), e.errmsg);
        }
      }
    }
  }

  private fail(row: { id: number; user_id: string; conversation_id: string; text: string; record_text: string | null }, code: string, why: string): void {
    const ticket = this.tickets.create(
      { conversationId: row.conversation_id, channelId: this.opts.channel, userId: row.user_id, symptom: ticketNote.undelivered(code, why, row.record_text ?? row.text) },
      new Date(),
    );
    this.store.failed(row.id, `${code} ${why}`, ticket.id);
    this.logger.warn({ channel: this.opts.channel, errcode: code, ticket: ticket.id }, 'wechat reply undeliverable, ticket filed');
  }
}
