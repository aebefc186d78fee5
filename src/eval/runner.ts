/**
 * Replays a scenario against the real bot: fixed clock, a fresh in-memory demo shop holding only
 * the scenario's orders, one conversation. Returns one line per failed expectation. `replay` plays
 * the turns on an app already built (the live run, src/eval/live.ts, builds it on the real shop).
 */
import type { Activity } from 'botbuilder';
import { type App, createApp } from '../app.js';
import type { TurnOutcome } from '../bot/types.js';
import { loadConfig } from '../config.js';
import type { DemoOrderRecord } from '../orders/demo/demoOrderService.js';
import { fixedClock } from '../time.js';
import type { Expect, Scenario } from './scenario.js';

/** Scenario orders may leave fields out; the loader fills sensible defaults. */
export function scenarioOrder(raw: Record<string, unknown>, now: string): DemoOrderRecord {
  const o = { ...raw } as Record<string, unknown> & { buyer?: Record<string, unknown> };
  o.createdAt ??= o.paidAt ?? now;
  if (o.buyer && typeof o.buyer === 'object' && 'id' in o.buyer && !('userId' in o.buyer)) o.buyer = { ...o.buyer, userId: o.buyer.id };
  return o as unknown as DemoOrderRecord;
}

export interface TurnResult {
  user: string;
  replies: string[];
  outcome?: TurnOutcome;
}

const sameInstant = (a: string, b: string) => Date.parse(a) === Date.parse(b);

export function check(expect: Expect, r: TurnResult): string[] {
  const f: string[] = [];
  const o = r.outcome;
  const got = (v: unknown) => JSON.stringify(v);
  if (!o) return ['no turnOutcome trace'];
  if (expect.intent !== undefined && o.intent !== expect.intent) f.push(`intent: expected ${expect.intent}, got ${o.intent}`);
  for (const [k, v] of Object.entries(expect.slots ?? {})) {
    if (v === undefined) continue;
    const actual = o.slots[k as keyof TurnOutcome['slots']];
    const ok = k === 'paymentTime' ? typeof actual === 'string' && sameInstant(actual, v) : actual === v;
    if (!ok) f.push(`slots.${k}: expected ${v}, got ${got(actual)}`);
  }
  if (expect.cause !== undefined && o.cause !== expect.cause) f.push(`cause: expected ${expect.cause}, got ${got(o.cause)}`);
  if (expect.step !== undefined && o.step !== expect.step) f.push(`step: expected ${expect.step}, got ${got(o.step)}`);
  if (expect.handoff !== undefined && (o.handoff ?? false) !== expect.handoff) f.push(`handoff: expected ${expect.handoff}, got ${got(o.handoff)}`);
  if (expect.lookup?.found !== undefined && o.lookup?.found !== expect.lookup.found) f.push(`lookup.found: expected ${expect.lookup.found}, got ${got(o.lookup?.found)}`);
  if (expect.lookup?.status !== undefined && o.lookup?.status !== expect.lookup.status) f.push(`lookup.status: expected ${expect.lookup.status}, got ${got(o.lookup?.status)}`);
  const all = r.replies.join('\n');
  for (const s of expect.replyIncludes ?? []) if (!all.includes(s)) f.push(`replyIncludes: "${s}" not in reply`);
  for (const s of expect.replyExcludes ?? []) if (all.includes(s)) f.push(`replyExcludes: "${s}" appeared in reply`);
  return f;
}

export interface ScenarioResult {
  name: string;
  turns: TurnResult[];
  failures: string[];
}

export async function runScenario(s: Scenario, env: Record<string, string | undefined> = {}): Promise<ScenarioResult> {
  const config = loadConfig({ ...env, DATABASE_FILE: ':memory:', LOG_LEVEL: env.LOG_LEVEL ?? 'silent' });
  const app = await createApp({ config, clock: fixedClock(s.now), orders: s.orders.map((o) => scenarioOrder(o, s.now)) });
  try {
    return await replay(app, s);
  } finally {
    await app.close();
  }
}

export interface ReplayOptions {
  /**
   * A live shop can fail to answer: called for the first turn whose lookup found the shop
   * unavailable (`lookup.unavailable`). Its line is reported before that turn's expectation
   * failures and the remaining turns are not run. Unset: such a turn is checked like any other.
   */
  shopDown?: (turn: TurnResult, remainingTurns: number) => Promise<string>;
}

/** Plays the scenario's turns as one conversation on an app that is already built (closing it is the caller's). */
export async function replay(app: App, s: Scenario, opts: ReplayOptions = {}): Promise<ScenarioResult> {
  const conversationId = `eval-${Math.random().toString(36).slice(2)}`;
  const userId = s.buyer?.id ?? 'anonymous-buyer';
  const turns: TurnResult[] = [];
  const failures: string[] = [];
  for (const [i, turn] of s.turns.entries()) {
    let activities: Partial<Activity>[];
    try {
      activities = await app.adapter.message({ conversationId, userId, text: turn.user, channelId: s.channel, channelData: s.buyer ? { buyer: s.buyer } : undefined }, app.logic);
    } catch (err) {
      failures.push(`turn ${i + 1}: threw ${(err as Error).message}`);
      break;
    }
    const replies = activities.filter((a) => a.type === 'message').map((a) => a.text ?? '');
    const trace = activities.find((a) => a.type === 'trace' && a.name === 'turnOutcome');
    const result: TurnResult = { user: turn.user, replies, outcome: trace?.value as TurnOutcome | undefined };
    turns.push(result);
    const where = `turn ${i + 1} (${JSON.stringify(turn.user.slice(0, 30))})`;
    const down = opts.shopDown && result.outcome?.lookup?.unavailable ? await opts.shopDown(result, s.turns.length - i - 1) : undefined;
    if (down) failures.push(`${where}: ${down}`);
    for (const f of check(turn.expect, result)) failures.push(`${where}: ${f}`);
    if (down) break;
  }
  return { name: s.name, turns, failures };
}
