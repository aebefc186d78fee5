/**
 * An example shop for the bot's `http` contract (docs/shop-api.md, docs/shop-api.openapi.json):
 * the five signed POST operations over an in-memory list of orders, with nothing but node:http and
 * node:crypto. Copy it, replace `MemoryOrders` with queries on your own database, keep the rest.
 *
 *   npx tsx examples/shop-server/server.ts          # SHOP_API_SECRET, SHOP_PORT (8787) from the environment
 *
 * What it shows, in the order a request meets it:
 *   1. read the raw body (with a size limit) — the signature covers those exact bytes;
 *   2. check X-Shop-Timestamp (±300 s) and X-Shop-Signature (HMAC-SHA256) → 401 when wrong;
 *   3. parse the JSON and answer the operation; secrets leave masked, except from /orders/reveal
 *      after the buyer's proof was checked.
 * And the other way, `notifyBot`: tell the bot an order moved (it reads the order again).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

// ---------------------------------------------------------------------------------------------
// The order as the bot reads it (docs/shop-api.md "The order"). Your storage maps into this.
// ---------------------------------------------------------------------------------------------

export interface SecretItem {
  /** What anyone may see, e.g. "ABCD****7F3K". */
  masked?: string;
  /** The code or key itself: only ever sent by /orders/reveal. */
  plaintext?: string;
}

export type Delivery =
  | { kind: 'card_codes' | 'license_key'; items: SecretItem[]; expected?: number; deliveredAt?: string }
  | {
      kind: 'topup_receipt';
      account?: string;
      faceValue?: string;
      chargedAmount?: string;
      upstream?: { provider: string; orderNo?: string; state: string };
      voucherUrl?: string;
      submittedAt?: string;
      finishedAt?: string;
    }
  | {
      kind: 'tracking_number';
      carrierCode?: string;
      carrierName?: string;
      trackingNo: string;
      phoneTail?: string;
      carrierState?: string;
      signed?: boolean;
      shippedAt?: string;
      lastEvent?: { at: string; text: string };
      lastCheckedAt?: string;
    };

export interface ShopOrder {
  orderNo: string;
  altNos?: string[];
  source?: { system: string };
  status: string;
  holdReasons?: string[];
  productType?: string;
  fulfillmentMode?: 'auto' | 'manual' | 'upstream';
  title?: string;
  quantity?: number;
  amount?: string;
  currency?: string;
  createdAt: string;
  paidAt?: string;
  paidAtPrecision?: 'exact' | 'upper_bound';
  expiresAt?: string;
  updatedAt?: string;
  timeline?: Array<{ at: string; type: string; source?: string; text?: string; synthetic?: boolean }>;
  delivery?: Delivery;
  shopNotice?: string;
  promisedWithinMin?: number;
  buyer?: { userId?: string; email?: string; contact?: string; contactType?: 'email' | 'phone' | 'qq' | 'other'; hasQueryPassword?: boolean };
  verification?: string[];
}

/** An order as this example stores it: the order plus the checkout query password (hash it in a real shop). */
export type ExampleOrderRecord = ShopOrder & { queryPassword?: string };

export interface Proof {
  userId?: string;
  contact?: string;
  email?: string;
  queryPassword?: string;
  /** A signed-in agent of the bot's console; the bot audits these reveals. */
  staff?: { agentId: string; reason: string };
}

export interface CandidateQuery {
  userId?: string;
  contact?: string;
  email?: string;
  paidFrom?: string;
  paidTo?: string;
  productType?: string;
  limit: number;
}

/** The storage the operations need. Replace this with your database. */
export interface OrderStore {
  byNumber(orderNo: string): Promise<ExampleOrderRecord | undefined>;
  byAltNumber(altNo: string): Promise<ExampleOrderRecord | undefined>;
  /** Orders of one buyer (any of userId / contact / email), newest payment first. */
  candidates(q: CandidateQuery): Promise<ExampleOrderRecord[]>;
}

/** Contacts as typed at checkout and as typed in a chat compare in this form. */
export function normalizeContact(raw: string): string {
  const s = raw.normalize('NFKC').trim().toLowerCase();
  if (s.includes('@')) return s.replace(/\s+/g, '');
  const digits = s.replace(/[\s\-()+]/g, '');
  return /^86\d{11}$/.test(digits) ? digits.slice(2) : digits;
}

export class MemoryOrders implements OrderStore {
  constructor(private readonly orders: ExampleOrderRecord[]) {}

  async byNumber(orderNo: string) {
    const no = orderNo.trim().toUpperCase();
    return this.orders.find((o) => o.orderNo.toUpperCase() === no);
  }

  async byAltNumber(altNo: string) {
    const no = altNo.trim().toUpperCase();
    return this.orders.find((o) => (o.altNos ?? []).some((a) => a.toUpperCase() === no) || (o.delivery?.kind === 'tracking_number' && o.delivery.trackingNo.toUpperCase() === no));
  }

  async candidates(q: CandidateQuery) {
    const contact = q.contact ? normalizeContact(q.contact) : undefined;
    const email = q.email ? normalizeContact(q.email) : undefined;
    const when = (o: ShopOrder) => Date.parse(o.paidAt ?? o.createdAt);
    return this.orders
      .filter((o) => {
        const b = o.buyer ?? {};
        const mine =
          (!!q.userId && b.userId === q.userId) ||
          (!!contact && !!b.contact && normalizeContact(b.contact) === contact) ||
          (!!email && !!b.email && normalizeContact(b.email) === email);
        if (!mine) return false;
        if (q.productType && (o.productType ?? 'other') !== q.productType) return false;
        if (q.paidFrom && when(o) < Date.parse(q.paidFrom)) return false;
        if (q.paidTo && when(o) > Date.parse(q.paidTo)) return false;
        return true;
      })
      .sort((a, b) => when(b) - when(a))
      .slice(0, q.limit);
  }
}

// ---------------------------------------------------------------------------------------------
// Masking and proofs: what a buyer may see, and who may see the codes.
// ---------------------------------------------------------------------------------------------

export function maskSecret(secret: string): string {
  const s = secret.replace(/[\s-]/g, '');
  if (s.length >= 10) return `${s.slice(0, 4)}****${s.slice(-4)}`;
  if (s.length >= 5) return `${s.slice(0, 2)}****${s.slice(-2)}`;
  return '****';
}

/** The order as /orders/by-number and friends send it: no plaintext secrets, no query password. */
export function publicOrder(record: ExampleOrderRecord): ShopOrder {
  const { queryPassword, ...order } = record;
  const buyer = { ...order.buyer, hasQueryPassword: !!queryPassword || !!order.buyer?.hasQueryPassword };
  return { source: { system: 'example-shop' }, ...order, buyer, delivery: order.delivery && maskedDelivery(order.delivery) };
}

function maskedDelivery(d: Delivery): Delivery {
  if (d.kind === 'card_codes' || d.kind === 'license_key')
    return { ...d, items: d.items.map((it) => ({ masked: it.masked ?? (it.plaintext ? maskSecret(it.plaintext) : '****') })) };
  if (d.kind === 'topup_receipt' && d.account && !d.account.includes('*')) return { ...d, account: maskSecret(d.account) };
  return d;
}

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Whether the proof shows the order is the buyer's: their shop account, or the checkout contact /
 * email plus the query password when the order has one. An agent's request is trusted: it comes
 * signed from the bot, which checked the agent and keeps the audit trail.
 */
export function proofHolds(record: ExampleOrderRecord, proof: Proof): boolean {
  if (proof.staff?.agentId && proof.staff.reason) return true;
  const b = record.buyer ?? {};
  if (proof.userId && b.userId && proof.userId === b.userId) return true;
  const typed = [proof.contact, proof.email].filter((x): x is string => !!x).map(normalizeContact);
  const known = [b.contact, b.email].filter((x): x is string => !!x).map(normalizeContact);
  if (!typed.some((t) => t.length >= 5 && known.includes(t))) return false;
  if (record.queryPassword) return !!proof.queryPassword && sameText(proof.queryPassword.trim(), record.queryPassword);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Signing (docs/shop-api.md "Signing"): the same rule both ways.
// ---------------------------------------------------------------------------------------------

export const TIMESTAMP_WINDOW_SEC = 300;

export function signature(secret: string, method: string, path: string, timestamp: string, body: Buffer | string): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return createHmac('sha256', secret).update(`${method}\n${path}\n${timestamp}\n${bodyHash}`).digest('hex');
}

function signatureHolds(secret: string, req: http.IncomingMessage, path: string, body: Buffer, now: Date): boolean {
  const timestamp = String(req.headers['x-shop-timestamp'] ?? '');
  const given = String(req.headers['x-shop-signature'] ?? '');
  if (!/^\d+$/.test(timestamp) || Math.abs(now.getTime() / 1000 - Number(timestamp)) > TIMESTAMP_WINDOW_SEC) return false;
  if (!/^[0-9a-f]{64}$/.test(given)) return false;
  const expected = signature(secret, req.method ?? 'POST', path, timestamp, body);
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given, 'hex'));
}

/** Tells the bot that orders may have moved: POST {orderNos} to its /hooks/http/events, signed. */
export async function notifyBot(opts: { botUrl: string; secret: string; orderNos: string[]; key?: string; now?: Date }): Promise<Response> {
  const url = new URL('/hooks/http/events', opts.botUrl);
  const body = JSON.stringify({ orderNos: opts.orderNos });
  const timestamp = String(Math.floor((opts.now ?? new Date()).getTime() / 1000));
  return fetch(url, {
    method: 'POST',
    body,
    headers: {
      'Content-Type': 'application/json',
      ...(opts.key ? { 'X-Shop-Key': opts.key } : {}),
      'X-Shop-Timestamp': timestamp,
      'X-Shop-Signature': signature(opts.secret, 'POST', url.pathname, timestamp, body),
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The server.
// ---------------------------------------------------------------------------------------------

const MAX_BODY_BYTES = 64 * 1024;
type Answer = { status: number; body: unknown };
const error = (status: number, code: string, message: string): Answer => ({ status, body: { error: { code, message } } });
const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '' && v.length <= 256;

function proofOf(v: unknown): Proof | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const p = v as Record<string, unknown>;
  const staff = p.staff as Record<string, unknown> | undefined;
  return {
    userId: isText(p.userId) ? p.userId : undefined,
    contact: isText(p.contact) ? p.contact : undefined,
    email: isText(p.email) ? p.email : undefined,
    queryPassword: isText(p.queryPassword) ? p.queryPassword : undefined,
    staff: staff && isText(staff.agentId) && isText(staff.reason) ? { agentId: staff.agentId, reason: staff.reason } : undefined,
  };
}

/** The five operations; `input` is the parsed JSON body. */
export async function answer(store: OrderStore, operation: string, input: Record<string, unknown>, log: (line: string) => void = () => undefined): Promise<Answer> {
  switch (operation) {
    case '/orders/by-number': {
      if (!isText(input.orderNo)) return error(400, 'bad_request', 'orderNo is required');
      const found = await store.byNumber(input.orderNo);
      return { status: 200, body: { order: found ? publicOrder(found) : null } };
    }
    case '/orders/by-alt-number': {
      if (!isText(input.altNo)) return error(400, 'bad_request', 'altNo is required');
      const found = await store.byAltNumber(input.altNo);
      return { status: 200, body: { order: found ? publicOrder(found) : null } };
    }
    case '/orders/candidates': {
      const q: CandidateQuery = {
        userId: isText(input.userId) ? input.userId : undefined,
        contact: isText(input.contact) ? input.contact : undefined,
        email: isText(input.email) ? input.email : undefined,
        paidFrom: isText(input.paidFrom) ? input.paidFrom : undefined,
        paidTo: isText(input.paidTo) ? input.paidTo : undefined,
        productType: isText(input.productType) ? input.productType : undefined,
        limit: Math.min(50, Math.max(1, Number.isInteger(input.limit) ? (input.limit as number) : 5)),
      };
      if (!q.userId && !q.contact && !q.email) return error(400, 'bad_request', 'one of userId, contact, email is required');
      const found = await store.candidates(q);
      return { status: 200, body: { orders: found.map(publicOrder) } };
    }
    case '/orders/verify':
    case '/orders/reveal': {
      const proof = proofOf(input.proof);
      if (!isText(input.orderNo) || !proof) return error(400, 'bad_request', 'orderNo and proof are required');
      const found = await store.byNumber(input.orderNo);
      const holds = !!found && proofHolds(found, proof);
      if (operation === '/orders/verify') return { status: 200, body: { verified: holds } };
      if (holds && proof.staff) log(`reveal of ${found!.orderNo} by agent ${proof.staff.agentId}: ${proof.staff.reason}`);
      return { status: 200, body: { delivery: holds ? (found!.delivery ?? null) : null } };
    }
    default:
      return error(404, 'no_such_operation', `no operation ${operation}`);
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Too large: answered 413 and the connection closed; the rest is not read.
        req.off('data', onData);
        req.pause();
        resolve(undefined);
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface ExampleShopOptions {
  /** The shared secret (SHOP_API_SECRET on the bot's side), at least 32 characters. */
  secret: string;
  orders: ExampleOrderRecord[] | OrderStore;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** When set, requests must carry this X-Shop-Key (the bot's SHOP_API_KEY). */
  key?: string;
  /** The shop's clock (tests); the real time by default. */
  now?: () => Date;
  log?: (line: string) => void;
}

export interface ExampleShop {
  /** The base URL to give the bot as SHOP_API_BASE. */
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

export function createExampleShop(opts: ExampleShopOptions): http.Server {
  if (opts.secret.length < 32) throw new Error('the secret must be at least 32 characters');
  const store = Array.isArray(opts.orders) ? new MemoryOrders(opts.orders) : opts.orders;
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? (() => undefined);
  const send = (res: http.ServerResponse, a: Answer) => {
    const text = JSON.stringify(a.body);
    const close = a.status === 413 ? { Connection: 'close' } : {};
    res.writeHead(a.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...close });
    res.end(text);
  };

  return http.createServer((req, res) => {
    const handle = async (): Promise<Answer> => {
      const path = new URL(req.url ?? '/', 'http://shop').pathname;
      if (req.method !== 'POST') return error(405, 'method_not_allowed', 'every operation is a POST');
      const body = await readBody(req);
      if (!body) return error(413, 'too_large', `body over ${MAX_BODY_BYTES} bytes`);
      if (opts.key && req.headers['x-shop-key'] !== opts.key) return error(401, 'unknown_key', 'X-Shop-Key not accepted');
      if (!signatureHolds(opts.secret, req, path, body, now())) return error(401, 'bad_signature', 'signature or timestamp not accepted');
      let input: unknown;
      try {
        input = JSON.parse(body.toString('utf8'));
      } catch {
        return error(400, 'bad_request', 'body is not JSON');
      }
      if (!input || typeof input !== 'object' || Array.isArray(input)) return error(400, 'bad_request', 'body must be a JSON object');
      return answer(store, path, input as Record<string, unknown>, log);
    };
    handle().then(
      (a) => send(res, a),
      (err: unknown) => {
        log(`request failed: ${(err as Error)?.message ?? err}`);
        send(res, error(500, 'internal', 'the shop could not answer'));
      },
    );
  });
}

/** Starts the example shop; resolves once it listens. */
export async function startExampleShop(opts: ExampleShopOptions): Promise<ExampleShop> {
  const server = createExampleShop(opts);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Run directly: a shop with three orders.
// ---------------------------------------------------------------------------------------------

/** ISO time in Shanghai (UTC+8) `minutesAgo` before `now`. */
function shanghai(now: Date, minutesAgo: number): string {
  const t = new Date(now.getTime() - minutesAgo * 60_000 + 8 * 3_600_000);
  return `${t.toISOString().slice(0, 19)}+08:00`;
}

export function sampleOrders(now = new Date()): ExampleOrderRecord[] {
  return [
    {
      orderNo: 'EX2026000001',
      altNos: ['4200002026112312345678'],
      status: 'delivered',
      productType: 'game_card',
      fulfillmentMode: 'auto',
      title: '腾讯Q币100元',
      amount: '98.50',
      createdAt: shanghai(now, 30),
      paidAt: shanghai(now, 29),
      timeline: [
        { at: shanghai(now, 30), type: 'created' },
        { at: shanghai(now, 29), type: 'paid', source: 'payment' },
        { at: shanghai(now, 29), type: 'delivered' },
      ],
      delivery: { kind: 'card_codes', expected: 1, deliveredAt: shanghai(now, 29), items: [{ plaintext: 'QB8F-2K9D-7M3X-5T1Q' }] },
      buyer: { contact: '13800138000', contactType: 'phone' },
      verification: ['order_no', 'contact', 'query_password'],
      queryPassword: '8888',
    },
    {
      orderNo: 'EX2026000002',
      status: 'on_hold',
      holdReasons: ['out_of_stock'],
      productType: 'software_license',
      fulfillmentMode: 'auto',
      title: 'Windows 11 专业版激活码',
      amount: '39.00',
      createdAt: shanghai(now, 20),
      paidAt: shanghai(now, 19),
      timeline: [
        { at: shanghai(now, 20), type: 'created' },
        { at: shanghai(now, 19), type: 'paid', source: 'payment' },
        { at: shanghai(now, 19), type: 'hold', text: '库存不足，等待补货' },
      ],
      delivery: { kind: 'license_key', expected: 1, items: [] },
      buyer: { email: 'buyer@example.com', contactType: 'email' },
      verification: ['order_no', 'email'],
    },
    {
      orderNo: 'EX2026000003',
      status: 'shipped',
      productType: 'physical_card',
      fulfillmentMode: 'manual',
      title: '京东E卡实体卡500元（包邮）',
      amount: '500.00',
      createdAt: shanghai(now, 3 * 24 * 60),
      paidAt: shanghai(now, 3 * 24 * 60 - 1),
      timeline: [
        { at: shanghai(now, 3 * 24 * 60), type: 'created' },
        { at: shanghai(now, 3 * 24 * 60 - 1), type: 'paid', source: 'payment' },
        { at: shanghai(now, 2 * 24 * 60), type: 'shipped', source: 'operator' },
      ],
      delivery: {
        kind: 'tracking_number',
        carrierCode: 'shunfeng',
        carrierName: '顺丰速运',
        trackingNo: 'SF1234567890123',
        phoneTail: '8000',
        shippedAt: shanghai(now, 2 * 24 * 60),
      },
      buyer: { userId: 'u1001', contact: '13800138000', contactType: 'phone' },
      verification: ['order_no', 'account', 'contact'],
    },
  ];
}

async function main(): Promise<void> {
  const secret = process.env.SHOP_API_SECRET ?? randomBytes(24).toString('hex');
  const shop = await startExampleShop({ secret, orders: sampleOrders(), port: Number(process.env.SHOP_PORT ?? 8787), host: process.env.SHOP_HOST, log: console.log });
  console.log(`example shop listening on ${shop.url}; run the bot with:`);
  console.log(`  ORDER_ADAPTER=http SHOP_API_BASE=${shop.url} SHOP_API_SECRET=${secret}`);
  console.log('orders: EX2026000001 (delivered, contact 13800138000 + query password 8888), EX2026000002 (out of stock), EX2026000003 (shipped)');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
