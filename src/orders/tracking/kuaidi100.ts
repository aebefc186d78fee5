/**
 * The Kuaidi100 (快递100) wire protocol: real-time query, carrier auto-detection, subscription, and
 * the push it sends back. Nothing here knows about orders; the Tracker (./index.ts) does.
 *
 * - Query: POST {apiBase}/poll/query.do, form `customer`, `sign`, `param`; `param` is a JSON string
 *   serialised once and signed as sent: sign = UPPER(MD5(param + key + customer)).
 * - Auto-detection: GET {autonumBase}/autonumber/auto?num=&key= → [{comCode, name}].
 * - Subscribe: POST {apiBase}/poll, form `schema=json&param=<json>` (unsigned; the key is inside).
 * - Push: form `param` + `sign` = UPPER(MD5(param + salt)) over `param` exactly as received.
 *
 * Every call answers with a result value; nothing here throws on a network or protocol failure.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** One carrier scan, newest first in `TrackResult.data`. Times are Asia/Shanghai wall clock. */
export interface TrackEvent {
  time: string;
  ftime: string;
  context: string;
  status?: string;
  statusCode?: string;
  areaName?: string;
}

/** A successful answer (query or a push's `lastResult`). */
export interface TrackResult {
  com: string;
  nu: string;
  /** 0 在途 1 揽收 2 疑难 3 签收 4 退签 5 派件 6 退回 7 转投 8/10/11/12 清关 13 清关异常 14 拒签 */
  state: string;
  /** "1" when the parcel is signed for. */
  ischeck: string;
  condition?: string;
  data: TrackEvent[];
}

/**
 * Why a query gave no track. `no_result` (returnCode 500) is the normal answer before the first
 * scan and not an error; `number_unknown` is the `status:"201"` "单号不存在或者已经过期" variant.
 */
export type QueryFailure =
  | 'no_result'
  | 'number_unknown'
  | 'bad_request'
  | 'phone_required'
  | 'server_error'
  | 'server_busy'
  | 'bad_signature'
  | 'quota'
  | 'rejected'
  | 'timeout'
  | 'network'
  | 'bad_response';

export type QueryResult = { ok: true; track: TrackResult } | { ok: false; failure: QueryFailure; returnCode?: string; message?: string };

export interface CarrierGuess {
  comCode: string;
  name?: string;
}

export interface QueryInput {
  com: string;
  num: string;
  /** Last four digits of the receiver's phone, when known. */
  phone?: string;
}

export interface SubscribeInput {
  /** Empty when the carrier is unknown: Kuaidi100 detects it (autoCom). */
  com?: string;
  num: string;
  phone?: string;
  callbackUrl: string;
  salt: string;
}

/** The part of the client the Tracker uses (tests may hand in their own). */
export interface Kuaidi100Api {
  query(input: QueryInput): Promise<QueryResult>;
  detectCarrier(num: string): Promise<CarrierGuess[]>;
  subscribe(input: SubscribeInput): Promise<boolean>;
}

export interface Kuaidi100ClientOptions {
  customer: string;
  key: string;
  /** https://poll.kuaidi100.com (KUAIDI100_API_BASE), no trailing slash. */
  apiBase: string;
  /** http://www.kuaidi100.com (KUAIDI100_AUTONUM_BASE), no trailing slash. */
  autonumBase: string;
  /** Longest one call may take; default 5000 ms. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export function md5Upper(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex').toUpperCase();
}

/** The query signature over `param` exactly as sent. */
export function querySign(param: string, key: string, customer: string): string {
  return md5Upper(param + key + customer);
}

/** The signature Kuaidi100 puts on a push, over `param` exactly as received. */
export function pushSign(param: string, salt: string): string {
  return md5Upper(param + salt);
}

/** Whether a push's `sign` matches (constant time; case of the hex digits ignored). */
export function verifyPushSign(param: string, sign: string, salt: string): boolean {
  const want = Buffer.from(pushSign(param, salt), 'utf8');
  const got = Buffer.from(sign.trim().toUpperCase(), 'utf8');
  return want.length === got.length && timingSafeEqual(want, got);
}

/** The query `param` JSON, in the field order of the SDK's examples. */
export function queryParam(input: QueryInput): string {
  const p: Record<string, string> = { com: input.com, num: input.num };
  if (input.phone) p.phone = input.phone;
  p.resultv2 = '4';
  p.show = '0';
  p.order = 'desc';
  return JSON.stringify(p);
}

/** The subscription `param` JSON (the key travels inside it). */
export function subscribeParam(input: SubscribeInput, key: string): string {
  const parameters: Record<string, string> = { callbackurl: input.callbackUrl, salt: input.salt, resultv2: '4' };
  if (input.phone) parameters.phone = input.phone;
  if (!input.com) parameters.autoCom = '1';
  return JSON.stringify({ company: input.com ?? '', number: input.num, key, parameters });
}

const FAILURE_BY_CODE: Record<string, QueryFailure> = {
  '400': 'bad_request',
  '408': 'phone_required',
  '500': 'no_result',
  '501': 'server_error',
  '502': 'server_busy',
  '503': 'bad_signature',
  '601': 'quota',
};

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

function parseEvents(raw: unknown): TrackEvent[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const out: TrackEvent[] = [];
  for (const item of raw) {
    if (!item || typeof item !== 'object') continue;
    const r = item as Record<string, unknown>;
    const ftime = str(r.ftime) ?? str(r.time);
    if (!ftime) continue;
    const ev: TrackEvent = { time: str(r.time) ?? ftime, ftime, context: str(r.context) ?? '' };
    const status = str(r.status);
    const statusCode = str(r.statusCode);
    const areaName = str(r.areaName);
    if (status) ev.status = status;
    if (statusCode) ev.statusCode = statusCode;
    if (areaName) ev.areaName = areaName;
    out.push(ev);
  }
  // Newest first, whatever order arrived ("YYYY-MM-DD HH:MM:SS" sorts as text; the sort is stable).
  return out.sort((a, b) => (a.ftime < b.ftime ? 1 : a.ftime > b.ftime ? -1 : 0));
}

/** A track from a query answer or a push's `lastResult`; undefined when it is not one. */
export function parseTrack(raw: unknown): TrackResult | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const data = parseEvents(r.data);
  const state = str(r.state);
  if (!data || state === undefined) return undefined;
  const status = str(r.status);
  if (status !== undefined && status !== '200') return undefined;
  if (r.result === false) return undefined;
  const t: TrackResult = { com: str(r.com) ?? '', nu: str(r.nu) ?? '', state, ischeck: str(r.ischeck) ?? '0', data };
  const condition = str(r.condition);
  if (condition) t.condition = condition;
  return t;
}

/** Reads a query answer's body (any HTTP status: errors come as JSON too). */
export function parseQueryAnswer(body: string): QueryResult {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, failure: 'bad_response' };
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return { ok: false, failure: 'bad_response' };
  const r = json as Record<string, unknown>;
  const message = str(r.message);
  const returnCode = str(r.returnCode);
  if (r.result === false || returnCode !== undefined) {
    const code = returnCode ?? '';
    return { ok: false, failure: FAILURE_BY_CODE[code] ?? 'rejected', returnCode: code || undefined, message };
  }
  const status = str(r.status);
  if (status !== undefined && status !== '200') {
    // {"status":"201","message":"快递公司参数异常：单号不存在或者已经过期","state":"0","data":[]}
    return { ok: false, failure: status === '201' ? 'number_unknown' : 'rejected', returnCode: status, message };
  }
  const track = parseTrack(r);
  return track ? { ok: true, track } : { ok: false, failure: 'bad_response', message };
}

/** The push's `param`, read leniently (only `status` is required). */
export interface PushParam {
  status: 'polling' | 'shutdown' | 'abort' | 'updateall' | string;
  message: string;
  autoCheck: string;
  comOld: string;
  comNew: string;
  lastResult?: TrackResult;
  /** `lastResult` as sent, for the number and carrier when it holds no track (an abort). */
  nu?: string;
  com?: string;
  lastStatus?: string;
  lastMessage?: string;
}

/** Parses a push's `param` JSON; undefined when it is not JSON or not a push. */
export function parsePush(param: string): PushParam | undefined {
  let json: unknown;
  try {
    json = JSON.parse(param);
  } catch {
    return undefined;
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const r = json as Record<string, unknown>;
  const status = str(r.status);
  if (!status) return undefined;
  const last = r.lastResult && typeof r.lastResult === 'object' ? (r.lastResult as Record<string, unknown>) : undefined;
  const push: PushParam = {
    status,
    message: str(r.message) ?? '',
    autoCheck: str(r.autoCheck) ?? '0',
    comOld: str(r.comOld) ?? '',
    comNew: str(r.comNew) ?? '',
  };
  if (last) {
    push.lastResult = parseTrack(last);
    push.nu = str(last.nu);
    push.com = str(last.com);
    push.lastStatus = str(last.status);
    push.lastMessage = str(last.message);
  }
  return push;
}

function failureOf(err: unknown): QueryFailure {
  const name = (err as { name?: string } | undefined)?.name;
  return name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network';
}

export class Kuaidi100Client implements Kuaidi100Api {
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: Kuaidi100ClientOptions) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.fetch = opts.fetch ?? globalThis.fetch;
  }

  async query(input: QueryInput): Promise<QueryResult> {
    const param = queryParam(input);
    const body = new URLSearchParams({ customer: this.opts.customer, sign: querySign(param, this.opts.key, this.opts.customer), param });
    try {
      const res = await this.fetch(`${this.opts.apiBase}/poll/query.do`, { method: 'POST', body, signal: AbortSignal.timeout(this.timeoutMs) });
      const text = await res.text();
      const result = parseQueryAnswer(text);
      if (!result.ok && result.failure === 'bad_response' && !res.ok)
        return { ok: false, failure: res.status >= 500 ? 'server_error' : 'bad_response', returnCode: String(res.status) };
      return result;
    } catch (err) {
      return { ok: false, failure: failureOf(err) };
    }
  }

  /** Likely carriers for a number, most likely first; [] when Kuaidi100 cannot tell or does not answer. */
  async detectCarrier(num: string): Promise<CarrierGuess[]> {
    const url = `${this.opts.autonumBase}/autonumber/auto?${new URLSearchParams({ num, key: this.opts.key })}`;
    try {
      const res = await this.fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
      if (!res.ok) return [];
      const json: unknown = JSON.parse(await res.text());
      if (!Array.isArray(json)) return [];
      const out: CarrierGuess[] = [];
      for (const item of json) {
        const code = str((item as Record<string, unknown> | null)?.comCode);
        if (!code || !/^[a-z0-9_-]{1,40}$/i.test(code)) continue;
        const name = str((item as Record<string, unknown>).name);
        out.push(name ? { comCode: code, name } : { comCode: code });
      }
      return out;
    } catch {
      return [];
    }
  }

  /** Whether Kuaidi100 took the subscription ({"result":true,"returnCode":"200"}); false for anything else. */
  async subscribe(input: SubscribeInput): Promise<boolean> {
    const body = new URLSearchParams({ schema: 'json', param: subscribeParam(input, this.opts.key) });
    try {
      const res = await this.fetch(`${this.opts.apiBase}/poll`, { method: 'POST', body, signal: AbortSignal.timeout(this.timeoutMs) });
      const json = JSON.parse(await res.text()) as Record<string, unknown> | null;
      return !!json && json.result === true && str(json.returnCode) === '200';
    } catch {
      return false;
    }
  }
}
