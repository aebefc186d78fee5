/**
 * Replies that cannot go back passively (turns slower than the deadline, the rest of a long answer,
 * proactive messages) wait in the database and are sent through the API, in order per user (each
 * instance claims what it sends: storage/sql/wechat.ts). A reply that
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
import type { Leadership } from '../../storage/cluster.js';
import { type OutboxRow, type WeChatRepo, twinOf } from './store.js';

const MAX_ATTEMPTS = 5;
/** How long a claimed message is this instance's to send (an instance that dies mid-send gives it back then). */
const LEASE_MS = 60_000;

export interface OutboxOptions {
  channel: 'wechat' | 'wecom';
  /** Official Accounts may only message a user within a window after the user spoke. */
  windows: boolean;
  /** Poll for due retries this often (on the cluster's leader). */
  intervalMs?: number;
  leader?: Leadership;
  /** This instance's name, and whether another one still runs (claims of a dead one are freed). */
  instance?: string;
  alive?: (instance: string) => Promise<boolean>;
}

export class Outbox {
  private draining?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;
  /** Messages handed to the API successfully (tests and the bench read it). */
  delivered = 0;

  constructor(
    private readonly store: WeChatRepo,
    private readonly api: MessageApi | undefined,
    private readonly tickets: TicketService,
    private readonly opts: OutboxOptions,
    private readonly logger: pino.Logger,
  ) {}

  start(): void {
    // Retries come due on the leader's clock; a message just queued is kicked by the instance that queued it.
    this.timer ??= setInterval(() => (this.opts.leader?.isLeader() ?? true) && void this.freeDeadClaims().then(() => this.kick()), this.opts.intervalMs ?? 2000);
    this.timer.unref();
    void this.freeDeadClaims().then(() => this.kick()); // whatever a previous run left pending
  }

  /** Messages claimed by an instance that died mid-send are sent again (at least once), not after the lease. */
  private async freeDeadClaims(): Promise<void> {
    try {
      for (const owner of await this.store.claimHolders(this.opts.channel, Date.now())) {
        if (owner === this.owner || (this.opts.alive && (await this.opts.alive(owner)))) continue;
        const n = await this.store.release(this.opts.channel, owner);
        if (n) this.logger.warn({ channel: this.opts.channel, owner, messages: n }, 'wechat outbox: claims of an instance that is gone, sending them again');
      }
    } catch (err) {
      this.logger.error({ err }, 'wechat outbox: could not check claims');
    }
  }

  private get owner(): string {
    return this.opts.instance ?? 'local';
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** `record`: what a ticket quotes if these cannot be delivered (the texts' masked twin; default the texts). */
  async enqueue(userId: string, conversationId: string, texts: string[], record?: string): Promise<void> {
    if (texts.length === 0) return;
    // Inside a turn (a proactive message), queued with the turn's state; sent once committed.
    await UnitOfWork.write(() => this.store.enqueue(this.opts.channel, userId, conversationId, texts, Date.now(), twinOf(texts, record)), { after: () => void this.kick() });
  }

  /** Starts a drain (or asks the running one to go round again); resolves when the outbox is idle. */
  kick(): Promise<void> {
    if (this.draining !== undefined) {
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

  /** Sends what is due, user by user in order, until nothing due is left unclaimed. */
  private async drainOnce(): Promise<void> {
    for (;;) {
      // Each user's oldest pending message, claimed for this instance (a retry waiting holds the rest back).
      const rows = await this.store.claimDue(this.opts.channel, Date.now(), LEASE_MS, this.owner);
      if (rows.length === 0) return;
      await Promise.all(rows.map((row) => this.sendOne(row)));
    }
  }

  private async sendOne(row: OutboxRow): Promise<void> {
    if (!this.api) {
      await this.fail(row, 'not_configured', '没有配置 AppSecret，无法主动发消息');
      return;
    }
    if (this.opts.windows) {
      const w = await this.store.useWindow(this.opts.channel, row.user_id, Date.now());
      if (w !== 'ok') {
        await this.fail(row, w === 'closed' ? 'window_closed' : 'quota', w === 'closed' ? '超出 48 小时回复窗口' : '回复条数已用完');
        return;
      }
    }
    try {
      await this.api.sendText(row.user_id, row.text);
      await this.store.sent(row.id, Date.now());
      this.delivered++;
    } catch (err) {
      const e = err instanceof WeChatApiError ? err : new WeChatApiError(-1, (err as Error).message);
      if (e.retryable && row.attempts + 1 < MAX_ATTEMPTS) {
        await this.store.retryLater(row.id, Date.now() + 1000 * 2 ** row.attempts, `${e.errcode} ${e.errmsg}`);
        this.logger.warn({ channel: this.opts.channel, errcode: e.errcode, attempt: row.attempts + 1 }, 'wechat send failed, will retry');
      } else {
        await this.fail(row, String(e.errcode), e.errmsg);
      }
    }
  }

  private async fail(row: OutboxRow, code: string, why: string): Promise<void> {
    const ticket = await this.tickets.create(
      { conversationId: row.conversation_id, channelId: this.opts.channel, userId: row.user_id, symptom: ticketNote.undelivered(code, why, row.record_text ?? row.text) },
      new Date(),
    );
    await this.store.failed(row.id, `${code} ${why}`, ticket.id);
    this.logger.warn({ channel: this.opts.channel, errcode: code, ticket: ticket.id }, 'wechat reply undeliverable, ticket filed');
  }
}
