/** The WeCom app channel over a real port, against a fake WeCom (official @wecom/crypto on the other side). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import type { OrderService } from '../../../src/orders/port.js';
import { type Served, createServerWithChannels } from '../../../src/server.js';
import { makeApp, order, serve, shutdown, until } from '../../helpers.js';
import { type Account, contentOf, fakeWeChatApi, openReply, push, textXml } from './fakes.js';

const vectors = JSON.parse(fs.readFileSync(new URL('../../fixtures/wechat-vectors.json', import.meta.url), 'utf8'));
const CORP: Account = { token: 'wecomtoken', aesKey: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR', id: 'ww0123456789' };
const paid = order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' });
type Fake = Awaited<ReturnType<typeof fakeWeChatApi>>;
let fake: Fake;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-wecom-'));
let n = 0;

async function start(env: Record<string, string> = {}) {
  const app = await makeApp({
    file: path.join(dir, `wecom-${n++}.sqlite`),
    orders: [paid],
    env: {
      WECOM_CORP_ID: CORP.id,
      WECOM_AGENT_ID: '1000002',
      WECOM_SECRET: 'wecom-secret',
      WECOM_TOKEN: CORP.token,
      WECOM_AES_KEY: CORP.aesKey!,
      WECOM_API_BASE: fake.base,
      WECHAT_REPLY_DEADLINE_MS: '400',
      ...env,
    },
  });
  const s = await createServerWithChannels(app);
  const base = await serve(s.server);
  return { app, s, base };
}
async function stop(r: { app: App; s: Served }) {
  await shutdown(r.s.server);
  await r.app.close();
}
const send = async (base: string, p: { query: string; body: string }) => {
  const r = await fetch(`${base}/wechat/wecom?${p.query}`, { method: 'POST', body: p.body });
  return { status: r.status, body: await r.text() };
};
const wecomText = (user: string, content: string, msgId: string) => textXml(user, content, msgId, CORP.id).replace('</xml>', '<AgentID>1000002</AgentID></xml>');

let run: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  fake = await fakeWeChatApi();
  run = await start();
});
afterAll(async () => {
  await stop(run);
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('WeCom app callback', () => {
  it.each(['wecom_official', 'wecom_wechatpy'])('verifies the URL with the %s vector: decrypted echostr, bare', async (name) => {
    const v = vectors[name];
    const r = await start({ WECOM_CORP_ID: v.receiveId, WECOM_TOKEN: v.token, WECOM_AES_KEY: v.encodingAESKey, WECHAT_TIMESTAMP_WINDOW_SEC: String(20 * 365 * 86400) });
    try {
      const { msg_signature, timestamp, nonce, echostr, expectBody } = v.verifyUrl;
      const ok = await fetch(`${r.base}/wechat/wecom?${new URLSearchParams({ msg_signature, timestamp, nonce, echostr })}`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe(expectBody);
      // WeCom does not always URL-encode: a raw "+" arrives as a space and must still verify.
      const raw = await fetch(`${r.base}/wechat/wecom?msg_signature=${msg_signature}&timestamp=${timestamp}&nonce=${nonce}&echostr=${echostr.replace(/=/g, '%3D')}`);
      expect(await raw.text()).toBe(expectBody);
      const bad = await fetch(`${r.base}/wechat/wecom?${new URLSearchParams({ msg_signature, timestamp, nonce: String(Number(nonce) - 1), echostr })}`);
      expect(bad.status).toBe(401);
    } finally {
      await stop(r);
    }
  });

  it('answers an encrypted text with an encrypted passive reply for the corp', async () => {
    const r = await send(run.base, push(CORP, wecomText('zhangsan', '订单号 K7QX9ZP2M4RT8WNA', '4561255354251345929'), 'wecom'));
    expect(r.status).toBe(200);
    const xml = openReply(CORP, r.body);
    expect(xml).toContain('<ToUserName><![CDATA[zhangsan]]></ToUserName>');
    expect(xml).toContain(`<FromUserName><![CDATA[${CORP.id}]]></FromUserName>`);
    expect(contentOf(xml)).toContain('付款已经收到');
  });

  it('slow turns answer "success" and reply through the app message API; retries are answered once', async () => {
    const r = await start();
    try {
      const real = r.app.services.orders;
      r.app.services.orders = new Proxy(real, {
        get: (t, p) => {
          const v = Reflect.get(t, p) as unknown;
          return typeof v === 'function' ? async (...a: unknown[]) => (await new Promise((res) => setTimeout(res, 900)), (v as (...x: unknown[]) => unknown).apply(t, a)) : v;
        },
      }) as OrderService;
      const xml = wecomText('lisi', 'K7QX9ZP2M4RT8WNA', '4561255354251345930');
      const first = await send(r.base, push(CORP, xml, 'wecom'));
      expect(first.body).toBe('success');
      const retry = await send(r.base, push(CORP, xml, 'wecom'));
      await until(() => fake.state.sent.some((s) => s.touser === 'lisi') || retry.body !== 'success');
      await new Promise((res) => setTimeout(res, 300));
      const viaApi = fake.state.sent.filter((s) => s.touser === 'lisi');
      expect(viaApi.length + (retry.body === 'success' ? 0 : 1)).toBe(1);
      if (viaApi.length) expect(viaApi[0]).toMatchObject({ api: 'wecom', agentid: 1000002 });
    } finally {
      await stop(r);
    }
  });

  it('refuses a push signed with another token or encrypted for another corp', async () => {
    expect((await send(run.base, push({ ...CORP, token: 'someoneelse' }, wecomText('x', 'hi', '1'), 'wecom'))).status).toBe(401);
    expect((await send(run.base, push({ ...CORP, id: 'wwOTHERCORP' }, wecomText('x', 'hi', '2'), 'wecom'))).status).toBe(403);
    expect(Number((await run.app.store.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM wechat_inbound WHERE user_id = ?', ['x']))?.n)).toBe(0);
  });
});
