/**
 * Understanding as an injected async service (BotServices.understanding). The rules always run
 * first and extract what they are good at (identifiers, contacts, times, product words); the
 * learned model sits beside them for the intent; an LLM, when configured, reads free text with the
 * last few turns and code checks what it says (src/llm/understand.ts).
 */
import type pino from 'pino';
import type { LlmClient } from '../llm/client.js';
import { understandWithLlm } from '../llm/understand.js';
import type { IntentClassifier } from './classifier.js';
import { type Understanding, understand } from './index.js';

export interface ReadContext {
  now: Date;
  timeZone: string;
  /** What the bot asked for last turn (a bare phone number is then a contact). */
  expect?: 'contact';
  /** What the bot said last, as records keep it (masked). */
  lastBot?: string;
  /** A few earlier buyer messages. */
  earlier?: string[];
}

export interface UnderstandingService {
  /** Which reader is on: 'rules', 'learned' or 'llm:<model>'. */
  readonly kind: string;
  read(raw: string, ctx: ReadContext): Promise<Understanding>;
}

export function understandingService(opts: { model?: IntentClassifier; llm?: LlmClient; logger?: pino.Logger }): UnderstandingService {
  const rules = (raw: string, ctx: ReadContext) => understand(raw, { now: ctx.now, timeZone: ctx.timeZone, expect: ctx.expect, model: opts.model });
  const llm = opts.llm;
  if (!llm) return { kind: opts.model ? 'learned' : 'rules', read: async (raw, ctx) => rules(raw, ctx) };
  return {
    kind: `llm:${llm.model}`,
    async read(raw, ctx) {
      const ruled = rules(raw, ctx);
      const r = await understandWithLlm(llm, ruled, { lastBot: ctx.lastBot, earlier: ctx.earlier, typed: raw }, { now: ctx.now, timeZone: ctx.timeZone });
      if (!r.used && r.reason && r.reason !== 'not free text') opts.logger?.debug({ reason: r.reason }, 'llm not used this turn: rules');
      return r.u;
    },
  };
}
