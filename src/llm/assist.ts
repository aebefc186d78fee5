/**
 * For agents: a three-line summary of a handoff and up to three suggested replies, in the console's
 * context packet. Written by the model off the buyer's turn (the buyer never waits for it), from
 * what the packet holds: the order's facts, the diagnosis, what the bot told the buyer, and the
 * conversation, with contacts masked and no code. Code checks it: every number, time, status,
 * link and quoted command in it must be in that material. The agent reads, edits and sends:
 * nothing is sent automatically.
 */
import type { HandoffContext } from '../handoff/index.js';
import type { UnifiedOrder } from '../orders/model.js';
import { CAUSE_LABEL, REASON_LABEL, statusLabel } from '../replies/labels.js';
import type { LlmClient } from './client.js';
import { factsIn } from './rephrase.js';
import { redact } from './understand.js';

export interface AgentAssist {
  summary: string[];
  suggestions: string[];
  model: string;
  at: string;
}

const SYSTEM = `你在帮网店（游戏点卡、话费充值、软件激活码）的人工客服接手一段买家会话。根据给你的资料：
1. 写三行摘要：买家是谁的什么订单、出了什么问题（按资料里的诊断）、买家现在要什么；
2. 给客服写最多三条可以直接发给买家的回复建议（称呼用“你”，简短，先安抚再给下一步）。
只能用资料里有的事实：资料里没有的数字、时间、金额、订单状态、退款或赔偿承诺一律不能写；不确定就写“需要核实”。
只输出一个 JSON 对象：{"summary": ["第一行", "第二行", "第三行"], "suggestions": ["建议一", "建议二"]}`;

/** What the model reads, and what everything it writes is checked against. */
export function assistMaterial(c: HandoffContext, tz: string): string {
  const o = c.order as UnifiedOrder | undefined | null;
  const lines = [
    `转人工原因：${REASON_LABEL[c.reason] ?? c.reason}`,
    c.orderNo ? `订单号：${c.orderNo}` : '订单号：买家没有提供',
    o
      ? `订单：${o.title}，金额 ${o.amount} 元，状态 ${statusLabel(o)}${o.paidAt ? `，付款于 ${new Date(o.paidAt).toLocaleString('zh-CN', { timeZone: tz, hour12: false })}` : ''}`
      : undefined,
    c.cause ? `诊断：${CAUSE_LABEL[c.cause as keyof typeof CAUSE_LABEL] ?? c.cause}` : undefined,
    c.told ? `机器人已告诉买家：${c.told}` : undefined,
    c.ticketId ? `已有工单：${c.ticketId}` : undefined,
    '对话（最近的在后）：',
    ...c.transcript.slice(-12).map((l) => `${l.direction === 'in' ? '买家' : l.sender === 'bot' ? '机器人' : '客服'}：${l.text.slice(0, 300)}`),
  ];
  return redact(lines.filter(Boolean).join('\n'));
}

/** The deterministic check: shape, length, style, and no fact the material does not hold. */
export function checkAssist(material: string, value: unknown): Pick<AgentAssist, 'summary' | 'suggestions'> | undefined {
  const v = value as { summary?: unknown; suggestions?: unknown } | undefined;
  if (!v || typeof v !== 'object' || !Array.isArray(v.summary)) return undefined;
  const source = material.normalize('NFKC');
  const grounded = (s: unknown): s is string =>
    typeof s === 'string' && s.trim().length >= 2 && s.length <= 200 && !s.includes('您') && factsIn(s).every((f) => source.includes(f.normalize('NFKC')));
  const summary = v.summary.slice(0, 3).map((s) => (typeof s === 'string' ? s.trim() : s));
  if (summary.length === 0 || !summary.every(grounded)) return undefined;
  const suggestions = (Array.isArray(v.suggestions) ? v.suggestions : [])
    .map((s) => (typeof s === 'string' ? s.trim() : s))
    .filter(grounded)
    .slice(0, 3);
  return { summary, suggestions };
}

export async function agentAssist(client: LlmClient, c: HandoffContext, tz: string, now: Date, budgetMs = 8000): Promise<AgentAssist | undefined> {
  if (client.unavailable) return undefined;
  const material = assistMaterial(c, tz);
  const r = await client.json(
    [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: material },
    ],
    { budgetMs, maxTokens: 600 },
  );
  if (!r.ok) return undefined;
  const checked = checkAssist(material, r.value);
  return checked && { ...checked, model: client.model, at: now.toISOString() };
}
