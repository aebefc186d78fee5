/**
 * WeChat's outbound HTTP APIs: access tokens (cached in SQLite, refreshed early, one fetch at a
 * time, fetched again when WeChat says the token is invalid or expired) and text messages, for the
 * Official Account (customer-service message API) and a WeCom app (app message API). Base URLs come
 * from config, so tests point them at a local fake. Secrets and tokens are never logged.
 */
import type { WeChatRepo } from './store.js';

export class WeChatApiError extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`WeChat API error ${errcode}: ${errmsg}`);
  }
  /** Worth trying again later: network trouble, HTTP 5xx, WeChat "system busy". */
  get retryable(): boolean {
    return this.errcode === -1 || this.errcode === 45009 || this.errcode === 45011;
  }
}

/** Token errors after which a fresh token is fetched and the call tried once more. */
const TOKEN_ERRORS = new Set([40001, 40014, 42001]);
const REFRESH_EARLY_MS = 300_000;

export interface MessageApi {
  /** Sends one text message; throws WeChatApiError. */
  sendText(userId: string, text: string): Promise<void>;
}

async function requestJson(url: string, init: { method: 'GET' | 'POST'; body?: unknown }): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method,
      headers: init.body === undefined ? undefined : { 'content-type': 'application/json' },
      // WeChat wants UTF-8 JSON with Chinese as is (JSON.stringify does not escape it).
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new WeChatApiError(-1, `network: ${(err as Error).name}`);
  }
  if (!res.ok) throw new WeChatApiError(-1, `HTTP ${res.status}`);
  try {
    return (await res.json()) as Record<string, unknown>;
  } catch {
    throw new WeChatApiError(-1, 'response is not JSON');
  }
}

abstract class TokenedApi implements MessageApi {
  private inflight?: Promise<string>;
  /** Token fetches so far (for tests and the bench). */
  fetches = 0;

  constructor(
    protected readonly store: WeChatRepo,
    protected readonly channel: string,
    protected readonly base: string,
  ) {}

  protected abstract fetchToken(): Promise<{ token: string; expiresInSec: number }>;
  abstract sendText(userId: string, text: string): Promise<void>;

  async token(): Promise<string> {
    const cached = await this.store.token(this.channel);
    if (cached && cached.expiresAt - REFRESH_EARLY_MS > Date.now()) return cached.token;
    // One fetch at a time: a fetch invalidates the previous token, so parallel fetches would fight.
    this.inflight ??= (async () => {
      try {
        this.fetches++;
        const t = await this.fetchToken();
        await this.store.saveToken(this.channel, t.token, Date.now() + t.expiresInSec * 1000);
        return t.token;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  /** POST with the access token; on a token error, one fresh token and one more try. */
  protected async call(path: string, body: unknown): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.token();
      const res = await requestJson(`${this.base}${path}?access_token=${encodeURIComponent(token)}`, { method: 'POST', body });
      const code = Number(res.errcode ?? 0);
      if (TOKEN_ERRORS.has(code) && attempt === 0) {
        await this.store.dropToken(this.channel, token);
        continue;
      }
      if (code !== 0) throw new WeChatApiError(code, String(res.errmsg ?? ''));
      return res;
    }
  }

  protected static tokenFrom(res: Record<string, unknown>): { token: string; expiresInSec: number } {
    const code = Number(res.errcode ?? 0);
    if (code !== 0 || typeof res.access_token !== 'string' || !res.access_token) throw new WeChatApiError(code || -1, String(res.errmsg ?? 'no access_token'));
    return { token: res.access_token, expiresInSec: Number(res.expires_in) > 0 ? Number(res.expires_in) : 7200 };
  }
}

/** Official Account: /cgi-bin/token and the customer-service message API. */
export class OfficialAccountApi extends TokenedApi {
  constructor(
    store: WeChatRepo,
    base: string,
    private readonly appId: string,
    private readonly appSecret: string,
  ) {
    super(store, 'wechat', base);
  }

  protected async fetchToken() {
    const q = new URLSearchParams({ grant_type: 'client_credential', appid: this.appId, secret: this.appSecret });
    return TokenedApi.tokenFrom(await requestJson(`${this.base}/cgi-bin/token?${q}`, { method: 'GET' }));
  }

  async sendText(openId: string, text: string): Promise<void> {
    await this.call('/cgi-bin/message/custom/send', { touser: openId, msgtype: 'text', text: { content: text } });
  }
}

/** WeCom self-built app: /cgi-bin/gettoken and the app message API. */
export class WeComApi extends TokenedApi {
  constructor(
    store: WeChatRepo,
    base: string,
    private readonly corpId: string,
    private readonly secret: string,
    private readonly agentId: number,
  ) {
    super(store, 'wecom', base);
  }

  protected async fetchToken() {
    const q = new URLSearchParams({ corpid: this.corpId, corpsecret: this.secret });
    return TokenedApi.tokenFrom(await requestJson(`${this.base}/cgi-bin/gettoken?${q}`, { method: 'GET' }));
  }

  async sendText(userId: string, text: string): Promise<void> {
    const res = await this.call('/cgi-bin/message/send', { touser: userId, msgtype: 'text', agentid: this.agentId, text: { content: text }, safe: 0 });
    // errcode 0 but the member could not be reached: as undeliverable as an error.
    if (typeof res.invaliduser === 'string' && res.invaliduser) throw new WeChatApiError(81013, `invaliduser ${res.invaliduser}`);
  }
}
