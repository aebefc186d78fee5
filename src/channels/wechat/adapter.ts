/**
 * WeChat (Official Account and WeCom) as a botbuilder adapter, and the 5-second rule.
 *
 * Proactive turns (agent replies, notifications) have no passive reply: their messages go through
 * the API. A push is answered passively when its turn ends within the deadline; otherwise WeChat gets
 * "success" at once and the reply goes through the API (the outbox). One passive reply carries one
 * message: the turn's messages are merged, and what does not fit goes through the API. Every push
 * is recorded before its turn starts, so a retry (same MsgId, or the same event) never starts a
 * second turn, also after a restart; a retry that arrives while the turn is running waits for it,
 * and whichever delivery is waiting when the turn ends carries the answer, once.
 */
import { randomUUID } from 'node:crypto';
import { type Activity, ActivityTypes, type ResourceResponse, TurnContext } from 'botbuilder';
import { idDigest } from '../../logging.js';
import { UnitOfWork } from '../../storage/unitOfWork.js';
import { QueuedAdapter, type TurnStore } from '../queuedAdapter.js';
import type pino from 'pino';
import { recordText } from '../../bot/records.js';
import { wechatText } from '../../replies/index.js';
import type { Outbox } from './outbox.js';
import type { WeChatRepo } from './store.js';

/** WeChat cuts text messages at 2,048 bytes; stay under it. */
export const MESSAGE_MAX_BYTES = 2000;
const BUFFER = Symbol('wechatReplies');

/** One reply of a turn: what the buyer gets, and what records keep (masked twin; see bot/records.ts). */
export interface Said {
  text: string;
  record: string;
}
const texts = (said: Said[]) => said.map((s) => s.text);
const records = (said: Said[]) => said.map((s) => s.record).join('\n\n');
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** Merges texts into as few messages as fit the limit; a text too long alone is split at line breaks. */
export function packMessages(texts: string[], maxBytes = MESSAGE_MAX_BYTES): string[] {
  const pieces: string[] = [];
  for (const t of texts) {
    if (bytes(t) <= maxBytes) {
      pieces.push(t);
      continue;
    }
    let cur = '';
    for (const line of t.split('\n')) {
      for (const part of bytes(line) <= maxBytes
        ? [line]
        : [...line].reduce<string[]>((acc, ch) => {
            if (!acc.length || bytes(acc[acc.length - 1]! + ch) > maxBytes) acc.push(ch);
            else acc[acc.length - 1] += ch;
            return acc;
          }, [])) {
        const next = cur ? `${cur}\n${part}` : part;
        if (bytes(next) > maxBytes) {
          pieces.push(cur);
          cur = part;
        } else cur = next;
      }
    }
    if (cur) pieces.push(cur);
  }
  const out: string[] = [];
  for (const p of pieces) {
    const last = out[out.length - 1];
    if (last !== undefined && bytes(`${last}\n\n${p}`) <= maxBytes) out[out.length - 1] = `${last}\n\n${p}`;
    else out.push(p);
  }
  return out;
}

export class WeChatAdapter extends QueuedAdapter {
  constructor(
    store: TurnStore,
    readonly channelId: 'wechat' | 'wecom',
    private readonly outbox: Outbox,
  ) {
    super(store);
  }

  async sendActivities(ctx: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const buffer = ctx.turnState.get(BUFFER) as Said[] | undefined;
    const out: ResourceResponse[] = [];
    for (const a of activities) {
      out.push({ id: randomUUID() });
      // Traces, typing and events never leave the server.
      if (a.type !== ActivityTypes.Message) continue;
      const buttons = a.suggestedActions?.actions.map((x) => String(x.title ?? x.value ?? '')).filter(Boolean) ?? [];
      const text = wechatText(a.text ?? '', buttons);
      if (!text) continue;
      const said = { text, record: wechatText(recordText(a), buttons) };
      if (buffer) buffer.push(said);
      else await this.outbox.enqueue(ctx.activity.from.id, ctx.activity.conversation.id, packMessages([text]), said.record);
    }
    return out;
  }

  async updateActivity(): Promise<void> {
    throw new Error('WeChat messages cannot be edited');
  }

  async deleteActivity(): Promise<void> {
    throw new Error('WeChat messages cannot be recalled by the bot');
  }

  /**
   * Runs a turn after the conversation's earlier ones, as one unit of work; returns the texts it
   * said (not yet sent), once its state is committed. A failed turn's texts give way to its apology.
   */
  runTurn(activity: Partial<Activity>, logic: (ctx: TurnContext) => Promise<void>): Promise<Said[]> {
    return this.turn(activity.conversation!.id, async () => {
      const ctx = new TurnContext(this, activity);
      const buffer: Said[] = [];
      ctx.turnState.set(BUFFER, buffer);
      UnitOfWork.onDiscard(() => void buffer.splice(0));
      await this.runMiddleware(ctx, logic);
      return buffer;
    });
  }
}

export interface Push {
  /** Dedupe key: MsgId for messages, sender + CreateTime + event for events. */
  key: string;
  userId: string;
  activity: Partial<Activity>;
}

interface Live {
  done: Promise<Said[]>;
  waiters: number;
  taken: boolean;
}

const TIMEOUT = Symbol('timeout');

/** The 5-second rule for one channel: dedupe, deadline, passive reply or the outbox. */
export class PushHandler {
  private readonly live = new Map<string, Live>();

  constructor(
    private readonly adapter: WeChatAdapter,
    private readonly store: WeChatRepo,
    private readonly outbox: Outbox,
    private readonly logic: (ctx: TurnContext) => Promise<void>,
    private readonly opts: { deadlineMs: number; logger: pino.Logger; instance: string; alive: (instance: string) => Promise<boolean> },
  ) {}

  /** Identifies this instance: a running turn recorded by an instance that is gone died with it. */
  get boot(): string {
    return this.opts.instance;
  }

  /**
   * Handles one delivery of a push; resolves, by the deadline counted from `arrivedAt`, with the
   * text to answer passively, or undefined to answer "success".
   */
  async handle(push: Push, arrivedAt: number): Promise<string | undefined> {
    const channel = this.adapter.channelId;
    let live = this.live.get(push.key);
    if (!live) {
      const now = Date.now();
      const row = await this.store.inbound(push.key);
      // Another delivery of this push may have started it here while we looked: it is joined below.
      live = this.live.get(push.key);
      if (!live) {
        if (!row) {
          if (await this.store.claim(push.key, channel, push.userId, this.boot, now)) live = this.start(push);
          else live = this.live.get(push.key);
          if (!live) return undefined; // another instance has it
        } else if (row.state === 'running' && row.boot !== this.boot && !(await this.opts.alive(row.boot)) && (await this.store.takeOver(push.key, row.boot, this.boot, now))) {
          // The instance that started this turn is gone (killed, restarted): nothing was sent, run it here.
          this.opts.logger.info({ channel, push: idDigest(push.key) }, 'wechat push retried after its instance died: running it again');
          live = this.start(push);
        } else if (row.state === 'passive') {
          // WeChat retries only when it got no answer: the passive reply was lost, give it again.
          return row.reply ?? undefined;
        } else {
          return undefined; // answered through the API, or nothing to say
        }
      }
    }
    live.waiters++;
    const wait = Math.max(0, this.opts.deadlineMs - (Date.now() - arrivedAt));
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([live.done, new Promise<typeof TIMEOUT>((r) => (timer = setTimeout(() => r(TIMEOUT), wait)))]);
    clearTimeout(timer);
    live.waiters--;
    if (result === TIMEOUT || live.taken) return undefined;
    live.taken = true;
    const [passive, ...rest] = packMessages(texts(result));
    await this.store.settle(push.key, passive ? 'passive' : 'none', passive ?? null, Date.now());
    await this.outbox.enqueue(push.userId, push.activity.conversation!.id, rest, records(result));
    return passive;
  }

  private start(push: Push): Live {
    const live: Live = { waiters: 0, taken: false, done: Promise.resolve([]) };
    live.done = this.adapter.runTurn(push.activity, this.logic).catch((err) => {
      this.opts.logger.error({ err, channel: this.adapter.channelId }, 'wechat turn failed');
      return [] as Said[];
    });
    this.live.set(push.key, live);
    // Registered before any waiter's: when the turn ends with nobody waiting, the API delivers.
    void live.done
      .then(async (said) => {
        this.live.delete(push.key);
        if (live.waiters > 0 || live.taken) return;
        live.taken = true;
        await this.store.settle(push.key, said.length ? 'api' : 'none', null, Date.now());
        await this.outbox.enqueue(push.userId, push.activity.conversation!.id, packMessages(texts(said)), records(said));
      })
      .catch((err) => this.opts.logger.error({ err, channel: this.adapter.channelId }, 'wechat: could not queue a late reply'));
    return live;
  }

  /** Turns still running (tests wait for them). */
  get running(): number {
    return this.live.size;
  }
}
