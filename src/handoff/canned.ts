/**
 * Canned responses: sentences agents keep for what they say every day, shared by every agent and
 * managed in the console (storage/sql/canned.ts). In the reply box "/" finds them by title or text;
 * the chosen one has its variables filled from the conversation's context packet:
 * {订单号} {商品} {状态} {预计时间} {买家} (the buyer's contact, masked). A variable the packet
 * cannot fill, or one nobody knows, stays in the text as typed and is flagged to the agent: never
 * a silent blank in what the buyer reads. Responses tagged with the conversation's cause come first.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CAUSES, type Cause, type Diagnosis } from '../diagnosis/index.js';
import { extractContact } from '../understanding/identifiers.js';
import { maskContact } from '../orders/masking.js';
import type { UnifiedOrder } from '../orders/model.js';
import { consoleLines } from '../replies/console.js';
import { when } from '../replies/format.js';
import { PRODUCT_LABEL, statusLabel } from '../replies/labels.js';
import type { HandoffContext } from './index.js';

export const VARIABLES = ['订单号', '商品', '状态', '预计时间', '买家'] as const;
export type Variable = (typeof VARIABLES)[number];
export type Variables = Partial<Record<Variable, string>>;

export interface CannedResponse {
  id: string;
  title: string;
  body: string;
  /** Causes it is suggested for (empty: none in particular). */
  causes: Cause[];
  createdBy: string;
  updatedBy: string;
  createdAt: number;
  updatedAt: number;
}

export const CannedInput = z.object({
  title: z.string().trim().min(1).max(30),
  body: z.string().trim().min(1).max(1000),
  causes: z.array(z.enum(CAUSES)).max(CAUSES.length).default([]),
});
export type CannedInput = z.infer<typeof CannedInput>;

/** Where canned responses are kept (storage/sql/canned.ts). */
export interface CannedRepo {
  list(): Promise<CannedResponse[]>;
  get(id: string): Promise<CannedResponse | undefined>;
  insert(c: CannedResponse): Promise<void>;
  /** False when there is no such response. */
  update(id: string, input: CannedInput, agentId: string, at: number): Promise<boolean>;
  remove(id: string): Promise<boolean>;
}

/** A variable left in the text, and why. */
export interface Unfilled {
  name: string;
  why: string;
}

const PLACEHOLDER = /\{([^{}\s]{1,12})\}/g;

/** The body with every variable the conversation knows filled; the others stay as typed and are listed. */
export function fillVariables(body: string, vars: Variables): { text: string; unfilled: Unfilled[] } {
  const unfilled: Unfilled[] = [];
  const text = body.replace(PLACEHOLDER, (whole, name: string) => {
    if (!(VARIABLES as readonly string[]).includes(name)) {
      if (!unfilled.some((u) => u.name === name)) unfilled.push({ name, why: consoleLines.variableUnknown() });
      return whole;
    }
    const value = vars[name as Variable];
    if (value) return value;
    if (!unfilled.some((u) => u.name === name)) unfilled.push({ name, why: name === '预计时间' ? consoleLines.etaNone() : consoleLines.variableEmpty(name) });
    return whole;
  });
  return { text, unfilled };
}

/** The buyer's contact, masked: as they gave it to the bot, else as they typed it in the chat, else the order's (masked by the adapter). */
export function buyerContact(c: Pick<HandoffContext, 'buyer' | 'order'>, transcript: HandoffContext['transcript']): string | undefined {
  if (c.buyer?.contact) return maskContact(c.buyer.contact);
  for (const line of [...transcript].reverse()) {
    if (line.direction !== 'in') continue;
    const found = extractContact(line.text);
    if (found) return maskContact(found.value);
  }
  const fromOrder = (c.order as UnifiedOrder | null | undefined)?.buyer?.contact;
  return fromOrder ? (fromOrder.includes('*') ? fromOrder : maskContact(fromOrder)) : undefined;
}

/** The variables a conversation fills: its order, the diagnosis' expected time (only one still ahead), the masked contact. */
export function contextVariables(
  c: Pick<HandoffContext, 'orderNo' | 'productType' | 'order'>,
  opts: { diagnosis?: Pick<Diagnosis, 'eta'>; contact?: string; now: Date; tz: string },
): Variables {
  const order = c.order as UnifiedOrder | null | undefined;
  const eta = opts.diagnosis?.eta;
  return {
    订单号: c.orderNo ?? order?.orderNo,
    商品: order?.title ?? (c.productType ? PRODUCT_LABEL[c.productType as keyof typeof PRODUCT_LABEL] : undefined),
    状态: order?.status ? statusLabel(order) : undefined,
    预计时间: eta && eta.getTime() > opts.now.getTime() ? when(eta, opts.now, opts.tz) : undefined,
    买家: opts.contact,
  };
}

export class CannedResponses {
  constructor(private readonly repo: CannedRepo) {}

  /** All of them, by title. */
  async list(): Promise<CannedResponse[]> {
    return (await this.repo.list()).sort((a, b) => a.title.localeCompare(b.title, 'zh-CN') || a.id.localeCompare(b.id));
  }

  get(id: string): Promise<CannedResponse | undefined> {
    return this.repo.get(id);
  }

  async add(input: CannedInput, agentId: string, now: Date): Promise<CannedResponse> {
    const c: CannedResponse = { id: randomUUID(), ...CannedInput.parse(input), createdBy: agentId, updatedBy: agentId, createdAt: now.getTime(), updatedAt: now.getTime() };
    await this.repo.insert(c);
    return c;
  }

  async edit(id: string, input: CannedInput, agentId: string, now: Date): Promise<CannedResponse | undefined> {
    if (!(await this.repo.update(id, CannedInput.parse(input), agentId, now.getTime()))) return undefined;
    return this.repo.get(id);
  }

  remove(id: string): Promise<boolean> {
    return this.repo.remove(id);
  }

  /** For one conversation: filled, those suggested for its cause first. */
  async forConversation(cause: string | undefined, vars: Variables): Promise<Array<CannedResponse & { text: string; unfilled: Unfilled[]; suggested: boolean }>> {
    const all = await this.list();
    const filled = all.map((c) => ({ ...c, ...fillVariables(c.body, vars), suggested: !!cause && (c.causes as string[]).includes(cause) }));
    return [...filled.filter((c) => c.suggested), ...filled.filter((c) => !c.suggested)];
  }
}
