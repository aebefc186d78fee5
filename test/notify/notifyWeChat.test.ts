/**
 * "到了告诉我" on WeChat (Official Account, against the fake WeChat API): the buyer opts in, the bot
 * restarts, the order moves, and the update goes out once as a customer-service message. When
 * WeChat refuses it (the 48-hour window closed), it becomes a ticket agents see, never lost.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createServerWithChannels, type Served } from '../../src/server.js';
import { fakeWeChatApi, push, contentOf, textXml, type Account } from '../channels/wechat/fakes.js';
import { order, serve, shutdown, until } from '../helpers.js';

const OA: Account = { token: 'oatoken123', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', id: 'wx0123456789abcdef' };
const NOW = '2026-11-23T15:00:00+08:00';
const ORDERS = [
  order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' }),
  order({ orderNo: 'M3NB7VC2X8LK4JHA', status: 'paid', paidAt: '2026-11-23T14:56:00+08:00' }),
];

describe('notify-me on WeChat', () => {
  let fake: Awaited<ReturnType<typeof fakeWeChatApi>>;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-wxn-'));
  let t = Date.parse(NOW);
  const clock = { now: () => new Date(t) };
  let app: App;
  let served: Served;
  let base = '';
  let msg = 7054768590064713728n;
  let n = 0;

  async function start(orders?: typeof ORDERS): Promise<void> {
    const config = loadConfig({
      DATABASE_FILE: path.join(dir, 'bot.sqlite'),
      LOG_LEVEL: 'silent',
      WECHAT_OA_TOKEN: OA.token,
      WECHAT_OA_APPID: OA.id,
      WECHAT_OA_APPSECRET: 'oa-secret',
      WECHAT_OA_AES_KEY: OA.aesKey!,
      WECHAT_OA_API_BASE: fake.base,
      DEMO_SEED: 'false',
    });
    app = await createApp({ config, clock, orders, instance: `wxn-${++n}` });
    served = await createServerWithChannels(app);
    base = await serve(served.server);
  }
  async function stop(): Promise<void> {
    await shutdown(served.server);
    await app.close();
  }
  const ask = async (user: string, text: string) => {
    const p = push(OA, textXml(user, text, String(msg++)), 'plain');
    const r = await fetch(`${base}/wechat/oa?${p.query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: p.body });
    const body = await r.text();
    return contentOf(body) ?? '';
  };
  const sentTo = (user: string, word: string) => fake.state.sent.filter((s) => s.touser === user && s.content.includes(word));

  beforeAll(async () => {
    fake = await fakeWeChatApi();
    await start(ORDERS);
  });
  afterAll(async () => {
    await stop().catch(() => undefined);
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opts in, survives a restart, and gets the update once as a customer-service message', async () => {
    const user = 'o-notify-1';
    expect(await ask(user, 'K7QX9ZP2M4RT8WNA 付款了还没到')).toContain('到了告诉我');
    expect(await ask(user, '到了告诉我')).toContain('一有变化我就在这里告诉你');
    await stop();
    await start();
    await app.shop.demo!.upsert([
      { ...ORDERS[0]!, status: 'delivered', delivery: { kind: 'card_codes', items: [{ plaintext: 'QB-5555-6666-7777' }], deliveredAt: '2026-11-23T15:02:00+08:00' } },
    ]);
    t += 3 * 60_000;
    expect(await app.notifier.tick()).toBe(1);
    await until(() => sentTo(user, '你的订单有新进展').length === 1);
    const update = sentTo(user, '你的订单有新进展')[0]!.content;
    expect(update).toContain('K7QX9ZP2M4RT8WNA');
    expect(update).not.toContain('QB-5555-6666-7777');
    t += 60 * 60_000;
    expect(await app.notifier.tick()).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(sentTo(user, '你的订单有新进展')).toHaveLength(1);
  });

  it('outside the customer-service window the update becomes a ticket for agents', async () => {
    const user = 'o-notify-2';
    expect(await ask(user, 'M3NB7VC2X8LK4JHA')).toContain('到了告诉我');
    expect(await ask(user, '有进展告诉我')).toContain('一有变化');
    await app.shop.demo!.upsert([{ ...ORDERS[1]!, status: 'on_hold', holdReasons: ['risk_control'] }]);
    // WeChat refuses: 45015, the user has not written within 48 hours.
    fake.state.sendErrors.push(45015);
    t += 3 * 60_000;
    expect(await app.notifier.tick()).toBe(1);
    const conversation = { channelId: 'wechat', conversationId: `wechat:${user}` };
    await until(async () => !!(await app.services.tickets.openFor(conversation, undefined)));
    const ticket = (await app.services.tickets.openFor(conversation, undefined))!;
    expect(ticket.symptom).toContain('没能送达');
    expect(sentTo(user, '你的订单有新进展')).toHaveLength(0);
  });
});
