/**
 * npm run chat: talk to the bot in a terminal.
 *
 * With the bot already running (`npm start`, at HOST:PORT or CHAT_SERVER_URL), the terminal is a
 * Direct Line client of that server, like a web-chat buyer: the same agents online, handoffs an
 * agent in the console can take, and their replies printed as they arrive. With nothing running it
 * runs the bot in this process against the same database (agents are then never online: nobody can
 * reach a conversation that lives in a terminal process).
 */
import readline from 'node:readline';
import { randomUUID } from 'node:crypto';
import { createApp } from '../../app.js';
import { type Config, ConfigError, loadConfig, loadDotEnv } from '../../config.js';
import { terminal } from '../../replies/index.js';

type Activity = { id?: string; type?: string; text?: string; value?: unknown; from?: { role?: string }; suggestedActions?: { actions?: Array<{ title?: string }> } };

let config: Config;
try {
  loadDotEnv();
  config = loadConfig({ LOG_LEVEL: 'warn', ...process.env });
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
const showTrace = process.argv.includes('--trace');
const userId = process.env.CHAT_BUYER_ID;

function print(activities: Activity[]) {
  for (const a of activities) {
    if (a.type === 'message') {
      console.log(`\n${terminal.bot(a.text ?? '')}`);
      const buttons = a.suggestedActions?.actions?.map((x) => `[${x.title}]`).join(' ');
      if (buttons) console.log(buttons);
    } else if (a.type === 'trace' && showTrace) console.log(`  (trace) ${JSON.stringify(a.value)}`);
  }
}

const server = (process.env.CHAT_SERVER_URL ?? `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`).replace(/\/+$/, '');

async function running(): Promise<boolean> {
  try {
    return (await fetch(`${server}/healthz`, { signal: AbortSignal.timeout(1500) })).ok;
  } catch {
    return false;
  }
}

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const r = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) } });
  if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${url}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

/** The running server over Direct Line: a buyer-bound token when CHAT_BUYER_ID and the shop secret are set. */
async function remote(rl: readline.Interface, lines: AsyncIterable<string>): Promise<void> {
  const dl = `${server}/v3/directline`;
  const minted =
    userId && config.directLine.secret
      ? await json<{ token: string }>(`${dl}/tokens/generate`, {
          method: 'POST',
          headers: { authorization: `Bearer ${config.directLine.secret}` },
          body: JSON.stringify({ user: { id: userId } }),
        })
      : await json<{ token: string }>(`${server}/api/directline/token`, { method: 'POST', body: '{}' });
  if (userId && !config.directLine.secret) console.log(terminal.noSecretForBuyer());
  const auth = { authorization: `Bearer ${minted.token}` };
  const conv = await json<{ conversationId: string }>(`${dl}/conversations`, { method: 'POST', headers: auth });
  const url = `${dl}/conversations/${encodeURIComponent(conv.conversationId)}/activities`;
  const seen = new Set<string>();
  let watermark = '';
  const poll = async () => {
    const page = await json<{ activities: Activity[]; watermark?: string }>(`${url}?watermark=${encodeURIComponent(watermark)}`, { headers: auth });
    if (page.watermark) watermark = page.watermark;
    const fresh = page.activities.filter((a) => a.from?.role !== 'user' && a.id && !seen.has(a.id));
    for (const a of fresh) seen.add(a.id!);
    if (fresh.length) {
      print(fresh);
      rl.prompt();
    }
  };
  // Agents' messages come whenever they come: keep polling, as Web Chat keeps its stream.
  const timer = setInterval(() => void poll().catch(() => undefined), 700);
  console.log(terminal.connected(server));
  const examples = await json<{ examples: Record<string, string> }>(`${server}/demo/examples`).catch(() => ({ examples: {} }));
  console.log(`\n${terminal.examples(examples.examples)}`);
  console.log(terminal.usage());
  await poll();
  rl.prompt();
  let n = 0;
  for await (const line of lines) {
    if (line.trim() === '/quit') break;
    await json(url, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        type: 'message',
        text: line,
        locale: 'zh-CN',
        from: { id: userId ?? 'terminal-buyer' },
        channelData: { clientActivityID: `t-${++n}-${randomUUID()}` },
      }),
    });
    await new Promise((r) => setTimeout(r, 300));
    await poll();
  }
  clearInterval(timer);
}

/** No server running: the bot in this process. */
async function local(rl: readline.Interface, lines: AsyncIterable<string>): Promise<void> {
  const app = await createApp({ config });
  const conversationId = `terminal-${randomUUID()}`;
  const channelData = userId ? { buyer: { id: userId } } : undefined;
  console.log(terminal.inProcess(server));
  print(await app.adapter.conversationStart(conversationId, userId ?? 'terminal-buyer', app.logic));
  console.log(`\n${terminal.examples((await app.shop.examples?.(app.clock.now(), config.policy)) ?? {})}`);
  console.log(terminal.usage());
  rl.prompt();
  for await (const line of lines) {
    if (line.trim() === '/quit') break;
    print(await app.adapter.message({ conversationId, userId: userId ?? 'terminal-buyer', text: line, channelId: 'terminal', channelData }, app.logic));
    rl.prompt();
  }
  await app.close();
}

const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: `\n${terminal.you()}` });
// Iterate from the start: lines piped in before the loop begins are kept, not dropped.
const iterator = rl[Symbol.asyncIterator]();
const lines: AsyncIterable<string> = { [Symbol.asyncIterator]: () => iterator };
if ((await running()) && !showTrace) await remote(rl, lines);
else await local(rl, lines);
rl.close();
