/**
 * A fake Dujiao-Next site for the adapter's tests: a real HTTP server on 127.0.0.1 (ephemeral
 * port) serving the documented guest routes with the documented envelope
 * `{status_code, msg, data, pagination?}`:
 *   GET /api/v1/guest/orders/:order_no?email=&order_password=
 *   GET /api/v1/guest/orders/:order_no/fulfillment/download?email=&order_password=
 * Wrong number or wrong proof → HTTP 404 / status_code 404; a missing e-mail or password → 400.
 * Faults can be switched on for every following request. It counts requests.
 *
 * Plus a signer and poster for the HMAC-signed status callback, written independently of the
 * adapter's own code (scratch/issue14-brief.md §4.6).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOrder {
  email: string;
  password: string;
  /** The order object (`data` of the detail). */
  order: Record<string, any>;
  /** Full fulfilment text per order number (parent or child) when the detail's payload is a truncated preview. */
  downloads?: Record<string, string>;
}

export type Fault = 'html_500' | 'html_200' | 'truncated_json' | 'null_data' | 'slow' | 'rate_limited' | 'status_500_in_200';

export interface FakeRequest {
  route: 'detail' | 'download' | 'other';
  orderNo?: string;
}

export interface FakeDujiaoNext {
  url: string;
  orders: Map<string, FakeOrder>;
  /** Applies to every request while set. */
  fault: Fault | null;
  requests: FakeRequest[];
  count(route?: FakeRequest['route']): number;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- fixtures

/** The brief's fixture (§4.5), verbatim: a parent with a delivered card child and an upstream top-up child still running. */
export const PARENT_NO = 'DJ20260301120005482913';
export const PARENT_EMAIL = 'buyer@example.com';
export const PARENT_PASSWORD = 'pass1234';
export const PARENT_FIXTURE_JSON = `{"status_code":0,"msg":"success","data":{
  "order_no":"DJ20260301120005482913","guest_email":"buyer@example.com","guest_locale":"zh-CN",
  "status":"partially_delivered","currency":"CNY","original_amount":"109.00","discount_amount":"0.00",
  "member_discount_amount":"0.00","promotion_discount_amount":"0.00","total_amount":"109.00",
  "wallet_paid_amount":"0.00","online_paid_amount":"109.00","refunded_amount":"0.00",
  "expires_at":"2026-03-01T12:15:05+08:00","paid_at":"2026-03-01T12:00:58+08:00","canceled_at":null,
  "created_at":"2026-03-01T12:00:05+08:00",
  "items":[
    {"title":{"zh-CN":"Steam 钱包码 50元"},"sku_snapshot":{"code":"DEFAULT"},"tags":[],"unit_price":"49.00","quantity":2,"total_price":"98.00","coupon_discount_amount":"0.00","member_discount_amount":"0.00","promotion_discount_amount":"0.00","fulfillment_type":"auto","manual_form_schema_snapshot":{},"manual_form_submission":{}},
    {"title":{"zh-CN":"话费代充 10元"},"sku_snapshot":{"code":"CM10"},"tags":[],"unit_price":"11.00","quantity":1,"total_price":"11.00","coupon_discount_amount":"0.00","member_discount_amount":"0.00","promotion_discount_amount":"0.00","fulfillment_type":"upstream","manual_form_schema_snapshot":{"fields":[{"key":"phone","label":"充值手机号"}]},"manual_form_submission":{"phone":"13800138000"}}],
  "fulfillment":null,
  "children":[
    {"order_no":"DJ20260301120005482913-01","status":"delivered","currency":"CNY","total_amount":"98.00","paid_at":"2026-03-01T12:00:58+08:00","created_at":"2026-03-01T12:00:05+08:00","items":[{"title":{"zh-CN":"Steam 钱包码 50元"},"quantity":2,"unit_price":"49.00","total_price":"98.00","fulfillment_type":"auto"}],
     "fulfillment":{"type":"auto","status":"delivered","payload":"STM-AAAA-BBBB-CCCC\\nSTM-DDDD-EEEE-FFFF","payload_line_count":2,"delivery_data":null,"delivered_at":"2026-03-01T12:01:00+08:00"}},
    {"order_no":"DJ20260301120005482913-02","status":"fulfilling","currency":"CNY","total_amount":"11.00","paid_at":"2026-03-01T12:00:58+08:00","created_at":"2026-03-01T12:00:05+08:00","items":[{"title":{"zh-CN":"话费代充 10元"},"quantity":1,"unit_price":"11.00","total_price":"11.00","fulfillment_type":"upstream"}],"fulfillment":null}]}}`;

const D = '2026-03-01';
const t = (hms: string, day = D) => `${day}T${hms}+08:00`;

interface ItemSpec {
  title: string;
  quantity?: number;
  price?: string;
  type?: 'auto' | 'manual' | 'upstream';
  form?: Record<string, string>;
  fields?: Array<{ key: string; label: string }>;
}

function item(s: ItemSpec): Record<string, any> {
  const q = s.quantity ?? 1;
  const price = s.price ?? '10.00';
  return {
    title: { 'zh-CN': s.title, 'en-US': `${s.title} (en)` },
    sku_snapshot: { code: 'DEFAULT' },
    tags: [],
    unit_price: price,
    quantity: q,
    total_price: (Number(price) * q).toFixed(2),
    coupon_discount_amount: '0.00',
    member_discount_amount: '0.00',
    promotion_discount_amount: '0.00',
    fulfillment_type: s.type ?? 'auto',
    manual_form_schema_snapshot: s.fields ? { fields: s.fields } : {},
    manual_form_submission: s.form ?? {},
  };
}

/** One documented order object; only what a case needs differs. */
export function order(
  no: string,
  o: { status: string; email: string; created: string; paid?: string | null; expires?: string; canceled?: string | null; item: ItemSpec; fulfillment?: Record<string, any> | null },
): Record<string, any> {
  const it = item(o.item);
  return {
    order_no: no,
    guest_email: o.email,
    guest_locale: 'zh-CN',
    status: o.status,
    currency: 'CNY',
    original_amount: it.total_price,
    discount_amount: '0.00',
    member_discount_amount: '0.00',
    promotion_discount_amount: '0.00',
    total_amount: it.total_price,
    wallet_paid_amount: '0.00',
    online_paid_amount: o.paid ? it.total_price : '0.00',
    refunded_amount: o.status === 'refunded' ? it.total_price : o.status === 'partially_refunded' ? '5.00' : '0.00',
    expires_at: o.expires ?? new Date(Date.parse(o.created) + 15 * 60_000).toISOString(),
    paid_at: o.paid ?? null,
    canceled_at: o.canceled ?? null,
    created_at: o.created,
    items: [it],
    fulfillment: o.fulfillment ?? null,
    children: [],
  };
}

const codes = (payload: string, at: string, extra: Record<string, any> = {}) => ({
  type: 'auto',
  status: 'delivered',
  payload,
  payload_line_count: payload.split('\n').length,
  delivery_data: null,
  delivered_at: at,
  ...extra,
});

const steam = (quantity = 1): ItemSpec => ({ title: 'Steam 钱包码 50元', quantity, price: '49.00' });
const topup = (phone: string): ItemSpec => ({ title: '话费代充 50元', price: '49.50', type: 'upstream', fields: [{ key: 'phone', label: '充值手机号' }], form: { phone } });

/** Order numbers of the fixtures, one per mapped case. */
export const NO = {
  parent: PARENT_NO,
  pending: 'DJ20260301115500100001',
  expired: 'DJ20260301113000100002',
  canceled: 'DJ20260301113500100003',
  paid: 'DJ20260301120000100004',
  paidUpstreamOverdue: 'DJ20260301093000100005',
  paidUpstreamYoung: 'DJ20260301115000100006',
  fulfillingUpstream: 'DJ20260301114000100007',
  fulfillingManual: 'DJ20260301114500100008',
  delivered: 'DJ20260301110000100009',
  fulfilled: 'DJ20260301110500100010',
  shipped: 'DJ20260301100000100011',
  completed: 'DJ20260228100000100012',
  partiallyRefunded: 'DJ20260228110000100013',
  refunded: 'DJ20260228120000100014',
  unknown: 'DJ20260301090000100015',
  truncated: 'DJ20260301080000100016',
  topupDelivered: 'DJ20260301081000100017',
} as const;

/** The full text behind the truncated fixture's two-line preview. */
export const TRUNCATED_FULL = ['GIFT-0001-AAAA-ZZZZ', 'GIFT-0002-BBBB-YYYY', 'GIFT-0003-CCCC-XXXX', 'GIFT-0004-DDDD-WWWW', 'GIFT-0005-EEEE-VVVV'];

/** Every fixture, keyed by order number; each has its own e-mail and password (p-<n>). */
export function fixtures(): Map<string, FakeOrder> {
  const m = new Map<string, FakeOrder>();
  const add = (no: string, n: number, make: (email: string) => Record<string, any>, downloads?: Record<string, string>) => {
    const email = `buyer${n}@example.com`;
    m.set(no, { email, password: `pw-${n}-secret`, order: make(email), downloads });
  };
  m.set(PARENT_NO, { email: PARENT_EMAIL, password: PARENT_PASSWORD, order: JSON.parse(PARENT_FIXTURE_JSON).data });
  add(NO.pending, 1, (email) => order(NO.pending, { status: 'pending_payment', email, created: t('11:55:00'), expires: t('12:10:00'), item: steam() }));
  add(NO.expired, 2, (email) => order(NO.expired, { status: 'canceled', email, created: t('11:30:00'), expires: t('11:45:00'), canceled: t('11:45:02'), item: steam() }));
  add(NO.canceled, 3, (email) => order(NO.canceled, { status: 'canceled', email, created: t('11:35:00'), expires: t('11:50:00'), canceled: t('11:40:00'), item: steam() }));
  add(NO.paid, 4, (email) => order(NO.paid, { status: 'paid', email, created: t('11:59:50'), paid: t('12:00:10'), item: steam() }));
  add(NO.paidUpstreamOverdue, 5, (email) => order(NO.paidUpstreamOverdue, { status: 'paid', email, created: t('09:30:00'), paid: t('09:30:20'), item: topup('13900139005') }));
  add(NO.paidUpstreamYoung, 6, (email) => order(NO.paidUpstreamYoung, { status: 'paid', email, created: t('11:50:00'), paid: t('11:50:30'), item: topup('13900139006') }));
  add(NO.fulfillingUpstream, 7, (email) => order(NO.fulfillingUpstream, { status: 'fulfilling', email, created: t('11:40:00'), paid: t('11:40:20'), item: topup('13900139007') }));
  add(NO.fulfillingManual, 8, (email) =>
    order(NO.fulfillingManual, { status: 'fulfilling', email, created: t('11:45:00'), paid: t('11:45:30'), item: { title: 'Adobe 全家桶 授权激活码', type: 'manual' } }),
  );
  add(NO.delivered, 9, (email) =>
    order(NO.delivered, {
      status: 'delivered',
      email,
      created: t('11:00:00'),
      paid: t('11:00:30'),
      item: steam(2),
      fulfillment: codes('STM-1111-2222-3333\nSTM-4444-5555-6666', t('11:00:35')),
    }),
  );
  add(NO.fulfilled, 10, (email) =>
    order(NO.fulfilled, { status: 'fulfilled', email, created: t('11:05:00'), paid: t('11:05:30'), item: steam(), fulfillment: codes('STM-7777-8888-9999', t('11:05:32')) }),
  );
  add(NO.shipped, 11, (email) =>
    order(NO.shipped, {
      status: 'delivered',
      email,
      created: t('10:00:00'),
      paid: t('10:00:40'),
      item: {
        title: '京东E卡 实体卡 100元',
        price: '100.00',
        type: 'manual',
        fields: [
          { key: 'receiver_name', label: '收件人' },
          { key: 'receiver_phone', label: '手机号' },
          { key: 'receiver_address', label: '收货地址' },
        ],
        form: { receiver_name: '张三', receiver_phone: '13700137011', receiver_address: '上海市浦东新区某路1号' },
      },
      fulfillment: {
        type: 'manual',
        status: 'delivered',
        payload: '已发货',
        payload_line_count: 1,
        delivery_data: { express_company: '顺丰速运', tracking_no: 'SF1234567890123' },
        delivered_at: t('11:30:00'),
      },
    }),
  );
  add(NO.completed, 12, (email) =>
    order(NO.completed, {
      status: 'completed',
      email,
      created: t('10:00:00', '2026-02-28'),
      paid: t('10:00:20', '2026-02-28'),
      item: steam(),
      fulfillment: codes('STM-AAAA-0000-1212', t('10:00:25', '2026-02-28')),
    }),
  );
  add(NO.partiallyRefunded, 13, (email) =>
    order(NO.partiallyRefunded, {
      status: 'partially_refunded',
      email,
      created: t('11:00:00', '2026-02-28'),
      paid: t('11:00:20', '2026-02-28'),
      item: steam(2),
      fulfillment: codes('STM-BBBB-0000-1313', t('11:00:25', '2026-02-28')),
    }),
  );
  add(NO.refunded, 14, (email) => order(NO.refunded, { status: 'refunded', email, created: t('12:00:00', '2026-02-28'), paid: t('12:00:20', '2026-02-28'), item: steam() }));
  add(NO.unknown, 15, (email) => order(NO.unknown, { status: 'disputed', email, created: t('09:00:00'), paid: t('09:00:20'), item: steam() }));
  add(
    NO.truncated,
    16,
    (email) =>
      order(NO.truncated, {
        status: 'delivered',
        email,
        created: t('08:00:00'),
        paid: t('08:00:20'),
        item: { title: '礼品卡 20元', quantity: 5, price: '20.00' },
        fulfillment: codes(TRUNCATED_FULL.slice(0, 2).join('\n'), t('08:00:25'), { payload_line_count: TRUNCATED_FULL.length }),
      }),
    { [NO.truncated]: `${TRUNCATED_FULL.join('\n')}\n` },
  );
  add(NO.topupDelivered, 17, (email) =>
    order(NO.topupDelivered, {
      status: 'delivered',
      email,
      created: t('08:10:00'),
      paid: t('08:10:20'),
      item: topup('13900139017'),
      fulfillment: { type: 'auto', status: 'delivered', payload: '', payload_line_count: 0, delivery_data: null, delivered_at: t('08:12:00') },
    }),
  );
  return m;
}

// ---------------------------------------------------------------- server

let requestSeq = 0;
const requestId = () => `01FAKE${String(++requestSeq).padStart(20, '0')}`;

function send(res: http.ServerResponse, status: number, body: unknown, id: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': id });
  res.end(JSON.stringify(body));
}

function fail(res: http.ServerResponse, status: number, msg: string, id: string): void {
  send(res, status, { status_code: status, msg, data: { request_id: id } }, id);
}

/** The (parent) fixture an order number belongs to: the parent itself or one of its children. */
function findOwner(orders: Map<string, FakeOrder>, no: string): FakeOrder | undefined {
  return orders.get(no) ?? [...orders.values()].find((o) => (o.order.children ?? []).some((c: any) => c.order_no === no));
}

export async function startFakeDujiaoNext(orders: Map<string, FakeOrder> = fixtures()): Promise<FakeDujiaoNext> {
  const held = new Set<http.ServerResponse>();
  const fake: FakeDujiaoNext = {
    url: '',
    orders,
    fault: null,
    requests: [],
    count: (route) => fake.requests.filter((r) => !route || r.route === route).length,
    close: async () => {
      for (const res of held) res.destroy();
      held.clear();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };

  const server = http.createServer((req, res) => {
    const id = requestId();
    const url = new URL(req.url ?? '/', 'http://fake');
    const m = /^\/api\/v1\/guest\/orders\/([^/]+)(\/fulfillment\/download)?$/.exec(url.pathname);
    const route: FakeRequest['route'] = req.method !== 'GET' || !m ? 'other' : m[2] ? 'download' : 'detail';
    const orderNo = m ? decodeURIComponent(m[1]!) : undefined;
    fake.requests.push({ route, orderNo });

    switch (fake.fault) {
      case 'slow':
        held.add(res); // answered never (until close): the client's timeout has to fire
        return;
      case 'html_500':
        res.writeHead(500, { 'content-type': 'text/html', 'x-request-id': id });
        res.end('<html><head><title>500 Internal Server Error</title></head><body><center><h1>500 Internal Server Error</h1></center><hr><center>nginx</center></body></html>');
        return;
      case 'html_200':
        res.writeHead(200, { 'content-type': 'text/html', 'x-request-id': id });
        res.end('<!doctype html><html><body>请完成安全验证</body></html>');
        return;
      case 'rate_limited':
        fail(res, 429, '请求过于频繁', id);
        return;
      case 'null_data':
        send(res, 200, { status_code: 0, msg: 'success', data: null }, id);
        return;
      case 'status_500_in_200':
        send(res, 200, { status_code: 500, msg: '服务器内部错误', data: { request_id: id } }, id);
        return;
      case 'truncated_json': {
        const whole = JSON.stringify({ status_code: 0, msg: 'success', data: orders.get(orderNo ?? '')?.order ?? { order_no: orderNo } });
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': id });
        res.end(whole.slice(0, Math.floor(whole.length / 2)));
        return;
      }
    }

    if (route === 'other' || !orderNo) return fail(res, 404, '资源不存在', id);
    const email = url.searchParams.get('email') ?? '';
    const password = url.searchParams.get('order_password') ?? '';
    if (!email.trim()) return fail(res, 400, '请输入邮箱', id);
    if (!password) return fail(res, 400, '请输入订单密码', id);

    if (route === 'detail') {
      // Guest detail by the parent's number only (whether the real route resolves child numbers is not known).
      const o = orders.get(orderNo);
      if (!o || o.email.toLowerCase() !== email.trim().toLowerCase() || o.password !== password) return fail(res, 404, '订单不存在', id);
      return send(res, 200, { status_code: 0, msg: 'success', data: o.order }, id);
    }
    const o = findOwner(orders, orderNo);
    if (!o || o.email.toLowerCase() !== email.trim().toLowerCase() || o.password !== password) return fail(res, 404, '订单不存在', id);
    const own = o.order.order_no === orderNo ? o.order : (o.order.children ?? []).find((c: any) => c.order_no === orderNo);
    const text = o.downloads?.[orderNo] ?? own?.fulfillment?.payload;
    if (typeof text !== 'string') return fail(res, 404, '暂无发货内容', id);
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-disposition': `attachment; filename="${orderNo}.txt"`, 'x-request-id': id });
    res.end(text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

// ---------------------------------------------------------------- the signed callback

/** The brief's signed fixture (§4.6): secret test_api_secret, key test_api_key. */
export const CALLBACK_FIXTURE = {
  key: 'test_api_key',
  secret: 'test_api_secret',
  timestamp: '1772337660',
  body: '{"event":"order.fulfilled","order_id":101,"order_no":"DJ20260301120005482913","downstream_order_no":"BOT-A-0001","status":"delivered","fulfillment":{"type":"auto","status":"delivered","payload":"ABCD-EFGH-1234-5678","delivery_data":null,"delivered_at":"2026-03-01T12:01:00+08:00"},"timestamp":1772337660}',
  bodyMd5: '29ef9eb91d53788fe05e5957c4191e9a',
  signature: 'a137b63375dbd42eea612185088616f8070ea7098cb1f55627727c6df6048848',
} as const;

/** hex(HMAC-SHA256(secret, "POST\n{path}\n{timestamp}\n{md5hex(body)}")), the literal path by default. */
export function signCallback(secret: string, timestamp: string, body: string | Buffer, path = '/api/v1/upstream/callback'): string {
  const md5 = crypto.createHash('md5').update(body).digest('hex');
  return crypto.createHmac('sha256', secret).update(['POST', path, timestamp, md5].join('\n')).digest('hex');
}

export interface CallbackPost {
  body?: string | Buffer;
  key?: string;
  secret?: string;
  timestamp?: string;
  /** The path to sign (default the literal /api/v1/upstream/callback). */
  signPath?: string;
  /** Sent instead of the computed signature. */
  signature?: string;
}

/** POSTs a callback signed as Dujiao-Next signs it (defaults: the brief's fixture) to `url`. */
export async function postSignedCallback(url: string, p: CallbackPost = {}): Promise<{ status: number; json: any }> {
  const body = p.body ?? CALLBACK_FIXTURE.body;
  const timestamp = p.timestamp ?? CALLBACK_FIXTURE.timestamp;
  const signature = p.signature ?? signCallback(p.secret ?? CALLBACK_FIXTURE.secret, timestamp, body, p.signPath);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'dujiao-next-api-key': p.key ?? CALLBACK_FIXTURE.key,
      'dujiao-next-timestamp': timestamp,
      'dujiao-next-signature': signature,
    },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}
