/**
 * The signed HTTP client of the `http` shop contract: one POST per operation, JSON both ways,
 * every answer validated before anyone reads it. The shop cannot answer → ShopUnavailableError:
 * connection refused or reset (`down`), no answer within SHOP_API_TIMEOUT_MS (`timeout`), 5xx
 * (`down`), our signature refused (`refused`), rate-limited (`quota`), an answer that is not the
 * contract's (`bad_response`). Never "not found" for any of these.
 */
import type pino from 'pino';
import type { z } from 'zod';
import type { Clock } from '../../time.js';
import { ShopUnavailableError } from '../errors.js';
import type { HttpShopSettings } from '../settings.js';
import { ErrorAnswer, OPERATIONS, type Operation } from './contract.js';
import { signedHeaders } from './signature.js';

/** The most an answer may weigh (fifty orders with their timelines fit many times over). */
export const MAX_ANSWER_BYTES = 2 * 1024 * 1024;
const SYSTEM = 'http';

export interface ShopAnswer {
  status: number;
  /** The parsed JSON body (undefined when the body was empty or not JSON). */
  body: unknown;
}

export class ShopApiClient {
  constructor(
    private readonly settings: HttpShopSettings,
    private readonly clock: Clock,
    private readonly logger: pino.Logger,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /**
   * Calls one operation and validates a 2xx answer with `schema`. `notFound`, when given, is the
   * value a JSON 404 stands for (an unknown order); otherwise a 404 is an error like any 4xx.
   */
  async call<T extends z.ZodTypeAny>(op: Operation, payload: unknown, schema: T, notFound?: () => z.infer<T>): Promise<z.infer<T>> {
    const answer = await this.post(op, payload);
    // "No such order" is a 404 that says so in JSON ({order:null} or an error object). A bare 404
    // (an HTML page, an empty body) is a wrong SHOP_API_BASE or a missing route: never "not found".
    if (answer.status === 404 && notFound && answer.body !== undefined && (schema.safeParse(answer.body).success || ErrorAnswer.safeParse(answer.body).success)) return notFound();
    if (answer.status < 200 || answer.status >= 300) throw this.failure(op, answer);
    if (answer.body === undefined) {
      this.logger.warn({ op, status: answer.status }, 'shop answer is not JSON');
      throw new ShopUnavailableError(SYSTEM, 'bad_response', `${OPERATIONS[op]}: HTTP ${answer.status}, body is not JSON`);
    }
    const parsed = schema.safeParse(answer.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
      this.logger.warn({ op, issue: where }, 'shop answer does not follow the contract');
      throw new ShopUnavailableError(SYSTEM, 'bad_response', `${OPERATIONS[op]}: ${where}`);
    }
    return parsed.data;
  }

  private async post(op: Operation, payload: unknown): Promise<ShopAnswer> {
    const url = new URL(this.settings.SHOP_API_BASE + OPERATIONS[op]);
    const body = JSON.stringify(payload);
    const headers = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      ...signedHeaders({ secret: this.settings.SHOP_API_SECRET, key: this.settings.SHOP_API_KEY, method: 'POST', path: url.pathname, body, now: this.clock.now() }),
    };
    const signal = AbortSignal.timeout(this.settings.SHOP_API_TIMEOUT_MS);
    let text: string;
    let status: number;
    try {
      const res = await this.fetchImpl(url, { method: 'POST', headers, body, signal, redirect: 'error' });
      status = res.status;
      text = await readCapped(res, MAX_ANSWER_BYTES);
    } catch (err) {
      throw this.transportFailure(op, err);
    }
    // A body that is not JSON (a proxy's HTML error page, garbage) reads as undefined; call() decides.
    try {
      return { status, body: text.trim() === '' ? undefined : JSON.parse(text) };
    } catch {
      return { status, body: undefined };
    }
  }

  private failure(op: Operation, answer: ShopAnswer): ShopUnavailableError {
    const err = ErrorAnswer.safeParse(answer.body);
    const code = err.success ? err.data.error.code : undefined;
    const detail = `${OPERATIONS[op]}: HTTP ${answer.status}${code ? ` ${code}` : ''}`;
    this.logger.warn({ op, status: answer.status, code }, 'shop answered with an error');
    if (answer.status >= 500) return new ShopUnavailableError(SYSTEM, 'down', detail);
    if (answer.status === 429) return new ShopUnavailableError(SYSTEM, 'quota', detail);
    if (answer.status === 401 || answer.status === 403) return new ShopUnavailableError(SYSTEM, 'refused', `${detail} (check SHOP_API_SECRET, SHOP_API_KEY and both clocks)`);
    if (answer.status >= 400) return new ShopUnavailableError(SYSTEM, 'refused', detail);
    return new ShopUnavailableError(SYSTEM, 'bad_response', detail);
  }

  private transportFailure(op: Operation, err: unknown): ShopUnavailableError {
    if (err instanceof ShopUnavailableError) return err;
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const path = OPERATIONS[op];
    if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
      this.logger.warn({ op, timeoutMs: this.settings.SHOP_API_TIMEOUT_MS }, 'shop did not answer in time');
      return new ShopUnavailableError(SYSTEM, 'timeout', `${path}: no answer within ${this.settings.SHOP_API_TIMEOUT_MS} ms`);
    }
    const why = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
    this.logger.warn({ op, err: why }, 'shop unreachable');
    return new ShopUnavailableError(SYSTEM, 'down', `${path}: ${why}`);
  }
}

/** The body as text, refusing more than `max` bytes (a runaway answer must not fill the memory). */
async function readCapped(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw new ShopUnavailableError(SYSTEM, 'bad_response', `answer of ${declared} bytes is over the ${max}-byte limit`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new ShopUnavailableError(SYSTEM, 'bad_response', `answer is over the ${max}-byte limit`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
