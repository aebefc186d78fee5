/**
 * A local Kuaidi100 speaking its wire format (issue14 brief §5): /poll/query.do (checks the
 * signature, answers 503 on a bad one, per-number scripted answers, counts calls), /poll
 * (subscriptions, recorded), /autonumber/auto (carrier guesses). Plus `sendPush`, which posts a
 * signed push to a callback URL the way Kuaidi100 does.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const TEST_CUSTOMER = 'TESTCUSTOMER';
export const TEST_KEY = 'TESTKEY';
export const TEST_SALT = 'testsalt';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex').toUpperCase();

/** The brief's fixtures (their signatures are real for exactly these strings). */
export const FIXTURES = {
  queryParam: '{"com":"yuantong","num":"YT0000000001","phone":"5678","resultv2":"4","show":"0","order":"desc"}',
  querySign: '9DBB29875B3A166DC29CB55B23FFEC76',
  queryBody:
    'customer=TESTCUSTOMER&sign=9DBB29875B3A166DC29CB55B23FFEC76&param=%7B%22com%22%3A%22yuantong%22%2C%22num%22%3A%22YT0000000001%22%2C%22phone%22%3A%225678%22%2C%22resultv2%22%3A%224%22%2C%22show%22%3A%220%22%2C%22order%22%3A%22desc%22%7D',
  inDelivery: {
    message: 'ok',
    nu: 'YT0000000001',
    ischeck: '0',
    condition: '00',
    com: 'yuantong',
    status: '200',
    state: '5',
    data: [
      {
        time: '2026-03-03 08:10:00',
        ftime: '2026-03-03 08:10:00',
        context: '【深圳市】快件正在派送中',
        location: '',
        areaCode: 'CN440300000000',
        areaName: '广东,深圳市',
        status: '派件',
        statusCode: '5',
      },
      {
        time: '2026-03-02 21:35:28',
        ftime: '2026-03-02 21:35:28',
        context: '【东莞市】快件已发往【广东深圳转运中心】',
        location: '',
        areaCode: 'CN441900000000',
        areaName: '广东,东莞市',
        status: '在途',
        statusCode: '1002',
      },
      {
        time: '2026-03-02 16:56:21',
        ftime: '2026-03-02 16:56:21',
        context: '【东莞市】已揽收',
        location: '',
        areaCode: 'CN441900003000',
        areaName: '广东,东莞市',
        status: '揽收',
        statusCode: '103',
      },
    ],
  },
  noResult: { result: false, returnCode: '500', message: '查询无结果，请隔段时间再查' },
  phoneWrong: { result: false, returnCode: '408', message: '快递公司参数异常：验证码错误' },
  badSign: { result: false, returnCode: '503', message: '验证签名失败' },
  keyExpired: { result: false, returnCode: '601', message: 'key已过期' },
  numberUnknown: { message: '快递公司参数异常：单号不存在或者已经过期', nu: '', ischeck: '0', condition: '', com: '', status: '201', state: '0', data: [] },
  subscribeParam:
    '{"company":"yuantong","number":"YT0000000001","key":"TESTKEY","parameters":{"callbackurl":"http://127.0.0.1:3978/hooks/kuaidi100?o=SHIP4DONE0000001","salt":"testsalt","resultv2":"4","phone":"5678"}}',
  subscribed: { result: true, returnCode: '200', message: '提交成功' },
  /** The signed push, exactly as signed. */
  signedPush:
    '{"status":"shutdown","billstatus":"","message":"","autoCheck":"0","comOld":"","comNew":"","lastResult":{"message":"ok","state":"3","status":"200","condition":"F00","ischeck":"1","com":"yuantong","nu":"YT0000000001","data":[{"time":"2026-03-03 11:20:53","ftime":"2026-03-03 11:20:53","context":"已签收，签收人凭取货码签收。","status":"签收","statusCode":"304"}]}}',
  pushSign: '09E15E98904789FE2401A8703CEDC031',
} as const;

/** One scripted answer: a JSON body, a raw body with an HTTP status, or no answer at all. */
export type FakeAnswer = object | { raw: string; httpStatus?: number } | { hang: true };

export interface RecordedQuery {
  com: string;
  num: string;
  phone?: string;
  param: string;
}

export interface FakeKuaidi100 {
  /** http://127.0.0.1:<port>: both the API base and the auto-number base. */
  url: string;
  queries: RecordedQuery[];
  subscriptions: Array<Record<string, any>>;
  autonumberCalls: string[];
  /** Answers for a number (or `${com}|${num}`), used in turn; the last one repeats. */
  script(target: string, ...answers: FakeAnswer[]): void;
  /** The number is tracked only with this phone tail (408 otherwise). */
  requirePhone(num: string, tail: string): void;
  autonumber(num: string, guesses: Array<{ comCode: string; name?: string }>): void;
  /** The next subscriptions' answer (default 提交成功). */
  subscribeAnswer(answer: FakeAnswer): void;
  queryCount(num?: string): number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startFakeKuaidi100(opts: { customer?: string; key?: string } = {}): Promise<FakeKuaidi100> {
  const customer = opts.customer ?? TEST_CUSTOMER;
  const key = opts.key ?? TEST_KEY;
  const scripts = new Map<string, FakeAnswer[]>();
  const phones = new Map<string, string>();
  const guesses = new Map<string, Array<{ comCode: string; name?: string }>>();
  let subscribeAnswer: FakeAnswer = FIXTURES.subscribed;
  const hanging = new Set<ServerResponse>();
  const queries: RecordedQuery[] = [];
  const subscriptions: Array<Record<string, any>> = [];
  const autonumberCalls: string[] = [];

  const send = (res: ServerResponse, answer: FakeAnswer) => {
    if ('hang' in answer) {
      hanging.add(res);
      return;
    }
    if ('raw' in answer && typeof answer.raw === 'string') {
      res.writeHead((answer as { httpStatus?: number }).httpStatus ?? 200, { 'content-type': 'text/html' });
      res.end(answer.raw);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8' });
    res.end(JSON.stringify(answer));
  };

  const next = (target: string): FakeAnswer | undefined => {
    const list = scripts.get(target);
    if (!list || list.length === 0) return undefined;
    return list.length > 1 ? list.shift() : list[0];
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method === 'POST' && url.pathname === '/poll/query.do') {
        const form = new URLSearchParams(await readBody(req));
        const param = form.get('param') ?? '';
        if (form.get('customer') !== customer || form.get('sign') !== md5(param + key + customer)) return send(res, FIXTURES.badSign);
        let p: Record<string, string>;
        try {
          p = JSON.parse(param);
        } catch {
          return send(res, { result: false, returnCode: '400', message: '提交的数据不完整' });
        }
        const q: RecordedQuery = { com: p.com ?? '', num: p.num ?? '', param };
        if (p.phone !== undefined) q.phone = p.phone;
        queries.push(q);
        const tail = phones.get(q.num);
        if (tail && q.phone !== tail) return send(res, FIXTURES.phoneWrong);
        return send(res, next(`${q.com}|${q.num}`) ?? next(q.num) ?? FIXTURES.noResult);
      }
      if (req.method === 'POST' && url.pathname === '/poll') {
        const form = new URLSearchParams(await readBody(req));
        let p: Record<string, any>;
        try {
          p = JSON.parse(form.get('param') ?? '');
        } catch {
          return send(res, { result: false, returnCode: '400', message: '提交的数据不完整' });
        }
        if (form.get('schema') !== 'json' || p.key !== key) return send(res, { result: false, returnCode: '600', message: '您不是合法的订阅者' });
        subscriptions.push(p);
        return send(res, subscribeAnswer);
      }
      if (req.method === 'GET' && url.pathname === '/autonumber/auto') {
        const num = url.searchParams.get('num') ?? '';
        autonumberCalls.push(num);
        if (url.searchParams.get('key') !== key) return send(res, { result: false, returnCode: '503', message: '验证签名失败' });
        return send(res, guesses.get(num) ?? []);
      }
      res.writeHead(404).end();
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    queries,
    subscriptions,
    autonumberCalls,
    script: (target, ...answers) => void scripts.set(target, [...answers]),
    requirePhone: (num, tail) => void phones.set(num, tail),
    autonumber: (num, list) => void guesses.set(num, list),
    subscribeAnswer: (answer) => {
      subscribeAnswer = answer;
    },
    queryCount: (num) => (num === undefined ? queries.length : queries.filter((q) => q.num === num).length),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Posts a push to `url` the way Kuaidi100 does: form `param` (the JSON string as given, or the object
 * serialised compactly) and `sign` = UPPER(MD5(param + salt)) unless `sign` is given.
 */
export async function sendPush(
  url: string,
  param: string | object,
  opts: { salt?: string; sign?: string | null } = {},
): Promise<{ status: number; body: string; contentType: string | null }> {
  const text = typeof param === 'string' ? param : JSON.stringify(param);
  const form = new URLSearchParams({ param: text });
  const sign = opts.sign === undefined ? md5(text + (opts.salt ?? TEST_SALT)) : opts.sign;
  if (sign !== null) form.set('sign', sign);
  const res = await fetch(url, { method: 'POST', body: form });
  return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') };
}
