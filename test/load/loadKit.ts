/**
 * Helpers for load and fault tests that run the real server as a child process: a free port, the
 * server process (start, SIGKILL, restart on the same port and database, SIGTERM), an HTTP client
 * that retries the same request while the server is down, a Direct Line conversation client that
 * polls its activity log, and percentiles.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A TCP port nobody listens on right now (bind port 0, read it, let it go). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Run {
  child: ChildProcess;
  pid: number;
  out: string;
  exit?: Exit;
  exited: Promise<Exit>;
}

/**
 * The server as a child process: `node --import tsx src/main.ts` (tsx in-process, so SIGKILL leaves
 * no grandchild behind). Every run's stdout and stderr are kept for inspection.
 */
export class ServerProcess {
  readonly runs: Run[] = [];

  constructor(private readonly opts: { root: string; env: NodeJS.ProcessEnv; host: string; port: number }) {}

  get base(): string {
    return `http://${this.opts.host}:${this.opts.port}`;
  }

  get current(): Run | undefined {
    return this.runs.at(-1);
  }

  get alive(): boolean {
    const run = this.current;
    return !!run && !run.exit;
  }

  /** Everything every run printed, in order, each run headed by a marker line. */
  get log(): string {
    return this.runs.map((r, i) => `--- run ${i + 1} (pid ${r.pid}) ---\n${r.out}`).join('\n');
  }

  /** The pino JSON lines of every run (other lines, e.g. a stack trace on stderr, are skipped). */
  jsonLines(): Array<Record<string, any>> {
    const out: Array<Record<string, any>> = [];
    for (const run of this.runs) {
      for (const line of run.out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          out.push(JSON.parse(line));
        } catch {
          // a line cut short by SIGKILL
        }
      }
    }
    return out;
  }

  private spawnOnce(): Run {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: this.opts.root, env: this.opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const run: Run = { child, pid: child.pid ?? -1, out: '', exited: undefined as unknown as Promise<Exit> };
    run.exited = new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        run.exit = { code, signal };
        resolve(run.exit);
      });
      child.once('error', (err) => {
        run.out += `\n[spawn failed: ${err.message}]\n`;
        run.exit ??= { code: null, signal: null };
        resolve(run.exit);
      });
    });
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (s: string) => void (run.out += s));
    child.stderr!.on('data', (s: string) => void (run.out += s));
    this.runs.push(run);
    return run;
  }

  /** Starts the server and waits until GET /healthz answers; a port still held for a moment is retried. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.alive) throw new Error('the server is already running');
    const end = Date.now() + timeoutMs;
    for (;;) {
      const run = this.spawnOnce();
      for (;;) {
        if (run.exit) break;
        try {
          const r = await fetch(`${this.base}/healthz`, { signal: AbortSignal.timeout(2_000) });
          if (r.ok && ((await r.json()) as { ok?: boolean }).ok) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > end) {
          run.child.kill('SIGKILL');
          await run.exited;
          throw new Error(`the server did not become ready within ${timeoutMs} ms:\n${run.out.slice(-4000)}`);
        }
        await sleep(50);
      }
      if (/EADDRINUSE/.test(run.out) && Date.now() < end) {
        await sleep(250);
        continue;
      }
      throw new Error(`the server exited before it was ready (${JSON.stringify(run.exit)}):\n${run.out.slice(-4000)}`);
    }
  }

  /** SIGKILL, then waits for the exit. */
  async kill9(): Promise<Exit> {
    const run = this.current;
    if (!run) throw new Error('no server to kill');
    if (!run.exit) run.child.kill('SIGKILL');
    return run.exited;
  }

  /** SIGTERM (a clean stop); 'timeout' if it did not exit in time (it is then killed). */
  async terminate(timeoutMs = 15_000): Promise<Exit | 'timeout'> {
    const run = this.current;
    if (!run) throw new Error('no server to stop');
    if (run.exit) return run.exit;
    run.child.kill('SIGTERM');
    const result = await Promise.race([run.exited, sleep(timeoutMs).then(() => 'timeout' as const)]);
    if (result === 'timeout') {
      run.child.kill('SIGKILL');
      await run.exited;
    }
    return result;
  }

  /** For afterAll: whatever still runs is killed. */
  async dispose(): Promise<void> {
    const run = this.current;
    if (run && !run.exit) {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP with retries
// ---------------------------------------------------------------------------------------------

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${body.slice(0, 300)}`);
  }
}

/** What a request attempt looked like (for counting retries and 5xx answers). */
export interface AttemptLog {
  retries: number;
  serverErrors: number;
  errors: string[];
}

export interface RetryOptions {
  /** Give up when the request has kept failing for this long. */
  deadlineMs?: number;
  /** Per attempt. */
  timeoutMs?: number;
  log?: AttemptLog;
}

/**
 * One request, repeated unchanged (same body, so the same clientActivityID) while it fails
 * with no answer (refused, reset, timeout), a 5xx or 429, with exponential backoff. A 4xx is final.
 * Returns the parsed JSON body, the status and when the last attempt was sent.
 */
export async function requestJson<T = any>(
  method: 'GET' | 'POST',
  url: string,
  opts: { token?: string; body?: unknown } & RetryOptions = {},
): Promise<{ status: number; json: T; attempts: number; lastSentAt: number }> {
  const deadlineMs = opts.deadlineMs ?? 60_000;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = {
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
  };
  let firstFailure: number | undefined;
  let backoff = 50;
  for (let attempt = 1; ; attempt++) {
    const sentAt = performance.now();
    let problem: string;
    try {
      const r = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
      const text = await r.text();
      if (r.status < 400) {
        try {
          return { status: r.status, json: (text ? JSON.parse(text) : undefined) as T, attempts: attempt, lastSentAt: sentAt };
        } catch {
          problem = `unparseable ${r.status} answer`;
        }
      } else if (r.status >= 500 || r.status === 429) {
        if (r.status >= 500 && opts.log) opts.log.serverErrors++;
        problem = `HTTP ${r.status} ${text.slice(0, 120)}`;
      } else throw new HttpError(r.status, text, `${method} ${url}`);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      const e = err as Error & { cause?: { code?: string; message?: string } };
      problem = `${e.name}: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
    }
    firstFailure ??= performance.now();
    if (opts.log) {
      opts.log.retries++;
      if (opts.log.errors.length < 50) opts.log.errors.push(problem);
    }
    if (performance.now() - firstFailure > deadlineMs) throw new Error(`${method} ${url} kept failing for ${deadlineMs} ms (${attempt} attempts), last: ${problem}`);
    await sleep(backoff + Math.random() * backoff * 0.5);
    backoff = Math.min(backoff * 2, 1_000);
  }
}

// ---------------------------------------------------------------------------------------------
// Direct Line
// ---------------------------------------------------------------------------------------------

export interface DlActivity {
  id: string;
  type: string;
  text?: string;
  replyToId?: string;
  from: { id: string; role?: string };
  channelData?: { clientActivityID?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** One Direct Line conversation over plain HTTP: post (retried) and poll the activity log. */
export class DlClient {
  /** Everything polled so far, by id (the client's view of the log). */
  readonly seen = new Map<string, DlActivity>();
  private watermark = '';

  constructor(
    readonly base: string,
    readonly conversationId: string,
    readonly token: string,
    readonly userId: string,
    private readonly log: AttemptLog,
  ) {}

  private get url() {
    return `${this.base}/v3/directline/conversations/${encodeURIComponent(this.conversationId)}`;
  }

  /** Shop backend → a token for this user; then the conversation is started with it. */
  static async open(base: string, secret: string, userId: string, log: AttemptLog): Promise<DlClient> {
    const minted = await requestJson<{ conversationId: string; token: string }>('POST', `${base}/v3/directline/tokens/generate`, {
      token: secret,
      body: { user: { id: userId } },
      log,
    });
    const started = await requestJson<{ conversationId: string }>('POST', `${base}/v3/directline/conversations`, { token: minted.json.token, log });
    if (started.json.conversationId !== minted.json.conversationId) throw new Error('POST /conversations answered another conversation id');
    return new DlClient(base, minted.json.conversationId, minted.json.token, userId, log);
  }

  /** Posts one message as Web Chat does; the same clientActivityID on every retry. */
  async post(text: string, clientActivityID: string): Promise<{ id: string; attempts: number }> {
    const activity = { type: 'message', text, locale: 'zh-CN', textFormat: 'plain', from: { id: this.userId, name: '买家' }, channelData: { clientActivityID } };
    const r = await requestJson<{ id: string }>('POST', `${this.url}/activities`, { token: this.token, body: activity, log: this.log });
    if (!r.json?.id) throw new Error(`POST activity answered without an id: ${JSON.stringify(r.json)}`);
    return { id: r.json.id, attempts: r.attempts };
  }

  /** Polls from the last watermark until `done` holds for what has been seen. */
  async pollUntil(done: (seen: Map<string, DlActivity>) => boolean, timeoutMs = 30_000): Promise<void> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const page = await requestJson<{ activities: DlActivity[]; watermark: string }>('GET', `${this.url}/activities?watermark=${encodeURIComponent(this.watermark)}`, {
        token: this.token,
        log: this.log,
      });
      for (const a of page.json.activities) this.seen.set(a.id, a);
      if (page.json.watermark) this.watermark = page.json.watermark;
      if (done(this.seen)) return;
      if (performance.now() > end) throw new Error(`conversation ${this.conversationId}: nothing matching within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** The server's whole activity log of this conversation, from watermark 0, page by page. */
  async fullLog(): Promise<DlActivity[]> {
    const all: DlActivity[] = [];
    let w = '0';
    for (;;) {
      const page = await requestJson<{ activities: DlActivity[]; watermark: string }>('GET', `${this.url}/activities?watermark=${w}`, { token: this.token, log: this.log });
      if (!page.json.activities.length) return all;
      all.push(...page.json.activities);
      if (page.json.watermark === w) return all;
      w = page.json.watermark;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------

/** Nearest-rank percentile of an unsorted sample (NaN when empty). */
export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarize(values: number[]): string {
  const f = (x: number) => (Number.isNaN(x) ? '–' : `${x.toFixed(1)} ms`);
  return `n=${values.length} p50 ${f(percentile(values, 50))}, p99 ${f(percentile(values, 99))}, max ${f(values.length ? Math.max(...values) : Number.NaN)}`;
}

/** Runs `fn` over items with at most `limit` at a time. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
