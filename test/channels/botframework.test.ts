/**
 * /api/messages through CloudAdapter. Off by default; with BOTFRAMEWORK_EMULATOR=true it serves
 * the local Emulator (loopback client, loopback serviceUrl) and delivers replies to a local fake
 * Bot Connector service speaking the real wire format; with MICROSOFT_APP_ID it wants the
 * connector's signed token. Whatever channel id a caller claims, it cannot reach the conversations
 * of our own channels.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { isLoopbackAddress } from '../../src/channels/botframework/index.js';
import { createServer } from '../../src/server.js';
import { makeApp, order, say, serve, shutdown } from '../helpers.js';

const paid = order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' });
const delivered = order({
  orderNo: 'K8PL3MZ7Q2XV9TRB',
  status: 'delivered',
  paidAt: '2026-11-23T14:40:00+08:00',
  delivery: { kind: 'card_codes', items: [{ plaintext: 'QB10-8842-5519-7Z3K' }] },
  buyer: { contact: '13812345678', hasQueryPassword: false },
});

const received: Array<{ path: string; body: any }> = [];
const connector = express();
connector.use(express.json());
connector.post('/v3/conversations/:cid/activities{/:replyTo}', (req, res) => {
  received.push({ path: req.path, body: req.body });
  res.json({ id: `sent-${received.length}` });
});
// The connector's published signing keys (OpenID metadata + JWKS), as login.botframework.com serves them.
const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...(publicKey.export({ format: 'jwk' }) as object), kid: 'test-key', kty: 'RSA', use: 'sig', endorsements: ['msteams'] };
connector.get(
  '/openid',
  (_req, res) => void res.json({ issuer: 'https://api.botframework.com', jwks_uri: `${serviceUrl()}/keys`, id_token_signing_alg_values_supported: ['RS256'] }),
);
connector.get('/keys', (_req, res) => void res.json({ keys: [jwk] }));
const fake = connector.listen(0, '127.0.0.1');
const serviceUrl = () => `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
afterAll(() => new Promise((r) => fake.close(r)));

interface Running {
  app: App;
  server: Awaited<ReturnType<typeof createServer>>;
  base: string;
}
async function start(env: Record<string, string>): Promise<Running> {
  const app = await makeApp({ orders: [paid, delivered], env });
  const server = await createServer(app);
  return { app, server, base: await serve(server) };
}
async function stop(r: Running) {
  await shutdown(r.server);
  await r.app.close();
}

let seq = 0;
const activity = (text: string, over: Record<string, unknown> = {}) => ({
  type: 'message',
  id: `a${++seq}`,
  text,
  channelId: 'msteams',
  serviceUrl: serviceUrl(),
  from: { id: 'user-1', name: '买家' },
  recipient: { id: 'bot', name: 'bot' },
  conversation: { id: 'conv-bf-1' },
  timestamp: new Date().toISOString(),
  ...over,
});
const post = (base: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const repliesSince = (n: number) =>
  received
    .slice(n)
    .map((x) => x.body.text ?? '')
    .join('\n');

describe('/api/messages is off unless configured', () => {
  it('answers 404 and sends nothing anywhere on the default configuration', async () => {
    const run = await start({});
    try {
      const before = received.length;
      const r = await post(run.base, activity('K7QX9ZP2M4RT8WNA'));
      expect(r.status).toBe(404);
      expect(((await r.json()) as any).message).toContain('BOTFRAMEWORK_EMULATOR');
      expect(received.length).toBe(before);
    } finally {
      await stop(run);
    }
  });

  it('with an app id, refuses requests without a valid connector token (401) and never calls their serviceUrl', async () => {
    const run = await start({
      MICROSOFT_APP_ID: '00000000-0000-0000-0000-000000000001',
      MICROSOFT_APP_PASSWORD: 'not-a-real-secret',
      BOTFRAMEWORK_OPENID_METADATA_URL: `${serviceUrl()}/openid`,
    });
    try {
      const before = received.length;
      expect((await post(run.base, activity('K7QX9ZP2M4RT8WNA'))).status).toBe(401);
      // A token that names our key but was signed by someone else, and one that is not even a JWT.
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const forged = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'test-key' })}.${b64({ iss: 'https://api.botframework.com', aud: '00000000-0000-0000-0000-000000000001', serviceurl: serviceUrl(), exp: Math.floor(Date.now() / 1000) + 600, nbf: Math.floor(Date.now() / 1000) - 60 })}.${Buffer.alloc(256, 7).toString('base64url')}`;
      for (const token of [forged, 'not-a-jwt']) {
        const r = await post(run.base, activity('K7QX9ZP2M4RT8WNA'), { authorization: `Bearer ${token}` });
        expect(r.status).toBe(401);
      }
      expect(received.length).toBe(before);
    } finally {
      await stop(run);
    }
  });

  it('with an app id, a secret is required (the configuration says so at start-up)', async () => {
    await expect(async () => makeApp({ env: { MICROSOFT_APP_ID: 'x' } })).rejects.toThrow(/MICROSOFT_APP_PASSWORD/);
  });
});

describe('/api/messages for the local Emulator (BOTFRAMEWORK_EMULATOR=true)', () => {
  let run: Running;
  beforeAll(async () => {
    run = await start({ BOTFRAMEWORK_EMULATOR: 'true' });
  });
  afterAll(() => stop(run));

  it('delivers the bot replies to the connector serviceUrl; traces only to the Emulator, order numbers masked', async () => {
    const before = received.length;
    expect((await post(run.base, activity('付款了怎么查不到单号'))).status).toBeLessThan(300);
    expect((await post(run.base, activity('K7QX9ZP2M4RT8WNA'))).status).toBeLessThan(300);
    const got = received.slice(before);
    expect(repliesSince(before)).toContain('K7QX9ZP2M4RT8WNA');
    expect(got.some((x) => x.body.type === 'trace')).toBe(false);
    expect(got.find((x) => x.body.text?.includes('K7QX9ZP2M4RT8WNA'))!.path).toBe(`/v3/conversations/conv-bf-1/activities/a${seq}`);

    const at = received.length;
    await post(run.base, activity('K7QX9ZP2M4RT8WNA', { channelId: 'emulator', conversation: { id: 'conv-emu' } }));
    const trace = received.slice(at).find((x) => x.body.type === 'trace');
    expect(trace?.body.value.slots.orderNo).toBe('K7QX****8WNA');
    expect(JSON.stringify(trace)).not.toContain('K7QX9ZP2M4RT8WNA');
  });

  it('refuses a serviceUrl that is not the local Emulator, before any turn (no requests into the network)', async () => {
    const before = received.length;
    for (const url of ['http://10.0.0.1:3978', 'http://169.254.169.254/latest', 'http://user:pw@127.0.0.1:1', 'file:///etc/passwd', 42]) {
      const r = await post(run.base, activity('K7QX9ZP2M4RT8WNA', { serviceUrl: url, conversation: { id: 'conv-ssrf' } }));
      expect(r.status).toBe(400);
    }
    expect(received.length).toBe(before);
    expect(await run.app.services.transcript.recent({ channelId: 'bf:msteams', conversationId: 'conv-ssrf' })).toEqual([]);
  });

  it('answers a local serviceUrl where nothing listens with a 400 of its own (no connect error, no stack), before any turn', async () => {
    const r = await post(run.base, activity('你好', { serviceUrl: 'http://127.0.0.1:9', conversation: { id: 'conv-dead' } }));
    expect(r.status).toBe(400);
    expect(await run.app.services.transcript.recent({ channelId: 'bf:msteams', conversationId: 'conv-dead' })).toEqual([]);
    expect(await r.text()).not.toMatch(/ECONNREFUSED|127\.0\.0\.1:9|\n\s+at /);
  });

  it('ignores a buyer identity claimed in channelData', async () => {
    const before = received.length;
    await post(run.base, activity('没有订单号，昨晚八点买的', { conversation: { id: 'conv-bf-2' }, channelData: { buyer: { id: 'u1001' }, clientKey: 'someone-else' } }));
    expect(repliesSince(before)).toContain('先核对一下身份'); // asked for the checkout contact, as for anyone anonymous
  });

  it('cannot address a conversation of our own channels by claiming its channel id', async () => {
    // A WeChat buyer verified and saw their code; a Direct Line buyer asked about an order.
    await say(run.app, '查看卡密 K8PL3MZ7Q2XV9TRB', 'wechat:o-victim', undefined, 'wechat');
    expect((await say(run.app, '13812345678', 'wechat:o-victim', undefined, 'wechat')).text).toContain('QB10-8842-5519-7Z3K');
    await say(run.app, 'K7QX9ZP2M4RT8WNA', 'dl-victim', undefined, 'directline');
    const dlLines = (await run.app.services.transcript.recent({ channelId: 'directline', conversationId: 'dl-victim' })).length;

    const before = received.length;
    await post(run.base, activity('查看卡密', { channelId: 'wechat', conversation: { id: 'wechat:o-victim' }, from: { id: 'o-victim' } }));
    await post(run.base, activity('查订单', { channelId: 'directline', conversation: { id: 'dl-victim' } }));
    const replies = repliesSince(before);
    expect(replies).not.toContain('QB10-8842-5519-7Z3K');
    expect(replies).not.toContain('K8PL3MZ7Q2XV9TRB');
    expect(replies).not.toContain('K7QX9ZP2M4RT8WNA');
    expect((await run.app.services.transcript.recent({ channelId: 'directline', conversationId: 'dl-victim' })).length).toBe(dlLines);
  });

  it('limits lookups per client, however many conversation ids it makes up', async () => {
    const before = received.length;
    for (let i = 0; i < 35; i++) await post(run.base, activity(`K7QX9ZP2M4RT8W${String(i).padStart(2, '0')}`, { conversation: { id: `guess-${i}` } }));
    expect(repliesSince(before)).toContain('频繁');
  });

  it('rejects malformed JSON and non-activities with 400', async () => {
    expect((await post(run.base, '{"type":')).status).toBe(400);
    expect((await post(run.base, '[]')).status).toBe(400);
    expect((await post(run.base, JSON.stringify({ text: 'no type' }))).status).toBe(400);
  });

  it('tells loopback peers from others by the socket address', () => {
    for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.8.9.10']) expect(isLoopbackAddress(a)).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '192.168.1.2', '', undefined, '127.0.0.1.evil']) expect(isLoopbackAddress(a)).toBe(false);
  });
});
