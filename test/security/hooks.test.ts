/**
 * The shops' and couriers' webhooks under attack: /hooks/dujiaoka/<token>, /hooks/dujiao-next/callback,
 * /hooks/http/events, /hooks/kuaidi100. Every bad request gets a 4xx (or the sender's own refusal
 * format), never a 5xx or a crash, and announces no order change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleShop, type ExampleShop } from '../../examples/shop-server/server.js';
import type { App } from '../../src/app.js';
import type { OrderChange } from '../../src/orders/events.js';
import { createServer } from '../../src/server.js';
import { type FakeDujiaoNext, startFakeDujiaoNext } from '../fakes/dujiaoNext.js';
import { makeApp, serve, shutdown } from '../helpers.js';

const SECRET = 'shop-api-secret-0123456789abcdef0123';
const BODIES: Array<[string, string | Buffer]> = [
  ['application/json', ''],
  ['application/json', '{'],
  ['application/json', 'null'],
  ['application/json', '[]'],
  ['application/json', '"x"'],
  ['application/json', '{"order_sn":null}'],
  ['application/json', '{"orderNos":[1,2,3]}'],
  ['application/json', `{"orderNo":"${'A'.repeat(5000)}"}`],
  ['application/json', `{"order_sn":"K7Q2M9X4TB8N1C5D\\u0000"}`],
  ['application/json', `${'['.repeat(5000)}${']'.repeat(5000)}`],
  ['application/json', `{"a":"${'x'.repeat(2_000_000)}"}`],
  ['application/x-www-form-urlencoded', 'param=%7B&sign='],
  ['application/x-www-form-urlencoded', 'param=%E0%A4%A&sign=ZZ'],
  ['application/x-www-form-urlencoded', `param=${encodeURIComponent('{"status":"polling","lastResult":{"nu":"YT1","data":[]}}')}&sign=${'0'.repeat(32)}`],
  ['text/plain', 'hello'],
  ['application/octet-stream', Buffer.from([0xff, 0xfe, 0x00, 0x01])],
  ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="param"\r\n\r\n{}\r\n--x--'],
];

async function attack(base: string, paths: string[], changes: OrderChange[]) {
  const statuses: number[] = [];
  for (const p of paths) {
    for (const [type, body] of BODIES) {
      for (const method of ['POST', 'PUT', 'GET']) {
        const r = await fetch(base + p, {
          method,
          headers: { 'content-type': type, 'dujiao-next-api-key': 'k', 'dujiao-next-timestamp': 'NaN', 'x-shop-signature': 'zz' },
          body: method === 'GET' ? undefined : body,
        });
        await r.arrayBuffer();
        statuses.push(r.status);
      }
    }
  }
  expect(statuses.filter((s) => s >= 500)).toEqual([]);
  expect(changes).toEqual([]);
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
}

describe('webhooks refuse what they should', () => {
  let shop: ExampleShop;
  let dn: FakeDujiaoNext;
  const apps: App[] = [];
  const servers: import('node:http').Server[] = [];
  const start = async (env: Record<string, string>) => {
    const app = await makeApp({ env });
    const server = await createServer(app);
    apps.push(app);
    servers.push(server);
    const changes: OrderChange[] = [];
    app.events.on((c) => void changes.push(c));
    return { base: await serve(server), changes };
  };

  beforeAll(async () => {
    shop = await startExampleShop({ secret: SECRET, orders: [] });
    dn = await startFakeDujiaoNext();
  });
  afterAll(async () => {
    for (const s of servers) await shutdown(s);
    for (const a of apps) await a.close();
    await shop.close();
    await dn.close();
  });

  it('the http contract’s events and Kuaidi100’s pushes', async () => {
    const { base, changes } = await start({
      ORDER_ADAPTER: 'http',
      SHOP_API_BASE: shop.url,
      SHOP_API_SECRET: SECRET,
      KUAIDI100_CUSTOMER: 'C',
      KUAIDI100_KEY: 'K',
      KUAIDI100_SALT: 'saltsalt',
      KUAIDI100_API_BASE: 'http://127.0.0.1:9',
    });
    await attack(base, ['/hooks/http/events', '/hooks/kuaidi100', '/hooks/kuaidi100?o=HX1', '/hooks/kuaidi100?o=%00', '/hooks/nothing'], changes);
  });

  it('Dujiao-Next’s signed callback', async () => {
    const { base, changes } = await start({ ORDER_ADAPTER: 'dujiao-next', SHOP_API_BASE: dn.url, DUJIAO_NEXT_API_KEY: 'test_api_key', DUJIAO_NEXT_API_SECRET: 'test_api_secret' });
    await attack(base, ['/hooks/dujiao-next/callback'], changes);
  });

  it('dujiaoka’s api_hook, with the shop database down', async () => {
    const { base, changes } = await start({
      ORDER_ADAPTER: 'dujiaoka',
      SHOP_DATABASE_URL: 'mysql://u:p@127.0.0.1:9/shop',
      SHOP_HOOK_TOKEN: 'hook-token-0123456789',
      SHOP_QUERY_TIMEOUT_MS: '200',
    });
    await attack(base, ['/hooks/dujiaoka/hook-token-0123456789', '/hooks/dujiaoka/wrong', '/hooks/dujiaoka/%ZZ', '/hooks/dujiaoka/'], changes);
  });
});
