import type { TurnContext } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { channelDeps } from '../../src/app.js';
import { createDirectLine } from '../../src/channels/directline/index.js';
import { makeApp } from '../helpers.js';

describe('DirectLineAdapter', () => {
  it('delivers proactive messages into the conversation log, and updates and deletes them', async () => {
    const app = await makeApp({ orders: [] });
    const dl = await createDirectLine(channelDeps(app), app.store.repos.directLine);
    await dl.store.create({ id: 'c1', userId: 'dl_u1', createdAt: Date.now() });
    // Every commit that appends is announced on the bus with the watermark it reached: what is new since the last announcement.
    const announced: Array<{ conversationId: string; watermark: number }> = [];
    const unsubscribe = app.store.bus.subscribe('directline.append', (e) => announced.push(e));
    const pushed = async () => {
      const out: string[] = [];
      const last = new Map<string, number>();
      for (const { conversationId: cid, watermark } of announced) {
        const from = last.get(cid) ?? 0;
        out.push(...(await dl.store.after(cid, from, watermark - from)).activities.map((a) => `${cid}:${a.type}:${a.text ?? ''}`));
        last.set(cid, watermark);
      }
      return out;
    };
    const reference = {
      conversation: { id: 'c1' } as never,
      user: { id: 'dl_u1', name: '' },
      bot: { id: 'order-assistant', name: '订单助手' },
      channelId: 'directline',
      serviceUrl: 'http://localhost',
    };

    let sentId = '';
    await dl.adapter.continueConversationAsync('', reference, async (ctx: TurnContext) => {
      sentId = (await ctx.sendActivity('你的订单已经到账了'))!.id;
      await ctx.sendActivity({ type: 'trace', name: 'internal', value: 1 });
    });
    let log = await dl.store.after('c1', 0);
    expect(log.activities.map((a) => a.text)).toEqual(['你的订单已经到账了']);
    expect(log.activities[0]!.from).toMatchObject({ role: 'bot' });
    expect(await pushed()).toEqual(['c1:message:你的订单已经到账了']);

    await dl.adapter.continueConversation(reference, async (ctx) => {
      await ctx.updateActivity({ id: sentId, type: 'message', text: '你的订单已经到账了（已更新）' });
      await ctx.deleteActivity(sentId);
    });
    log = await dl.store.after('c1', 0);
    expect(log.activities[0]).toMatchObject({ id: sentId, type: 'messageDelete' });
    expect(log.activities.slice(1).map((a) => a.type)).toEqual(['messageUpdate', 'messageDelete']);
    unsubscribe();
    await app.close();
  });

  it('runs the turns of one conversation one at a time', async () => {
    const app = await makeApp({ orders: [] });
    const dl = await createDirectLine(channelDeps(app), app.store.repos.directLine);
    await dl.store.create({ id: 'c2', userId: 'dl_u2', createdAt: Date.now() });
    const order: string[] = [];
    const turn = (name: string, ms: number) => (ctx: TurnContext) =>
      new Promise<void>((resolve) => {
        order.push(`start ${name}`);
        setTimeout(() => {
          order.push(`end ${name}`);
          void ctx;
          resolve();
        }, ms);
      });
    const reference = { conversation: { id: 'c2' } as never, user: { id: 'dl_u2', name: '' }, bot: { id: 'b', name: 'b' }, channelId: 'directline', serviceUrl: 'x' };
    await Promise.all([dl.adapter.continueConversation(reference, turn('a', 30)), dl.adapter.continueConversation(reference, turn('b', 1))]);
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b']);
    await app.close();
  });
});
