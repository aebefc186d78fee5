/**
 * The few calls this adapter makes to Dujiao-Next's documented buyer API (prefix /api/v1):
 * the guest order detail and the guest fulfilment download, both proved by the checkout e-mail
 * and the order password.
 *
 * Both the HTTP status and the envelope's `status_code` are checked. The numeric error codes are
 * not documented (brief §4.3), so we branch on "0 or not" plus the HTTP class:
 * - 2xx with status_code 0 and an order in `data` → the order;
 * - 4xx (other than 401/403/429), or a non-zero 4xx-like status_code → the shop's "no such order
 *   for these credentials" (wrong number and wrong proof look the same) → null;
 * - 5xx, timeout, refused connection → ShopUnavailableError down/timeout; 429, 401, 403 → refused;
 * - HTML, truncated JSON, a redirect, status_code 0 without an order → bad_response.
 *
 * The credentials travel in the query string (the API's design): URLs are never logged nor put in
 * errors; only the route, a masked order number and the shop's X-Request-ID are.
 */
import type pino from 'pino';
import { ShopUnavailableError } from '../errors.js';
import { maskSecret } from '../masking.js';
import { DnEnvelope, DnOrder } from './wire.js';

export interface GuestCredentials {
  email: string;
  password: string;
}

export interface ClientOptions {
  /** Site root without a trailing slash (SHOP_API_BASE). */
  base: string;
  timeoutMs: number;
  logger: pino.Logger;
  /** For tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

const SYSTEM = 'dujiao-next';

type Route = 'guest_order' | 'guest_download';

interface Answer {
  status: number;
  requestId?: string;
  contentType: string;
  body: string;
}

export class DujiaoNextClient {
  private readonly fetchImpl: typeof fetch;
  constructor(private readonly opts: ClientOptions) {
    this.fetchImpl = opts.fetch ?? fetch;
  }

  /** The guest order detail; null when the shop has no such order for these credentials. */
  async guestOrder(orderNo: string, creds: GuestCredentials): Promise<DnOrder | null> {
    const route: Route = 'guest_order';
    const a = await this.get(route, orderNo, `/api/v1/guest/orders/${encodeURIComponent(orderNo)}`, creds);
    const env = this.envelope(route, orderNo, a);
    if (env === null) return null;
    const order = DnOrder.safeParse(env.data);
    if (!order.success) throw this.fail(route, orderNo, a, 'bad_response', `status_code 0 without a readable order (${order.error.issues[0]?.path.join('.') || 'data'})`);
    return order.data;
  }

  /**
   * The full fulfilment content of an order (parent or child number). Its format is not documented
   * (brief §4.2): a plain-text body is taken as is; a JSON envelope is read for a string in `data`
   * (or `data.content` / `data.payload`).
   */
  async guestDownload(orderNo: string, creds: GuestCredentials): Promise<string | null> {
    const route: Route = 'guest_download';
    const a = await this.get(route, orderNo, `/api/v1/guest/orders/${encodeURIComponent(orderNo)}/fulfillment/download`, creds);
    const looksJson = /json/i.test(a.contentType) || /^\s*\{/.test(a.body);
    if (!looksJson) {
      if (a.status >= 200 && a.status < 300 && !/html/i.test(a.contentType)) return a.body;
      this.classifyStatus(route, orderNo, a);
      throw this.fail(route, orderNo, a, 'bad_response', `unexpected ${a.contentType || 'untyped'} body`);
    }
    const env = this.envelope(route, orderNo, a);
    if (env === null) return null;
    const data = env.data;
    const text =
      typeof data === 'string'
        ? data
        : data && typeof data === 'object'
          ? [(data as Record<string, unknown>).content, (data as Record<string, unknown>).payload].find((v) => typeof v === 'string')
          : undefined;
    if (typeof text !== 'string') throw this.fail(route, orderNo, a, 'bad_response', 'download envelope without content');
    return text;
  }

  private async get(route: Route, orderNo: string, path: string, creds: GuestCredentials): Promise<Answer> {
    const query = new URLSearchParams({ email: creds.email, order_password: creds.password });
    const started = Date.now();
    try {
      // A redirect would carry the credentials in its URL to wherever it points: not followed.
      const res = await this.fetchImpl(`${this.opts.base}${path}?${query}`, {
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      const body = await res.text();
      return { status: res.status, requestId: res.headers.get('x-request-id') ?? undefined, contentType: res.headers.get('content-type') ?? '', body };
    } catch (err) {
      const name = (err as Error)?.name;
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      // The error's own message could quote the URL (and so the credentials): only codes and names.
      const cause = String((err as { cause?: { code?: string } })?.cause?.code ?? name ?? 'error').slice(0, 60);
      this.opts.logger.warn({ route, orderNo: maskSecret(orderNo), ms: Date.now() - started, cause }, timedOut ? 'dujiao-next: request timed out' : 'dujiao-next: request failed');
      throw new ShopUnavailableError(SYSTEM, timedOut ? 'timeout' : 'down', timedOut ? `${route}: no answer within ${this.opts.timeoutMs} ms` : `${route}: ${cause}`);
    }
  }

  /** Throws for answers that are not the shop's verdict on the order (5xx, 429, 401/403, 3xx). */
  private classifyStatus(route: Route, orderNo: string, a: Answer): void {
    if (a.status >= 500) throw this.fail(route, orderNo, a, 'down', `HTTP ${a.status}`);
    if (a.status === 429) throw this.fail(route, orderNo, a, 'refused', 'HTTP 429 (rate limited)');
    if (a.status === 401 || a.status === 403) throw this.fail(route, orderNo, a, 'refused', `HTTP ${a.status}`);
    if (a.status < 200 || (a.status >= 300 && a.status < 400)) throw this.fail(route, orderNo, a, 'bad_response', `HTTP ${a.status}`);
  }

  /** The envelope of a 2xx/4xx answer: its success, or null for the shop's "not found / not yours". */
  private envelope(route: Route, orderNo: string, a: Answer): DnEnvelope | null {
    this.classifyStatus(route, orderNo, a);
    let json: unknown;
    try {
      json = JSON.parse(a.body);
    } catch {
      throw this.fail(route, orderNo, a, 'bad_response', `HTTP ${a.status} with a body that is not JSON (${a.contentType || 'untyped'}, ${a.body.length} bytes)`);
    }
    const env = DnEnvelope.safeParse(json);
    if (!env.success) throw this.fail(route, orderNo, a, 'bad_response', `HTTP ${a.status} without the {status_code, msg, data} envelope`);
    const code = env.data.status_code;
    const requestId = a.requestId ?? requestIdIn(env.data.data);
    if (a.status < 300 && code === 0) return env.data;
    if (code === 0) throw this.fail(route, orderNo, a, 'bad_response', `HTTP ${a.status} with status_code 0`);
    if (code === 429) throw this.fail(route, orderNo, { ...a, requestId }, 'refused', 'status_code 429 (rate limited)');
    if (code === 401 || code === 403) throw this.fail(route, orderNo, { ...a, requestId }, 'refused', `status_code ${code}`);
    if (code >= 500 && code < 600 && a.status < 400) throw this.fail(route, orderNo, { ...a, requestId }, 'down', `status_code ${code}`);
    // The shop's verdict: no order with this number for these credentials (or a query it will not answer).
    this.opts.logger.debug({ route, orderNo: maskSecret(orderNo), httpStatus: a.status, statusCode: code, requestId }, 'dujiao-next: no order for these credentials');
    return null;
  }

  private fail(route: Route, orderNo: string, a: Answer, reason: ShopUnavailableError['reason'], detail: string): ShopUnavailableError {
    const requestId = a.requestId ?? safeRequestId(a.body);
    this.opts.logger.warn({ route, orderNo: maskSecret(orderNo), httpStatus: a.status, requestId, reason }, `dujiao-next: ${detail}`);
    return new ShopUnavailableError(SYSTEM, reason, `${route}: ${detail}${requestId ? ` (request ${requestId})` : ''}`);
  }
}

function requestIdIn(data: unknown): string | undefined {
  const id = data && typeof data === 'object' ? (data as Record<string, unknown>).request_id : undefined;
  return typeof id === 'string' && /^[\w.-]{1,80}$/.test(id) ? id : undefined;
}

function safeRequestId(body: string): string | undefined {
  try {
    return requestIdIn((JSON.parse(body) as { data?: unknown })?.data);
  } catch {
    return undefined;
  }
}
