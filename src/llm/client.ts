/**
 * One small client for any OpenAI-compatible Chat Completions endpoint (OpenAI, DeepSeek, Qwen's
 * DashScope compatible mode, Moonshot, GLM, vLLM / Ollama / llama.cpp), on the `openai` package.
 *
 * What a real deployment needs around it:
 * - a time budget per call that the caller sets (a turn must stay inside WeChat's 5-second rule):
 *   the SDK's own retries are off (its per-attempt timeout and its `retry-after` wait ignore our
 *   abort signal); we retry once ourselves, only when the budget still allows it;
 * - JSON mode per provider: `json_object` (the schema goes in the prompt; the default), or
 *   `json_schema` where the provider enforces one, or `none` (plain text, parsed leniently);
 * - a circuit breaker: after repeated failures the bot is rules-only for a while;
 * - a daily token budget, and usage counted and logged (never the content: no buyer message, no
 *   contact, no key reaches the log).
 * Every failure is a value, never an exception: the caller falls back to what it had.
 */
import OpenAI from 'openai';
import type pino from 'pino';
import { localFields } from '../time.js';

export type JsonMode = 'json_object' | 'json_schema' | 'none';

export interface LlmSettings {
  baseUrl: string;
  apiKey: string;
  model: string;
  jsonMode: JsonMode;
  /** Longest a turn may wait for the model, milliseconds (all attempts together). */
  budgetMs: number;
  /** Tokens a day (shop-local day); 0 = no limit. */
  dailyTokens: number;
  breakerFailures: number;
  breakerCooldownSec: number;
  timeZone: string;
}

export type LlmResult =
  | { ok: true; value: unknown; usage: { prompt: number; completion: number }; ms: number }
  | { ok: false; reason: 'breaker' | 'budget' | 'timeout' | 'http' | 'refused' | 'truncated' | 'filtered' | 'malformed' | 'empty'; status?: number; ms: number };

export interface Message {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Parses a model's JSON answer: bare, fenced (```json …```), or the first {…} in the text. */
export function parseJsonObject(text: string): unknown {
  const t = text.trim();
  const candidates = [t, /```(?:json)?\s*([\s\S]*?)```/i.exec(t)?.[1], t.slice(t.indexOf('{'), t.lastIndexOf('}') + 1)];
  for (const c of candidates) {
    if (!c) continue;
    try {
      const v = JSON.parse(c);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v;
    } catch {
      // next candidate
    }
  }
  return undefined;
}

/** Tokens spent per shop day, kept where every instance counts into one total (storage/sql/llmUsage.ts). */
export interface LlmUsageRepo {
  /** Adds tokens to a day; the day's total across instances. */
  add(day: string, tokens: number): Promise<number>;
  total(day: string): Promise<number>;
}

export class LlmClient {
  private readonly sdk: OpenAI;
  private failures = 0;
  private openUntil = 0;
  private day = '';
  private tokensToday = 0;
  /** Counters for tests, the bench and the log. */
  readonly stats = { calls: 0, ok: 0, failed: 0, retries: 0, promptTokens: 0, completionTokens: 0, skipped: 0 };

  /**
   * `today` is the shop's clock (whose day the token budget counts); elapsed times and the
   * breaker's cooldown are real time (`now`).
   */
  constructor(
    private readonly s: LlmSettings,
    private readonly logger: pino.Logger,
    private readonly today: () => number = Date.now,
    private readonly now: () => number = Date.now,
    /** Shared usage: the daily budget holds across instances and restarts (without it, per process). */
    private readonly usage?: LlmUsageRepo,
  ) {
    this.sdk = new OpenAI({ baseURL: s.baseUrl, apiKey: s.apiKey || 'none', maxRetries: 0, timeout: s.budgetMs });
  }

  get model(): string {
    return this.s.model;
  }

  /** True while the breaker is open or today's tokens are spent: callers skip the model. */
  get unavailable(): boolean {
    this.rollDay();
    return this.now() < this.openUntil || (this.s.dailyTokens > 0 && this.tokensToday >= this.s.dailyTokens);
  }

  /**
   * Asks for one JSON object. `schema` is sent as a response format where the provider enforces
   * it (json_schema); otherwise the prompt must describe it. Within `budgetMs` (default: the
   * configured budget), with at most one retry of ours.
   */
  async json(messages: Message[], opts: { schema?: Record<string, unknown>; schemaName?: string; budgetMs?: number; maxTokens?: number } = {}): Promise<LlmResult> {
    const started = this.now();
    const budget = opts.budgetMs ?? this.s.budgetMs;
    this.rollDay();
    if (this.now() < this.openUntil) return this.skip('breaker', started);
    if (this.s.dailyTokens > 0 && this.tokensToday >= this.s.dailyTokens) return this.skip('budget', started);
    let last: LlmResult | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const left = budget - (this.now() - started);
      if (left < 200) break;
      if (attempt > 0) this.stats.retries++;
      this.stats.calls++;
      last = await this.once(messages, opts, left, started);
      if (last.ok || !retryable(last)) break;
    }
    last ??= { ok: false, reason: 'timeout', ms: this.now() - started };
    this.settle(last);
    return last;
  }

  private async once(
    messages: Message[],
    opts: { schema?: Record<string, unknown>; schemaName?: string; maxTokens?: number },
    timeoutMs: number,
    started: number,
  ): Promise<LlmResult> {
    const ms = () => this.now() - started;
    const format =
      this.s.jsonMode === 'json_schema' && opts.schema
        ? { type: 'json_schema' as const, json_schema: { name: opts.schemaName ?? 'answer', schema: opts.schema, strict: false } }
        : this.s.jsonMode === 'json_object' || (this.s.jsonMode === 'json_schema' && !opts.schema)
          ? { type: 'json_object' as const }
          : undefined;
    try {
      const res = await this.sdk.chat.completions.create(
        { model: this.s.model, messages, temperature: 0, max_tokens: opts.maxTokens ?? 300, ...(format ? { response_format: format } : {}) },
        { timeout: timeoutMs, maxRetries: 0, signal: AbortSignal.timeout(timeoutMs) },
      );
      const choice = res.choices?.[0];
      const usage = { prompt: res.usage?.prompt_tokens ?? 0, completion: res.usage?.completion_tokens ?? 0 };
      this.count(usage);
      const finish = String(choice?.finish_reason ?? '');
      if (finish === 'length') return { ok: false, reason: 'truncated', ms: ms() };
      if (finish === 'content_filter' || finish === 'sensitive') return { ok: false, reason: 'filtered', ms: ms() };
      const msg = choice?.message as { content?: string | null; refusal?: string | null; tool_calls?: Array<{ function?: { arguments?: string } }> } | undefined;
      if (msg?.refusal) return { ok: false, reason: 'refused', ms: ms() };
      const text = msg?.content ?? msg?.tool_calls?.[0]?.function?.arguments ?? '';
      if (!text.trim()) return { ok: false, reason: 'empty', ms: ms() };
      const value = parseJsonObject(text);
      if (value === undefined) return { ok: false, reason: 'malformed', ms: ms() };
      return { ok: true, value, usage, ms: ms() };
    } catch (err) {
      const status = (err as { status?: number }).status;
      const timedOut = err instanceof OpenAI.APIConnectionTimeoutError || (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError' || ms() >= timeoutMs;
      return { ok: false, reason: timedOut ? 'timeout' : 'http', status, ms: ms() };
    }
  }

  private skip(reason: 'breaker' | 'budget', started: number): LlmResult {
    this.stats.skipped++;
    return { ok: false, reason, ms: this.now() - started };
  }

  private settle(r: LlmResult): void {
    if (r.ok) {
      this.stats.ok++;
      this.failures = 0;
      this.logger.debug({ model: this.s.model, ms: r.ms, tokens: r.usage.prompt + r.usage.completion, today: this.tokensToday }, 'llm call');
      return;
    }
    this.stats.failed++;
    // A refusal or a filter is the model answering; breakers are for a provider that is not.
    if (r.reason === 'timeout' || r.reason === 'http' || r.reason === 'malformed' || r.reason === 'empty') this.failures++;
    if (this.failures >= this.s.breakerFailures) {
      this.openUntil = this.now() + this.s.breakerCooldownSec * 1000;
      this.failures = 0;
      this.logger.warn({ model: this.s.model, reason: r.reason, cooldownSec: this.s.breakerCooldownSec }, 'llm breaker open: rules only for a while');
    } else {
      this.logger.info({ model: this.s.model, reason: r.reason, status: r.status, ms: r.ms }, 'llm call failed: rules this turn');
    }
  }

  private count(u: { prompt: number; completion: number }): void {
    this.stats.promptTokens += u.prompt;
    this.stats.completionTokens += u.completion;
    this.tokensToday += u.prompt + u.completion;
    // The day's total as every instance counted it (a few calls' lag at most: callers never wait for it).
    const day = this.day;
    if (this.usage)
      void this.usage
        .add(day, u.prompt + u.completion)
        .then((total) => {
          if (this.day === day) this.tokensToday = Math.max(this.tokensToday, total);
        })
        .catch((err) => this.logger.warn({ err }, 'llm usage: could not record'));
  }

  private rollDay(): void {
    const f = localFields(new Date(this.today()), this.s.timeZone);
    const day = `${f.year}-${f.month}-${f.day}`;
    if (day !== this.day) {
      this.day = day;
      this.tokensToday = 0;
      // What this day has already used (an earlier run, other instances).
      if (this.usage)
        void this.usage
          .total(day)
          .then((total) => {
            if (this.day === day) this.tokensToday = Math.max(this.tokensToday, total);
          })
          .catch(() => undefined);
    }
  }
}

/** Worth a second try within the budget: the provider's transient failures, not its answers. */
function retryable(r: LlmResult): boolean {
  return !r.ok && (r.reason === 'http' ? r.status === undefined || r.status === 429 || r.status >= 500 : r.reason === 'empty' || r.reason === 'malformed');
}
