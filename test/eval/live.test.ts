/**
 * `npm run eval -- --live`: the scenarios against the shop ORDER_ADAPTER configures, here the
 * `http` adapter in front of the example shop (examples/shop-server/), whose orders exist nowhere
 * else. The scenarios' own `orders` are never loaded; each scenario runs on its own clock.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExampleOrderRecord, type ExampleShop, type OrderStore, MemoryOrders, startExampleShop } from '../../examples/shop-server/server.js';
import { loadConfig } from '../../src/config.js';
import { liveConfig, runLive, runLiveScenario } from '../../src/eval/live.js';
import { parseArgs } from '../../src/eval/report.js';
import { runScenario } from '../../src/eval/runner.js';
import { Scenario } from '../../src/eval/scenario.js';

const NOW = '2026-11-23T15:00:00+08:00';
const SECRET = 'live-eval-test-secret-0123456789abcdef';
const FIXTURES = path.resolve('test/fixtures/live');
const fixture = (name: string) => path.join(FIXTURES, name);
const scenario = (name: string) => Scenario.parse(JSON.parse(fs.readFileSync(fixture(name), 'utf8')));

/** The shop's orders: the scenarios under test/fixtures/live/ name them but do not hold them (except as decoys). */
const SHOP_ORDERS: ExampleOrderRecord[] = [
  {
    orderNo: 'LV2026112300001',
    status: 'delivered',
    productType: 'game_card',
    fulfillmentMode: 'auto',
    title: '腾讯Q币100元',
    amount: '98.50',
    createdAt: '2026-11-23T14:40:00+08:00',
    paidAt: '2026-11-23T14:41:00+08:00',
    timeline: [
      { at: '2026-11-23T14:40:00+08:00', type: 'created' },
      { at: '2026-11-23T14:41:00+08:00', type: 'paid', source: 'payment' },
      { at: '2026-11-23T14:41:00+08:00', type: 'delivered' },
    ],
    delivery: { kind: 'card_codes', expected: 1, deliveredAt: '2026-11-23T14:41:00+08:00', items: [{ plaintext: 'QB8F-2K9D-7M3X-5T1Q' }] },
    buyer: { contact: '13800138000', contactType: 'phone' },
    queryPassword: '8888',
  },
  {
    orderNo: 'LV2026112300002',
    status: 'paid',
    productType: 'game_card',
    fulfillmentMode: 'auto',
    title: '网易一卡通100元',
    amount: '100.00',
    createdAt: '2026-11-23T14:54:00+08:00',
    paidAt: '2026-11-23T14:54:00+08:00',
    timeline: [
      { at: '2026-11-23T14:54:00+08:00', type: 'created' },
      { at: '2026-11-23T14:54:00+08:00', type: 'paid', source: 'payment' },
    ],
    buyer: { contact: '13900139000', contactType: 'phone' },
  },
];

/** An order the shop fails to read (HTTP 500), to break a conversation in the middle. */
const BROKEN_ORDER = 'LV2026112300500';

/**
 * The shop checks each request's signed timestamp against its own clock (±300 s). The http adapter
 * signs with the bot's clock, which in an evaluation is the scenario's `now`, so the example shop
 * keeps the time of the scenario being run.
 */
let shop: ExampleShop;
let env: Record<string, string>;

beforeAll(async () => {
  const memory = new MemoryOrders(SHOP_ORDERS);
  const orders: OrderStore = {
    byNumber: async (no) => {
      if (no.toUpperCase() === BROKEN_ORDER) throw new Error('database is gone');
      return memory.byNumber(no);
    },
    byAltNumber: (no) => memory.byAltNumber(no),
    candidates: (q) => memory.candidates(q),
  };
  // Requests are signed with real time, whatever the scenario's clock: the shop checks real time.
  shop = await startExampleShop({ secret: SECRET, orders });
  env = { ORDER_ADAPTER: 'http', SHOP_API_BASE: shop.url, SHOP_API_SECRET: SECRET };
});

afterAll(async () => {
  await shop.close();
});

async function live(targets: string[], e: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runLive(targets, { env: e, print: (l) => out.push(l), printError: (l) => err.push(l) });
  return { code, out, err, text: out.join('\n') };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('eval --live against an http shop', () => {
  it('passes scenarios whose orders exist only in the shop, with a header naming the adapter', async () => {
    const r = await live([fixture('delivered.json'), fixture('waiting.json')], env);
    expect(r.err).toEqual([]);
    expect(r.out[0]).toBe(
      `live: ORDER_ADAPTER=http, orders come from the live shop (${shop.url}), not from the scenarios; each scenario runs on its own clock ("now"); the bot's own state is kept in memory`,
    );
    expect(r.out[1]).toBe('reading with no LLM (INTENT_MODEL=learned)');
    expect(r.out.at(-1)).toBe('2 passed, 0 failed');
    expect(r.code).toBe(0);
  });

  it("does not load a scenario's own orders, and says so", async () => {
    // delivered.json holds its order as unpaid; the shop's copy (delivered) is the one answered.
    const r = await live([fixture('delivered.json')], env);
    expect(r.text).toContain('delivered.json [live: a delivered card code');
    expect(r.text).toContain('has 1 order(s) of its own: not loaded (--live reads orders from the shop)');
    expect(r.code).toBe(0);

    // An order that exists only in the scenario's `orders` is not found in the shop...
    const only = await live([fixture('own-orders-only.json')], env);
    expect(only.text).toContain('turn 1 ("订单号LV2026112300099 付款了还没到"): lookup.found: expected true, got false');
    expect(only.text).toContain('cause: expected sync_delay, got "order_not_found"');
    expect(only.out.at(-1)).toBe('0 passed, 1 failed');
    expect(only.code).toBe(1);
    // ...while the normal evaluation, which loads it into the demo shop, passes the same scenario.
    expect((await runScenario(scenario('own-orders-only.json'))).failures).toEqual([]);
  });

  it("diagnoses on the scenario's fixed clock, not the real one", async () => {
    // Paid at 14:54: six minutes before the scenario's now is a normal wait (the real clock is days later).
    const waiting = scenario('waiting.json');
    const r = await runLiveScenario(waiting, liveConfig(env));
    expect(r.failures).toEqual([]);
    expect(r.turns[1]!.replies.join('\n')).toContain('6分钟前');
    // The same order three hours later by the scenario's clock is overdue.
    const later = { ...waiting, now: '2026-11-23T18:00:00+08:00' };
    const r3 = await runLiveScenario(later, liveConfig(env));
    expect(r3.turns[1]!.outcome).toMatchObject({ lookup: { found: true, status: 'paid' }, cause: 'overdue' });
  });

  it('stops with the ConfigError message (exit code 2) when the adapter settings are missing', async () => {
    const partial = { ORDER_ADAPTER: 'http', SHOP_API_SECRET: SECRET };
    const expected = (() => {
      try {
        loadConfig(partial);
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(expected).toContain('SHOP_API_BASE is required with ORDER_ADAPTER=http');
    const r = await live([FIXTURES], partial);
    expect(r).toMatchObject({ code: 2, err: [expected], out: [] });

    const short = await live([FIXTURES], { ...env, SHOP_API_SECRET: 'too-short' });
    expect(short.code).toBe(2);
    expect(short.err[0]).toMatch(/^Invalid configuration: SHOP_API_SECRET=.*at least 32 characters/);
  });

  it('refuses the demo adapter: there is no live shop to check', async () => {
    for (const e of [{}, { ORDER_ADAPTER: 'demo' }]) {
      const r = await live([FIXTURES], e);
      expect(r.code).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err[0]).toContain('ORDER_ADAPTER is demo (or unset)');
      expect(r.err[0]).toContain('leave out --live');
    }
  });

  it('keeps the bot state in memory and quiet whatever the environment says', () => {
    const c = liveConfig({
      ...env,
      DATABASE_FILE: 'data/bot.sqlite',
      DATABASE_URL: 'postgres://bot:pw@db.example.com/bot',
      DEMO_SEED: 'true',
      PUBLIC_BASE_URL: 'https://cs.example.com',
    });
    expect(c).toMatchObject({ databaseFile: ':memory:', databaseUrl: undefined, demoSeed: false, logLevel: 'silent', publicBaseUrl: undefined });
    expect(liveConfig({ ...env, LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
  });

  it('reports a shop that cannot be reached as unreachable, with the reason', async () => {
    const port = await closedPort();
    const r = await live([fixture('waiting.json')], { ...env, SHOP_API_BASE: `http://127.0.0.1:${port}` });
    expect(r.text).toContain(
      'waiting.json [live: a game card paid 6 minutes before the scenario\'s now is still inside the normal wait] turn 2 ("订单号LV2026112300002"): the shop could not be reached (http: down: /orders/by-number: ECONNREFUSED); the bot answered 系统查询暂时不可用 instead of the order',
    );
    // The expectations the outage broke are listed after it.
    expect(r.text).toContain('cause: expected sync_delay, got undefined');
    expect(r.out.at(-1)).toBe('0 passed, 1 failed');
    expect(r.code).toBe(1);
  });

  it('reports a shop failing in the middle of a conversation and skips the turns after it', async () => {
    const s = Scenario.parse({
      name: 'shop fails on one order',
      now: NOW,
      turns: [
        { user: '订单号LV2026112300002', expect: { cause: 'sync_delay' } },
        { user: `订单号${BROKEN_ORDER}`, expect: { lookup: { found: true } } },
        { user: '谢谢', expect: { intent: 'thanks' } },
      ],
    });
    const r = await runLiveScenario(s, liveConfig(env));
    expect(r.turns).toHaveLength(2);
    expect(r.failures[0]).toBe(
      `turn 2 ("订单号${BROKEN_ORDER}"): the shop could not be reached (http: down: /orders/by-number: HTTP 500 internal); the bot answered 系统查询暂时不可用 instead of the order; the remaining 1 turn(s) were not run`,
    );
    expect(r.turns[1]!.replies.join('\n')).toContain('系统查询暂时不可用');
  });
});

describe('eval command line', () => {
  it('parses --live with the other options', () => {
    expect(parseArgs(['--', '--live', 'test/fixtures/live', '--repeat', '3', '--verbose'])).toEqual({ targets: ['test/fixtures/live'], repeat: 3, verbose: true, live: true });
    expect(parseArgs(['a.json', '--repeat=2', 'b'])).toEqual({ targets: ['a.json', 'b'], repeat: 2, verbose: false, live: false });
    expect(parseArgs(['--live'])).toBeUndefined();
    expect(parseArgs(['--live', 'x', '--repeat', '0'])).toBeUndefined();
  });

  function cli(args: string[], e: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    // No model from the caller's environment or .env: explicit empty values win over .env and mean unset.
    const childEnv = { ...process.env, LLM_BASE_URL: '', LLM_MODEL: '', LLM_API_KEY: '', ORDER_ADAPTER: '', ...e };
    return new Promise((resolve) => {
      execFile('npx', ['tsx', 'src/eval/cli.ts', ...args], { cwd: process.cwd(), env: childEnv }, (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  it('npm run eval -- --live <folder>: reads the shop from the environment and prints the report', async () => {
    const r = await cli(['--', '--live', 'test/fixtures/live'], env);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^live: ORDER_ADAPTER=http, orders come from the live shop \(http:\/\/127\.0\.0\.1:\d+\)/);
    expect(r.stdout).toContain('has 1 order(s) of its own: not loaded');
    expect(r.stdout).toContain('own-orders-only.json [live: an order that exists only in the scenario');
    expect(lines.at(-1)).toBe('2 passed, 1 failed');
    expect(r.code).toBe(1);
  }, 60_000);

  it('npm run eval -- --live without shop settings: the ConfigError message and exit code 2', async () => {
    const r = await cli(['--live', 'test/fixtures/live'], { ORDER_ADAPTER: 'dujiaoka', SHOP_DATABASE_URL: '' });
    expect(r.stderr.trim()).toBe("Invalid configuration: SHOP_DATABASE_URL is required with ORDER_ADAPTER=dujiaoka (the shop's MySQL/MariaDB database, read-only)");
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
  }, 60_000);
});
