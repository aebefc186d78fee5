import { type Activity, BotAdapter, type ConversationReference, type ResourceResponse, TestAdapter, TurnContext } from 'botbuilder';
import { createApp, type App } from '../src/app.js';
import { TranscriptMiddleware } from '../src/bot/transcript.js';
import { loadConfig } from '../src/config.js';
import type { DemoOrderRecord } from '../src/orders/demo/demoOrderService.js';
import { fixedClock } from '../src/time.js';

export const NOW = '2026-11-23T15:00:00+08:00';

export async function makeApp(
  opts: { now?: string; orders?: DemoOrderRecord[]; file?: string; env?: Record<string, string>; log?: (line: string) => void; instance?: string } = {},
): Promise<App> {
  const config = loadConfig({ DATABASE_FILE: opts.file ?? ':memory:', LOG_LEVEL: 'silent', ...opts.env });
  const log = opts.log;
  return createApp({
    config,
    clock: fixedClock(opts.now ?? NOW),
    orders: opts.orders,
    instance: opts.instance,
    logDestination: log ? { write: (line: string) => void log(line) } : undefined,
  });
}

/** A botbuilder TestAdapter wired like the real channels (middleware + bot), traces included. */
export function testAdapter(app: App, template: Record<string, unknown> = {}): TestAdapter {
  const adapter = new TestAdapter(app.logic, { locale: 'zh-CN', ...template } as never, true);
  adapter.use(new TranscriptMiddleware(app.services.transcript, app.clock));
  return adapter;
}

export const order = (o: Partial<DemoOrderRecord> & Pick<DemoOrderRecord, 'orderNo' | 'status'>): DemoOrderRecord => ({
  productType: 'game_card',
  title: '腾讯Q币100元',
  quantity: 1,
  amount: '98.50',
  currency: 'CNY',
  createdAt: '2026-11-23T14:54:00+08:00',
  ...o,
});

/** Sends one message through the in-process channel; returns replies' text and the turn outcome. */
export async function say(app: App, text: string, conversationId = 'conv-1', channelData?: Record<string, unknown>, channelId = 'test') {
  const acts = await app.adapter.message({ conversationId, userId: 'buyer-1', text, channelId, channelData }, app.logic);
  return {
    text: acts
      .filter((a) => a.type === 'message')
      .map((a) => a.text ?? '')
      .join('\n'),
    outcome: acts.find((a) => a.type === 'trace' && a.name === 'turnOutcome')?.value as Record<string, any> | undefined,
    activities: acts,
  };
}

/** Polls until `cond` holds (or throws after `ms`): for effects that land asynchronously. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Listens on an ephemeral loopback port; the server's base URL. */
export async function serve(server: import('node:http').Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
}

/** Closes a server and its open connections (keep-alive, streams). */
export async function shutdown(server: import('node:http').Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

/** A buyer channel that records what reaches it (proactive turns included); its buyers keep their ids. */
export class RecordingChannel extends BotAdapter {
  sent: Partial<Activity>[] = [];
  async sendActivities(_ctx: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    this.sent.push(...activities);
    return activities.map(() => ({ id: String(this.sent.length) }));
  }
  async updateActivity(): Promise<void> {}
  async deleteActivity(): Promise<void> {}
  async continueConversation(ref: Partial<ConversationReference>, logic: (ctx: TurnContext) => Promise<void>): Promise<void> {
    const activity = TurnContext.applyConversationReference({ type: 'event', name: 'ContinueConversation' }, ref, true);
    await this.runMiddleware(new TurnContext(this, activity), logic);
  }
  /** The text of every message sent. */
  texts(): string[] {
    return this.sent.filter((a) => a.type === 'message').map((a) => a.text ?? '');
  }
}
