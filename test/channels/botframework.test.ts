/**
 * /api/messages through CloudAdapter (unauthenticated, as for the Emulator), replies delivered to a
 * local fake Bot Connector service speaking the real wire format.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server.js';
import { makeApp, order } from '../helpers.js';

const app = makeApp({ orders: [order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' })] });
const server = createServer(app);
const received: Array<{ path: string; body: any; auth?: string }> = [];
const connector = express();
connector.use(express.json());
connector.post('/v3/conversations/:cid/activities{/:replyTo}', (req, res) => {
  received.push({ path: req.path, body: req.body, auth: req.get('authorization') });
  res.json({ id: `sent-${received.length}` });
});
const fake = connector.listen(0, '127.0.0.1');
let base = '';
let serviceUrl = '';

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  serviceUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await new Promise((r) => fake.close(r));
  app.close();
});

const activity = (text: string, id: string, channelId = 'msteams') => ({
  type: 'message', id, text, channelId, serviceUrl,
  from: { id: 'user-1', name: '买家' }, recipient: { id: 'bot', name: 'bot' },
  conversation: { id: 'conv-bf-1' }, timestamp: new Date().toISOString(),
});

describe('/api/messages (CloudAdapter)', () => {
  it('delivers the bot replies to the connector serviceUrl, without traces', async () => {
    const r = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity('付款了怎么查不到单号', 'a1')) });
    expect(r.status).toBeLessThan(300);
    const r2 = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity('K7QX9ZP2M4RT8WNA', 'a2')) });
    expect(r2.status).toBeLessThan(300);
    const texts = received.map((x) => x.body.text ?? '');
    expect(texts.join('\n')).toContain('订单号');
    expect(texts.join('\n')).toContain('K7QX9ZP2M4RT8WNA');
    expect(received.some((x) => x.body.type === 'trace')).toBe(false);
    expect(received.find((x) => x.body.text?.includes('K7QX9ZP2M4RT8WNA'))!.path).toBe('/v3/conversations/conv-bf-1/activities/a2');
  });

  it('ignores a buyer identity claimed in channelData', async () => {
    const spoof = { ...activity('没有订单号，昨晚八点买的', 'a3'), conversation: { id: 'conv-bf-2' }, channelData: { buyer: { id: 'u1001' } } };
    const before = received.length;
    await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spoof) });
    const replies = received.slice(before).map((x) => x.body.text ?? '').join('\n');
    expect(replies).toContain('先核对一下身份'); // asked for the checkout contact, as for anyone anonymous
  });

  it('rejects malformed JSON with 400', async () => {
    const r = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":' });
    expect(r.status).toBe(400);
  });
});
