/**
 * `npm run bench -- shop`: order lookups through the dujiaoka adapter on a throwaway MariaDB holding
 * 100,000 dujiaoka orders (dujiaoka's own table definitions, read through the SELECT-only account the
 * README asks for), beside the demo adapter holding 100,000 synthetic orders in the bot's own SQLite
 * file, in the same run. Closed loops with a fixed number of lookups in flight for a fixed time per
 * line; lookups/s, p50 and p99 per line, and each line's lookups/s as a ratio to the demo adapter's
 * findByOrderNo (measured before and after the MariaDB lines; their mean is the baseline).
 *
 * The trade_no line runs twice: on the stock schema (no index on trade_no: every lookup scans the
 * table) and after `CREATE INDEX … (trade_no)`, the index the README suggests.
 */
import { mulberry32 } from '../src/random.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { type App, createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { syntheticOrders } from '../src/orders/demo/seedOrders.js';
import type { OrderService } from '../src/orders/port.js';
import { fixedClock } from '../src/time.js';

const NOW = new Date('2026-11-23T15:00:00+08:00');
const ORDERS = 100_000;
/** Orders per distinct checkout email on average (each email is shared by a few orders). */
const ORDERS_PER_EMAIL = 3;
const IN_FLIGHT = 8;
const WARM_MS = 700;
const LINE_MS = 4000;
const BATCH = 2000;
const PRODUCT_TYPES = 'group:1=game_card,group:2=phone_topup,group:3=physical_card,group:4=software_license';

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const ms = (x: number) => `${x.toFixed(2)} ms`;
const secs = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** Deterministic PRNG (mulberry32), so every run loads the same shop. */
const rng32 = mulberry32;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const randomSn = (r: () => number) => Array.from({ length: 16 }, () => ALNUM[Math.floor(r() * ALNUM.length)]).join('');
const digits = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');
function weighted<T>(r: () => number, items: ReadonlyArray<readonly [T, number]>): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [v, w] of items) if ((x -= w) < 0) return v;
  return items.at(-1)![0];
}
/** Shanghai has kept UTC+8 without DST since 1991: its wall clock is UTC shifted by 8 hours. */
const shanghai = (t: number) => new Date(t + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');

const GROUPS: Array<[number, string]> = [
  [1, '游戏点卡'],
  [2, '话费代充'],
  [3, '实体卡邮寄'],
  [4, '软件激活码'],
];
interface Goods {
  id: number;
  group: number;
  name: string;
  cents: number;
  /** 1 automatic delivery (codes from carmis into info), 2 manual (an operator). */
  type: 1 | 2;
  inputs?: string;
  prompt?: string;
  weight: number;
}
const GOODS: Goods[] = [
  { id: 1, group: 1, name: 'Steam 充值卡 50元', cents: 5000, type: 1, prompt: '<p>卡密在订单页查看</p>', weight: 20 },
  { id: 2, group: 1, name: '腾讯Q币 100元 卡密', cents: 9850, type: 1, weight: 18 },
  { id: 3, group: 1, name: '网易一卡通 30元', cents: 2900, type: 1, weight: 10 },
  { id: 4, group: 1, name: 'Netflix 账号', cents: 3000, type: 1, weight: 8 },
  { id: 5, group: 2, name: '移动话费 100元', cents: 9800, type: 2, inputs: 'phone=充值手机号=true', prompt: '<p>人工代充，<b>72小时内到账</b></p>', weight: 12 },
  { id: 6, group: 2, name: '联通话费 50元', cents: 4900, type: 2, inputs: 'phone=充值手机号=true', weight: 6 },
  { id: 7, group: 3, name: '实体游戏卡（邮寄）', cents: 12000, type: 2, inputs: 'name=收件人=true\nphone=手机号=true\naddress=收货地址=true', weight: 4 },
  { id: 8, group: 4, name: 'Windows 11 专业版 激活码', cents: 3990, type: 1, weight: 14 },
  { id: 9, group: 4, name: 'Office 2021 授权', cents: 5900, type: 1, weight: 8 },
];
/** Status mix: most orders completed, many abandoned at checkout, a few in each other state. */
const STATUSES: Array<readonly [number, number]> = [
  [4, 64],
  [-1, 20],
  [1, 5],
  [2, 3],
  [3, 2],
  [5, 2],
  [6, 4],
];
const ORDER_COLUMNS = [
  'order_sn',
  'goods_id',
  'coupon_id',
  'title',
  'type',
  'goods_price',
  'buy_amount',
  'total_price',
  'actual_price',
  'search_pwd',
  'email',
  'info',
  'pay_id',
  'buy_ip',
  'trade_no',
  'status',
  'created_at',
  'updated_at',
  'deleted_at',
];

interface ShopKeys {
  orderSns: string[];
  emails: string[];
  tradeNos: string[];
  /** trade_no → order_sn */
  orderOf: Map<string, string>;
}

/** dujiaoka's rows as dujiaoka writes them; the numbers kept for the lookups. */
function* dujiaokaRows(count: number, seed: number, keys: ShopKeys): Generator<unknown[]> {
  const r = rng32(seed);
  const seen = new Set<string>();
  const emailCount = Math.ceil(count / ORDERS_PER_EMAIL);
  const domains = ['qq.com', '163.com', 'gmail.com', '126.com', 'outlook.com'];
  const goodsWeights = GOODS.map((g) => [g, g.weight] as const);
  const nowMs = Math.floor(NOW.getTime() / 1000) * 1000;
  for (let k = 0; k < count; k++) {
    let sn = randomSn(r);
    while (seen.has(sn)) sn = randomSn(r);
    seen.add(sn);
    const g = weighted(r, goodsWeights);
    const status = weighted(r, STATUSES);
    const qty = g.type === 1 && r() < 0.2 ? 2 + Math.floor(r() * 2) : 1;
    const price = (g.cents / 100).toFixed(2);
    const total = ((g.cents * qty) / 100).toFixed(2);
    const e = Math.floor(r() * emailCount);
    const email = `u${e}${e % 5 === 0 ? '' : `x${e % 97}`}@${domains[e % domains.length]}`;
    const created = nowMs - Math.floor(r() * 90 * 86_400_000);
    const paid = status >= 2;
    const paidAt = created + 20_000 + Math.floor(r() * 160_000);
    let updated = created;
    if (status === -1) updated = created + 5 * 60_000 + Math.floor(r() * 30_000);
    else if (paid) updated = g.type === 1 || status === 2 ? paidAt : paidAt + Math.floor(r() * 6 * 3600_000);
    if (updated > nowMs) updated = nowMs;
    // The buyer's checkout inputs are written into info at creation ("label:value" lines).
    const phone = `1${3 + Math.floor(r() * 6)}${digits(r, 9)}`;
    let info: string | null = null;
    if (g.group === 2) info = `充值手机号:${phone}\n`;
    if (g.group === 3) info = `收件人:买家${k % 1000}\n手机号:${phone}\n收货地址:广东省深圳市南山区科技园${k % 300}号`;
    if (status === 4 && g.type === 1)
      info = Array.from({ length: qty }, () => `${ALNUM.slice(0, 4)}-${randomSn(r).slice(0, 4)}-${randomSn(r).slice(0, 4)}-${randomSn(r).slice(0, 4)}`).join('\n');
    if (status === 4 && g.group === 3) info += `\n圆通 YT${digits(r, 13)}`;
    if (status === 6 && g.type === 1) info = r() < 0.7 ? '库存可使用卡密不足' : null;
    // Alipay-style trade numbers: the payment's date and a running number (unique).
    const tradeNo = paid ? `${shanghai(paidAt).slice(0, 10).replaceAll('-', '')}2200${String(1_000_000_000_000 + k).slice(1)}${digits(r, 3)}` : '';
    keys.orderSns.push(sn);
    keys.emails.push(email);
    if (tradeNo) keys.tradeNos.push(tradeNo), keys.orderOf.set(tradeNo, sn);
    yield [
      sn,
      g.id,
      0,
      `${g.name} x ${qty}`,
      g.type,
      price,
      qty,
      total,
      total,
      r() < 0.05 ? digits(r, 4) : '',
      email,
      info,
      1 + Math.floor(r() * 3),
      `${10 + Math.floor(r() * 200)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`,
      tradeNo,
      status,
      shanghai(created),
      shanghai(updated),
      null,
    ];
  }
}

/** Goods, groups and `count` orders, in multi-row INSERTs of BATCH rows on the shop's root connection. */
async function loadDujiaoka(admin: mysql.Connection, count: number): Promise<ShopKeys> {
  const at = '2025-01-01 10:00:00';
  await admin.query('INSERT INTO `goods_group` (`id`,`gp_name`,`created_at`,`updated_at`) VALUES ?', [GROUPS.map(([id, name]) => [id, name, at, at])]);
  await admin.query(
    'INSERT INTO `goods` (`id`,`group_id`,`gd_name`,`gd_description`,`gd_keywords`,`actual_price`,`in_stock`,`type`,`buy_prompt`,`other_ipu_cnf`,`api_hook`,`created_at`,`updated_at`) VALUES ?',
    [GOODS.map((g) => [g.id, g.group, g.name, g.name, g.name, (g.cents / 100).toFixed(2), 999, g.type, g.prompt ?? null, g.inputs ?? null, null, at, at])],
  );
  const keys: ShopKeys = { orderSns: [], emails: [], tradeNos: [], orderOf: new Map() };
  const sql = `INSERT INTO \`orders\` (${ORDER_COLUMNS.map((c) => `\`${c}\``).join(',')}) VALUES ?`;
  let batch: unknown[][] = [];
  for (const row of dujiaokaRows(count, 20261123, keys)) {
    batch.push(row);
    if (batch.length === BATCH) {
      await admin.query(sql, [batch]);
      batch = [];
    }
  }
  if (batch.length) await admin.query(sql, [batch]);
  await admin.query('ANALYZE TABLE `orders`');
  return keys;
}

interface Line {
  label: string;
  n: number;
  rps: number;
  p50: number;
  p99: number;
  /** Lookups whose answer was not the expected one (should be 0). */
  wrong: number;
}

/**
 * IN_FLIGHT closed loops (each starts its next lookup when its last one is answered) for `budgetMs`
 * after a warm-up; `op(i)` does the i-th lookup and says whether its answer was the expected one.
 */
async function line(label: string, op: (i: number) => Promise<boolean>, budgetMs = LINE_MS, inFlight = IN_FLIGHT): Promise<Line> {
  let next = 0;
  const run = async (forMs: number, record: number[] | undefined) => {
    let wrong = 0;
    const end = performance.now() + forMs;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (performance.now() < end) {
          const i = next++;
          const t = performance.now();
          const ok = await op(i);
          record?.push(performance.now() - t);
          if (!ok) wrong++;
        }
      }),
    );
    return wrong;
  };
  await run(WARM_MS, undefined);
  const lat: number[] = [];
  const t0 = performance.now();
  const wrong = await run(budgetMs, lat);
  const s = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { label, n: lat.length, rps: lat.length / s, p50: pct(lat, 50), p99: pct(lat, 99), wrong };
}

/** A fixed shuffle of `xs` (the lookups hit the table in no particular order). */
function shuffled<T>(xs: T[], seed: number): T[] {
  const r = rng32(seed);
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
/** Numbers of the same shape that are not in `taken`. */
function missing(taken: Set<string>, count: number, seed: number, make: (r: () => number) => string): string[] {
  const r = rng32(seed);
  const out: string[] = [];
  while (out.length < count) {
    const x = make(r);
    if (!taken.has(x)) out.push(x);
  }
  return out;
}

/** The four lookups on one adapter. */
function lookups(orders: OrderService, k: { orderNos: string[]; missing: string[]; emails: string[]; altNos: string[]; altOf: Map<string, string> }) {
  const at = <T>(xs: T[], i: number) => xs[i % xs.length]!;
  return {
    byNo: (i: number) => orders.findByOrderNo(at(k.orderNos, i)).then((o) => o?.orderNo === at(k.orderNos, i)),
    missing: (i: number) => orders.findByOrderNo(at(k.missing, i)).then((o) => o === null),
    byEmail: (i: number) => orders.findCandidates({ email: at(k.emails, i) }).then((os) => os.length > 0),
    byAlt: (i: number) => orders.findByAltNo(at(k.altNos, i)).then((o) => o?.orderNo === k.altOf.get(at(k.altNos, i))),
  };
}

export async function shop(): Promise<void> {
  const { findMariadb, startMariadb, createShopDatabase, shopFixture } = await import('../test/support/mariadb.js');
  if (!findMariadb()) {
    console.log('shop: skipped (no MariaDB server binaries: install the Debian package "mariadb-server")');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-bench-shop-'));
  const env = { LOG_LEVEL: 'silent', LOOKUP_RATE_LIMIT: '1000000', LOOKUP_ADDRESS_RATE_LIMIT: '1000000' };
  let maria: Awaited<ReturnType<typeof startMariadb>> | undefined;
  let db: Awaited<ReturnType<typeof createShopDatabase>> | undefined;
  let demoApp: App | undefined;
  let shopApp: App | undefined;
  try {
    let t0 = performance.now();
    maria = await startMariadb();
    console.log(`shop adapters: MariaDB ${await version(maria.url)} started in ${secs(t0)} (temp datadir, innodb_flush_log_at_trx_commit=0, 128M buffer pool)`);
    db = await createShopDatabase(maria.url, shopFixture('dujiaoka.sql'), ['orders', 'goods', 'goods_group']);
    t0 = performance.now();
    const keys = await loadDujiaoka(db.admin, ORDERS);
    const [[stats]] = (await db.admin.query(
      "SELECT COUNT(*) AS n, COUNT(DISTINCT email) AS emails, SUM(trade_no <> '') AS paid, SUM(status = 4) AS done FROM `orders`",
    )) as unknown as [[{ n: number; emails: number; paid: string; done: string }]];
    console.log(
      `  dujiaoka: ${stats.n} orders loaded in ${secs(t0)} (generated in JS, multi-row INSERTs of ${BATCH}; ${stats.emails} distinct emails, ${stats.paid} with a trade_no, ${stats.done} completed)`,
    );

    // The demo shop: the same number of synthetic orders in the bot's own SQLite file.
    t0 = performance.now();
    const demoConfig = loadConfig({ ...env, DATABASE_FILE: path.join(dir, 'demo.sqlite'), DEMO_SEED: 'false' });
    demoApp = await createApp({ config: demoConfig, clock: fixedClock(NOW) });
    let synthetic = syntheticOrders(ORDERS, NOW, 42);
    const demoKeys = { orderNos: [] as string[], emails: [] as string[], altOf: new Map<string, string>() };
    for (const o of synthetic) {
      demoKeys.orderNos.push(o.orderNo);
      if (o.buyer?.email) demoKeys.emails.push(o.buyer.email);
      const alt = o.altNos?.[0];
      // A number two orders share leads to the one upserted last, in the shop as in this map.
      if (alt) demoKeys.altOf.set(alt, o.orderNo);
    }
    for (let i = 0; i < synthetic.length; i += 10_000) await demoApp.shop.demo!.upsert(synthetic.slice(i, i + 10_000));
    synthetic = [];
    const demoEmails = new Set(demoKeys.emails).size;
    console.log(
      `  demo: ${await demoApp.shop.demo!.count()} synthetic orders (syntheticOrders: its own mix, ${demoKeys.emails.length} with an email, ${demoEmails} distinct) loaded into the bot's SQLite file in ${secs(t0)} (generated, validated, upserted in batches of 10,000)`,
    );
    const demoRun = lookups(demoApp.orders, {
      orderNos: shuffled(demoKeys.orderNos, 1),
      missing: missing(new Set(demoKeys.orderNos), 20_000, 2, (r) => `S${randomSn(r).slice(1)}`),
      emails: shuffled(demoKeys.emails, 3),
      altNos: shuffled([...demoKeys.altOf.keys()], 4),
      altOf: demoKeys.altOf,
    });

    const shopConfig = loadConfig({
      ...env,
      DATABASE_FILE: path.join(dir, 'bot.sqlite'),
      ORDER_ADAPTER: 'dujiaoka',
      SHOP_DATABASE_URL: db.url,
      SHOP_PRODUCT_TYPES: PRODUCT_TYPES,
    });
    const poolSize = shopConfig.shop.adapter === 'dujiaoka' ? shopConfig.shop.dujiaoka.SHOP_DATABASE_POOL_SIZE : 0;
    shopApp = await createApp({ config: shopConfig, clock: fixedClock(NOW) });
    const snSet = new Set(keys.orderSns);
    const shopRun = lookups(shopApp.orders, {
      orderNos: shuffled(keys.orderSns, 5),
      missing: missing(snSet, 20_000, 6, randomSn),
      emails: shuffled(keys.emails, 7),
      altNos: shuffled(keys.tradeNos, 8),
      altOf: keys.orderOf,
    });

    const lines: Line[] = [];
    const base1 = await line('demo findByOrderNo (existing)', demoRun.byNo);
    lines.push(await line('demo findByOrderNo (missing)', demoRun.missing));
    lines.push(await line('demo findCandidates (email)', demoRun.byEmail));
    lines.push(await line('demo findByAltNo (payment no.)', demoRun.byAlt));
    lines.push(await line('dujiaoka findByOrderNo (existing)', shopRun.byNo));
    lines.push(await line('dujiaoka findByOrderNo (missing)', shopRun.missing));
    lines.push(await line('dujiaoka findCandidates (email)', shopRun.byEmail));
    const plan = async () => {
      const [rows] = (await db!.admin.query(
        "EXPLAIN SELECT o.id FROM `orders` o LEFT JOIN `goods` g ON g.id = o.goods_id WHERE o.trade_no = ? AND o.trade_no <> '' AND o.deleted_at IS NULL LIMIT 2",
        [keys.tradeNos[0]],
      )) as unknown as [Array<{ table: string; type: string; key: string | null; rows: number }>];
      const o = rows.find((r) => r.table === 'o')!;
      return `EXPLAIN says ${o.type === 'ALL' ? 'a full scan (type ALL)' : `type ${o.type}`}${o.key ? ` on ${o.key}` : ''}, ~${o.rows} rows`;
    };
    const scanPlan = await plan();
    lines.push(await line('dujiaoka findByAltNo (trade_no, no index)', shopRun.byAlt, LINE_MS * 1.5));
    const scan = lines.at(-1)!;
    lines.push(await line('  the same, 1 in flight', shopRun.byAlt, LINE_MS, 1));
    t0 = performance.now();
    await db.admin.query('CREATE INDEX `idx_trade_no` ON `orders` (`trade_no`)');
    const indexTime = secs(t0);
    const indexPlan = await plan();
    lines.push(await line('dujiaoka findByAltNo (trade_no, indexed)', shopRun.byAlt));
    const indexed = lines.at(-1)!;
    const base2 = await line('demo findByOrderNo (existing), again', demoRun.byNo);
    const baseRps = (base1.rps + base2.rps) / 2;

    console.log(
      `  ${IN_FLIGHT} lookups in flight (unless said), closed loops, ${(WARM_MS / 1000).toFixed(1)} s warm-up then ${(LINE_MS / 1000).toFixed(0)} s a line (${((LINE_MS * 1.5) / 1000).toFixed(0)} s for the scan); dujiaoka through createApp (ORDER_ADAPTER=dujiaoka, pool ${poolSize}, the default), MariaDB on the same ${os.cpus().length} cores:`,
    );
    console.log(`  baseline, demo findByOrderNo: ${base1.rps.toFixed(0)} lookups/s before, ${base2.rps.toFixed(0)} after the MariaDB lines; mean ${baseRps.toFixed(0)}/s = 1.00×`);
    const width = Math.max(...[base1, ...lines].map((l) => l.label.length));
    for (const l of [base1, ...lines, base2])
      console.log(
        `  ${l.label.padEnd(width)} ${l.rps.toFixed(0).padStart(6)} lookups/s, p50 ${ms(l.p50).padStart(9)}, p99 ${ms(l.p99).padStart(9)}  ${(l.rps / baseRps).toFixed(3).padStart(6)}× demo findByOrderNo  (${l.n} lookups${l.wrong ? `, ${l.wrong} WRONG answers` : ''})`,
      );
    const wrong = [base1, ...lines, base2].reduce((n, l) => n + l.wrong, 0);
    console.log(`  answers checked (the order asked for, null for a missing number, ≥1 order for an email): ${wrong === 0 ? 'all as expected' : `${wrong} WRONG`}`);
    console.log(`  trade_no without an index (stock dujiaoka): ${scanPlan}; CREATE INDEX on it took ${indexTime} on ${ORDERS.toLocaleString('en')} rows, then ${indexPlan}`);
    console.log(`  with the index: ${(indexed.rps / scan.rps).toFixed(0)}× the lookups/s, p50 ${ms(scan.p50)} → ${ms(indexed.p50)}, p99 ${ms(scan.p99)} → ${ms(indexed.p99)}`);
  } finally {
    await shopApp?.close().catch(() => undefined);
    await demoApp?.close().catch(() => undefined);
    await db?.drop().catch(() => undefined);
    await maria?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function version(rootUrl: string): Promise<string> {
  const { default: mysql } = await import('mysql2/promise');
  const u = new URL(rootUrl);
  const c = await mysql.createConnection({ host: u.hostname, port: Number(u.port), user: 'root' });
  try {
    const [[row]] = (await c.query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]];
    return row.v;
  } finally {
    await c.end();
  }
}
