/**
 * Generators and transports for test/security/fuzz.test.ts: a seeded PRNG (mulberry32), nasty
 * strings and JSON, multipart forms, WeChat XML, raw HTTP over node:net and raw WebSocket frames.
 * Everything random comes from an Rng, so one seed always builds the same requests.
 */
import net from 'node:net';

// ---------------------------------------------------------------------------------------------
// PRNG

/** 32-bit FNV-1a: derives independent streams from (seed, endpoint, round). */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  static for(...parts: Array<string | number>): Rng {
    return new Rng(hash32(parts.join(':')));
  }
  /** mulberry32 */
  float(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** [0, n) */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
  /** [lo, hi] */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  bool(p = 0.5): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** Calls one of the weighted alternatives. */
  choose<T>(alts: ReadonlyArray<readonly [number, () => T]>): T {
    const total = alts.reduce((s, [w]) => s + w, 0);
    let r = this.float() * total;
    for (const [w, f] of alts) {
      if ((r -= w) < 0) return f();
    }
    return alts[alts.length - 1]![1]();
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  /** [A-Za-z0-9] */
  alnum(n: number): string {
    const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    let s = '';
    for (let i = 0; i < n; i++) s += abc[this.int(abc.length)];
    return s;
  }
}

// ---------------------------------------------------------------------------------------------
// Strings

/** Inputs that break naive code: control and zero-width characters, lone surrogates, injections, numbers-as-strings. */
export const NASTY = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u200b\u200c\u200d\u2060\ufeff',
  '\u202eabc',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '🧨💳🎮',
  'Z̵̢̛̛̛̖̼',
  '\r\n\r\n',
  '\t\v\f',
  'null',
  'undefined',
  'true',
  '0',
  '-0',
  '1e309',
  'NaN',
  'Infinity',
  '9007199254740993',
  '-1',
  '00000000000000000001',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '__defineGetter__',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'; DROP TABLE orders;--",
  '" OR 1=1 --',
  '%00',
  '%',
  '%zz',
  '%E0%A4%A',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '${7*7}',
  '{{7*7}}',
  '#{7*7}',
  '$(id)',
  '`id`',
  ']]>',
  '<![CDATA[',
  '&amp;',
  '&#0;',
  '&#x110000;',
  '<!DOCTYPE x>',
  '\\u0000',
  '\\',
  '"',
  "'",
  '转人工',
  '付款了怎么查不到单号',
  '查看卡密',
  '没有订单号',
  '不用了',
  '卡密和订单号有什么区别',
  '重新开始',
  '帮助',
  '5',
  '1',
  'K8PL3MZ7Q2XV9TRB',
  'DJ20261123120055QWER',
  'K7QX9ZP2M4RT8WNA',
  '4200001234202611231234567890',
  '13812345678',
  'a@b.c',
  '昨晚八点',
  '8888',
  '订单K8PL3MZ7Q2XV9TRB 付款了还没到',
  'ＫＡＭＩ　全角',
  'İıſK',
  'ß'.repeat(50),
];

export function nastyString(rng: Rng): string {
  return rng.choose<string>([
    [6, () => rng.pick(NASTY)],
    [2, () => rng.pick(NASTY) + rng.pick(NASTY) + rng.pick(NASTY)],
    [2, () => rng.alnum(rng.range(1, 40))],
    [2, () => unicodeString(rng, rng.range(1, 60))],
    [1, () => rng.pick(['a', '中', '🧨', '\u200b', '\u0000']).repeat(rng.pick([256, 2001, 10_001, 40_000]))],
  ]);
}

/** Random code points from every plane, lone surrogates and controls included. */
export function unicodeString(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const cp = rng.choose<number>([
      [4, () => rng.range(0x20, 0x7e)],
      [2, () => rng.range(0, 0x1f)],
      [2, () => rng.range(0x4e00, 0x9fff)],
      [1, () => rng.range(0xd800, 0xdfff)],
      [1, () => rng.range(0x10000, 0x10ffff)],
      [1, () => rng.pick([0x200b, 0x200d, 0x202e, 0xfeff, 0xfffd, 0xfffe, 0x2028, 0x2029, 0x7f, 0x85])],
    ]);
    s += cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
  }
  return s;
}

/** A value a header may carry through fetch (a ByteString without CR, LF or NUL). */
export function headerSafe(s: string): string {
  return s.replace(/[^\x20-\x7e\x80-\xff\t]/g, '?').replace(/^[\s]+|[\s]+$/g, '');
}

// ---------------------------------------------------------------------------------------------
// JSON, built as text so keys such as __proto__ survive (an object literal would set the prototype)

export const j = (v: unknown): string => JSON.stringify(v) ?? 'null';
export const jobj = (entries: Array<[string, string]>): string => `{${entries.map(([k, v]) => `${j(k)}:${v}`).join(',')}}`;
export const jarr = (items: string[]): string => `[${items.join(',')}]`;

export const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);
export const deepObject = (n: number) => '{"a":'.repeat(n) + '0' + '}'.repeat(n);
export const deepMixed = (n: number) => '[{"a":'.repeat(n) + '0' + '}]'.repeat(n);

const KEYS = [
  'a',
  'type',
  'text',
  'id',
  'value',
  '__proto__',
  'constructor',
  'prototype',
  '',
  ' ',
  '\u0000',
  '中',
  '$where',
  'toString',
  'isAdmin',
  'buyer',
  'role',
  '0',
  'length',
];

/** Any JSON value, as text. */
export function jsonValue(rng: Rng, depth = 3): string {
  return rng.choose<string>([
    [2, () => 'null'],
    [2, () => rng.pick(['true', 'false'])],
    [3, () => rng.pick(['0', '-0', '1', '-1', '1e308', '-1e308', '1e-320', '3.14159', '9007199254740993', '123456789012345678901234567890', '1E400'])],
    [5, () => j(nastyString(rng))],
    [depth > 0 ? 3 : 0, () => jarr(Array.from({ length: rng.range(0, 5) }, () => jsonValue(rng, depth - 1)))],
    [
      depth > 0 ? 4 : 0,
      () => jobj(Array.from({ length: rng.range(0, 5) }, () => [rng.bool(0.6) ? rng.pick(KEYS) : nastyString(rng).slice(0, 40), jsonValue(rng, depth - 1)] as [string, string])),
    ],
    [1, () => rng.pick([deepArray(rng.pick([50, 500, 3000])), deepObject(rng.pick([50, 500, 3000]))])],
  ]);
}

/** A JSON body that is not valid JSON, or not what a JSON endpoint expects. */
export function brokenJson(rng: Rng): string {
  return rng.pick([
    '',
    ' ',
    '{',
    '}',
    '[',
    '{"a":',
    '{"a":1,}',
    "{'a':1}",
    '{"a":1}{"b":2}',
    'nul',
    'undefined',
    'NaN',
    '{"a":NaN}',
    '{"a":Infinity}',
    '"just a string"',
    '42',
    'true',
    'null',
    '[]',
    '[1,2,3]',
    '{"a":"\\ud800"}',
    '{"a":"\\u0000"}',
    '{"a":"\\x00"}',
    '\ufeff{}',
    '{"a":1}\u0000',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"a":01}',
    '{"a":.5}',
    '{"a":"unterminated',
    '\u0000\u0000',
    '{"a":' + '1'.repeat(400) + '}',
    '{"' + 'k'.repeat(20_000) + '":1}',
    jarr(Array.from({ length: 5000 }, () => '0')),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Files and multipart

export const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6300010000050001' + '0d0a2db40000000049454e44ae426082',
  'hex',
);
export const FILES: Record<string, Buffer> = {
  png: PNG,
  jpeg: Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex'),
  gif: Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'),
  webp: Buffer.from('RIFF\x1a\x00\x00\x00WEBPVP8 ', 'latin1'),
  pdf: Buffer.from('%PDF-1.4\n%%EOF\n'),
  svg: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
  html: Buffer.from('<!doctype html><script>alert(1)</script>'),
  empty: Buffer.alloc(0),
  text: Buffer.from('hello'),
};

export interface Part {
  headers: string[];
  data: Buffer | string;
}

/** A multipart body from parts, with the given boundary and ending ('close' = proper final boundary). */
export function multipart(boundary: string, parts: Part[], end: 'close' | 'none' | 'dashes-only' | 'garbage' | 'no-crlf' = 'close'): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${p.headers.map((h) => `${h}\r\n`).join('')}\r\n`, 'utf8'));
    chunks.push(typeof p.data === 'string' ? Buffer.from(p.data, 'utf8') : p.data);
    chunks.push(Buffer.from('\r\n'));
  }
  if (end === 'close') chunks.push(Buffer.from(`--${boundary}--\r\n`));
  else if (end === 'dashes-only') chunks.push(Buffer.from(`--${boundary}`));
  else if (end === 'garbage') chunks.push(Buffer.from(`--${boundary}--\r\ntrailing garbage \u0000\r\n--${boundary}\r\n`));
  else if (end === 'no-crlf') chunks.push(Buffer.from(`--${boundary}--`));
  else if (chunks.length) chunks.pop(); // 'none': not even the CRLF after the last part's data
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------------
// WeChat XML

export function cdata(s: string): string {
  return `<![CDATA[${s.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

/** A flat WeChat push from fields (values already XML text). */
export function xmlOf(fields: Array<[string, string]>): string {
  return `<xml>${fields.map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</xml>`;
}

/** XML that must be refused (DOCTYPE/ENTITY, malformed, not a single <xml> root, deeply nested). */
export function hostileXml(rng: Rng): string {
  const now = Math.floor(Date.now() / 1000);
  const ok = `<ToUserName>${cdata('gh_x')}</ToUserName><FromUserName>${cdata('o-x')}</FromUserName><CreateTime>${now}</CreateTime><MsgType>${cdata('text')}</MsgType><Content>${cdata('hi')}</Content>`;
  return rng.pick([
    `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml>${ok}<Content>&xxe;</Content></xml>`,
    `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml>${ok}<Content>&lol3;</Content></xml>`,
    `<!doctype xml><xml>${ok}</xml>`,
    `<!ENTITY x "y"><xml>${ok}</xml>`,
    `<xml>${ok}`,
    `<xml>${ok}</xml><xml>${ok}</xml>`,
    `<other>${ok}</other>`,
    `<xml><a><b></a></b></xml>`,
    `<xml><Content>unterminated</xml>`,
    `<xml><Content a="1" a="2">x</Content></xml>`,
    `<xml><1bad>x</1bad></xml>`,
    `<xml>&unknown;</xml>`,
    `<xml><Content>&#0;&#x1;&#xD800;&#1114112;</Content></xml>`,
    `<xml><Content><![CDATA[never closed</Content></xml>`,
    `<xml><!-- ${'-'.repeat(10)} --></xml>`,
    `<?xml version="1.0" encoding="UTF-16"?><xml>${ok}</xml>`,
    `\ufeff<xml>${ok}</xml>`,
    `<xml/>`,
    `<xml></xml>`,
    `text before<xml>${ok}</xml>`,
    `<xml>${ok}</xml>trailing`,
    `<xml>${'<a>'.repeat(rng.pick([100, 2000, 7000]))}x${'</a>'.repeat(0)}</xml>`,
    `<xml>${'<a>'.repeat(rng.pick([100, 2000, 7000, 9000]))}x${'</a>'.repeat(rng.pick([100, 2000, 7000, 9000]))}</xml>`,
    `<xml>${'<a><b>x</b></a>'.repeat(3000)}</xml>`,
    `<xml>${Array.from({ length: 3000 }, (_, i) => `<K${i}>v</K${i}>`).join('')}</xml>`,
    `<xml>${ok}${'<Content>dup</Content>'.repeat(500)}</xml>`,
    `<xml><__proto__><polluted>1</polluted></__proto__><constructor><prototype>1</prototype></constructor>${ok}</xml>`,
    `<xml><hasOwnProperty>x</hasOwnProperty><toString>x</toString>${ok}</xml>`,
    `<xml><?php echo 1; ?>${ok}</xml>`,
    `<x:xml xmlns:x="urn:x">${ok}</x:xml>`,
    `<xml>${ok}<Content>${'x'.repeat(70_000)}</Content></xml>`,
    '',
    ' ',
    '{"json":"not xml"}',
    '\u0000\u0000\u0000',
  ]);
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP over node:net

export interface RawResult {
  /** Status codes of every response seen on the connection. */
  statuses: number[];
  /** The first bytes of what came back (for reports). */
  head: string;
  closed: boolean;
  /** The server neither answered nor closed within the timeout. */
  timedOut: boolean;
  error?: string;
}

/**
 * Writes raw bytes and collects the answer. `finish: 'close'`: wait until the server closes the
 * connection (requests carry Connection: close); 'linger': the request is incomplete on purpose,
 * give up after `lingerMs` and only judge what arrived; 'reset': reset the connection right after writing.
 */
export function rawRequest(
  port: number,
  chunks: Array<Buffer | string>,
  opts: { timeoutMs: number; finish?: 'close' | 'linger' | 'reset'; lingerMs?: number; gapMs?: number; graceMs?: number; signal?: AbortSignal },
): Promise<RawResult> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let done = false;
    let error: string | undefined;
    const finish = (closed: boolean, timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(grace);
      sock.destroy();
      const text = data.toString('latin1');
      const statuses = [...text.matchAll(/(?:^|\r\n)HTTP\/\d(?:\.\d)? (\d{3})/g)].map((m) => Number(m[1]));
      resolve({ statuses, head: text.slice(0, 300), closed, timedOut: timedOut && statuses.length === 0, error });
    };
    const mode = opts.finish ?? 'close';
    const timer = setTimeout(() => finish(false, mode === 'close'), mode === 'linger' ? (opts.lingerMs ?? 300) : opts.timeoutMs);
    let grace: NodeJS.Timeout | undefined;
    sock.on('data', (d) => {
      data = Buffer.concat([data, d]);
      // An answer has arrived: the server may keep the connection open (keep-alive, a WebSocket), so
      // give it a moment for the rest (pipelined answers, a reaction to frames), then stop waiting.
      if (/^HTTP\/\d/.test(data.toString('latin1', 0, 8)) && data.includes('\r\n\r\n')) {
        clearTimeout(grace);
        grace = setTimeout(() => finish(false, false), opts.graceMs ?? 80);
      }
    });
    sock.on('error', (e) => void (error = (e as NodeJS.ErrnoException).code ?? e.message));
    opts.signal?.addEventListener('abort', () => finish(false, false), { once: true });
    sock.on('close', () => finish(true, false));
    sock.once('connect', async () => {
      for (const c of chunks) {
        if (sock.destroyed) break;
        sock.write(c);
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
      if (mode === 'reset') {
        sock.resetAndDestroy();
        setTimeout(() => finish(true, false), 30);
      }
    });
  });
}

/** One HTTP/1.1 request as bytes. Headers are written exactly as given (duplicates, odd spacing, raw bytes). */
export function rawHttp(method: string, target: string, headers: Array<[string, string]>, body: Buffer | string = '', version = 'HTTP/1.1'): Buffer {
  const head = `${method} ${target}${version ? ` ${version}` : ''}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
}

// ---------------------------------------------------------------------------------------------
// WebSocket frames (client → server, normally masked)

export function wsFrame(opcode: number, payload: Buffer, o: { fin?: boolean; rsv?: number; mask?: boolean; lengthOverride?: bigint } = {}): Buffer {
  const fin = o.fin ?? true;
  const mask = o.mask ?? true;
  const b0 = (fin ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | (opcode & 0x0f);
  const len = o.lengthOverride ?? BigInt(payload.length);
  let header: Buffer;
  if (len < 126n) header = Buffer.from([b0, (mask ? 0x80 : 0) | Number(len)]);
  else if (len < 65536n) {
    header = Buffer.alloc(4);
    header[0] = b0;
    header[1] = (mask ? 0x80 : 0) | 126;
    header.writeUInt16BE(Number(len), 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = b0;
    header[1] = (mask ? 0x80 : 0) | 127;
    header.writeBigUInt64BE(len, 2);
  }
  if (!mask) return Buffer.concat([header, payload]);
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= key[i % 4]!;
  return Buffer.concat([header, key, masked]);
}

/** A WebSocket handshake request (raw, so every header can be wrong). */
export function wsHandshake(
  target: string,
  host: string,
  extra: Array<[string, string]> = [],
  o: { key?: string | null; version?: string | null; upgrade?: string | null; connection?: string | null } = {},
): Buffer {
  const headers: Array<[string, string]> = [['Host', host]];
  if (o.upgrade !== null) headers.push(['Upgrade', o.upgrade ?? 'websocket']);
  if (o.connection !== null) headers.push(['Connection', o.connection ?? 'Upgrade']);
  if (o.key !== null) headers.push(['Sec-WebSocket-Key', o.key ?? 'dGhlIHNhbXBsZSBub25jZQ==']);
  if (o.version !== null) headers.push(['Sec-WebSocket-Version', o.version ?? '13']);
  return rawHttp('GET', target, [...headers, ...extra]);
}
