import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ExampleOrderRecord,
  type ExampleShop,
  notifyBot,
  publicOrder,
  sampleOrders,
  signature as exampleSignature,
  startExampleShop,
} from '../../examples/shop-server/server.js';
import { loadConfig } from '../../src/config.js';
import { ShopUnavailableError } from '../../src/orders/errors.js';
import { type OrderChange, OrderEventHub } from '../../src/orders/events.js';
import { openHttpShop, sign, signedHeaders } from '../../src/orders/http/index.js';
import { Buyer, Delivery, HOLD_REASONS, ORDER_STATUSES, PRODUCT_TYPES, TimelineEvent, UnifiedOrder } from '../../src/orders/model.js';
import type { OrderService } from '../../src/orders/port.js';
import type { AdapterContext, ShopAdapter } from '../../src/orders/registry.js';
import { type Clock, fixedClock } from '../../src/time.js';

const NOW = '2026-11-23T15:00:00+08:00';
const SECRET = 'x'.repeat(32);
const CODE = 'QB8F-2K9D-7M3X-5T1Q';
const ACCOUNT = '13912345678';
const clock = fixedClock(NOW);

const orders: ExampleOrderRecord[] = [
  {
    orderNo: 'KM2026112300012',
    altNos: ['4200002026112312345678'],
    status: 'delivered',
    productType: 'game_card',
    title: '腾讯Q币100元',
    amount: '98.50',
    createdAt: '2026-11-23T14:50:00+08:00',
    paidAt: '2026-11-23T14:51:00+08:00',
    delivery: { kind: 'card_codes', expected: 1, items: [{ plaintext: CODE }] },
    buyer: { contact: '13800138000', contactType: 'phone' },
    queryPassword: '8888',
  },
  {
    orderNo: 'KM2026112100007',
    status: 'shipped',
    productType: 'physical_card',
    title: '京东E卡实体卡500元',
    amount: '500.00',
    createdAt: '2026-11-21T09:15:00+08:00',
    paidAt: '2026-11-21T09:16:00+08:00',
    delivery: { kind: 'tracking_number', carrierCode: 'shunfeng', trackingNo: 'SF1234567890123', phoneTail: '8000' },
    buyer: { userId: 'u1001', contact: '138 0013 8000', contactType: 'phone' },
  },
  {
    orderNo: 'KM2026112300040',
    status: 'processing',
    holdReasons: ['upstream_pending'],
    productType: 'phone_topup',
    title: '中国移动话费100元',
    amount: '99.00',
    createdAt: '2026-11-23T14:58:00+08:00',
    paidAt: '2026-11-23T14:58:30+08:00',
    delivery: { kind: 'topup_receipt', account: ACCOUNT, upstream: { provider: 'dayuanren', state: '充值中' } },
    buyer: { contact: '+86 138-0013-8000', contactType: 'phone' },
  },
  {
    // Breaks the model twice over: a status no shop system has, money as a number.
    orderNo: 'KM2026112300099',
    status: 'shipping',
    amount: 12.5 as unknown as string,
    createdAt: '2026-11-23 14:00:00',
    buyer: { email: 'broken@example.com' },
  },
];

const logger = pino({ level: 'silent' });

function context(base: string, env: Record<string, string> = {}, at: Clock = clock) {
  const config = loadConfig({ ORDER_ADAPTER: 'http', SHOP_API_BASE: base, SHOP_API_SECRET: SECRET, DATABASE_FILE: ':memory:', ...env });
  if (config.shop.adapter !== 'http') throw new Error('expected the http adapter');
  const events = new OrderEventHub();
  const ctx: AdapterContext = { config, clock: at, signingClock: at, logger, store: {} as never, events };
  return { ctx, settings: config.shop.http, events };
}

async function adapterFor(base: string, env: Record<string, string> = {}, at: Clock = clock): Promise<ShopAdapter> {
  const { ctx, settings } = context(base, env, at);
  return openHttpShop(ctx, settings);
}

/** A bare node:http server answering every request with `handler`; for the faults the example shop never makes. */
async function rawServer(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const json = (status: number, body: unknown, raw?: string): http.RequestListener => {
  return (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(raw ?? JSON.stringify(body));
    });
  };
};

async function unavailable(p: Promise<unknown>): Promise<ShopUnavailableError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ShopUnavailableError);
  return err as ShopUnavailableError;
}

let shop: ExampleShop;
let service: OrderService;

beforeAll(async () => {
  shop = await startExampleShop({ secret: SECRET, orders, now: () => clock.now() });
  service = (await adapterFor(shop.url)).service;
});
afterAll(async () => {
  await shop.close();
});

describe('http adapter against the example shop', () => {
  it('is the http adapter and says the shop pushes changes', async () => {
    const adapter = await adapterFor(shop.url);
    expect(adapter.name).toBe('http');
    expect(adapter.pushesChanges).toBe(true);
    expect(adapter.hooks).toBeDefined();
  });

  it('finds an order by number, masked, whatever the case of the number', async () => {
    const o = await service.findByOrderNo('km2026112300012');
    expect(o?.orderNo).toBe('KM2026112300012');
    expect(o?.status).toBe('delivered');
    expect(o?.buyer.hasQueryPassword).toBe(true);
    expect(o?.buyer.contact).toBe('138****8000');
    expect(o?.source.system).toBe('example-shop');
    expect(o?.delivery).toEqual({ kind: 'card_codes', expected: 1, items: [{ masked: 'QB8F****5T1Q' }] });
    expect(JSON.stringify(o)).not.toContain('8888');
    expect(await service.findByOrderNo('KM0000000000000')).toBeNull();
  });

  it('finds an order by a payment number or a courier number', async () => {
    expect((await service.findByAltNo('4200002026112312345678'))?.orderNo).toBe('KM2026112300012');
    expect((await service.findByAltNo('sf1234567890123'))?.orderNo).toBe('KM2026112100007');
    expect(await service.findByAltNo('nothing-like-it')).toBeNull();
  });

  it("lists one buyer's orders, newest payment first, filtered by time and type", async () => {
    const all = await service.findCandidates({ contact: '13800138000', limit: 10 });
    expect(all.map((o) => o.orderNo)).toEqual(['KM2026112300040', 'KM2026112300012', 'KM2026112100007']);
    expect(all.every((o) => !JSON.stringify(o).includes(CODE) && !JSON.stringify(o).includes(ACCOUNT))).toBe(true);
    expect((await service.findCandidates({ contact: '13800138000', limit: 1 })).map((o) => o.orderNo)).toEqual(['KM2026112300040']);
    const today = await service.findCandidates({ contact: '13800138000', paidFrom: new Date('2026-11-23T00:00:00+08:00'), paidTo: new Date(NOW) });
    expect(today.map((o) => o.orderNo)).toEqual(['KM2026112300040', 'KM2026112300012']);
    expect((await service.findCandidates({ contact: '13800138000', productType: 'game_card' })).map((o) => o.orderNo)).toEqual(['KM2026112300012']);
    expect((await service.findCandidates({ userId: 'u1001' })).map((o) => o.orderNo)).toEqual(['KM2026112100007']);
    expect(await service.findCandidates({ email: 'nobody@example.com' })).toEqual([]);
    expect(await service.findCandidates({})).toEqual([]);
  });

  it('verifies ownership with the contact plus the query password, or the shop account', async () => {
    expect(await service.verifyOwnership('KM2026112300012', { contact: '13800138000', queryPassword: '8888' })).toBe(true);
    expect(await service.verifyOwnership('KM2026112300012', { contact: '13800138000' })).toBe(false);
    expect(await service.verifyOwnership('KM2026112300012', { contact: '13800138000', queryPassword: '0000' })).toBe(false);
    expect(await service.verifyOwnership('KM2026112300012', { contact: '13900000000', queryPassword: '8888' })).toBe(false);
    expect(await service.verifyOwnership('KM2026112100007', { userId: 'u1001' })).toBe(true);
    expect(await service.verifyOwnership('KM2026112100007', { userId: 'u2002' })).toBe(false);
    expect(await service.verifyOwnership('KM0000000000000', { contact: '13800138000' })).toBe(false);
  });

  it('reveals the plaintext only with a good proof (or an agent with a reason)', async () => {
    expect(await service.revealDelivery('KM2026112300012', { contact: '13800138000', queryPassword: '8888' })).toEqual({
      kind: 'card_codes',
      expected: 1,
      items: [{ plaintext: CODE }],
    });
    expect(await service.revealDelivery('KM2026112300012', { contact: '13800138000' })).toBeNull();
    expect(await service.revealDelivery('KM2026112300012', {})).toBeNull();
    expect(await service.revealDelivery('KM0000000000000', { contact: '13800138000', queryPassword: '8888' })).toBeNull();
    const staff = await service.revealDelivery('KM2026112300012', { staff: { agentId: 'agent-7', reason: '电话核实' } });
    expect(staff?.kind === 'card_codes' && staff.items[0]?.plaintext).toBe(CODE);
  });

  it("the example shop's own sample orders are valid for the model", () => {
    for (const o of sampleOrders(clock.now()).map(publicOrder)) expect(UnifiedOrder.safeParse(o).error?.issues ?? [], o.orderNo).toEqual([]);
  });

  it('refuses, as unavailable, an order the model does not accept', async () => {
    expect((await unavailable(service.findByOrderNo('KM2026112300099'))).reason).toBe('bad_response');
    // One bad order spoils the whole candidates answer.
    expect((await unavailable(service.findCandidates({ email: 'broken@example.com' }))).reason).toBe('bad_response');
  });
});

describe('the example shop checks signatures', () => {
  const body = JSON.stringify({ orderNo: 'KM2026112300012' });
  const post = (headers: Record<string, string>, sent = body) =>
    fetch(`${shop.url}/orders/by-number`, { method: 'POST', body: sent, headers: { 'Content-Type': 'application/json', ...headers } });
  const at = (offsetSec: number) => new Date(clock.now().getTime() + offsetSec * 1000);
  const headers = (now: Date) => signedHeaders({ secret: SECRET, key: 'kamen-bot', method: 'POST', path: '/orders/by-number', body, now });

  it('accepts a correctly signed request within 300 s either way', async () => {
    expect((await post(headers(clock.now()))).status).toBe(200);
    expect((await post(headers(at(-299)))).status).toBe(200);
    expect((await post(headers(at(299)))).status).toBe(200);
  });

  it('refuses a tampered signature, a tampered body, a stale timestamp and no signature with 401', async () => {
    const good = headers(clock.now());
    const flipped = good['X-Shop-Signature']!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const tampered = await post({ ...good, 'X-Shop-Signature': flipped });
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toEqual({ error: { code: 'bad_signature', message: expect.any(String) } });
    expect((await post(good, JSON.stringify({ orderNo: 'KM2026112100007' }))).status).toBe(401);
    expect((await post(headers(at(-301)))).status).toBe(401);
    expect((await post(headers(at(301)))).status).toBe(401);
    expect((await post({})).status).toBe(401);
  });

  it('the adapter with a wrong secret or a clock 10 minutes off is refused, and says so', async () => {
    const wrong = await adapterFor(shop.url, { SHOP_API_SECRET: 'y'.repeat(32) });
    expect((await unavailable(wrong.service.findByOrderNo('KM2026112300012'))).reason).toBe('refused');
    const late = await adapterFor(shop.url, {}, fixedClock(new Date(clock.now().getTime() - 600_000)));
    expect((await unavailable(late.service.verifyOwnership('KM2026112300012', { contact: '13800138000' }))).reason).toBe('refused');
  });

  it('signs as the guide says (the worked example, and the example shop agrees with the adapter)', () => {
    const ts = String(Date.parse('2026-11-23T15:00:00+08:00') / 1000);
    const value = sign('0123456789abcdef0123456789abcdef', 'POST', '/bot-api/orders/by-number', ts, '{"orderNo":"KM2026112300012"}');
    expect(ts).toBe('1795417200');
    expect(value).toBe('7c47df517486ac85d6283d581997671e4ee31250481f3273c3d518e6132f0810');
    expect(readFileSync('docs/shop-api.md', 'utf8')).toContain(value);
    expect(exampleSignature(SECRET, 'POST', '/x', ts, Buffer.from('{}'))).toBe(sign(SECRET, 'POST', '/x', ts, '{}'));
  });
});

describe('defence in depth: a shop that forgets to mask', () => {
  const leaky = {
    orderNo: 'KM2026112300012',
    altNos: [],
    source: { system: 'leaky', raw: { secret: CODE } },
    status: 'delivered',
    productType: 'game_card',
    createdAt: '2026-11-23T14:50:00+08:00',
    delivery: { kind: 'card_codes', items: [{ plaintext: CODE }, { masked: 'AB****CD', plaintext: 'ABCD-EFGH-IJKL' }] },
    buyer: { contact: '13800138000', email: 'buyer@example.com' },
  };
  const leakyTopup = {
    orderNo: 'KM2026112300040',
    status: 'processing',
    createdAt: '2026-11-23T14:58:00+08:00',
    delivery: { kind: 'topup_receipt', account: ACCOUNT },
    buyer: { contact: '13800138000' },
  };
  let server: Awaited<ReturnType<typeof rawServer>>;
  let leakyService: OrderService;
  beforeAll(async () => {
    server = await rawServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const input = JSON.parse(Buffer.concat(chunks).toString()) as { orderNo?: string };
        const answer =
          req.url === '/orders/candidates'
            ? { orders: [leaky, leakyTopup] }
            : { order: req.url === '/orders/by-number' && input.orderNo === 'KM2026112300040' ? leakyTopup : leaky };
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
    });
    leakyService = (await adapterFor(server.url)).service;
  });
  afterAll(() => server.close());

  it('never lets plaintext, the top-up account or raw fields out of a lookup', async () => {
    const found = [
      await leakyService.findByOrderNo('KM2026112300012'),
      await leakyService.findByOrderNo('KM2026112300040'),
      await leakyService.findByAltNo('4200002026112312345678'),
      ...(await leakyService.findCandidates({ contact: '13800138000', limit: 5 })),
    ];
    expect(found).toHaveLength(5);
    const text = JSON.stringify(found);
    for (const leak of [CODE, 'ABCD-EFGH-IJKL', ACCOUNT, '13800138000', 'buyer@example.com']) expect(text).not.toContain(leak);
    expect(found[0]?.delivery).toEqual({ kind: 'card_codes', items: [{ masked: 'QB8F****5T1Q' }, { masked: 'AB****CD' }] });
    expect(found[0]?.source).toEqual({ system: 'leaky', raw: {} });
  });

  it("drops candidates that are not the buyer's (a shop that ignores the query)", async () => {
    expect(await leakyService.findCandidates({ contact: '13700000000' })).toEqual([]);
  });

  it('refuses an answer about another order than the one asked for', async () => {
    expect((await unavailable(leakyService.findByOrderNo('KM2026112399999'))).reason).toBe('bad_response');
  });
});

describe('faults are ShopUnavailableError, never "not found"', () => {
  it('a shop that is down', async () => {
    const gone = await rawServer(json(200, {}));
    await gone.close();
    const s = (await adapterFor(gone.url)).service;
    expect((await unavailable(s.findByOrderNo('KM2026112300012'))).reason).toBe('down');
    expect((await unavailable(s.verifyOwnership('KM2026112300012', { contact: '13800138000' }))).reason).toBe('down');
  });

  it('a 500, with or without a JSON body', async () => {
    for (const handler of [json(500, { error: { code: 'internal', message: 'db down' } }), json(502, undefined, '<html>Bad Gateway</html>')]) {
      const server = await rawServer(handler);
      try {
        const s = (await adapterFor(server.url)).service;
        expect((await unavailable(s.findByOrderNo('KM2026112300012'))).reason).toBe('down');
        expect((await unavailable(s.revealDelivery('KM2026112300012', { contact: '13800138000' }))).reason).toBe('down');
        expect((await unavailable(s.findCandidates({ contact: '13800138000' }))).reason).toBe('down');
      } finally {
        await server.close();
      }
    }
  });

  it('garbage instead of JSON, or JSON of another shape', async () => {
    for (const handler of [json(200, undefined, '{"order": {"orderNo": "KM'), json(200, undefined, 'OK'), json(200, { data: { order: null } }), json(200, { verified: 'yes' })]) {
      const server = await rawServer(handler);
      try {
        const s = (await adapterFor(server.url)).service;
        expect((await unavailable(s.findByOrderNo('KM2026112300012'))).reason).toBe('bad_response');
        expect((await unavailable(s.verifyOwnership('KM2026112300012', { contact: '13800138000' }))).reason).toBe('bad_response');
      } finally {
        await server.close();
      }
    }
  });

  it('a 404 is "not found" only when it says so in JSON; a bare 404 is a wrong base URL', async () => {
    const jsonNotFound = await rawServer(json(404, { error: { code: 'not_found', message: 'no such order' } }));
    const nullNotFound = await rawServer(json(404, { order: null }));
    const bare = await rawServer((req, res) => {
      req.resume();
      res.writeHead(404, { 'Content-Type': 'text/html' });
      res.end('<pre>Cannot POST /orders/by-number</pre>');
    });
    try {
      expect(await (await adapterFor(jsonNotFound.url)).service.findByOrderNo('KM2026112300012')).toBeNull();
      expect(await (await adapterFor(nullNotFound.url)).service.findByAltNo('KM2026112300012')).toBeNull();
      expect(await (await adapterFor(jsonNotFound.url)).service.verifyOwnership('KM2026112300012', { contact: '13800138000' })).toBe(false);
      expect((await unavailable((await adapterFor(bare.url)).service.findByOrderNo('KM2026112300012'))).reason).toBe('refused');
      // A 404 on the candidates route is never "no orders".
      expect(await unavailable((await adapterFor(jsonNotFound.url)).service.findCandidates({ contact: '13800138000' }))).toBeInstanceOf(ShopUnavailableError);
    } finally {
      await Promise.all([jsonNotFound.close(), nullNotFound.close(), bare.close()]);
    }
  });

  it('rate limiting is quota', async () => {
    const server = await rawServer(json(429, { error: { code: 'rate_limited' } }));
    try {
      expect((await unavailable((await adapterFor(server.url)).service.verifyOwnership('KM2026112300012', { contact: '1' }))).reason).toBe('quota');
    } finally {
      await server.close();
    }
  });

  it('a shop slower than SHOP_API_TIMEOUT_MS', async () => {
    // The server never answers; the adapter gives up after its timeout (no sleeping here).
    const server = await rawServer((req) => req.resume());
    try {
      const s = (await adapterFor(server.url, { SHOP_API_TIMEOUT_MS: '150' })).service;
      expect((await unavailable(s.findByOrderNo('KM2026112300012'))).reason).toBe('timeout');
    } finally {
      await server.close();
    }
  });

  it('a shop whose answer starts and then stalls', async () => {
    const server = await rawServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"order": ');
    });
    try {
      const s = (await adapterFor(server.url, { SHOP_API_TIMEOUT_MS: '150' })).service;
      expect((await unavailable(s.findByOrderNo('KM2026112300012'))).reason).toBe('timeout');
    } finally {
      await server.close();
    }
  });
});

describe('events from the shop: POST /hooks/http/events', () => {
  let bot: { url: string; close(): Promise<void> };
  const changes: OrderChange[] = [];

  beforeAll(async () => {
    const { ctx, settings, events } = context('http://127.0.0.1:9');
    events.on((c) => void changes.push(c));
    const adapter = await openHttpShop(ctx, settings);
    const web = express();
    web.use('/hooks', adapter.hooks!);
    const server = http.createServer(web);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    bot = {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  });
  afterAll(() => bot.close());

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${bot.url}/hooks/http/events`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } });
  const signed = (body: string, now = clock.now(), secret = SECRET) => signedHeaders({ secret, key: 'kamen-bot', method: 'POST', path: '/hooks/http/events', body, now });

  it("a valid signed event (the example shop's notifyBot) is reported once per order", async () => {
    changes.length = 0;
    const res = await notifyBot({ botUrl: bot.url, secret: SECRET, orderNos: ['KM2026112300012', 'KM2026112100007', 'KM2026112300012'], now: clock.now() });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(changes).toEqual([
      { orderNo: 'KM2026112300012', source: 'http_event' },
      { orderNo: 'KM2026112100007', source: 'http_event' },
    ]);
  });

  it('a replay of the same signed request is answered but not reported again', async () => {
    changes.length = 0;
    const body = JSON.stringify({ orderNo: 'KM2026112300040', status: 'delivered' });
    const headers = signed(body);
    expect((await post(body, headers)).status).toBe(200);
    const again = await post(body, headers);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ok: true, duplicate: true });
    expect(changes).toEqual([{ orderNo: 'KM2026112300040', source: 'http_event' }]);
    // Signed anew (another second), the same order is news again.
    expect((await post(body, signed(body, new Date(clock.now().getTime() + 1000)))).status).toBe(200);
    expect(changes).toHaveLength(2);
  });

  it('a bad signature, a stale or missing timestamp, another secret or another key: 401 and nothing reported', async () => {
    changes.length = 0;
    const body = JSON.stringify({ orderNo: 'KM2026112300012' });
    const good = signed(body);
    const cases: Array<Record<string, string>> = [
      { ...good, 'X-Shop-Signature': 'f'.repeat(64) },
      { ...good, 'X-Shop-Signature': 'not hex' },
      signed(body, new Date(clock.now().getTime() - 301_000)),
      signed(body, new Date(clock.now().getTime() + 301_000)),
      signed(body, clock.now(), 'y'.repeat(32)),
      { ...good, 'X-Shop-Key': 'another-bot' },
      { 'X-Shop-Key': 'kamen-bot' },
    ];
    for (const headers of cases) {
      const res = await post(body, headers);
      expect(res.status).toBe(401);
      expect((await res.json()) as unknown).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    }
    expect((await post(JSON.stringify({ orderNo: 'KM2026112100007' }), good)).status).toBe(401); // body swapped after signing
    expect(changes).toEqual([]);
  });

  it('a signed body of another shape is 400, a huge one 413; nothing reported', async () => {
    changes.length = 0;
    for (const body of ['{"order": "KM2026112300012"}', '{"orderNos": []}', 'not json', '[]']) expect((await post(body, signed(body))).status).toBe(400);
    const huge = JSON.stringify({ orderNos: Array.from({ length: 5000 }, (_, i) => `KM${String(i).padStart(13, '0')}`) });
    expect((await post(huge, signed(huge))).status).toBe(413);
    expect(changes).toEqual([]);
  });
});

describe('the OpenAPI contract', () => {
  const doc = JSON.parse(readFileSync('docs/shop-api.openapi.json', 'utf8'));
  const schemas = doc.components.schemas;
  const enumOf = (s: { enum?: string[] }) => [...(s.enum ?? [])].sort();

  it('is OpenAPI 3.1 with the five POST operations and the event webhook', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(Object.keys(doc.paths).sort()).toEqual(['/orders/by-alt-number', '/orders/by-number', '/orders/candidates', '/orders/reveal', '/orders/verify']);
    for (const op of Object.values(doc.paths) as Array<Record<string, unknown>>) expect(Object.keys(op)).toEqual(['post']);
    expect(doc.webhooks.orderChanged.post).toBeDefined();
    for (const name of ['X-Shop-Key', 'X-Shop-Timestamp', 'X-Shop-Signature'])
      expect(Object.values(doc.components.securitySchemes).some((s) => (s as { name: string }).name === name)).toBe(true);
  });

  it('every $ref resolves', () => {
    const refs: string[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object')
        for (const [k, child] of Object.entries(v)) {
          if (k === '$ref' && typeof child === 'string') refs.push(child);
          else walk(child);
        }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      const target = ref
        .replace(/^#\//, '')
        .split('/')
        .reduce<any>((node, key) => node?.[key], doc);
      expect(target, ref).toBeDefined();
    }
  });

  it('its example orders and deliveries are valid for the model (the doc cannot drift from it)', () => {
    const examples = Object.values(doc.components.examples) as Array<{ value: { order?: unknown; orders?: unknown[]; delivery?: unknown } }>;
    let checked = 0;
    for (const { value } of examples) {
      for (const order of [...(value.order ? [value.order] : []), ...(value.orders ?? [])]) {
        const parsed = UnifiedOrder.safeParse(order);
        expect(parsed.error?.issues ?? [], JSON.stringify(order).slice(0, 60)).toEqual([]);
        checked++;
      }
      if (value.delivery) {
        expect(Delivery.safeParse(value.delivery).success).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(5);
  });

  it("the guide's JSON examples are valid too", () => {
    const md = readFileSync('docs/shop-api.md', 'utf8');
    const blocks = [...md.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as { order?: unknown; delivery?: unknown });
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    for (const b of blocks) {
      if (b.order) expect(UnifiedOrder.safeParse(b.order).error?.issues ?? []).toEqual([]);
      else expect(Delivery.safeParse(b.delivery).success).toBe(true);
    }
  });

  it('lists exactly the model’s fields and values', () => {
    expect(enumOf(schemas.OrderStatus)).toEqual([...ORDER_STATUSES].sort());
    expect(enumOf(schemas.HoldReason)).toEqual([...HOLD_REASONS].sort());
    expect(enumOf(schemas.ProductType)).toEqual([...PRODUCT_TYPES].sort());
    expect(enumOf(schemas.TimelineEvent.properties.type)).toEqual([...TimelineEvent.shape.type.options].sort());
    expect(enumOf(schemas.TimelineEvent.properties.source)).toEqual([...TimelineEvent.shape.source.unwrap().options].sort());
    expect(enumOf(schemas.UnifiedOrder.properties.verification.items)).toEqual([...UnifiedOrder.shape.verification.unwrap().element.options].sort());
    const fields = (s: { properties: object }) => Object.keys(s.properties).sort();
    expect(fields(schemas.UnifiedOrder)).toEqual(Object.keys(UnifiedOrder.shape).sort());
    expect(fields(schemas.Buyer)).toEqual(Object.keys(Buyer.shape).sort());
    expect(fields(schemas.TimelineEvent)).toEqual(Object.keys(TimelineEvent.shape).sort());
    const required = (shape: Record<string, { safeParse(v: unknown): { success: boolean } }>) =>
      Object.entries(shape)
        .filter(([, f]) => !f.safeParse(undefined).success)
        .map(([k]) => k)
        .sort();
    expect([...schemas.UnifiedOrder.required].sort()).toEqual(required(UnifiedOrder.shape));
    expect([...schemas.TimelineEvent.required].sort()).toEqual(required(TimelineEvent.shape));
    const variants = Delivery.options.map((o) => Object.keys(o.shape).sort());
    const documented = [schemas.CodeDelivery, schemas.TopupDelivery, schemas.TrackingDelivery].map(fields);
    expect(documented).toEqual(variants);
  });
});
