/**
 * A seeded, time-bounded fuzz of every public HTTP route and WebSocket upgrade, with every channel
 * on: Direct Line with a shop secret (anonymous, shop-minted and foreign tokens), the Official
 * Account in plaintext, compatible and safe mode (pushes correctly signed and encrypted around fuzzed
 * XML), WeCom, /api/messages without credentials (the Emulator mode: deep into the bot) and, on a
 * second server, with MICROSOFT_APP_ID (the auth gate; no token is ever valid, so nothing is fetched),
 * the agent console signed out, signed in (cookie + CSRF) and with forged sessions, the demo shop,
 * static files, unknown paths, raw HTTP framing over node:net, and both WebSocket upgrades (raw
 * handshakes and frames, and the ws client). Outbound URLs only ever point at 127.0.0.1:9.
 *
 * Each endpoint gets its fixed probes (known-dangerous inputs) and a fixed number of generated cases
 * from a PRNG seeded with (seed, endpoint, round), run one at a time, so a seed always sends the same
 * requests in the same order. Nothing may answer 5xx, hang, or throw past the server (the test records
 * `uncaughtException` / `unhandledRejection` instead of letting them kill the worker), and /healthz
 * must still answer at the end.
 *
 *   FUZZ_SEED=<n>        reproduce a run (printed at the start; default fixed)
 *   FUZZ_MS=<ms>         soak: keep running further rounds until this much time has passed
 *                        (default: one round, with a 35 s safety deadline)
 *   FUZZ_CASES=<n>       generated cases per endpoint and round (default 40)
 *   FUZZ_ONLY=<text>     only endpoints whose name contains this (e.g. FUZZ_ONLY=upload); the cases
 *                        are the same, the server state left by the other endpoints is not
 *   FUZZ_REQ_MS=<ms>     per-request timeout (default 3000; every route answers a loopback client in milliseconds)
 * Failing cases are grouped by cause in the assertion message; all of them, in full, go to a JSON
 * file in the OS temp directory (its path is printed).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../src/app.js';
import { MessageCrypto, plainSignature } from '../../src/channels/wechat/crypto.js';
import { createServerWithChannels } from '../../src/server.js';
import { makeApp, order, serve, shutdown } from '../helpers.js';
import {
  FILES,
  PNG,
  type Part,
  Rng,
  brokenJson,
  cdata,
  deepArray,
  deepMixed,
  deepObject,
  hash32,
  headerSafe,
  hostileXml,
  j,
  jarr,
  jobj,
  jsonValue,
  multipart,
  nastyString,
  rawHttp,
  rawRequest,
  unicodeString,
  wsFrame,
  wsHandshake,
  xmlOf,
} from './fuzzKit.js';

// ---------------------------------------------------------------------------------------------
// Settings

const DEFAULT_SEED = 20261123;
const SEED = (() => {
  const raw = process.env.FUZZ_SEED;
  if (!raw) return DEFAULT_SEED;
  if (raw === 'random') return (Math.random() * 2 ** 32) >>> 0;
  return /^\d+$/.test(raw) ? Number(raw) >>> 0 : hash32(raw);
})();
const SOAK_MS = process.env.FUZZ_MS ? Number(process.env.FUZZ_MS) : undefined;
const BUDGET_MS = SOAK_MS ?? 35_000;
const CASES = Number(process.env.FUZZ_CASES ?? 40);
const REQ_MS = Number(process.env.FUZZ_REQ_MS ?? 3000);
const ONLY = process.env.FUZZ_ONLY;
/** An endpoint whose requests time out this often is not fuzzed further in that round (one hang is enough to know). */
const MAX_TIMEOUTS_PER_ENDPOINT = 2;

const SECRET = 'fuzz-shop-secret-0123456789';
const PASSWORD = 'fuzz password 123';
const UNREACHABLE = 'http://127.0.0.1:9';
const OA = { token: 'oatoken123', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', appId: 'wx0123456789abcdef' };
const WECOM = { token: 'wecomtoken', aesKey: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR', corpId: 'ww0123456789', agentId: '1000002' };
const BF_APP_ID = '3f1e7a52-0000-4000-8000-00000000f022';
const OUTCOMES = ['solved', 'refunded', 'reissued', 'buyer_error', 'escalated_to_shop', 'no_response', 'other'];

const ENV: Record<string, string> = {
  LOG_LEVEL: 'error',
  TRUST_PROXY: 'loopback', // X-Forwarded-* are believed from loopback: more header paths to fuzz
  DIRECTLINE_SECRET: SECRET,
  DIRECTLINE_RATE_PER_MIN: '1000000', // reach the turn, not the rate limiter
  LOOKUP_RATE_LIMIT: '1000000',
  UPLOAD_MAX_BYTES: '32768',
  UPLOAD_MAX_FILES: '2',
  AGENT_HOURS: '00:00-24:00',
  WECHAT_OA_TOKEN: OA.token,
  WECHAT_OA_APPID: OA.appId,
  WECHAT_OA_APPSECRET: 'oa-secret',
  WECHAT_OA_AES_KEY: OA.aesKey,
  WECHAT_OA_API_BASE: UNREACHABLE,
  WECOM_CORP_ID: WECOM.corpId,
  WECOM_AGENT_ID: WECOM.agentId,
  WECOM_TOKEN: WECOM.token,
  WECOM_AES_KEY: WECOM.aesKey,
  WECOM_SECRET: 'wecom-secret',
  WECOM_API_BASE: UNREACHABLE,
  WECHAT_REPLY_DEADLINE_MS: '1500',
  BOTFRAMEWORK_EMULATOR: 'true', // where /api/messages without credentials must be switched on (ignored where it is on by default)
};
/** A second server where /api/messages demands Bot Framework credentials (the auth gate; tokens are never valid, so nothing is fetched). */
const BF_AUTH_ENV: Record<string, string> = {
  LOG_LEVEL: 'error',
  MICROSOFT_APP_ID: BF_APP_ID,
  MICROSOFT_APP_PASSWORD: 'fuzz-app-password',
  MICROSOFT_APP_TENANT_ID: 'fuzz-tenant',
  MICROSOFT_APP_TYPE: 'MultiTenant',
};

// ---------------------------------------------------------------------------------------------
// Cases and outcomes

type HeaderList = Array<[string, string]>;
interface HttpCase {
  t: 'http';
  method: string;
  path: string;
  headers: HeaderList;
  body?: string | Buffer;
  server?: 'main' | 'bfauth';
}
/** Bytes on a socket: `finish` 'close' = a complete request (must be answered), 'linger' = incomplete on purpose, 'reset' = reset after writing. */
interface RawCase {
  t: 'raw';
  label: string;
  chunks: Buffer[];
  finish: 'close' | 'linger' | 'reset';
  gapMs?: number;
}
/** The ws client library: a real handshake, then messages. */
interface WsClientCase {
  t: 'ws';
  url: string;
  headers: Record<string, string>;
  send: Array<string | Buffer>;
  ping?: Buffer;
}
type Case = HttpCase | RawCase | WsClientCase;

interface Outcome {
  status?: number;
  statuses?: number[];
  timedOut?: boolean;
  /** The connection failed without an HTTP answer. */
  error?: string;
  head?: string;
  ms: number;
}

interface Fixture {
  base: string;
  port: number;
  host: string;
  bfBase: string;
  dl: { main: Conv; buyer: Conv; other: Conv; fresh: Conv };
  attachment: { id: string; sig: string };
  agent: { cookie: string; csrf: string; id: string };
  /** A second session (the other agent), for the sign-out endpoint. */
  logoutAgent: { cookie: string; csrf: string; id: string };
  otherAgentId: string;
  handoffId: string;
  ticketId: string;
  oa: MessageCrypto;
  oaWrongId: MessageCrypto;
  wecom: MessageCrypto;
  /** Secret-looking values → names, so reports say {main.token} instead of 300 random characters. */
  names: Array<[string, string]>;
}
interface Conv {
  cid: string;
  token: string;
  streamUrl?: string;
}

interface Endpoint {
  name: string;
  /** Fixed inputs, run first in round 0 (known crashes and edge cases). */
  probes?: (f: Fixture) => Case[];
  gen: (rng: Rng, f: Fixture) => Case;
  cases?: number;
}

// ---------------------------------------------------------------------------------------------
// Process-level recorder: an error nobody caught must fail this test, not kill the worker.

interface Crash {
  origin: string;
  error: string;
  during?: string;
}
const crashes: Crash[] = [];
let currentCase: string | undefined;
const fmtErr = (e: unknown) => {
  if (!(e instanceof Error)) return `non-error: ${String(e)}`;
  const code = (e as { code?: unknown }).code;
  return `${typeof code === 'string' ? `[${code}] ` : ''}${e.stack ?? `${e.name}: ${e.message}`}`.split('\n').slice(0, 14).join('\n');
};
/** Aborted shortly after a crash: the request that crashed the server is usually never answered, and waiting out its timeout only costs time. */
let caseAbort = new AbortController();
const crashed = (c: Crash) => {
  crashes.push(c);
  const ctl = caseAbort;
  setTimeout(() => ctl.abort(), 150).unref();
};
const onException = (err: unknown, origin?: string) => crashed({ origin: origin ?? 'uncaughtException', error: fmtErr(err), during: currentCase });
const onRejection = (reason: unknown) => crashed({ origin: 'unhandledRejection', error: fmtErr(reason), during: currentCase });
let savedListeners: { exc: NodeJS.UncaughtExceptionListener[]; rej: NodeJS.UnhandledRejectionListener[] } | undefined;

// ---------------------------------------------------------------------------------------------
// Generators shared by endpoints

const PHRASES = [
  '付款了怎么查不到单号',
  '查订单',
  '没有订单号',
  '卡密在哪看',
  '转人工',
  '不用了',
  '查看卡密',
  '昨晚八点',
  '今天下午三点付的款',
  '13812345678',
  '8888',
  'K8PL3MZ7Q2XV9TRB',
  'DJ20261123120055QWER',
  'K7QX9ZP2M4RT8WNA',
  '重新开始',
  '取消',
  '帮助',
  '5',
  '1',
  '好的',
  '谢谢',
  '退款',
  '我要投诉 你们是骗子',
  '12315',
  '话费充值 50元 还没到账',
  '卡密和订单号有什么区别',
  'Q币',
  '4200001234202611231234567890',
  'zhangwei@example.com',
];
const ORDER_NOS = ['K8PL3MZ7Q2XV9TRB', 'DJ20261123120055QWER', 'K7QX9ZP2M4RT8WNA', 'FZ00000000000001', 'K8PL3MZ7Q2XV9TRC', '0000000000000000', 'A'.repeat(64)];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND', 'FOO'];
const SAFE_URLS = [
  `${UNREACHABLE}/pic.jpg`,
  'https://127.0.0.1:9/x.png',
  'ftp://127.0.0.1:9/x',
  'javascript:alert(1)',
  'file:///etc/passwd',
  '',
  'not a url',
  'http://[::1]:9/a',
  'data:image/png;base64,iVBORw0KGgo=',
];

/** encodeURIComponent that does not throw on lone surrogates (they become U+FFFD, as a browser would send them). */
const enc = (s: string) => encodeURIComponent(s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));
const textish = (rng: Rng) =>
  rng.choose<string>([
    [5, () => rng.pick(PHRASES)],
    [4, () => nastyString(rng)],
    [1, () => `${rng.pick(PHRASES)} ${rng.pick(ORDER_NOS)}`],
  ]);
const method = (rng: Rng, right: string) => (rng.bool(0.85) ? right : rng.pick(METHODS));
/** A path segment: usually the real one, sometimes anything (encoded, or a raw malformed escape). */
const seg = (rng: Rng, real: string) =>
  rng.choose<string>([
    [8, () => real],
    [1, () => rng.alnum(rng.range(1, 30))],
    [1, () => enc(nastyString(rng)).slice(0, 3000)],
    [1, () => rng.pick(['%', '%E0%A4%A', '%zz', '%00', '%2F', '..', '.', '%2e%2e', '%C0%AE', 'x'.repeat(3000), enc('\u0000')])],
  ]);
const query = (rng: Rng, params: Record<string, string>) => {
  const parts = Object.entries(params).map(([k, v]) => `${k}=${enc(v)}`);
  if (rng.bool(0.1)) parts.push(`${rng.pick(Object.keys(params).concat(['x']))}=${enc(nastyString(rng))}`); // duplicated / extra
  if (rng.bool(0.05)) parts.push(rng.pick(['%', '%zz=1', 'a[b]=1', 'a[__proto__][x]=1', '__proto__=1', '&&&', '=']));
  return parts.length ? `?${parts.join('&')}` : '';
};

/** Extra headers any request may carry. */
function noise(rng: Rng, f?: { base: string }): HeaderList {
  const h: HeaderList = [];
  if (rng.bool(0.04)) h.push(['x-pad', 'a'.repeat(rng.pick([9000, 20_000]))]); // over Node's 16 kB header limit → 431
  if (rng.bool(0.08)) h.push(['origin', rng.pick([f?.base ?? 'http://127.0.0.1', 'https://evil.example', 'null', '', headerSafe(nastyString(rng))])]);
  if (rng.bool(0.06)) h.push(['x-forwarded-for', rng.pick(['1.2.3.4', 'garbage', '::1, 8.8.8.8', '', headerSafe(nastyString(rng)), '1.1.1.1,'.repeat(500)])]);
  if (rng.bool(0.06)) h.push(['x-forwarded-proto', rng.pick(['https', 'http', 'gopher', '', 'https, http'])]);
  if (rng.bool(0.04)) h.push(['x-forwarded-host', rng.pick(['evil.example', '', '[::1', headerSafe(nastyString(rng))])]);
  if (rng.bool(0.05)) h.push(['accept', rng.pick(['*/*', 'application/xml', '', 'text/html;q=abc', '*/*;q=0'])]);
  if (rng.bool(0.04)) h.push(['accept-encoding', rng.pick(['gzip', 'br', 'identity;q=0', '*;q=0', 'x'.repeat(500)])]);
  return h.map(([k, v]) => [k, headerSafe(v)] as [string, string]);
}

/** Content-Type for a JSON endpoint: mostly right. */
function jsonType(rng: Rng): HeaderList {
  return rng.choose<HeaderList>([
    [12, () => [['content-type', 'application/json']]],
    [1, () => [['content-type', 'application/json; charset=utf-8']]],
    [
      1,
      () => [
        [
          'content-type',
          rng.pick([
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data',
            'application/xml',
            'APPLICATION/JSON',
            'application/*+json',
            'application/json; charset=latin1',
            'application/json; charset=bogus',
            'application/json; charset=utf-16',
            '',
          ]),
        ],
      ],
    ],
    [1, () => []],
    [
      1,
      () => [
        ['content-type', 'application/json'],
        ['content-type', rng.pick(['text/plain', 'application/json'])],
      ],
    ], // duplicated (fetch joins with a comma)
  ]);
}

/** Sometimes compress the body (and say so), sometimes only claim to. */
function encode(rng: Rng, body: string, headers: HeaderList): string | Buffer {
  if (!rng.bool(0.06)) return body;
  return rng.choose<string | Buffer>([
    [2, () => (headers.push(['content-encoding', 'gzip']), zlib.gzipSync(body))],
    [1, () => (headers.push(['content-encoding', 'deflate']), zlib.deflateSync(body))],
    [1, () => (headers.push(['content-encoding', 'gzip']), zlib.gzipSync(Buffer.alloc(2_000_000, 0x5b)))], // a small bomb: 2 MB of '['
    [1, () => (headers.push(['content-encoding', rng.pick(['gzip', 'br', 'deflate', 'compress', 'bogus', 'gzip, gzip'])]), body)], // claimed, not done
  ]);
}

/** A JSON body: the template (entries) mutated, or anything at all. */
function jsonBody(rng: Rng, template: () => string): string {
  return rng.choose<string>([
    [12, template],
    [2, () => brokenJson(rng)],
    [1, () => jsonValue(rng, 3)],
    [1, () => rng.pick([deepArray(rng.pick([5000, 30_000])), deepObject(rng.pick([2000, 8000])), deepMixed(4000)])],
  ]);
}

/** A field value: usually the right type, sometimes anything. */
const fieldOr = (rng: Rng, right: () => string, p = 0.85) => (rng.bool(p) ? right() : jsonValue(rng, 2));
const extraFields = (rng: Rng): Array<[string, string]> =>
  rng.bool(0.3)
    ? Array.from({ length: rng.range(1, 3) }, () =>
        rng.choose<[string, string]>([
          [3, () => [rng.pick(['__proto__', 'constructor', 'prototype']), rng.pick(['{"polluted":true}', '{"prototype":{"polluted":true}}', 'null', '1'])]],
          [3, () => [nastyString(rng).slice(0, 50), jsonValue(rng, 2)]],
          [1, () => ['deep', rng.pick([deepArray(rng.pick([1000, 5000])), deepObject(rng.pick([1000, 3000]))])]],
        ]),
      )
    : [];

// ---------------------------------------------------------------------------------------------
// Direct Line

function dlAuth(rng: Rng, f: Fixture, own: Conv = f.dl.main): HeaderList {
  const payload = own.token.split('.')[0]!;
  const v = rng.choose<string | undefined>([
    [14, () => `Bearer ${own.token}`],
    [1, () => `Bearer ${f.dl.other.token}`],
    [1, () => `Bearer ${SECRET}`],
    [1, () => undefined],
    [
      1,
      () => rng.pick(['Bearer', 'Bearer ', 'Basic YTpi', 'Token x', `bearer    ${own.token}   `, `Bearer ${own.token}, Bearer ${f.dl.other.token}`, `Bearer ${own.token} extra`]),
    ],
    [1, () => `Bearer ${payload}.${rng.alnum(43)}`], // the real claims, a forged MAC
    [1, () => `Bearer ${own.token}.x`],
    [1, () => `Bearer ${Buffer.from(JSON.stringify({ cid: own.cid, uid: 'dl_x', exp: 9_999_999_999 })).toString('base64url')}.${rng.alnum(43)}`],
    [1, () => `Bearer ${'A'.repeat(rng.pick([4096, 4097, 12_000]))}`],
    [1, () => `Bearer ${headerSafe(nastyString(rng))}`],
  ]);
  return v === undefined ? [] : [['authorization', headerSafe(v)]];
}
const cidOf = (rng: Rng, f: Fixture, own: Conv = f.dl.main) =>
  rng.choose<string>([
    [9, () => own.cid],
    [1, () => f.dl.other.cid],
    [2, () => seg(rng, own.cid)],
  ]);

/** An inbound activity as Web Chat would post it, mutated. */
function activity(rng: Rng, _f: Fixture): string {
  const e: Array<[string, string]> = [];
  e.push([
    'type',
    fieldOr(
      rng,
      () =>
        j(
          rng.choose<string>([
            [12, () => 'message'],
            [1, () => rng.pick(['event', 'typing', 'invoke', 'conversationUpdate', 'endOfConversation', 'trace', 'handoff', 'messageReaction', 'installationUpdate', 'MESSAGE'])],
            [1, () => nastyString(rng).slice(0, 40)],
          ]),
        ),
      0.92,
    ),
  ]);
  if (rng.bool(0.85)) e.push(['text', fieldOr(rng, () => j(textish(rng)))]);
  if (rng.bool(0.5))
    e.push([
      'from',
      fieldOr(rng, () =>
        jobj([
          ['id', j(rng.pick(['dl_x', 'dl_user', 'bot', nastyString(rng).slice(0, 200)]))],
          ...(rng.bool(0.3) ? [['name', j(nastyString(rng).slice(0, 80))] as [string, string]] : []),
          ...(rng.bool(0.2) ? [['role', j(rng.pick(['bot', 'user', 'skill']))] as [string, string]] : []),
        ]),
      ),
    ]);
  if (rng.bool(0.2)) e.push(['locale', fieldOr(rng, () => j(rng.pick(['zh-CN', 'en-US', '', 'x'.repeat(17), nastyString(rng).slice(0, 16)])))]);
  if (rng.bool(0.3))
    e.push([
      'channelData',
      fieldOr(rng, () =>
        jobj([
          ['clientActivityID', j(rng.alnum(12))],
          ...(rng.bool(0.5)
            ? [
                [
                  'buyer',
                  jobj([
                    ['id', j(rng.pick(['u1001', 'u1002', nastyString(rng)]))],
                    ['contact', j('13812345678')],
                  ]),
                ] as [string, string],
              ]
            : []),
          ...(rng.bool(0.3) ? [['clientKey', j(nastyString(rng))] as [string, string]] : []),
          ...extraFields(rng),
        ]),
      ),
    ]);
  if (rng.bool(0.2)) e.push(['value', jsonValue(rng, 3)]);
  if (rng.bool(0.15)) e.push(['name', fieldOr(rng, () => j(rng.pick(['webchat/join', 'handoff.initiate', 'x'.repeat(65), nastyString(rng).slice(0, 64)])))]);
  if (rng.bool(0.2))
    e.push([
      'attachments',
      fieldOr(rng, () =>
        jarr(
          Array.from({ length: rng.range(0, 11) }, () =>
            rng.bool(0.7)
              ? jobj([
                  ['contentType', j(rng.pick(['image/png', 'text/html', 'application/vnd.microsoft.card.adaptive', nastyString(rng)]))],
                  ['contentUrl', j(rng.pick(SAFE_URLS))],
                  ['name', j(nastyString(rng).slice(0, 100))],
                ])
              : jsonValue(rng, 2),
          ),
        ),
      ),
    ]);
  if (rng.bool(0.15)) e.push(['entities', fieldOr(rng, () => jarr(Array.from({ length: rng.range(0, 21) }, () => jsonValue(rng, 2))))]);
  if (rng.bool(0.15))
    e.push([
      rng.pick([
        'conversation',
        'recipient',
        'id',
        'timestamp',
        'localTimestamp',
        'replyToId',
        'serviceUrl',
        'channelId',
        'suggestedActions',
        'membersAdded',
        'textFormat',
        'inputHint',
        'attachmentLayout',
        'deliveryMode',
      ]),
      jsonValue(rng, 2),
    ]);
  e.push(...extraFields(rng));
  return jobj(e);
}

/** A deeply nested value placed where the activity schema lets it through. */
function deepActivities(): string[] {
  const slots = (deep: string) => [
    `{"type":"message","text":"hi","value":${deep}}`,
    `{"type":"message","text":"hi","channelData":{"x":${deep}}}`,
    `{"type":"message","text":"hi","entities":[${deep}]}`,
    `{"type":"message","text":"hi","attachments":[${deep}]}`,
    `{"type":"message","text":"hi","from":{"id":"dl_x","extra":${deep}}}`,
    `{"type":"message","text":"hi","somethingElse":${deep}}`,
    `{"type":"event","name":"webchat/join","value":${deep}}`,
  ];
  return [...slots(deepArray(30_000)), ...slots(deepObject(8000)), deepArray(30_000), deepObject(8000), `{"type":"message","text":"hi","value":${deepArray(1500)}}`];
}

function uploadCase(rng: Rng, f: Fixture): HttpCase {
  const boundary = rng.choose<string>([
    [6, () => `----WebKitFormBoundary${rng.alnum(16)}`],
    [2, () => 'zzz'],
    [1, () => rng.pick(['a'.repeat(70), 'a'.repeat(71), ' ', 'x y', '"q"', 'üñï', '--', '\u0000'])],
  ]);
  const parts: Part[] = [];
  const n = rng.range(0, 6);
  for (let i = 0; i < n; i++) {
    parts.push(
      rng.choose<Part>([
        [
          3,
          () => ({
            headers: ['Content-Disposition: form-data; name="activity"', ...(rng.bool(0.5) ? ['Content-Type: application/vnd.microsoft.activity'] : [])],
            data: rng.bool(0.8) ? activity(rng, f) : rng.pick([brokenJson(rng), deepActivities()[rng.int(9)]!.slice(0, 65_000), 'x'.repeat(70_000)]),
          }),
        ],
        [
          1,
          () => ({
            headers: ['Content-Disposition: form-data; name="activity"; filename="blob"', 'Content-Type: application/vnd.microsoft.activity'],
            data: rng.bool(0.8) ? activity(rng, f) : 'x'.repeat(rng.pick([10, 70_000])),
          }),
        ],
        [
          5,
          () => {
            const kind = rng.pick(Object.keys(FILES));
            const name = rng.pick([
              'pay.png',
              '付款截图.png',
              '../../etc/passwd',
              'a\u0000.png',
              '',
              'x'.repeat(300),
              'a".png',
              'a\r\n.png',
              enc('付款.png'),
              nastyString(rng).slice(0, 60),
            ]);
            const data = rng.bool(0.1) ? Buffer.concat([FILES[kind]!, rng.bytes(rng.pick([10, 40_000]))]) : FILES[kind]!;
            return {
              headers: [
                `Content-Disposition: form-data; name="${rng.pick(['file', 'file', 'attachment', ''])}"; filename="${name.replace(/[\r\n]/g, '')}"`,
                `Content-Type: ${rng.pick(['image/png', 'image/svg+xml', 'text/html', 'application/octet-stream', 'application/pdf', ''])}`,
              ],
              data,
            };
          },
        ],
        [
          1,
          () => ({
            headers: rng.pick([
              [],
              ['Content-Disposition: form-data'],
              ['Content-Disposition: attachment; name="file"'],
              ['X: y'],
              [`Content-Disposition: form-data; name="${'n'.repeat(2000)}"`],
              ['Content-Disposition: form-data; name="file"; filename*=UTF-8\'\'%E4%BB%98.png'],
            ]),
            data: rng.bytes(rng.range(0, 50)),
          }),
        ],
        [1, () => ({ headers: ['Content-Disposition: form-data; name="field"'], data: nastyString(rng) })],
      ]),
    );
  }
  const end = rng.choose<'close' | 'none' | 'dashes-only' | 'garbage' | 'no-crlf'>([
    [6, () => 'close'],
    [2, () => 'none'],
    [1, () => 'dashes-only'],
    [1, () => 'garbage'],
    [1, () => 'no-crlf'],
  ]);
  let body: Buffer = multipart(boundary, parts, end);
  if (rng.bool(0.1)) body = body.subarray(0, rng.int(body.length + 1)); // cut anywhere
  const ctype = rng.choose<string | undefined>([
    [8, () => `multipart/form-data; boundary=${boundary}`],
    [1, () => `multipart/form-data; boundary="${boundary}"`],
    [
      1,
      () =>
        rng.pick([
          'multipart/form-data',
          'multipart/form-data; boundary=',
          `multipart/form-data; boundary=other`,
          `multipart/mixed; boundary=${boundary}`,
          `Multipart/Form-Data; BOUNDARY=${boundary}`,
          `multipart/form-data; boundary=${boundary}; charset=bogus`,
          'application/json',
          undefined,
        ]),
    ],
  ]);
  const headers: HeaderList = [...dlAuth(rng, f), ...(ctype === undefined ? [] : [['content-type', headerSafe(ctype)] as [string, string]]), ...noise(rng, f)];
  return {
    t: 'http',
    method: method(rng, 'POST'),
    path: `/v3/directline/conversations/${cidOf(rng, f)}/upload${rng.bool(0.2) ? query(rng, { userId: 'dl_x' }) : ''}`,
    headers,
    body,
  };
}

const TRUNCATED_UPLOAD = '--zzz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc';

// ---------------------------------------------------------------------------------------------
// WeChat

let msgSeq = 0;
function pushXml(rng: Rng, channel: 'oa' | 'wecom'): string {
  const now = Math.floor(Date.now() / 1000);
  const val = (s: string) =>
    rng.choose<string>([
      [7, () => cdata(s)],
      [2, () => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')],
      [1, () => s],
    ]);
  const user = rng.choose<string>([
    [8, () => `o-fuzz-${channel}-${rng.int(4)}`],
    [1, () => nastyString(rng).slice(0, 120)],
    [1, () => ''],
  ]);
  const type = rng.choose<string>([
    [7, () => 'text'],
    [1, () => 'voice'],
    [1, () => 'image'],
    [3, () => 'event'],
    [1, () => rng.pick(['video', 'shortvideo', 'location', 'link', 'file', 'miniprogrampage', 'TEXT'])],
    [1, () => nastyString(rng).slice(0, 30)],
  ]);
  const createTime = rng.choose<string>([
    [12, () => String(now)],
    [1, () => rng.pick(['', 'abc', '-1', '0', '1.5', '99999999999999999999', String(now * 1000), '1e10', ' 1', 'NaN', String(Number.MAX_SAFE_INTEGER + 2)])],
  ]);
  const fields: Array<[string, string]> = [
    ['ToUserName', val(channel === 'wecom' ? WECOM.corpId : 'gh_0123456789ab')],
    ['FromUserName', val(user)],
    ['CreateTime', createTime],
    ['MsgType', val(type)],
  ];
  if (type === 'text' || rng.bool(0.1)) fields.push(['Content', val(textish(rng))]);
  if (type === 'voice') {
    fields.push(['MediaId', val('m1')], ['Format', val('amr')]);
    if (rng.bool(0.7)) fields.push(['Recognition', val(textish(rng))]);
  }
  if (type === 'image' || rng.bool(0.05)) fields.push(['PicUrl', val(rng.pick(SAFE_URLS))], ['MediaId', val(rng.alnum(20))]);
  if (type === 'event' || rng.bool(0.05)) {
    fields.push([
      'Event',
      val(
        rng.choose<string>([
          [8, () => rng.pick(['subscribe', 'unsubscribe', 'CLICK', 'click', 'SCAN', 'VIEW', 'LOCATION', 'TEMPLATESENDJOBFINISH', 'enter_agent'])],
          [1, () => nastyString(rng).slice(0, 40)],
        ]),
      ),
    ]);
    if (rng.bool(0.7))
      fields.push([
        'EventKey',
        val(
          rng.choose<string>([
            [6, () => rng.pick(['ORDER_STATUS', 'NO_ORDER_NO', 'CARD_CODE', 'HUMAN_AGENT', 'qrscene_123', 'http://127.0.0.1:9/'])],
            [1, () => nastyString(rng).slice(0, 60)],
          ]),
        ),
      ]);
  }
  if (type === 'location') fields.push(['Location_X', '23.134521'], ['Location_Y', 'abc'], ['Scale', '20'], ['Label', val(nastyString(rng))]);
  if (type !== 'event' && rng.bool(0.9))
    fields.push([
      'MsgId',
      rng.choose<string>([
        [10, () => String(6054768590064713728n + BigInt(rng.int(1_000_000_000)) + BigInt(msgSeq++))],
        [1, () => rng.pick(['', 'abc', '-1', '1'.repeat(40), '6054768590064713728'])],
        [1, () => val(nastyString(rng).slice(0, 40))],
      ]),
    ]);
  if (channel === 'wecom') fields.push(['AgentID', rng.bool(0.9) ? WECOM.agentId : val(nastyString(rng).slice(0, 20))]);
  if (rng.bool(0.15)) {
    fields.push(
      rng.choose<[string, string]>([
        [2, () => ['ScanCodeInfo', `<ScanType>${cdata('qrcode')}</ScanType><ScanResult>${cdata(nastyString(rng))}</ScanResult>`]],
        [1, () => ['SendPicsInfo', `<Count>2</Count><PicList><item><PicMd5Sum>a</PicMd5Sum></item><item><PicMd5Sum>b</PicMd5Sum></item></PicList>`]],
        [1, () => [rng.pick(['__proto__', 'constructor', 'prototype', 'hasOwnProperty']), '<polluted>1</polluted>']],
        [1, () => ['Content', val(nastyString(rng))]], // repeated element
        [1, () => ['Extra', `${'<a>'.repeat(300)}x${'</a>'.repeat(300)}`]],
      ]),
    );
  }
  if (rng.bool(0.15)) fields.sort(() => (rng.bool() ? 1 : -1));
  const xml = xmlOf(fields);
  return rng.choose<string>([
    [12, () => xml],
    [1, () => `<?xml version="1.0" encoding="utf-8"?>\n${xml}`],
    [1, () => `\ufeff  ${xml}\n`],
  ]);
}

const timestampNow = () => String(Math.floor(Date.now() / 1000));
function timestampOf(rng: Rng): string | undefined {
  return rng.choose<string | undefined>([
    [12, timestampNow],
    [1, () => String(Math.floor(Date.now() / 1000) - 100_000)],
    [1, () => rng.pick(['', 'abc', '1'.repeat(13), `${timestampNow()}.5`, ` ${timestampNow()}`, '-1', '0x10'])],
    [1, () => undefined],
  ]);
}
function qs(params: Array<[string, string | undefined]>): string {
  const s = params
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${enc(v!)}`)
    .join('&');
  return s ? `?${s}` : '';
}
const xmlType = (rng: Rng): HeaderList =>
  rng.choose<HeaderList>([
    [8, () => [['content-type', 'text/xml']]],
    [
      2,
      () => [
        [
          'content-type',
          rng.pick(['application/xml', 'text/plain', 'application/json', 'text/xml; charset=gbk', 'text/xml; charset=bogus', 'multipart/form-data; boundary=x', '']),
        ],
      ],
    ],
    [1, () => []],
  ]);
const ENC_PARAMS = (rng: Rng, crypto: MessageCrypto, encrypted: string, extra: Array<[string, string | undefined]> = []) => {
  const ts = timestampOf(rng);
  const nonce = rng.bool(0.9) ? rng.alnum(10) : nastyString(rng).slice(0, 100);
  const sig = rng.choose<string | undefined>([
    [10, () => crypto.signature(ts ?? '', nonce, encrypted)],
    [1, () => rng.alnum(40).toLowerCase()],
    [1, () => undefined],
    [1, () => crypto.signature(ts ?? '', nonce, encrypted).toUpperCase()],
  ]);
  return qs([['msg_signature', sig], ['timestamp', ts], ['nonce', nonce], ...extra]);
};
function encryptedPush(rng: Rng, crypto: MessageCrypto, wrong: MessageCrypto | undefined, inner: string): string {
  return rng.choose<string>([
    [10, () => crypto.encrypt(inner, rng.bytes(16))],
    [wrong ? 1 : 0, () => wrong!.encrypt(inner, rng.bytes(16))],
    [1, () => rng.bytes(rng.pick([16, 32, 48, 1000])).toString('base64')],
    [1, () => rng.pick(['', 'not base64!', '====', 'AAAA', 'A'.repeat(43), crypto.encrypt(inner, rng.bytes(16)).slice(0, -4), `${crypto.encrypt(inner, rng.bytes(16))}\n`])],
  ]);
}

// ---------------------------------------------------------------------------------------------
// Agent console

function agentAuth(rng: Rng, f: Fixture, who: Fixture['agent'] = f.agent): HeaderList {
  const valid: HeaderList = [['cookie', who.cookie], ['x-csrf-token', who.csrf], ...(rng.bool(0.8) ? [['origin', f.base] as [string, string]] : [])];
  const mode = rng.choose<string>([
    [10, () => 'valid'],
    [1, () => 'none'],
    [1, () => 'forged-csrf'],
    [1, () => 'no-csrf'],
    [1, () => 'evil-origin'],
    [1, () => 'forged-cookie'],
    [2, () => 'bad-cookie'],
  ]);
  switch (mode) {
    case 'valid':
      return valid;
    case 'none':
      return [];
    // (fetch trims header values: a CSRF token with a trailing space would be the real one)
    case 'forged-csrf':
      return [
        ['cookie', who.cookie],
        ['x-csrf-token', rng.pick(['forged', '', who.csrf.slice(1), `${who.csrf}x`, `x${who.csrf}`, f.agent.csrf === who.csrf ? 'forged2' : f.agent.csrf])],
        ['origin', f.base],
      ];
    case 'no-csrf':
      return [
        ['cookie', who.cookie],
        ['origin', f.base],
      ];
    case 'evil-origin':
      return [
        ['cookie', who.cookie],
        ['x-csrf-token', who.csrf],
        ['origin', rng.pick(['https://evil.example', 'null', f.base.replace('http:', 'https:'), `${f.base}/`, f.base.toUpperCase()])],
      ];
    case 'forged-cookie':
      return [
        ['cookie', `kamen_agent=${rng.alnum(43)}`],
        ['x-csrf-token', who.csrf],
        ['origin', f.base],
      ];
    default:
      return [
        [
          'cookie',
          headerSafe(
            rng.pick([
              'kamen_agent=%',
              'kamen_agent=%E0%A4%A',
              'kamen_agent=%zz',
              `kamen_agent=${'a'.repeat(300)}`,
              'kamen_agent',
              'kamen_agent=',
              '=; ;;',
              ';',
              `kamen_agent=a; ${who.cookie}`,
              `${who.cookie}; kamen_agent=b`,
              `kamen_agent="${who.cookie.split('=')[1]}"`,
              `kamen_agent=${enc('中文')}`,
              `${'x=y; '.repeat(2000)}`,
              headerSafe(nastyString(rng)),
            ]),
          ),
        ],
        ['x-csrf-token', who.csrf],
        ['origin', f.base],
      ];
  }
}
function agentCall(rng: Rng, f: Fixture, right: string, p: string, body?: () => string, who: Fixture['agent'] = f.agent): HttpCase {
  const m = method(rng, right);
  const headers = [...agentAuth(rng, f, who), ...noise(rng, f)];
  let b: string | Buffer | undefined;
  if (body && (m !== 'GET' && m !== 'HEAD' ? rng.bool(0.92) : rng.bool(0.05))) {
    headers.push(...jsonType(rng));
    b = encode(rng, jsonBody(rng, body), headers);
  }
  return { t: 'http', method: m, path: p, headers, body: b };
}
const textBody = (rng: Rng) => () =>
  jobj([
    [
      'text',
      fieldOr(rng, () =>
        j(
          rng.choose<string>([
            [6, () => textish(rng)],
            [1, () => rng.pick(['', '   ', 'x'.repeat(2001), '\u0000', '\u200b'])],
          ]),
        ),
      ),
    ],
    ...extraFields(rng),
  ]);

// ---------------------------------------------------------------------------------------------
// Raw HTTP (framing, headers the fetch API cannot send)

function routeTargets(f: Fixture): string[] {
  const c = f.dl.main;
  return [
    '/healthz',
    '/api/chat/start',
    '/api/chat',
    '/api/directline/token',
    '/v3/directline/tokens/generate',
    '/v3/directline/tokens/refresh',
    '/v3/directline/conversations',
    `/v3/directline/conversations/${c.cid}`,
    `/v3/directline/conversations/${c.cid}/activities`,
    `/v3/directline/conversations/${c.cid}/upload`,
    `/v3/directline/attachments/${f.attachment.id}/${f.attachment.sig}`,
    '/api/messages',
    `/wechat/oa?timestamp=${timestampNow()}&nonce=1&signature=x`,
    '/wechat/wecom?timestamp=1',
    '/agent',
    '/agent/api/login',
    '/agent/api/me',
    '/agent/api/queue',
    `/agent/api/handoffs/${f.handoffId}/notes`,
    '/demo/orders?buyer=u1001',
    '/demo/login-token',
    '/',
    '/chat.js',
    '/nope',
  ];
}
function rawCase(rng: Rng, f: Fixture): RawCase {
  const target = rng.choose<string>([
    [10, () => rng.pick(routeTargets(f))],
    [
      3,
      () =>
        rng.pick([
          '*',
          `http://${f.host}/healthz`,
          'http://evil.example/healthz',
          '//[',
          '//x/healthz',
          '/%',
          '/%zz/..',
          '/a b',
          '/\u00ff',
          '/healthz#frag',
          '/../../etc/passwd',
          '/.%2e/.%2e/package.json',
          '/%2e%2e%2fpackage.json',
          '/src/app.ts',
          '/demo.ts',
          `/healthz?${'a'.repeat(9000)}`,
          `/${'a'.repeat(20_000)}`,
          '',
          'healthz',
          '/\t/',
          '/%00',
        ]),
    ],
  ]);
  const m = rng.choose<string>([
    [10, () => rng.pick(['GET', 'POST'])],
    [2, () => rng.pick(['PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE', 'CONNECT', 'PROPFIND', 'MKCOL'])],
    [1, () => rng.pick(['get', 'FOO', 'G ET', 'GET\u0000', 'POST /', '', 'ПОСТ'])],
  ]);
  const version = rng.choose<string>([
    [12, () => 'HTTP/1.1'],
    [2, () => 'HTTP/1.0'],
    [1, () => rng.pick(['HTTP/0.9', 'HTTP/2.0', 'HTTP/1.2', '', 'HTTP/11', 'http/1.1', 'HTTP/1.1 extra', 'HTTP/9.9'])],
  ]);
  const body = rng.choose<string>([
    [3, () => ''],
    [5, () => activity(rng, f)],
    [2, () => pushXml(rng, 'oa')],
    [1, () => brokenJson(rng)],
    [1, () => unicodeString(rng, rng.range(1, 200))],
  ]);
  const bodyBytes = Buffer.from(body, 'utf8');
  const headers: HeaderList = [];
  const host = rng.choose<string | undefined>([
    [12, () => f.host],
    [1, () => undefined],
    [1, () => rng.pick(['', 'evil.example', '[::1', 'a'.repeat(3000), `${f.host}, evil.example`, 'localhost:99999', 'ünï.example'])],
  ]);
  if (host !== undefined) headers.push(['Host', host]);
  if (rng.bool(0.05)) headers.push(['Host', 'second.example']);
  headers.push(
    ...rng.choose<HeaderList>([
      [6, () => [['Content-Type', 'application/json']]],
      [2, () => [['Content-Type', 'text/xml']]],
      [
        1,
        () => [
          ['Content-Type', 'application/json'],
          ['Content-Type', 'text/xml'],
        ],
      ],
      [1, () => [['Content-Type', 'multipart/form-data; boundary=zzz']]],
      [1, () => []],
    ]),
  );
  if (rng.bool(0.3)) headers.push(...dlAuth(rng, f));
  if (rng.bool(0.05)) headers.push(...dlAuth(rng, f), ...dlAuth(rng, f)); // duplicated Authorization
  if (rng.bool(0.2)) headers.push(...agentAuth(rng, f));
  let finish: RawCase['finish'] = 'close';
  let payload: Buffer = bodyBytes;
  const framing = rng.choose<string>([
    [10, () => 'cl'],
    [2, () => 'none'],
    [3, () => 'chunked'],
    [1, () => 'cl-dup-same'],
    [1, () => 'cl-dup-diff'],
    [1, () => 'cl-te'],
    [1, () => 'cl-bad'],
    [1, () => 'cl-long'],
    [1, () => 'cl-short'],
    [1, () => 'te-bad'],
    [1, () => 'chunk-bad'],
  ]);
  switch (framing) {
    case 'cl':
      headers.push(['Content-Length', String(bodyBytes.length)]);
      break;
    case 'none':
      break;
    case 'chunked':
      headers.push(['Transfer-Encoding', 'chunked']);
      payload = Buffer.concat([Buffer.from(`${bodyBytes.length.toString(16)}\r\n`), bodyBytes, Buffer.from('\r\n0\r\n\r\n')]);
      break;
    case 'cl-dup-same':
      headers.push(['Content-Length', String(bodyBytes.length)], ['Content-Length', String(bodyBytes.length)]);
      break;
    case 'cl-dup-diff':
      headers.push(['Content-Length', String(bodyBytes.length)], ['Content-Length', String(bodyBytes.length + 1)]);
      break;
    case 'cl-te':
      headers.push(['Content-Length', String(bodyBytes.length)], ['Transfer-Encoding', 'chunked']);
      break;
    case 'cl-bad':
      headers.push(['Content-Length', rng.pick(['-1', 'abc', '1e3', '99999999999999999999999', ' 5', '0x10', '1,1'])]);
      finish = 'linger';
      break; // some of these parse: then the server rightly waits for the body
    case 'cl-long':
      headers.push(['Content-Length', String(bodyBytes.length + 10)]);
      finish = 'linger';
      break;
    case 'cl-short':
      headers.push(['Content-Length', String(Math.max(0, bodyBytes.length - 5))]);
      break;
    case 'te-bad':
      headers.push(['Transfer-Encoding', rng.pick(['gzip', 'chunked, gzip', 'xchunked', 'chunked, chunked', 'identity', ' chunked'])]);
      payload = Buffer.concat([Buffer.from(`${bodyBytes.length.toString(16)}\r\n`), bodyBytes, Buffer.from('\r\n0\r\n\r\n')]);
      break;
    default: {
      headers.push(['Transfer-Encoding', 'chunked']);
      // [body, complete?]: an incomplete chunked body is rightly waited on.
      const [chunked, complete] = rng.pick<[string, boolean]>([
        ['zz\r\nabc\r\n0\r\n\r\n', true],
        ['5\r\nabc\r\n0\r\n\r\n', false],
        ['3;ext=1\r\nabc\r\n0\r\n\r\n', true],
        [`${'f'.repeat(20)}\r\nabc\r\n`, false],
        ['3\r\nabc\r\n', false],
        ['-1\r\n\r\n', true],
        ['3\r\nabc0\r\n\r\n', true],
      ]);
      payload = Buffer.from(chunked);
      if (!complete) finish = 'linger';
      break;
    }
  }
  if (rng.bool(0.15))
    headers.push(
      ...rng.pick<HeaderList>([
        [['Expect', '100-continue']],
        [['X-Folded', 'a\r\n  b']],
        [['Bad Header', 'x']],
        [['NoColon\r\nX', 'y']],
        [['X-Null', 'a\u0000b']],
        [['X-Utf8', 'ünïcödé 中文']],
        [['X-Long', 'a'.repeat(20_000)]],
        Array.from({ length: 300 }, (_, i) => [`X-H${i}`, 'v'] as [string, string]),
        [
          ['Connection', 'keep-alive, Upgrade'],
          ['Upgrade', 'h2c'],
        ],
        [['Cookie', 'kamen_agent=%']],
        [['Authorization', 'Bearer \u00ff\u00fe']],
        [['Content-Type', 'application/json; charset="\u0000"']],
      ]),
    );
  const pipelined = rng.bool(0.08);
  headers.push(['Connection', pipelined ? 'keep-alive' : 'close']);
  let bytes = Buffer.concat([rawHttp(m, target, headers, Buffer.alloc(0), version), payload]);
  if (pipelined)
    bytes = Buffer.concat([
      bytes,
      rawHttp('GET', '/healthz', [
        ['Host', f.host],
        ['Connection', 'close'],
      ]),
    ]);
  const split = rng.bool(0.2) ? rng.int(bytes.length) : 0;
  const chunks = split > 0 ? [bytes.subarray(0, split), bytes.subarray(split)] : [bytes];
  // Node answers a request line it cannot parse with 400 and closes; ones it waits on are 'linger'.
  return { t: 'raw', label: `${m} ${target.slice(0, 120)} ${version} [${framing}${pipelined ? ', pipelined' : ''}]`, chunks, finish, gapMs: split ? 5 : 0 };
}

// ---------------------------------------------------------------------------------------------
// WebSockets

function wsFrames(rng: Rng, maxPayload: number): Buffer[] {
  return Array.from({ length: rng.range(1, 4) }, () =>
    rng.choose<Buffer>([
      [4, () => wsFrame(0x1, Buffer.from(rng.bool(0.7) ? textish(rng) : JSON.stringify({ type: 'message', text: textish(rng) })))],
      [1, () => wsFrame(0x1, Buffer.alloc(0))],
      [1, () => wsFrame(0x2, rng.bytes(rng.range(0, 200)))],
      [1, () => wsFrame(0x1, Buffer.alloc(maxPayload + rng.range(1, 5000), 0x61))], // over maxPayload
      [1, () => wsFrame(0x9, rng.bytes(rng.range(0, 125)))],
      [1, () => wsFrame(0xa, rng.bytes(10))],
      [1, () => wsFrame(0x9, rng.bytes(126))], // control frame too long
      [1, () => wsFrame(0x1, Buffer.from('unmasked'), { mask: false })],
      [1, () => wsFrame(0x1, Buffer.from('rsv'), { rsv: rng.range(1, 7) })],
      [1, () => wsFrame(rng.pick([0x3, 0x4, 0x7, 0xb, 0xf]), Buffer.from('bad opcode'))],
      [1, () => wsFrame(0x0, Buffer.from('continuation without a start'))],
      [1, () => Buffer.concat([wsFrame(0x1, Buffer.from('frag'), { fin: false }), wsFrame(0x1, Buffer.from('new text mid-message'))])],
      [1, () => wsFrame(0x9, Buffer.from('fragmented ping'), { fin: false })],
      [1, () => wsFrame(0x1, Buffer.from([0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80]))], // invalid UTF-8
      [1, () => wsFrame(0x8, Buffer.from(rng.pick([[0x03, 0xe8], [0x03, 0xed], [0x00, 0x00], [0x0f, 0xa0], [0xff, 0xff], [0x03]])))], // close codes 1000, 1005, 0, 4000, 65535, 1 byte
      [1, () => wsFrame(0x2, Buffer.alloc(8), { lengthOverride: 2n ** 63n - 1n })],
      [1, () => rng.bytes(rng.range(1, 64))],
    ]),
  );
}

function dlStreamTarget(rng: Rng, f: Fixture, valid: boolean): string {
  const c = f.dl.main;
  if (valid)
    return `/v3/directline/conversations/${c.cid}/stream?t=${enc(c.token)}${rng.bool(0.3) ? `&watermark=${enc(rng.pick(['0', '1', '-1', 'abc', '1e309', '99999999999', nastyString(rng)]))}` : ''}`;
  return rng.pick([
    `/v3/directline/conversations/${c.cid}/stream`,
    `/v3/directline/conversations/${c.cid}/stream?t=${enc(f.dl.other.token)}`,
    `/v3/directline/conversations/${f.dl.other.cid}/stream?t=${enc(c.token)}`,
    `/v3/directline/conversations/${c.cid}/stream?t=${enc(SECRET)}`,
    `/v3/directline/conversations/${c.cid}/stream?t=${'A'.repeat(5000)}`,
    `/v3/directline/conversations/${c.cid}/stream?t=${enc(c.token)}&t=x`,
    `/v3/directline/conversations/%E0%A4%A/stream?t=${enc(c.token)}`,
    `/v3/directline/conversations/%/stream?t=x`,
    `/v3/directline/conversations/${enc(nastyString(rng)).slice(0, 2000)}/stream?t=x`,
    `/v3/directline/conversations/${f.dl.fresh.cid}/stream?t=${enc(f.dl.fresh.token)}`, // token fine, conversation never started
    `/v3/directline/conversations/${c.cid}/stream/extra?t=${enc(c.token)}`,
    `/v3/directline/conversations//stream?t=x`,
    `/v3/directline/stream`,
    `//[`,
    `//x/v3/directline/conversations/${c.cid}/stream?t=${enc(c.token)}`,
    '/unknown/ws',
    '/',
    '/healthz',
    `/${'a'.repeat(8000)}`,
    '*',
  ]);
}
function agentWsHeaders(rng: Rng, f: Fixture, valid: boolean): HeaderList {
  if (valid)
    return [
      ['Cookie', f.agent.cookie],
      ['Origin', f.base],
    ];
  return rng.pick<HeaderList>([
    [],
    [['Origin', f.base]],
    [['Cookie', f.agent.cookie]],
    [
      ['Cookie', f.agent.cookie],
      ['Origin', 'https://evil.example'],
    ],
    [
      ['Cookie', 'kamen_agent=%'],
      ['Origin', f.base],
    ],
    [
      ['Cookie', 'kamen_agent=%E0%A4%A'],
      ['Origin', f.base],
    ],
    [
      ['Cookie', `kamen_agent=${'a'.repeat(201)}`],
      ['Origin', f.base],
    ],
    [
      ['Cookie', f.agent.cookie],
      ['Origin', 'null'],
    ],
    [
      ['Cookie', f.agent.cookie],
      ['Origin', f.base],
      ['Origin', 'https://evil.example'],
    ],
    [
      ['Cookie', `kamen_agent=${'x'.repeat(43)}`],
      ['Origin', f.base],
    ],
  ]);
}
function handshakeCase(rng: Rng, f: Fixture, which: 'dl' | 'agent', valid: boolean, frames: Buffer[] = []): RawCase {
  const target =
    which === 'dl'
      ? dlStreamTarget(rng, f, valid)
      : valid || rng.bool(0.7)
        ? `/agent/ws${rng.bool(0.1) ? '?x=%' : ''}`
        : rng.pick(['/agent/ws/', '/agent/WS', '/agent/ws%00', '//[', '/agent//ws']);
  const extra = which === 'agent' ? agentWsHeaders(rng, f, valid) : [];
  const broken = !valid && rng.bool(0.4);
  const opts = broken
    ? rng.pick<Parameters<typeof wsHandshake>[3]>([
        { key: null },
        { key: 'short' },
        { version: '8' },
        { version: 'abc' },
        { version: null },
        { upgrade: 'h2c' },
        { upgrade: null },
        { connection: 'keep-alive' },
        { connection: null },
        { key: '' },
      ])
    : {};
  if (rng.bool(0.1))
    extra.push(
      rng.pick<[string, string]>([
        ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits=99'],
        ['Sec-WebSocket-Extensions', '\u00ff;;;'],
        ['Sec-WebSocket-Protocol', ', , ,'],
        ['Sec-WebSocket-Protocol', 'a'.repeat(5000)],
      ]),
    );
  const hs = wsHandshake(
    target,
    f.host,
    extra.map(([k, v]) => [k, v]),
    opts,
  );
  const finish = rng.bool(0.15) ? 'reset' : 'close';
  const together = rng.bool(0.5);
  const chunks = frames.length ? (together ? [Buffer.concat([hs, ...frames])] : [hs, ...frames]) : [hs];
  return {
    t: 'raw',
    label: `WS ${which} ${target.slice(0, 150)} ${JSON.stringify(opts)} ${JSON.stringify(extra.map(([k]) => k))}${frames.length ? ` + ${frames.length} frame(s) ${frames.map((b) => b.subarray(0, 2).toString('hex')).join(',')}${together ? ' (same packet)' : ''}` : ''}${finish === 'reset' ? ' then RST' : ''}`,
    chunks,
    finish,
    gapMs: together ? 0 : 10,
  };
}

// ---------------------------------------------------------------------------------------------
// The endpoints

function endpoints(): Endpoint[] {
  const simple = (
    name: string,
    right: string,
    p: (rng: Rng, f: Fixture) => string,
    body?: (rng: Rng, f: Fixture) => () => string,
    auth?: (rng: Rng, f: Fixture) => HeaderList,
  ): Endpoint => ({
    name,
    gen: (rng, f) => {
      const m = method(rng, right);
      const headers: HeaderList = [...(auth?.(rng, f) ?? []), ...noise(rng, f)];
      let b: string | Buffer | undefined;
      if (body && (m !== 'GET' && m !== 'HEAD' ? rng.bool(0.9) : rng.bool(0.05))) {
        headers.push(...jsonType(rng));
        b = encode(rng, jsonBody(rng, body(rng, f)), headers);
      }
      return { t: 'http', method: m, path: p(rng, f), headers, body: b };
    },
  });
  const dl = '/v3/directline';
  return [
    simple('GET /healthz', 'GET', (rng) => `/healthz${rng.bool(0.2) ? query(rng, { x: nastyString(rng) }) : ''}`),

    // JSON chat API
    simple(
      'POST /api/chat/start',
      'POST',
      () => '/api/chat/start',
      (rng) => () => jobj(extraFields(rng)),
    ),
    {
      ...simple(
        'POST /api/chat',
        'POST',
        () => '/api/chat',
        (rng) => () =>
          jobj([
            ...(rng.bool(0.7)
              ? [
                  [
                    'conversationId',
                    fieldOr(rng, () =>
                      j(
                        rng.choose<string>([
                          [6, () => `fuzzconv${rng.int(5)}xx`],
                          [1, () => nastyString(rng).slice(0, 70)],
                        ]),
                      ),
                    ),
                  ] as [string, string],
                ]
              : []),
            ['text', fieldOr(rng, () => j(textish(rng)))],
            ...extraFields(rng),
          ]),
      ),
      probes: () => [
        { t: 'http', method: 'POST', path: '/api/chat', headers: [['content-type', 'application/json']], body: `{"text":"hi","x":${deepArray(16_000)}}` },
        { t: 'http', method: 'POST', path: '/api/chat', headers: [['content-type', 'application/json']], body: `{"text":"hi","x":${deepObject(5000)}}` },
        { t: 'http', method: 'POST', path: '/api/chat', headers: [['content-type', 'application/json']], body: '{"text":"\\ud800"}' },
      ],
    },

    // Direct Line: tokens
    simple(
      'POST /api/directline/token',
      'POST',
      () => '/api/directline/token',
      (rng) => () => jsonValue(rng, 2),
    ),
    {
      ...simple(
        'POST /v3/directline/tokens/generate',
        'POST',
        () => `${dl}/tokens/generate`,
        (rng) => () =>
          jobj([
            ...(rng.bool(0.7)
              ? [
                  [
                    'user',
                    fieldOr(rng, () =>
                      jobj([
                        ['id', j(rng.pick(['u1', 'dl_u1', 'a'.repeat(64), 'a'.repeat(65), 'a b', nastyString(rng)]))],
                        ...(rng.bool(0.3) ? [['name', j(nastyString(rng).slice(0, 70))] as [string, string]] : []),
                      ]),
                    ),
                  ] as [string, string],
                ]
              : []),
            ...(rng.bool(0.7)
              ? [
                  [
                    'buyer',
                    fieldOr(rng, () =>
                      jobj([
                        ['id', j(rng.pick(['u1001', 'u1002', 'nobody', '', 'a'.repeat(65), nastyString(rng).slice(0, 64)]))],
                        ...(rng.bool(0.6) ? [['contact', j(rng.pick(['13812345678', '', nastyString(rng).slice(0, 70)]))] as [string, string]] : []),
                      ]),
                    ),
                  ] as [string, string],
                ]
              : []),
            ...extraFields(rng),
          ]),
        (rng) => [
          [
            'authorization',
            rng.choose<string>([
              [6, () => `Bearer ${SECRET}`],
              [1, () => 'Bearer wrong-secret-0123456789'],
              [1, () => `Bearer ${SECRET}x`],
              [1, () => `Bearer ${SECRET.slice(0, -1)}`],
              [1, () => `bearer ${SECRET}`],
              [1, () => SECRET],
              [1, () => headerSafe(`Bearer ${nastyString(rng)}`)],
            ]),
          ],
        ],
      ),
    },
    simple(
      'POST /v3/directline/tokens/refresh',
      'POST',
      () => `${dl}/tokens/refresh`,
      (rng) => () => jsonValue(rng, 2),
      (rng, f) => dlAuth(rng, f),
    ),

    // Direct Line: conversations
    simple(
      'POST /v3/directline/conversations',
      'POST',
      () => `${dl}/conversations`,
      (rng) => () => jsonValue(rng, 2),
      (rng, f) => (rng.bool(0.3) ? [['authorization', `Bearer ${SECRET}`]] : dlAuth(rng, f, rng.bool(0.5) ? f.dl.fresh : f.dl.main)),
    ),
    simple(
      'GET /v3/directline/conversations/:id',
      'GET',
      (rng, f) => `${dl}/conversations/${cidOf(rng, f)}${rng.bool(0.4) ? query(rng, { watermark: rng.pick(['0', '5', '-1', 'abc', nastyString(rng)]) }) : ''}`,
      undefined,
      (rng, f) => (rng.bool(0.15) ? [['authorization', `Bearer ${SECRET}`]] : dlAuth(rng, f)),
    ),
    simple(
      'GET /v3/directline/conversations/:id/activities',
      'GET',
      (rng, f) =>
        `${dl}/conversations/${cidOf(rng, f)}/activities${rng.bool(0.6) ? query(rng, { watermark: rng.pick(['', '0', '3', '-1', 'abc', '1e309', '99999999999999999999', '0x10', '1.5', ' 2', nastyString(rng)]) }) : ''}`,
      undefined,
      (rng, f) => (rng.bool(0.1) ? [['authorization', `Bearer ${SECRET}`]] : dlAuth(rng, f)),
    ),
    {
      name: 'POST /v3/directline/conversations/:id/activities',
      cases: CASES * 2,
      probes: (f) =>
        deepActivities().map((body) => ({
          t: 'http' as const,
          method: 'POST',
          path: `${dl}/conversations/${f.dl.main.cid}/activities`,
          headers: [
            ['authorization', `Bearer ${f.dl.main.token}`],
            ['content-type', 'application/json'],
          ] as HeaderList,
          body,
        })),
      gen: (rng, f) => {
        const m = method(rng, 'POST');
        const headers: HeaderList = [...(rng.bool(0.05) ? [['authorization', `Bearer ${SECRET}`] as [string, string]] : dlAuth(rng, f)), ...jsonType(rng), ...noise(rng, f)];
        const body =
          m === 'GET' || m === 'HEAD'
            ? undefined
            : encode(
                rng,
                jsonBody(rng, () => activity(rng, f)),
                headers,
              );
        return { t: 'http', method: m, path: `${dl}/conversations/${cidOf(rng, f)}/activities`, headers, body };
      },
    },
    {
      name: 'POST /v3/directline/conversations/:id/upload',
      cases: CASES * 2,
      probes: (f) => {
        const h = (ct: string): HeaderList => [
          ['authorization', `Bearer ${f.dl.main.token}`],
          ['content-type', ct],
        ];
        const p = `${dl}/conversations/${f.dl.main.cid}/upload`;
        return [
          { t: 'http', method: 'POST', path: p, headers: h('multipart/form-data; boundary=zzz'), body: TRUNCATED_UPLOAD },
          {
            t: 'http',
            method: 'POST',
            path: p,
            headers: h('multipart/form-data; boundary=zzz'),
            body: '--zzz\r\nContent-Disposition: form-data; name="activity"; filename="blob"\r\nContent-Type: application/vnd.microsoft.activity\r\n\r\n{"type":"message"',
          },
          {
            t: 'http',
            method: 'POST',
            path: p,
            headers: h('multipart/form-data; boundary=zzz'),
            body: '--zzz\r\nContent-Disposition: form-data; name="activity"\r\n\r\n{"type":"message"}',
          },
          { t: 'http', method: 'POST', path: p, headers: h('multipart/form-data; boundary=zzz'), body: '--zzz\r\nContent-Disposition: form-da' },
          {
            t: 'http',
            method: 'POST',
            path: p,
            headers: h('multipart/form-data; boundary=zzz'),
            body: multipart('zzz', [
              { headers: ['Content-Disposition: form-data; name="activity"'], data: `{"type":"message","value":${deepArray(30_000)}}` },
              { headers: ['Content-Disposition: form-data; name="file"; filename="p.png"', 'Content-Type: image/png'], data: PNG },
            ]),
          },
          {
            t: 'http',
            method: 'POST',
            path: p,
            headers: h('multipart/form-data; boundary=zzz'),
            body: multipart('zzz', [
              {
                headers: ['Content-Disposition: form-data; name="activity"; filename="blob"', 'Content-Type: application/vnd.microsoft.activity'],
                data: `{"type":"message","channelData":{"x":${deepObject(8000)}}}`,
              },
            ]),
          },
          {
            t: 'raw',
            label: 'upload: truncated multipart, client resets mid-body',
            finish: 'reset',
            chunks: [
              rawHttp(
                'POST',
                p,
                [
                  ['Host', f.host],
                  ['Authorization', `Bearer ${f.dl.main.token}`],
                  ['Content-Type', 'multipart/form-data; boundary=zzz'],
                  ['Content-Length', '5000'],
                ],
                TRUNCATED_UPLOAD,
              ),
            ],
          },
          {
            t: 'raw',
            label: 'upload: body shorter than Content-Length, client half-waits',
            finish: 'linger',
            chunks: [
              rawHttp(
                'POST',
                p,
                [
                  ['Host', f.host],
                  ['Authorization', `Bearer ${f.dl.main.token}`],
                  ['Content-Type', 'multipart/form-data; boundary=zzz'],
                  ['Content-Length', '5000'],
                ],
                TRUNCATED_UPLOAD,
              ),
            ],
          },
        ];
      },
      gen: uploadCase,
    },
    {
      ...simple('GET /v3/directline/attachments/:id/:sig', 'GET', (rng, f) =>
        rng.choose<string>([
          [4, () => `${dl}/attachments/${f.attachment.id}/${f.attachment.sig}`],
          [2, () => `${dl}/attachments/${f.attachment.id}/${rng.alnum(f.attachment.sig.length)}`],
          [2, () => `${dl}/attachments/${seg(rng, f.attachment.id)}/${seg(rng, f.attachment.sig)}`],
          [1, () => `${dl}/attachments/${f.attachment.id}`],
          [1, () => `${dl}/attachments/${f.attachment.id}/${f.attachment.sig}/extra`],
        ]),
      ),
    },
    {
      name: 'OPTIONS /v3/directline/* (CORS)',
      gen: (rng, f) => ({
        t: 'http',
        method: rng.bool(0.8) ? 'OPTIONS' : 'GET',
        path: rng.pick([`${dl}/conversations`, `${dl}/conversations/${f.dl.main.cid}/activities`, '/api/directline/token', `${dl}/tokens/generate`, `${dl}/x`]),
        headers: [
          ['origin', headerSafe(rng.pick(['https://shop.example', 'null', '', 'https://evil.example', nastyString(rng)]))],
          ['access-control-request-method', rng.pick(['POST', 'GET', 'DELETE', ''])],
          ['access-control-request-headers', rng.pick(['authorization, content-type', 'x-evil', '', 'a'.repeat(3000)])],
        ],
      }),
    },

    // Bot Framework
    {
      name: 'POST /api/messages (no credentials)',
      probes: () => {
        const post = (body: string): HttpCase => ({ t: 'http', method: 'POST', path: '/api/messages', headers: [['content-type', 'application/json']], body });
        const base = (extra: string) =>
          `{"type":"message","text":"hi","channelId":"emulator","conversation":{"id":"bf-probe"},"from":{"id":"u1"},"recipient":{"id":"bot"},"serviceUrl":"${UNREACHABLE}"${extra}}`;
        return [
          post('{"type":5}'),
          post('{}'),
          post('{"type":"message"}'),
          post(base(',"deliveryMode":"expectReplies"').replace(`"serviceUrl":"${UNREACHABLE}"`, '"serviceUrl":"not a url"')),
          post(base('').replace(`"serviceUrl":"${UNREACHABLE}"`, '"serviceUrl":"not a url"')),
          post(base(`,"deliveryMode":"expectReplies","value":${deepArray(30_000)}`)),
          post(base(`,"deliveryMode":"expectReplies","channelData":{"x":${deepObject(8000)}}`)),
          post(base(',"deliveryMode":"expectReplies","conversation":"not an object"')),
          post(base('')), // the bot answers through serviceUrl, which is unreachable: how long does the request take?
        ];
      },
      gen: (rng) => {
        const m = method(rng, 'POST');
        const headers: HeaderList = [...jsonType(rng), ...noise(rng)];
        if (rng.bool(0.2)) headers.push(['authorization', headerSafe(rng.pick(['Bearer x', 'Bearer a.b.c', 'Basic x', '', nastyString(rng)]))]);
        const act = () =>
          jobj([
            [
              'type',
              fieldOr(
                rng,
                () =>
                  j(
                    rng.choose<string>([
                      [8, () => 'message'],
                      [
                        2,
                        () =>
                          rng.pick([
                            'conversationUpdate',
                            'event',
                            'invoke',
                            'installationUpdate',
                            'messageReaction',
                            'endOfConversation',
                            'typing',
                            'trace',
                            'handoff',
                            'delete',
                            'command',
                          ]),
                      ],
                      [1, () => nastyString(rng).slice(0, 30)],
                    ]),
                  ),
                0.9,
              ),
            ],
            ['text', fieldOr(rng, () => j(textish(rng)))],
            ['channelId', fieldOr(rng, () => j(rng.pick(['emulator', 'msteams', 'webchat', 'slack', 'telegram', 'directline', 'test', 'wechat', ''])), 0.9)],
            ['serviceUrl', fieldOr(rng, () => j(rng.pick(SAFE_URLS.filter((u) => !u.startsWith('http')).concat([UNREACHABLE]))), 0.9)],
            [
              'conversation',
              fieldOr(
                rng,
                () =>
                  jobj([
                    [
                      'id',
                      j(
                        rng.choose<string>([
                          [6, () => `bf-fuzz-${rng.int(4)}`],
                          [1, () => nastyString(rng).slice(0, 200)],
                        ]),
                      ),
                    ],
                    ...(rng.bool(0.2) ? [['isGroup', jsonValue(rng, 0)] as [string, string], ['tenantId', j(nastyString(rng))] as [string, string]] : []),
                  ]),
                0.9,
              ),
            ],
            [
              'from',
              fieldOr(
                rng,
                () =>
                  jobj([
                    ['id', j(rng.pick(['u1', 'u2', nastyString(rng).slice(0, 100)]))],
                    ...(rng.bool(0.3) ? [['role', j(rng.pick(['user', 'bot', 'skill']))] as [string, string]] : []),
                  ]),
                0.9,
              ),
            ],
            ['recipient', fieldOr(rng, () => jobj([['id', j('bot')], ...(rng.bool(0.1) ? [['role', j('skill')] as [string, string]] : [])]), 0.9)],
            // Replies come back in the HTTP answer; a reply sent to serviceUrl is probed once above (it takes the retry schedule of an unreachable host).
            ['deliveryMode', rng.bool(0.97) ? j('expectReplies') : j(rng.pick(['normal', 'notification', 'ephemeral', nastyString(rng)]))],
            ...(rng.bool(0.3)
              ? [['channelData', fieldOr(rng, () => jobj([['buyer', jobj([['id', j('u1001')]])], ['clientKey', j(nastyString(rng))], ...extraFields(rng)]))] as [string, string]]
              : []),
            ...(rng.bool(0.15) ? [['value', jsonValue(rng, 3)] as [string, string]] : []),
            ...(rng.bool(0.1) ? [['name', j(rng.pick(['handoff.initiate', 'signin/verifyState', 'adaptiveCard/action', nastyString(rng)]))] as [string, string]] : []),
            ...(rng.bool(0.1) ? [['membersAdded', fieldOr(rng, () => jarr([jobj([['id', j('u1')]]), jobj([['id', j('bot')]])]))] as [string, string]] : []),
            ...(rng.bool(0.1) ? [['attachments', jarr([jsonValue(rng, 2)])] as [string, string]] : []),
            ...(rng.bool(0.1) ? [['entities', jarr([jsonValue(rng, 2)])] as [string, string]] : []),
            ...(rng.bool(0.1) ? [['locale', j(nastyString(rng).slice(0, 30))] as [string, string]] : []),
            ...(rng.bool(0.05) ? [['timestamp', j(rng.pick(['not a date', '2026-13-45T99:99:99Z', '']))] as [string, string]] : []),
            ...extraFields(rng),
          ]);
        const body = m === 'GET' || m === 'HEAD' ? undefined : encode(rng, rng.bool(0.9) ? act() : jsonBody(rng, act), headers);
        return { t: 'http', method: m, path: '/api/messages', headers, body };
      },
    },
    {
      name: 'POST /api/messages (with credentials: the auth gate)',
      probes: () => [
        { t: 'http', method: 'POST', path: '/api/messages', headers: [['content-type', 'application/json']], body: '{}', server: 'bfauth' },
        { t: 'http', method: 'POST', path: '/api/messages', headers: [['content-type', 'application/json']], body: '', server: 'bfauth' },
        {
          t: 'http',
          method: 'POST',
          path: '/api/messages',
          headers: [
            ['content-type', 'application/json'],
            ['authorization', 'Bearer x'],
          ],
          body: '{"text":"no type"}',
          server: 'bfauth',
        },
        { t: 'http', method: 'POST', path: '/api/messages', headers: [['content-type', 'application/json']], body: '{"type":"message"}', server: 'bfauth' },
      ],
      gen: (rng) => {
        const jwt = (header: object, payload: object) =>
          `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${rng.alnum(40)}`;
        const auth = rng.choose<string | undefined>([
          [2, () => undefined],
          [1, () => ''],
          [2, () => rng.pick(['Bearer', 'Bearer ', 'Bearer x', 'Bearer a.b.c', 'Basic dXNlcjpwYXNz', 'bearer x.y.z', 'Bearer  two  spaces', `Bearer ${'A'.repeat(9000)}`])],
          // JWT-shaped with an issuer nobody trusts: refused before any key is fetched.
          [
            3,
            () =>
              `Bearer ${jwt({ alg: rng.pick(['RS256', 'none', 'HS256']), typ: 'JWT', kid: rng.alnum(8) }, { iss: rng.pick(['https://evil.example', '', 'x']), aud: rng.pick([BF_APP_ID, 'other']), exp: 9_999_999_999, serviceurl: UNREACHABLE })}`,
          ],
          [1, () => `Bearer ${jwt({ alg: 'none' }, {})}`],
          [1, () => headerSafe(`Bearer ${nastyString(rng)}`)],
        ]);
        const headers: HeaderList = [['content-type', 'application/json'], ...(auth === undefined ? [] : [['authorization', auth] as [string, string]])];
        const body = jsonBody(rng, () =>
          jobj([
            ['type', j('message')],
            ['text', j(textish(rng))],
            ['channelId', j(rng.pick(['msteams', 'webchat', 'emulator']))],
            ['serviceUrl', j(UNREACHABLE)],
            ['conversation', jobj([['id', j('c')]])],
            ['from', jobj([['id', j('u')]])],
            ['recipient', jobj([['id', j('b')]])],
            ...extraFields(rng),
          ]),
        );
        return { t: 'http', method: method(rng, 'POST'), path: '/api/messages', headers, body, server: 'bfauth' };
      },
    },

    // WeChat Official Account
    {
      name: 'GET /wechat/oa (URL verification)',
      gen: (rng) => {
        const ts = timestampOf(rng);
        const nonce = rng.bool(0.9) ? rng.alnum(10) : nastyString(rng).slice(0, 200);
        const sig = rng.choose<string | undefined>([
          [8, () => plainSignature(OA.token, ts ?? '', nonce)],
          [1, () => rng.alnum(40).toLowerCase()],
          [1, () => undefined],
          [1, () => plainSignature(OA.token, ts ?? '', nonce).toUpperCase()],
        ]);
        const echostr = rng.choose<string | undefined>([
          [6, () => rng.alnum(19)],
          [3, () => nastyString(rng).slice(0, 3000)],
          [1, () => undefined],
        ]);
        let q = qs([
          ['signature', sig],
          ['timestamp', ts],
          ['nonce', nonce],
          ['echostr', echostr],
        ]);
        if (rng.bool(0.08)) q += `&${rng.pick(['timestamp=1', 'signature=x', 'echostr=2', 'nonce[]=1', '%'])}`;
        return { t: 'http', method: method(rng, 'GET'), path: `/wechat/oa${q}`, headers: noise(rng) };
      },
    },
    {
      name: 'POST /wechat/oa (plaintext)',
      cases: CASES * 2,
      probes: () => {
        const ts = timestampNow();
        const q = `?${new URLSearchParams({ signature: plainSignature(OA.token, ts, 'n1'), timestamp: ts, nonce: 'n1' })}`;
        const now = Math.floor(Date.now() / 1000);
        const post = (body: string): HttpCase => ({ t: 'http', method: 'POST', path: `/wechat/oa${q}`, headers: [['content-type', 'text/xml']], body });
        return [
          post(
            `<xml><ToUserName>${cdata('gh_x')}</ToUserName><FromUserName>${cdata('o-probe')}</FromUserName><CreateTime>abc</CreateTime><MsgType>${cdata('text')}</MsgType><Content>${cdata('hi')}</Content><MsgId>1</MsgId></xml>`,
          ),
          post(
            `<xml><ToUserName>${cdata('gh_x')}</ToUserName><FromUserName>${cdata('o-probe')}</FromUserName><CreateTime>99999999999999999999</CreateTime><MsgType>${cdata('event')}</MsgType><Event>${cdata('subscribe')}</Event></xml>`,
          ),
          post(`<xml>${'<a>'.repeat(9000)}x${'</a>'.repeat(9000)}</xml>`),
          post(
            `<xml><ToUserName>${cdata('gh_x')}</ToUserName><FromUserName>${cdata('o-probe')}</FromUserName><CreateTime>${now}</CreateTime><MsgType>${cdata('text')}</MsgType><Content>${cdata('hi')}</Content><Deep>${'<a>'.repeat(6000)}x${'</a>'.repeat(6000)}</Deep></xml>`,
          ),
          post(`<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>`),
        ];
      },
      gen: (rng) => {
        const ts = timestampOf(rng);
        const nonce = rng.bool(0.9) ? rng.alnum(10) : nastyString(rng).slice(0, 100);
        const sig = rng.choose<string | undefined>([
          [10, () => plainSignature(OA.token, ts ?? '', nonce)],
          [1, () => rng.alnum(40)],
          [1, () => undefined],
        ]);
        const q = qs([
          ['signature', sig],
          ['timestamp', ts],
          ['nonce', nonce],
          ['openid', 'o-fuzz'],
          ...(rng.bool(0.1) ? [['encrypt_type', rng.pick(['raw', 'AES', '', 'aes2'])] as [string, string]] : []),
        ]);
        const body = rng.choose<string>([
          [8, () => pushXml(rng, 'oa')],
          [3, () => hostileXml(rng)],
          [1, () => nastyString(rng)],
          [1, () => rng.bytes(rng.range(0, 300)).toString('latin1')],
        ]);
        const m = method(rng, 'POST');
        return { t: 'http', method: m, path: `/wechat/oa${q}`, headers: [...xmlType(rng), ...noise(rng)], body: m === 'GET' || m === 'HEAD' ? undefined : body };
      },
    },
    {
      name: 'POST /wechat/oa (encrypt_type=aes: safe and compatible)',
      cases: CASES * 2,
      gen: (rng, f) => {
        const inner = rng.bool(0.85) ? pushXml(rng, 'oa') : hostileXml(rng);
        const encrypted = encryptedPush(rng, f.oa, f.oaWrongId, inner);
        const ts0 = timestampNow();
        let q = ENC_PARAMS(rng, f.oa, encrypted, [
          ['encrypt_type', rng.bool(0.95) ? 'aes' : 'AES'],
          ['openid', 'o-fuzz'],
        ]);
        q += `&signature=${plainSignature(OA.token, ts0, 'x')}`; // the plain signature is present but not what counts in aes mode
        const mode = rng.choose<string>([
          [5, () => 'safe'],
          [3, () => 'compat'],
          [1, () => 'no-encrypt'],
          [1, () => 'hostile'],
        ]);
        const body =
          mode === 'safe'
            ? `<xml><ToUserName>${cdata('gh_0123456789ab')}</ToUserName><Encrypt>${rng.bool(0.9) ? cdata(encrypted) : encrypted}</Encrypt></xml>`
            : mode === 'compat'
              ? inner.replace('</xml>', `<Encrypt>${cdata(encrypted)}</Encrypt></xml>`)
              : mode === 'no-encrypt'
                ? `<xml><ToUserName>${cdata('gh_0123456789ab')}</ToUserName></xml>`
                : hostileXml(rng);
        return { t: 'http', method: method(rng, 'POST'), path: `/wechat/oa${q}`, headers: [...xmlType(rng), ...noise(rng, f)], body };
      },
    },

    // WeCom
    {
      name: 'GET /wechat/wecom (URL verification)',
      gen: (rng, f) => {
        const echo = rng.choose<string>([
          [6, () => f.wecom.encrypt(rng.bool(0.7) ? rng.alnum(20) : nastyString(rng).slice(0, 500), rng.bytes(16))],
          [2, () => rng.bytes(32).toString('base64')],
          [1, () => nastyString(rng).slice(0, 300)],
        ]);
        let q = ENC_PARAMS(rng, f.wecom, echo, [['echostr', echo]]);
        if (rng.bool(0.2)) q = q.replace(/echostr=[^&]*/, `echostr=${echo.replace(/\+/g, rng.pick([' ', '%20', '+']))}`); // the unencoded-+ case
        return { t: 'http', method: method(rng, 'GET'), path: `/wechat/wecom${q}`, headers: noise(rng, f) };
      },
    },
    {
      name: 'POST /wechat/wecom',
      cases: CASES * 2,
      gen: (rng, f) => {
        const inner = rng.bool(0.85) ? pushXml(rng, 'wecom') : hostileXml(rng);
        const encrypted = encryptedPush(rng, f.wecom, undefined, inner);
        const q = ENC_PARAMS(rng, f.wecom, encrypted);
        const body = rng.choose<string>([
          [8, () => `<xml><ToUserName>${cdata(WECOM.corpId)}</ToUserName><Encrypt>${cdata(encrypted)}</Encrypt><AgentID>${cdata(WECOM.agentId)}</AgentID></xml>`],
          [1, () => hostileXml(rng)],
          [1, () => `<xml><Encrypt>${cdata(encrypted)}</Encrypt>${'<Encrypt>x</Encrypt>'.repeat(rng.range(1, 50))}</xml>`],
        ]);
        return { t: 'http', method: method(rng, 'POST'), path: `/wechat/wecom${q}`, headers: [...xmlType(rng), ...noise(rng, f)], body };
      },
    },

    // Agent console
    simple('GET /agent', 'GET', (rng) => rng.pick(['/agent', '/agent/', '/agent?x=1', '/AGENT', '/agent/api', '/agent/api/', '/agent/api/nope', '/agent/ws'])),
    {
      name: 'POST /agent/api/login',
      gen: (rng, f) => {
        const headers: HeaderList = [
          ...jsonType(rng),
          ...(rng.bool(0.7) ? [['origin', rng.bool(0.85) ? f.base : rng.pick(['https://evil.example', 'null', ''])] as [string, string]] : []),
          ...noise(rng, f),
        ];
        const body = jsonBody(rng, () =>
          jobj([
            ...(rng.bool(0.9)
              ? [
                  [
                    'username',
                    fieldOr(rng, () => j(rng.pick(['fuzzagent', 'fuzzb', 'nobody', '', 'a'.repeat(65), 'FUZZAGENT', 'fuzzagent\u0000', nastyString(rng).slice(0, 64)]))),
                  ] as [string, string],
                ]
              : []),
            ...(rng.bool(0.9)
              ? [['password', fieldOr(rng, () => j(rng.pick([PASSWORD, 'wrong', '', 'p'.repeat(257), `${PASSWORD} `, nastyString(rng).slice(0, 256)])))] as [string, string]]
              : []),
            ...extraFields(rng),
          ]),
        );
        return { t: 'http', method: method(rng, 'POST'), path: '/agent/api/login', headers, body: encode(rng, body, headers) };
      },
    },
    // With a session of its own (the other agent's): a real sign-out must not end the session the other endpoints use.
    { name: 'POST /agent/api/logout', gen: (rng, f) => agentCall(rng, f, 'POST', '/agent/api/logout', () => jsonValue(rng, 1), f.logoutAgent) },
    {
      name: 'GET /agent/api/me',
      probes: () =>
        ['kamen_agent=%', 'kamen_agent=%E0%A4%A'].map((cookie) => ({ t: 'http' as const, method: 'GET', path: '/agent/api/me', headers: [['cookie', cookie]] as HeaderList })),
      gen: (rng, f) => agentCall(rng, f, 'GET', `/agent/api/me${rng.bool(0.1) ? query(rng, { x: nastyString(rng) }) : ''}`),
    },
    { name: 'GET /agent/api/queue', gen: (rng, f) => agentCall(rng, f, 'GET', '/agent/api/queue') },
    { name: 'GET /agent/api/agents', gen: (rng, f) => agentCall(rng, f, 'GET', '/agent/api/agents') },
    { name: 'GET /agent/api/tickets', gen: (rng, f) => agentCall(rng, f, 'GET', '/agent/api/tickets') },
    { name: 'GET /agent/api/handoffs/:id', gen: (rng, f) => agentCall(rng, f, 'GET', `/agent/api/handoffs/${seg(rng, f.handoffId)}`) },
    { name: 'GET /agent/api/attachments/:id', gen: (rng, f) => agentCall(rng, f, 'GET', `/agent/api/attachments/${seg(rng, f.attachment.id)}`) },
    { name: 'GET /agent/api/orders/:orderNo', gen: (rng, f) => agentCall(rng, f, 'GET', `/agent/api/orders/${seg(rng, enc(rng.pick(ORDER_NOS)))}`) },
    {
      name: 'POST /agent/api/orders/:orderNo/reveal',
      gen: (rng, f) =>
        agentCall(rng, f, 'POST', `/agent/api/orders/${seg(rng, enc(rng.pick(ORDER_NOS)))}/reveal`, () =>
          jobj([['reason', fieldOr(rng, () => j(rng.pick(['买家要求重发卡密', 'x', '', 'r'.repeat(201), nastyString(rng).slice(0, 200)])))], ...extraFields(rng)]),
        ),
    },
    { name: 'POST /agent/api/handoffs/:id/notes', gen: (rng, f) => agentCall(rng, f, 'POST', `/agent/api/handoffs/${seg(rng, f.handoffId)}/notes`, textBody(rng)) },
    { name: 'POST /agent/api/handoffs/:id/messages', gen: (rng, f) => agentCall(rng, f, 'POST', `/agent/api/handoffs/${seg(rng, f.handoffId)}/messages`, textBody(rng)) },
    { name: 'POST /agent/api/handoffs/:id/claim', gen: (rng, f) => agentCall(rng, f, 'POST', `/agent/api/handoffs/${seg(rng, f.handoffId)}/claim`, () => jsonValue(rng, 1)) },
    { name: 'POST /agent/api/tickets/:id/answer', gen: (rng, f) => agentCall(rng, f, 'POST', `/agent/api/tickets/${seg(rng, f.ticketId)}/answer`, textBody(rng)) },
    {
      name: 'POST /agent/api/handoffs/:id/resolve',
      gen: (rng, f) =>
        agentCall(rng, f, 'POST', `/agent/api/handoffs/${seg(rng, f.handoffId)}/resolve`, () =>
          jobj([['outcome', fieldOr(rng, () => j(rng.bool(0.6) ? rng.pick(OUTCOMES) : nastyString(rng)))], ...extraFields(rng)]),
        ),
    },
    {
      name: 'POST /agent/api/handoffs/:id/transfer',
      gen: (rng, f) =>
        agentCall(rng, f, 'POST', `/agent/api/handoffs/${seg(rng, f.handoffId)}/transfer`, () =>
          jobj([['agentId', fieldOr(rng, () => j(rng.pick([f.otherAgentId, f.agent.id, 'nobody', '', nastyString(rng)])))], ...extraFields(rng)]),
        ),
    },

    // Demo shop, static files, unknown paths
    simple('GET /demo/buyers', 'GET', () => '/demo/buyers'),
    simple('GET /demo/orders', 'GET', (rng) => `/demo/orders${query(rng, { buyer: rng.pick(['u1001', 'u1006', 'nobody', '', nastyString(rng)]) })}`),
    simple(
      'POST /demo/login-token',
      'POST',
      (rng) => `/demo/login-token${query(rng, { buyer: rng.pick(['u1001', 'u1002', 'nobody', '', nastyString(rng)]) })}`,
      (rng) => () => jsonValue(rng, 1),
    ),
    {
      ...simple('static files and unknown paths', 'GET', (rng) =>
        rng.choose<string>([
          [6, () => rng.pick(['/', '/index.html', '/orders.html', '/chat.js', '/agent.js', '/agent.css', '/shop.css', '/agent.html', '/favicon.ico', '/demo.ts', '/robots.txt'])],
          [1, () => '/vendor/webchat.js'],
          [
            4,
            () =>
              rng.pick([
                '/.env',
                '/../package.json',
                '/%2e%2e/package.json',
                '/..%2fpackage.json',
                '/%',
                '/%00',
                '/%c0%ae%c0%ae/',
                '/index.html%00.js',
                `/${'a'.repeat(5000)}`,
                '/healthz/',
                '/HEALTHZ',
                '/api',
                '/api/',
                '/v3',
                '/v3/directline',
                '/v3/directline/',
                '/wechat',
                '/wechat/',
                '/wechat/oa/',
                '/vendor/',
                '/vendor/../../package.json',
                '/index.html/',
                '/chat.js?v=%zz',
                '//',
                '///etc/passwd',
                '/\\..\\package.json',
              ]),
          ],
          [2, () => `/${Array.from({ length: rng.range(1, 4) }, () => enc(nastyString(rng)).slice(0, 200)).join('/')}`],
        ]),
      ),
      cases: CASES,
    },

    // Raw HTTP: framing and headers fetch cannot send
    { name: 'raw HTTP (node:net)', cases: CASES * 3, gen: rawCase },

    // WebSockets
    {
      name: 'WS upgrade /v3/directline/conversations/:id/stream',
      cases: CASES,
      probes: (f) => [
        {
          t: 'raw',
          label: 'WS dl: malformed escape in the conversation id',
          finish: 'close',
          chunks: [wsHandshake(`/v3/directline/conversations/%E0%A4%A/stream?t=${f.dl.main.token}`, f.host)],
        },
        { t: 'raw', label: 'WS: a request target the URL parser refuses', finish: 'close', chunks: [wsHandshake('//[', f.host)] },
        {
          t: 'raw',
          label: 'WS dl: refused (bad token), client resets at once',
          finish: 'reset',
          chunks: [wsHandshake(`/v3/directline/conversations/${f.dl.main.cid}/stream?t=x`, f.host)],
        },
        {
          t: 'raw',
          label: 'WS dl: accepted, client resets at once',
          finish: 'reset',
          chunks: [wsHandshake(`/v3/directline/conversations/${f.dl.main.cid}/stream?t=${f.dl.main.token}`, f.host)],
        },
      ],
      gen: (rng, f) => handshakeCase(rng, f, 'dl', rng.bool(0.35)),
    },
    {
      name: 'WS /v3/directline stream: frames after a valid handshake',
      cases: CASES,
      probes: (f) => [
        {
          t: 'raw',
          label: 'WS dl: one unmasked frame',
          finish: 'close',
          chunks: [wsHandshake(`/v3/directline/conversations/${f.dl.main.cid}/stream?t=${f.dl.main.token}`, f.host), wsFrame(0x1, Buffer.from('hi'), { mask: false })],
          gapMs: 10,
        },
        {
          t: 'raw',
          label: 'WS dl: one text frame over maxPayload (64 kB)',
          finish: 'close',
          chunks: [wsHandshake(`/v3/directline/conversations/${f.dl.main.cid}/stream?t=${f.dl.main.token}`, f.host), wsFrame(0x1, Buffer.alloc(65_537, 0x61))],
          gapMs: 10,
        },
      ],
      gen: (rng, f) => handshakeCase(rng, f, 'dl', true, wsFrames(rng, 64 * 1024)),
    },
    {
      name: 'WS upgrade /agent/ws',
      cases: CASES,
      probes: (f) => [
        {
          t: 'raw',
          label: 'WS agent: malformed escape in the session cookie',
          finish: 'close',
          chunks: [
            wsHandshake('/agent/ws', f.host, [
              ['Cookie', 'kamen_agent=%'],
              ['Origin', f.base],
            ]),
          ],
        },
        {
          t: 'raw',
          label: 'WS agent: accepted, client resets at once',
          finish: 'reset',
          chunks: [
            wsHandshake('/agent/ws', f.host, [
              ['Cookie', f.agent.cookie],
              ['Origin', f.base],
            ]),
          ],
        },
        { t: 'raw', label: 'WS agent: refused (no session), client resets at once', finish: 'reset', chunks: [wsHandshake('/agent/ws', f.host, [['Origin', f.base]])] },
      ],
      gen: (rng, f) => handshakeCase(rng, f, 'agent', rng.bool(0.3)),
    },
    {
      name: 'WS /agent/ws: frames after a valid handshake',
      cases: CASES,
      probes: (f) => [
        {
          t: 'raw',
          label: 'WS agent: one unmasked frame',
          finish: 'close',
          chunks: [
            wsHandshake('/agent/ws', f.host, [
              ['Cookie', f.agent.cookie],
              ['Origin', f.base],
            ]),
            wsFrame(0x1, Buffer.from('hi'), { mask: false }),
          ],
          gapMs: 10,
        },
        {
          t: 'raw',
          label: 'WS agent: one text frame over maxPayload (4 kB)',
          finish: 'close',
          chunks: [
            wsHandshake('/agent/ws', f.host, [
              ['Cookie', f.agent.cookie],
              ['Origin', f.base],
            ]),
            wsFrame(0x1, Buffer.alloc(4097, 0x61)),
          ],
          gapMs: 10,
        },
      ],
      gen: (rng, f) => handshakeCase(rng, f, 'agent', true, wsFrames(rng, 4096)),
    },
    {
      name: 'WS via the ws client (valid handshakes, then messages)',
      cases: Math.ceil(CASES / 2),
      gen: (rng, f) => {
        const agent = rng.bool(0.5);
        const url = agent ? `${f.base.replace('http', 'ws')}/agent/ws` : f.dl.main.streamUrl!;
        const send = Array.from({ length: rng.range(0, 3) }, () =>
          rng.choose<string | Buffer>([
            [3, () => textish(rng)],
            [1, () => ''],
            [1, () => rng.bytes(rng.range(1, 100))],
            [1, () => Buffer.alloc((agent ? 4096 : 65_536) + rng.range(1, 100), 0x62)],
          ]),
        );
        return {
          t: 'ws',
          url,
          headers: (agent ? { cookie: f.agent.cookie, origin: f.base } : {}) as Record<string, string>,
          send,
          ping: rng.bool(0.3) ? rng.bytes(rng.range(0, 125)) : undefined,
        };
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Sending

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, performance.now() - t0];
}

async function sendHttp(c: HttpCase, base: string, port: number, host: string): Promise<Outcome> {
  const t0 = performance.now();
  const bodyless = c.method === 'GET' || c.method === 'HEAD';
  let headers: Headers | undefined;
  try {
    headers = new Headers();
    for (const [k, v] of c.headers) headers.append(k, v);
  } catch {
    headers = undefined;
  }
  if (!headers || (bodyless && c.body !== undefined)) {
    // fetch cannot send this (a body on GET, a header value it refuses): same request, raw.
    const body = c.body === undefined ? Buffer.alloc(0) : Buffer.from(c.body);
    const r = await rawRequest(port, [rawHttp(c.method, c.path, [['Host', host], ...c.headers, ['Content-Length', String(body.length)], ['Connection', 'close']], body)], {
      timeoutMs: REQ_MS,
      signal: caseAbort.signal,
    });
    return { statuses: r.statuses, status: r.statuses[0], timedOut: r.timedOut, head: r.head, ms: performance.now() - t0, error: r.statuses.length ? undefined : r.error };
  }
  // The request's own timeout, or the crash recorder's abort (AbortSignal.any needs Node 20.3).
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), REQ_MS);
  const onCrash = () => ctl.abort();
  caseAbort.signal.addEventListener('abort', onCrash, { once: true });
  try {
    const res = await fetch(`${base}${c.path}`, { method: c.method, headers, body: bodyless ? undefined : c.body, redirect: 'manual', signal: ctl.signal });
    const text = c.method === 'HEAD' ? '' : await res.text();
    return { status: res.status, head: text.slice(0, 300), ms: performance.now() - t0 };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return { timedOut: true, ms: performance.now() - t0 };
    return { error: `${e.name}: ${e.message}${e.cause ? ` (${e.cause.code ?? ''} ${e.cause.message ?? ''})` : ''}`, ms: performance.now() - t0 };
  } finally {
    clearTimeout(timer);
    caseAbort.signal.removeEventListener('abort', onCrash);
  }
}

function sendWs(c: WsClientCase): Promise<Outcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const ws = new WebSocket(c.url, { headers: c.headers, handshakeTimeout: REQ_MS });
    const done = (o: Omit<Outcome, 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve({ ...o, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => done({ timedOut: true }), REQ_MS);
    caseAbort.signal.addEventListener('abort', () => done({ timedOut: true }), { once: true });
    ws.on('unexpected-response', (_req, res) => done({ status: res.statusCode }));
    ws.on('error', (e) => done({ error: e.message }));
    ws.on('close', (code) => done({ status: 101, head: `closed by server ${code}` }));
    ws.on('open', () => {
      for (const m of c.send) ws.send(m);
      if (c.ping) ws.ping(c.ping);
      setTimeout(() => done({ status: 101 }), 60);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Reporting

interface Failure {
  endpoint: string;
  round: number;
  index: number;
  kind: string;
  c: Case;
  o: Outcome;
  logs: string[];
  console: string[];
  crashes: Crash[];
}
interface Tally {
  cases: number;
  statuses: Record<string, number>;
  skipped: number;
  ms: number;
}

const compact = (s: string) => s.replace(/([\s\S]{1,8}?)\1{7,}/g, (m, unit: string) => `‹${unit}›×${m.length / unit.length}`);
function named(s: string, f: Fixture | undefined): string {
  if (!f) return s;
  let out = s;
  for (const [value, name] of f.names) if (value.length >= 8) out = out.split(value).join(`{${name}}`);
  return out;
}
function describeCase(c: Case, f?: Fixture): string {
  if (c.t === 'http') {
    const body =
      c.body === undefined
        ? '(none)'
        : `${Buffer.byteLength(c.body)} bytes: ${JSON.stringify(compact(Buffer.isBuffer(c.body) ? c.body.toString('latin1') : c.body).slice(0, 400))}`;
    const headers = c.headers.map(([k, v]) => `${k}: ${compact(v).slice(0, 160)}`).join(' | ');
    return named(
      `${c.server === 'bfauth' ? '[server with MICROSOFT_APP_ID] ' : ''}${c.method} ${compact(c.path).slice(0, 300)}\n      headers: ${headers || '(none)'}\n      body: ${body}`,
      f,
    );
  }
  if (c.t === 'raw')
    return named(`${c.label}\n      bytes: ${JSON.stringify(compact(Buffer.concat(c.chunks).toString('latin1')).slice(0, 600))}${c.finish !== 'close' ? ` (${c.finish})` : ''}`, f);
  return named(
    `ws client ${c.url} headers ${JSON.stringify(c.headers)} sends ${JSON.stringify(c.send.map((m) => (typeof m === 'string' ? compact(m).slice(0, 60) : `<${m.length} bytes>`)))}${c.ping ? ` ping(${c.ping.length})` : ''}`,
    f,
  );
}
/** The first error the server logged, else the answer, without ids and numbers: what makes two failures the same. */
function signature(x: Failure): string {
  const srcFrame = (stack: string | undefined) =>
    stack
      ?.split('\n')
      .find((l) => /\/(src|dialogs)\//.test(l))
      ?.trim()
      .replace(/^at /, '')
      .replace(/\(.*\/(src|dialogs)\//, '($1/')
      .replace(/:\d+:\d+\)?$/, '') ?? '';
  const wsCode = x.crashes[0]?.error.match(/\[(WS_ERR_\w+)\]/)?.[1];
  const wsPath = (x.c.t === 'raw' ? x.c.label : x.c.t === 'ws' ? x.c.url : x.c.path).includes('agent') ? '/agent/ws' : '/v3/directline/…/stream';
  const crash =
    x.crashes[0] &&
    (wsCode ? `ws receiver error (WS_ERR_*) on a ${wsPath} socket without an 'error' listener` : `${x.crashes[0].error.split('\n')[0]} @ ${srcFrame(x.crashes[0].error)}`);
  const logged = x.logs.map((l) => {
    try {
      const o = JSON.parse(l) as { msg?: string; err?: { type?: string; message?: string; stack?: string } };
      return `${o.msg}: ${o.err?.type ?? ''} ${o.err?.message ?? ''} @ ${srcFrame(o.err?.stack)}`;
    } catch {
      return l.slice(0, 120);
    }
  })[0];
  const printed = x.console[0] && `${x.console[0].split('\n')[0]} @ ${srcFrame(x.console[0])}`;
  return `${x.kind} ${x.o.status ?? ''} ${(crash ?? logged ?? printed ?? x.o.error ?? x.o.head ?? '').slice(0, 200)}`.replace(/[0-9a-f]{8,}|\d+/gi, 'N');
}
function logStack(lines: string[]): string {
  for (const l of lines) {
    try {
      const o = JSON.parse(l) as { msg?: string; err?: { stack?: string } };
      if (o.err?.stack) return `${o.msg}: ${o.err.stack.split('\n').slice(0, 8).join('\n        ')}`;
    } catch {
      /* not JSON */
    }
  }
  return lines[0]?.slice(0, 300) ?? '';
}
const size = (c: Case) => (c.t === 'http' ? Buffer.byteLength(c.body ?? '') + c.path.length : c.t === 'raw' ? Buffer.concat(c.chunks).length : c.send.length);

// ---------------------------------------------------------------------------------------------
// Fixture

let app: App;
let bfApp: App;
let main: Awaited<ReturnType<typeof createServerWithChannels>>;
let bf: Awaited<ReturnType<typeof createServerWithChannels>>;
let fx: Fixture;
let agentSocket: WebSocket | undefined;
const logs: string[] = [];
const bfLogs: string[] = [];
/** What libraries print with console.error (botbuilder's CloudAdapter does), kept for the report instead of flooding it. */
const consoleErrors: string[] = [];
const realConsoleError = console.error;
/** Every socket the servers accepted, upgraded ones included: teardown must not wait on a stream a case left open. */
const serverSockets = new Set<import('node:net').Socket>();

async function json(res: Response): Promise<any> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`expected JSON, got ${res.status}: ${text.slice(0, 200)}`);
  }
}

async function setUp(): Promise<Fixture> {
  app = await makeApp({ env: ENV, log: (l) => logs.push(l) });
  await app.shop.demo!.upsert([
    order({
      orderNo: 'K8PL3MZ7Q2XV9TRB',
      status: 'delivered',
      paidAt: '2026-11-23T13:04:00+08:00',
      buyer: { contact: '13812345678', hasQueryPassword: false },
      delivery: { kind: 'card_codes', items: [{ masked: 'QB10****7Z3K', plaintext: 'QB10-8842-5519-7Z3K' }], expected: 1, deliveredAt: '2026-11-23T13:05:00+08:00' },
    }),
    order({ orderNo: 'DJ20261123120055QWER', status: 'on_hold', holdReasons: ['risk_control'], paidAt: '2026-11-23T12:01:00+08:00' }),
    order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' }),
  ]);
  const me = await app.agents.create('fuzzagent', '模糊', PASSWORD);
  const other = await app.agents.create('fuzzb', '测试乙', PASSWORD);
  main = await createServerWithChannels(app);
  main.server.on('connection', (sock) => (serverSockets.add(sock), sock.once('close', () => serverSockets.delete(sock))));
  const base = await serve(main.server);
  const port = Number(new URL(base).port);
  const host = `127.0.0.1:${port}`;
  bfApp = await makeApp({ env: BF_AUTH_ENV, log: (l) => bfLogs.push(l) });
  bf = await createServerWithChannels(bfApp);
  bf.server.on('connection', (sock) => (serverSockets.add(sock), sock.once('close', () => serverSockets.delete(sock))));
  const bfBase = await serve(bf.server);

  // Direct Line conversations: an anonymous one, a shop-minted buyer-bound one, another, and one never started.
  const start = async (t: { token: string; conversationId: string }): Promise<Conv> => {
    const r = await json(await fetch(`${base}/v3/directline/conversations`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` } }));
    return { cid: t.conversationId, token: t.token, streamUrl: r.streamUrl };
  };
  const anon = async () => json(await fetch(`${base}/api/directline/token`, { method: 'POST' }));
  const say = (c: Conv, text: string) =>
    fetch(`${base}/v3/directline/conversations/${c.cid}/activities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', from: { id: 'x' }, text }),
    });
  const mainConv = await start(await anon());
  const otherConv = await start(await anon());
  const fresh = await anon();
  const buyerConv = await start(
    await json(
      await fetch(`${base}/v3/directline/tokens/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user: { id: 'fuzzbuyer' }, buyer: { id: 'u1001', contact: '13812345678' } }),
      }),
    ),
  );

  // The agent: signed in; a ticket filed while nobody is online, then a handoff queued with the console open.
  const login = await fetch(`${base}/agent/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ username: 'fuzzagent', password: PASSWORD }),
  });
  expect(login.status).toBe(200);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const { csrf } = await json(login);
  const loginB = await fetch(`${base}/agent/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ username: 'fuzzb', password: PASSWORD }),
  });
  expect(loginB.status).toBe(200);
  const logoutAgent = { cookie: loginB.headers.get('set-cookie')!.split(';')[0]!, csrf: (await json(loginB)).csrf as string, id: other.id };
  const call = async (m: string, p: string, body?: unknown) =>
    json(
      await fetch(`${base}/agent/api${p}`, {
        method: m,
        headers: { cookie, origin: base, 'x-csrf-token': csrf, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  await say(otherConv, '查下订单 DJ20261123120055QWER');
  await say(otherConv, '转人工');
  agentSocket = new WebSocket(`${base.replace('http', 'ws')}/agent/ws`, { headers: { cookie, origin: base } });
  agentSocket.on('message', () => undefined);
  await new Promise((res, rej) => (agentSocket!.once('open', res), agentSocket!.once('error', rej)));
  await say(buyerConv, '查下订单 DJ20261123120055QWER');
  await say(buyerConv, '转人工');
  const queue = await call('GET', '/queue');
  const handoffId: string = queue.queued[0]?.id ?? queue.mine[0]?.id ?? 'no-handoff';
  if (queue.queued[0]) await call('POST', `/handoffs/${handoffId}/claim`);
  const tickets = await call('GET', '/tickets');
  const ticketId: string = tickets.tickets[0]?.id ?? 'no-ticket';

  // An uploaded file, for the attachment routes.
  const form = new FormData();
  form.append('activity', new Blob([JSON.stringify({ type: 'message', text: '付款截图' })], { type: 'application/vnd.microsoft.activity' }), 'blob');
  form.append('file', new Blob([PNG], { type: 'image/png' }), 'pay.png');
  const up = await fetch(`${base}/v3/directline/conversations/${mainConv.cid}/upload`, { method: 'POST', headers: { authorization: `Bearer ${mainConv.token}` }, body: form });
  expect(up.status).toBe(200);
  const acts = await json(await fetch(`${base}/v3/directline/conversations/${mainConv.cid}/activities`, { headers: { authorization: `Bearer ${mainConv.token}` } }));
  const url: string = acts.activities.flatMap((a: any) => a.attachments ?? []).find((a: any) => a.contentUrl)?.contentUrl ?? '/x/none/none';
  const [id, sig] = url.split('/').slice(-2) as [string, string];

  const f: Fixture = {
    base,
    port,
    host,
    bfBase,
    dl: { main: mainConv, buyer: buyerConv, other: otherConv, fresh: { cid: fresh.conversationId, token: fresh.token } },
    attachment: { id, sig },
    agent: { cookie, csrf, id: me.id },
    logoutAgent,
    otherAgentId: other.id,
    handoffId,
    ticketId,
    oa: new MessageCrypto({ token: OA.token, encodingAESKey: OA.aesKey, receiveId: OA.appId }),
    oaWrongId: new MessageCrypto({ token: OA.token, encodingAESKey: OA.aesKey, receiveId: 'wxWRONGWRONGWRONG' }),
    wecom: new MessageCrypto({ token: WECOM.token, encodingAESKey: WECOM.aesKey, receiveId: WECOM.corpId }),
    names: [],
  };
  f.names = [
    [mainConv.token, 'main.token'],
    [otherConv.token, 'other.token'],
    [fresh.token, 'fresh.token'],
    [buyerConv.token, 'buyer.token'],
    [enc(mainConv.token), 'main.token'],
    [mainConv.cid, 'main.cid'],
    [otherConv.cid, 'other.cid'],
    [fresh.conversationId, 'fresh.cid'],
    [buyerConv.cid, 'buyer.cid'],
    [cookie.split('=')[1]!, 'agent.cookie'],
    [csrf, 'agent.csrf'],
    [logoutAgent.cookie.split('=')[1]!, 'logoutAgent.cookie'],
    [logoutAgent.csrf, 'logoutAgent.csrf'],
    [sig, 'attachment.sig'],
    [id, 'attachment.id'],
    [handoffId, 'handoff.id'],
    [ticketId, 'ticket.id'],
    [me.id, 'agent.id'],
    [other.id, 'otherAgent.id'],
    [SECRET, 'DIRECTLINE_SECRET'],
    [host, 'host'],
    [bfBase, 'bfBase'],
    [base, 'base'],
  ];
  return f;
}

// ---------------------------------------------------------------------------------------------
// The test

const failures: Failure[] = [];
const tallies = new Map<string, Tally>();
let stoppedEarly: string | undefined;

beforeAll(async () => {
  savedListeners = { exc: process.listeners('uncaughtException'), rej: process.listeners('unhandledRejection') };
  process.removeAllListeners('uncaughtException');
  process.removeAllListeners('unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  console.error = (...args: unknown[]) =>
    void consoleErrors.push(
      args
        .map((a) => (a instanceof Error ? (a.stack ?? a.message) : typeof a === 'string' ? a : JSON.stringify(a)))
        .join(' ')
        .slice(0, 4000),
    );
  fx = await setUp();
}, 60_000);

afterAll(async () => {
  agentSocket?.terminate();
  for (const sock of serverSockets) sock.destroy();
  if (main) await shutdown(main.server).catch(() => undefined);
  if (bf) await shutdown(bf.server).catch(() => undefined);
  await app?.close();
  await bfApp?.close();
  await new Promise((r) => setTimeout(r, 50));
  console.error = realConsoleError;
  process.off('uncaughtException', onException);
  process.off('unhandledRejection', onRejection);
  for (const l of savedListeners?.exc ?? []) process.on('uncaughtException', l);
  for (const l of savedListeners?.rej ?? []) process.on('unhandledRejection', l);
}, 30_000);

describe('fuzz: every public endpoint', () => {
  it(
    `answers every request below 500, in time, without an uncaught error (seed ${SEED})`,
    async () => {
      const t0 = Date.now();
      const deadline = t0 + BUDGET_MS;
      console.log(
        `[fuzz] seed=${SEED} (FUZZ_SEED=${SEED} reproduces) cases/endpoint=${CASES} budget=${BUDGET_MS} ms${SOAK_MS ? ' (soak)' : ''}${ONLY ? ` only="${ONLY}"` : ''} base=${fx.base}`,
      );
      const eps = endpoints().filter((e) => !ONLY || e.name.toLowerCase().includes(ONLY.toLowerCase()));
      let rounds = 0;
      outer: for (let round = 0; ; round++) {
        rounds = round + 1;
        for (const ep of eps) {
          const rng = Rng.for(SEED, ep.name, round);
          const probes = round === 0 ? (ep.probes?.(fx) ?? []) : [];
          const total = probes.length + (ep.cases ?? CASES);
          const tally = tallies.get(ep.name) ?? { cases: 0, statuses: {}, skipped: 0, ms: 0 };
          tallies.set(ep.name, tally);
          let timeouts = 0;
          for (let i = 0; i < total; i++) {
            if (Date.now() > deadline) {
              stoppedEarly ??= `deadline reached in round ${round} at "${ep.name}" case ${i}/${total}`;
              break outer;
            }
            const c = i < probes.length ? probes[i]! : ep.gen(rng, fx);
            if (timeouts >= MAX_TIMEOUTS_PER_ENDPOINT) {
              tally.skipped++;
              continue;
            }
            currentCase = `${ep.name} #${round}.${i}`;
            caseAbort = new AbortController();
            const logMark = logs.length;
            const bfMark = bfLogs.length;
            const crashMark = crashes.length;
            const consoleMark = consoleErrors.length;
            const o =
              c.t === 'http'
                ? await sendHttp(
                    c,
                    c.server === 'bfauth' ? fx.bfBase : fx.base,
                    c.server === 'bfauth' ? Number(new URL(fx.bfBase).port) : fx.port,
                    c.server === 'bfauth' ? new URL(fx.bfBase).host : fx.host,
                  )
                : c.t === 'raw'
                  ? await timed(() => rawRequest(fx.port, c.chunks, { timeoutMs: REQ_MS, finish: c.finish, gapMs: c.gapMs, signal: caseAbort.signal })).then(
                      ([r, ms]) => ({ statuses: r.statuses, status: r.statuses[0], timedOut: r.timedOut, head: r.head, error: r.error, ms }) as Outcome,
                    )
                  : await sendWs(c);
            // Errors thrown from emitters or promises surface a tick or two later.
            await new Promise((r) => setImmediate(r));
            await new Promise((r) => setTimeout(r, 1));
            tally.cases++;
            tally.ms += o.ms;
            const key = o.timedOut ? 'timeout' : o.status !== undefined ? String(o.status) : o.error ? 'closed' : 'none';
            tally.statuses[key] = (tally.statuses[key] ?? 0) + 1;
            const newLogs = [...logs.slice(logMark), ...bfLogs.slice(bfMark)].filter((l) => /"level":(50|60)/.test(l));
            const newCrashes = crashes.slice(crashMark);
            const statuses = o.statuses ?? (o.status !== undefined ? [o.status] : []);
            let kind: string | undefined;
            if (newCrashes.length) kind = `crash (${newCrashes[0]!.origin})`;
            else if (o.timedOut) kind = `no answer within ${REQ_MS} ms`;
            else if (statuses.some((s) => s >= 500)) kind = 'status >= 500';
            else if (c.t === 'http' && o.error && o.status === undefined) kind = 'connection closed without an answer';
            if (o.timedOut && !newCrashes.length) timeouts++; // a hang that follows a crash is that crash, reported once
            if (kind) failures.push({ endpoint: ep.name, round, index: i, kind, c, o, logs: newLogs, console: consoleErrors.slice(consoleMark), crashes: newCrashes });
          }
        }
        if (!SOAK_MS || Date.now() > deadline) break;
      }
      currentCase = undefined;
      const elapsed = Date.now() - t0;

      // Still alive?
      const health = await fetch(`${fx.base}/healthz`, { signal: AbortSignal.timeout(REQ_MS) }).then(
        (r) => r.status,
        (e: Error) => `error: ${e.message}`,
      );
      const bfHealth = await fetch(`${fx.bfBase}/healthz`, { signal: AbortSignal.timeout(REQ_MS) }).then(
        (r) => r.status,
        (e: Error) => `error: ${e.message}`,
      );
      await new Promise((r) => setTimeout(r, 100));
      const strayCrashes = crashes.filter((c) => !failures.some((x) => x.crashes.includes(c)));

      // The report: coverage, then failures grouped by cause (the smallest example of each).
      const lines: string[] = [];
      lines.push(
        `[fuzz] seed=${SEED} rounds=${rounds} ${[...tallies.values()].reduce((s, t) => s + t.cases, 0)} requests in ${elapsed} ms${stoppedEarly ? ` — STOPPED EARLY: ${stoppedEarly}` : ''}`,
      );
      for (const [name, t] of tallies)
        lines.push(
          `  ${name.padEnd(58)} ${String(t.cases).padStart(4)} cases ${String(Math.round(t.ms)).padStart(6)} ms ${JSON.stringify(t.statuses)}${t.skipped ? ` (${t.skipped} skipped after repeated timeouts)` : ''}`,
        );
      console.log(lines.join('\n'));

      const groups = new Map<string, Failure[]>();
      for (const x of failures) {
        const k = signature(x);
        groups.set(k, [...(groups.get(k) ?? []), x]);
      }
      const titles: string[] = [];
      const report: string[] = [];
      let n = 0;
      for (const [k, xs] of groups) {
        const ex = [...xs].sort((a, b) => size(a.c) - size(b.c))[0]!;
        n++;
        const where = [...new Set(xs.map((x) => x.endpoint))];
        titles.push(`[${n}] ${ex.kind}${ex.o.status ? ` (${ex.o.status})` : ''} ×${xs.length} on ${where.join(', ')}`);
        report.push(
          `[${n}] ${ex.kind}${ex.o.status !== undefined ? `, status ${ex.o.status}` : ''} — ${xs.length} case(s) on ${where.length} endpoint(s): ${where.join('; ')}`,
          `      smallest: ${ex.endpoint}, round ${ex.round} case ${ex.index} (FUZZ_SEED=${SEED} FUZZ_ONLY="${ex.endpoint}")`,
          `      ${describeCase(ex.c, fx)}`,
          ...(ex.o.head ? [`      answer: ${JSON.stringify(named(ex.o.head, fx).slice(0, 200))}`] : []),
          ...(ex.o.error ? [`      client error: ${ex.o.error}`] : []),
          ...(ex.crashes.length ? [`      ${ex.crashes[0]!.origin}: ${ex.crashes[0]!.error.split('\n').join('\n        ')}`] : []),
          ...(ex.logs.length ? [`      server log: ${logStack(ex.logs)}`] : []),
          ...(ex.console.length ? [`      console.error: ${ex.console[0]!.split('\n').slice(0, 8).join('\n        ')}`] : []),
          ...(() => {
            const variants = [
              ...new Set(
                xs.map((x) =>
                  (x.crashes[0]?.error ?? x.logs[0] ?? x.console[0] ?? x.o.head ?? x.o.error ?? '')
                    .split('\n')[0]!
                    .replace(/"time":\d+,|"pid":\d+,|"hostname":"[^"]*",/g, '')
                    .slice(0, 160),
                ),
              ),
            ];
            return variants.length > 1 ? [`      variants (${variants.length}): ${variants.slice(0, 10).join(' | ')}`] : [];
          })(),
          `      group key: ${k}`,
        );
      }
      for (const c of strayCrashes) {
        titles.push(`stray ${c.origin}: ${c.error.split('\n')[0]}`);
        report.push(`stray ${c.origin} (not attributed to one case; during: ${c.during ?? 'setup/teardown'}):\n      ${c.error.split('\n').join('\n      ')}`);
      }
      if (health !== 200) titles.push(`GET /healthz afterwards: ${health}`);
      if (bfHealth !== 200) titles.push(`GET /healthz (server with credentials) afterwards: ${bfHealth}`);
      if (failures.length || strayCrashes.length) {
        const file = path.join(os.tmpdir(), `kamen-fuzz-${SEED}.json`);
        fs.writeFileSync(
          file,
          JSON.stringify(
            failures.map((x) => ({
              endpoint: x.endpoint,
              round: x.round,
              index: x.index,
              kind: x.kind,
              outcome: x.o,
              case:
                x.c.t === 'http'
                  ? { ...x.c, body: x.c.body === undefined ? undefined : Buffer.from(x.c.body).toString('base64') }
                  : x.c.t === 'raw'
                    ? { ...x.c, chunks: x.c.chunks.map((b) => b.toString('base64')) }
                    : { ...x.c, send: x.c.send.map((m) => Buffer.from(m).toString('base64')) },
              logs: x.logs,
              crashes: x.crashes,
            })),
            null,
            1,
          ),
        );
        report.push(`all ${failures.length} failing case(s), bodies in base64: ${file}`);
      }
      const message = `fuzz found ${titles.length} distinct problem(s) (seed ${SEED}):\n\n${report.join('\n\n')}`;
      if (titles.length) console.log(`[fuzz] ${titles.length} distinct problem(s):\n  ${titles.join('\n  ')}`);
      expect(titles, message).toEqual([]);
    },
    BUDGET_MS + 20_000,
  );
});
